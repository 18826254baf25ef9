//! Arbitrary continuation events: parsing never panics, a parsed continuation writes back to an
//! event that parses to the same continuation, and opening one under a key that did not seal
//! it never succeeds.
#![no_main]

use cfn_warden::continuation::{token::is_continuation, SealedContinuation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = is_continuation(data);
    if let Ok(sealed) = SealedContinuation::parse(data) {
        let again =
            SealedContinuation::parse(&sealed.to_event()).expect("a written continuation parses");
        assert_eq!(again, sealed);
        assert!(sealed.open(&[7u8; 32]).is_err(), "opened without its key");
    }
});
