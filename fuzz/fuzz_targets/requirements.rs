//! Arbitrary requirement input (a requirements.txt body, and the same text as a list of lines):
//! parsing never panics, and every accepted pin is a lowercase SHA-256 in hex.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_pip::requirements::{parse_list, parse_requirements_txt};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parsed = Vec::new();
    if let Ok(lines) = parse_requirements_txt(text) {
        parsed.extend(lines);
    }
    let items: Vec<&str> = text.split('\n').collect();
    if let Ok(lines) = parse_list(&items) {
        parsed.extend(lines);
    }
    for line in parsed {
        assert!(line.line >= 1);
        for hash in &line.hashes {
            assert!(hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{hash}");
        }
    }
});
