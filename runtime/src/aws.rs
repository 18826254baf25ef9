//! AWS SDK configuration: one place that builds an `SdkConfig` the way cfn-warden wants it.
//!
//! rustls over `ring` (no second crypto library), and the standard AWS environment otherwise:
//! credentials chain, region, profiles, and `AWS_ENDPOINT_URL` (used to point at emulators).
//! Also the provider's own configuration (its credentials as handed over at start) and the
//! configuration the verifiers use for a request.
//!
//! May import: `handoff`, `env`, `secret`.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::{provider::SharedCredentialsProvider, Credentials};
use aws_smithy_http_client::tls;

use crate::{
    handoff::{self, ProviderKeys},
    secret::Secret,
};

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

/// The base configuration (region, endpoint, HTTP client) without any credentials.
pub(crate) async fn base_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .no_credentials()
        .load()
        .await
}

/// The provider's own credentials as found in `env`, or the first variable missing.
pub(crate) fn provider_credentials(
    env: &dyn crate::env::Environment,
) -> Result<Credentials, &'static str> {
    ProviderKeys::from_env(env).map(provider_sdk_credentials)
}

pub(crate) fn provider_sdk_credentials(keys: ProviderKeys) -> Credentials {
    Credentials::new(
        keys.access_key_id,
        keys.secret_access_key.into_inner(),
        keys.session_token.map(Secret::into_inner),
        None,
        "cfn-warden-provider",
    )
}

/// The SDK configuration the verifiers (outside ticket mode) and provider-role handlers use:
/// the provider's own credentials (handed over at start, or still in the environment) when
/// there are any, else the environment's credential chain.
pub(crate) async fn provider_sdk_config() -> SdkConfig {
    let config = crate::aws::sdk_config().await;
    match handoff::captured() {
        Some(keys) => config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider_sdk_credentials(
                keys,
            )))
            .build(),
        None => config,
    }
}

/// The SDK configuration the verifiers use for this request instead of the provider's own: in
/// ticket mode the ticket-role session (put into the context by the ticket stage), so the
/// provider's role needs no read rights for verification. Crate-private, so a handler cannot
/// read it; the handler service also removes it before the handler runs.
#[derive(Clone, Debug)]
pub(crate) struct VerificationConfig(pub(crate) SdkConfig);

tokio::task_local! {
    /// The request's [`VerificationConfig`] while a verifier runs.
    static VERIFICATION: SdkConfig;
}

/// Runs a verifier's check with the request's [`VerificationConfig`] (when a stage left one in
/// `extensions`) as what [`verification_config`] returns.
pub(crate) async fn verifying<F: std::future::Future>(
    extensions: &http::Extensions,
    check: F,
) -> F::Output {
    match extensions.get::<VerificationConfig>() {
        Some(config) => VERIFICATION.scope(config.0.clone(), check).await,
        None => check.await,
    }
}

/// The configuration of the request being verified, inside [`verifying`], when a stage gave
/// one; the verifiers otherwise use [`provider_sdk_config`].
pub(crate) fn verification_config() -> Option<SdkConfig> {
    VERIFICATION.try_with(Clone::clone).ok()
}
