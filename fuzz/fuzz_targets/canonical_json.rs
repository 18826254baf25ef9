//! Arbitrary JSON through CloudFormation normalisation and RFC 8785 canonicalisation, the two
//! steps signer and verifier share. Properties: nothing panics; canonical output is valid JSON
//! that means the same value; canonicalising it again changes nothing; normalising is
//! idempotent (a signed value cannot drift between `warden sign` and the provider).
#![no_main]

use cfn_warden::verify::signed::{canonical_json, cfn_normalise};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let normal = cfn_normalise(&value);
    assert_eq!(cfn_normalise(&normal), normal, "normalisation is not idempotent");
    let Ok(bytes) = canonical_json(&normal) else { return };
    let reparsed: Value = serde_json::from_slice(&bytes).expect("canonical output is JSON");
    assert_eq!(reparsed, normal, "canonical output means another value");
    let again = canonical_json(&reparsed).expect("canonical output canonicalises");
    assert_eq!(again, bytes, "canonical form is not a fixed point");
});
