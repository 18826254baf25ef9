//! Arbitrary package index pages, as PEP 503 HTML and as PEP 691 JSON: parsing never panics,
//! and every file kept has an absolute URL without a fragment, on https or the page's scheme.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_pip::index::{parse_html, parse_json};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    let page = url::Url::parse("http://127.0.0.1:8080/simple/demo/").expect("a valid page URL");
    for files in [parse_html("demo", body, &page), parse_json("demo", body, &page)]
        .into_iter()
        .flatten()
    {
        for file in files {
            assert!(file.url.fragment().is_none());
            assert!(matches!(file.url.scheme(), "https" | "http"), "{}", file.url);
            if let Some(hash) = &file.sha256 {
                assert_eq!(hash, &hash.to_ascii_lowercase());
            }
        }
    }
});
