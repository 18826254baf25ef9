//! Arbitrary `IndexUrl` values against a fixed allow-list: checking never panics, and every URL
//! accepted stays under the allowed prefix however a server decodes it: its path, percent-
//! decoded once or twice and with backslashes read as slashes and `;` parameters dropped,
//! still starts with the prefix's path and contains no dot segment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use warden_pip::index::{ambiguous_path, check_index_url};

const PREFIX: &str = "https://mirror.invalid/team-a/simple/";

/// The path as a lenient server might see it.
fn server_view(path: &str) -> String {
    let once = percent_decode_str(path).decode_utf8_lossy().into_owned();
    let twice = percent_decode_str(&once).decode_utf8_lossy().into_owned();
    twice
        .replace('\\', "/")
        .split('/')
        .map(|segment| segment.split(';').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("/")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for given in [text.to_owned(), format!("{PREFIX}{text}")] {
        let Ok(url) = check_index_url(Some(&given), &[PREFIX.to_owned()]) else {
            continue;
        };
        assert!(ambiguous_path(&url).is_none(), "{url}");
        assert_eq!(url.host_str(), Some("mirror.invalid"), "{url}");
        let seen = server_view(url.path());
        assert!(seen.starts_with("/team-a/simple/"), "{url} seen as {seen}");
        assert!(
            !seen.split('/').any(|s| s == "." || s == ".."),
            "{url} seen as {seen}"
        );
    }
});
