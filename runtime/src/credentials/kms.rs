//! [`DataKeys`] on AWS KMS: the data keys that seal and open tickets.

use std::collections::HashMap;

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_smithy_types::Blob;

use super::ticket::{DataKey, DataKeys, EncryptionContext, KeyFuture, KeyUse, Plaintext};
use crate::{secret::Secret, Error};

/// [`DataKeys`] on AWS KMS.
#[derive(Clone, Debug)]
pub struct KmsDataKeys {
    client: aws_sdk_kms::Client,
}

impl KmsDataKeys {
    /// Uses this KMS client.
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }
}

fn aws_error(service: &'static str, operation: &'static str, code: Option<&str>) -> Error {
    Error::AwsCall {
        service,
        operation,
        code: code.unwrap_or("no error code").to_owned(),
    }
}

fn context_map(context: &EncryptionContext) -> HashMap<String, String> {
    context
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl DataKeys for KmsDataKeys {
    fn generate<'a>(&'a self, under: KeyUse<'a>) -> KeyFuture<'a, DataKey> {
        Box::pin(async move {
            let out = self
                .client
                .generate_data_key()
                .key_id(under.key_id)
                .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
                .set_encryption_context(Some(context_map(under.context)))
                .send()
                .await
                .map_err(|e| aws_error("kms", "GenerateDataKey", e.code()))?;
            match (out.plaintext, out.ciphertext_blob) {
                (Some(plain), Some(blob)) => Ok(DataKey {
                    plaintext: Secret::new(plain.into_inner()),
                    ciphertext: blob.into_inner(),
                }),
                _ => Err(aws_error(
                    "kms",
                    "GenerateDataKey",
                    Some("IncompleteResponse"),
                )),
            }
        })
    }

    fn decrypt<'a>(&'a self, under: KeyUse<'a>, blob: &'a [u8]) -> KeyFuture<'a, Plaintext> {
        Box::pin(async move {
            let out = self
                .client
                .decrypt()
                .key_id(under.key_id)
                .ciphertext_blob(Blob::new(blob))
                .set_encryption_context(Some(context_map(under.context)))
                .send()
                .await
                .map_err(|e| aws_error("kms", "Decrypt", e.code()))?;
            out.plaintext
                .map(|p| Secret::new(p.into_inner()))
                .ok_or_else(|| aws_error("kms", "Decrypt", Some("IncompleteResponse")))
        })
    }
}
