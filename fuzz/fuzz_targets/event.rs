//! Untrusted event bytes through the provider's screening (JSON, an SNS notification's
//! message, envelope, consistency, size, full request) and, when accepted, through typed
//! property parsing. SNS delivery is allowed for one topic: whatever passes names the function
//! or that topic as its ServiceToken.
#![no_main]

use cfn_warden::{
    service::parse_properties,
    verify::{consistency::ConsistencyPolicy, screen, Screening},
};
use libfuzzer_sys::fuzz_target;

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:warden-fixture";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:cfn-requests";

fuzz_target!(|data: &[u8]| {
    let policy = ConsistencyPolicy { sns_topics: vec![TOPIC.to_owned()], ..ConsistencyPolicy::default() };
    match screen(data, FUNCTION, &policy, 1024 * 1024) {
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
            assert!(matches!(request.service_token(), FUNCTION | TOPIC));
            let reserved = vec!["ServiceToken".to_owned()];
            let _ = parse_properties::<serde_json::Value>(request.resource_properties(), &reserved, false);
        }
        Screening::Denied { check, .. } => assert!(check.evidence.contains_key("problem")),
        _ => {}
    }
});
