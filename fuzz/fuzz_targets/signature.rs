//! Arbitrary `WardenSignature` values through token parsing, envelope decoding and verification
//! against a fixed key ring. Nothing may panic, and nothing random may verify.
#![no_main]

use std::time::SystemTime;

use cfn_warden::{
    protocol::{CfnRequest, Envelope},
    verify::signed::{KeyRing, SignatureVerifier, SignedToken},
};
use libfuzzer_sys::fuzz_target;

const KEYS: &str = r#"[{"kid":"k1","alg":"ed25519","public_key":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}]"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(token) = SignedToken::parse(text) {
        let _ = token.envelope();
    }
    let event = serde_json::json!({
        "RequestType": "Create",
        "ResponseURL": "https://x.invalid/",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "r",
        "ResourceType": "Custom::X",
        "LogicalResourceId": "L",
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "ResourceProperties": {"WardenSignature": text},
    });
    let request = CfnRequest::from_value(&event, Envelope::from_value(&event).unwrap()).unwrap();
    let verifier = SignatureVerifier::builder().keys(KeyRing::from_json(KEYS).unwrap()).build().unwrap();
    assert!(verifier.check(&request, SystemTime::now()).is_err(), "a random token verified");
});
