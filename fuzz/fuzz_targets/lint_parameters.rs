//! Arbitrary text as a `warden lint --parameters` file. Properties: nothing panics, and what is
//! read, written back as `{"Key": "Value"}`, reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(values) = warden_lint::parse_parameters(text) {
        let again = serde_json::to_string(&values).unwrap_or_default();
        assert_eq!(warden_lint::parse_parameters(&again).ok(), Some(values));
    }
});
