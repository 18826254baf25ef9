//! What the verifier tests share: an AWS SDK configuration that replays HTTP responses.
#![allow(dead_code, reason = "each test file uses only some of these helpers")]

use aws_config::{retry::RetryConfig, BehaviorVersion, Region, SdkConfig};
use aws_credential_types::{provider::SharedCredentialsProvider, Credentials};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;

/// Replayed HTTP responses: (status, body), in order.
pub(crate) type Responses = Vec<(u16, String)>;

/// An SDK configuration (us-east-1, static test credentials, no retries) whose HTTP client
/// answers the requests to `uri` with these responses in order, each with this content type if
/// one is given.
pub(crate) fn replay_config(
    uri: &str,
    content_type: Option<&str>,
    responses: Responses,
) -> SdkConfig {
    let events = responses
        .into_iter()
        .map(|(status, body)| {
            let mut response = http::Response::builder().status(status);
            if let Some(content_type) = content_type {
                response = response.header("content-type", content_type);
            }
            ReplayEvent::new(
                http::Request::builder()
                    .uri(uri)
                    .body(SdkBody::empty())
                    .unwrap(),
                response.body(SdkBody::from(body)).unwrap(),
            )
        })
        .collect();
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKID", "SECRET", None, None, "test",
        )))
        .http_client(StaticReplayClient::new(events))
        .retry_config(RetryConfig::disabled())
        .build()
}
