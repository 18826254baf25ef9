//! Arbitrary ResponseURL strings against the consistency check, with and without the
//! test-only loopback prefix. Whatever passes must be on an allowed host.
#![no_main]

use cfn_warden::{
    protocol::Envelope,
    verify::consistency::{check, response_hosts, ConsistencyPolicy, InsecureResponseUrlPrefix},
};
use libfuzzer_sys::fuzz_target;

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/5b6a-11ef";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:provider";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Through the event reader, as the runtime reads it.
    let event = serde_json::json!({
        "RequestType": "Create", "ResponseURL": text, "StackId": STACK, "RequestId": "req-1",
        "LogicalResourceId": "Res", "ServiceToken": FUNCTION, "ResourceType": "Custom::X",
    });
    let Ok(envelope) = Envelope::from_value(&event) else { return };
    let strict = ConsistencyPolicy::default();
    if check(&envelope, FUNCTION, None, &strict).1.is_ok() {
        let url = envelope.response_url.expose();
        assert_eq!(url.scheme(), "https");
        assert!(url.username().is_empty() && url.password().is_none());
        let host = url.host_str().unwrap_or_default();
        assert!(response_hosts("aws", "us-east-1").iter().any(|h| h == host), "{host}");
    }
    let prefix = InsecureResponseUrlPrefix::new("http://127.0.0.1:8123/").unwrap();
    let loose = ConsistencyPolicy { insecure_prefix: Some(prefix), ..ConsistencyPolicy::default() };
    if check(&envelope, FUNCTION, None, &loose).1.is_ok() {
        let url = envelope.response_url.expose();
        let host = url.host_str().unwrap_or_default();
        let allowed = host == "127.0.0.1" && url.port() == Some(8123)
            || response_hosts("aws", "us-east-1").iter().any(|h| h == host);
        assert!(allowed, "{url}");
    }
});
