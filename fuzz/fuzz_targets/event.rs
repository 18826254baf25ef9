//! Untrusted event bytes through the provider's screening (JSON, envelope, consistency, size,
//! full request) and, when accepted, through typed property parsing.
#![no_main]

use cfn_warden::{
    service::parse_properties,
    verify::{consistency::ConsistencyPolicy, screen, Screening},
};
use libfuzzer_sys::fuzz_target;

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:warden-fixture";

fuzz_target!(|data: &[u8]| {
    match screen(data, FUNCTION, &ConsistencyPolicy::default(), 1024 * 1024) {
        Screening::Accepted { request, .. } => {
            // Accepted means: an https URL whose decoded path binds exactly this request.
            let url = request.response_url().expose();
            assert_eq!(url.scheme(), "https");
            let decoded = percent_encoding::percent_decode_str(url.path()).decode_utf8().unwrap();
            let expected = format!(
                "/{}|{}|{}",
                request.stack().as_str(),
                request.logical_resource_id(),
                request.request_id()
            );
            assert_eq!(decoded, expected);
            assert_eq!(request.service_token(), FUNCTION);
            let reserved = vec!["ServiceToken".to_owned()];
            let _ = parse_properties::<serde_json::Value>(request.resource_properties(), &reserved, false);
        }
        Screening::Denied { check, .. } => assert!(check.evidence.contains_key("problem")),
        _ => {}
    }
});
