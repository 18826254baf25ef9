//! [`LambdaSelfInvoke`]: continuations delivered by an asynchronous `Invoke` of the exact ARN
//! this invocation was invoked as (the provider's alias), with the provider's own credentials.
//! The one permission it needs is `lambda:InvokeFunction` on that alias.

use aws_sdk_lambda::{error::ProvideErrorMetadata, primitives::Blob, types::InvocationType};

use super::Scheduler;
use crate::{
    credentials::ticket::{DataKey, DataKeys, KeyFuture, KeyUse, Plaintext},
    response::BoxFuture,
    Error,
};

/// See the module doc.
#[derive(Debug, Default)]
pub struct LambdaSelfInvoke {
    client: tokio::sync::OnceCell<aws_sdk_lambda::Client>,
    given: Option<aws_config::SdkConfig>,
}

impl LambdaSelfInvoke {
    /// With the provider's own credentials (loaded on first use).
    pub fn new() -> Self {
        Self::default()
    }

    /// With this SDK configuration (tests, embedders).
    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        Self {
            client: tokio::sync::OnceCell::new(),
            given: Some(config),
        }
    }

    async fn client(&self) -> &aws_sdk_lambda::Client {
        self.client
            .get_or_init(|| async {
                let config = match &self.given {
                    Some(c) => c.clone(),
                    None => crate::aws::provider_sdk_config().await,
                };
                aws_sdk_lambda::Client::new(&config)
            })
            .await
    }
}

impl Scheduler for LambdaSelfInvoke {
    fn schedule<'a>(
        &'a self,
        function_arn: &'a str,
        event: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.client()
                .await
                .invoke()
                .function_name(function_arn)
                .invocation_type(InvocationType::Event)
                .payload(Blob::new(event))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Error::AwsCall {
                    service: "lambda",
                    operation: "Invoke",
                    code: e.code().unwrap_or("no error code").to_owned(),
                })
        })
    }
}

/// KMS data keys with the provider's own credentials, the client built on first use.
#[derive(Debug, Default)]
pub(crate) struct ProviderKms {
    keys: tokio::sync::OnceCell<crate::credentials::KmsDataKeys>,
}

impl ProviderKms {
    async fn keys(&self) -> &crate::credentials::KmsDataKeys {
        self.keys
            .get_or_init(|| async {
                let config = crate::aws::provider_sdk_config().await;
                crate::credentials::KmsDataKeys::new(aws_sdk_kms::Client::new(&config))
            })
            .await
    }
}

impl DataKeys for ProviderKms {
    fn generate<'a>(&'a self, under: KeyUse<'a>) -> KeyFuture<'a, DataKey> {
        Box::pin(async move { self.keys().await.generate(under).await })
    }

    fn decrypt<'a>(&'a self, under: KeyUse<'a>, blob: &'a [u8]) -> KeyFuture<'a, Plaintext> {
        Box::pin(async move { self.keys().await.decrypt(under, blob).await })
    }
}

/// The continuations of a provider in Lambda: data keys under `key_id` (KMS, the provider's
/// credentials) and self-invocation.
pub(crate) fn in_lambda(key_id: String) -> Result<super::Continuations, Error> {
    super::Continuations::builder()
        .keys(std::sync::Arc::new(ProviderKms::default()))
        .key_id(key_id)
        .scheduler(std::sync::Arc::new(LambdaSelfInvoke::new()))
        .build()
}
