//! AWS SDK configuration: one place that builds an `SdkConfig` the way cfn-warden wants it.
//!
//! rustls over `ring` (no second crypto library), and the standard AWS environment otherwise:
//! credentials chain, region, profiles, and `AWS_ENDPOINT_URL` (used to point at emulators).

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;

/// An HTTPS client for AWS SDK clients: rustls with the `ring` provider.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Loads the SDK configuration from the environment.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}
