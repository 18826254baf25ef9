//! Long-running operations: polling a handler that answered "in progress" until it is done,
//! its deadline passes, or it fails, with continuations only this provider can make.
//!
//! A handler answers in progress with [`crate::Context::poll_again`] (a small JSON state and an
//! interval). The runtime then sends no answer: it seals a [`token::SealedContinuation`] (the
//! original event, encrypted, and the state; bound to the stack, resource, request, attempt
//! and deadline) under a per-operation data key only the provider can decrypt, and hands it
//! to a [`Scheduler`] (in Lambda: an asynchronous `Invoke` of the provider's own alias,
//! [`LambdaSelfInvoke`]). The next invocation opens it, refuses it when forged, replayed or
//! expired, waits until its poll is due and calls the handler again with the state
//! ([`crate::Context::polling`]). The verifiers' verdict carries over; the ticket is opened
//! again (its lifetime bounds the operation). Comparison of the mechanisms and the limits:
//! `docs/long-running.md`.
//!
//! Owns: the continuation wire format ([`token`]), its keys, the scheduler seam and the
//! in-environment record of requests (`Ledger`). May import: `credentials::ticket` (the
//! `DataKeys` seam), `service` (the state limit), `deadline`, `protocol`, `secret`,
//! `response::BoxFuture`, `aws` and the
//! crate error.

#[cfg(feature = "aws")]
mod lambda;
mod ledger;
pub mod token;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

pub use crate::credentials::LocalKeys;
#[cfg(feature = "aws")]
pub(crate) use lambda::in_lambda;
#[cfg(feature = "aws")]
pub use lambda::LambdaSelfInvoke;
pub(crate) use ledger::{Ledger, Seen};
pub use token::{ContinuationBody, ContinuationHeader, SealedContinuation};

use crate::{
    credentials::ticket::{DataKeys, EncryptionContext, KeyUse},
    response::BoxFuture,
    secret::Secret,
    Error,
};

/// The setting naming the KMS key continuations' data keys are generated under.
pub const CONTINUATION_KEY_SETTING: &str = "WARDEN_CONTINUATION_KEY";

/// The shortest interval between polls.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How many opened data keys a warm environment keeps (one per operation).
const KEY_CACHE: usize = 64;

/// Delivers a continuation event to the provider itself.
pub trait Scheduler: Send + Sync + 'static {
    /// Delivers `event` to `function_arn` (the exact ARN this invocation was invoked as)
    /// asynchronously.
    fn schedule<'a>(
        &'a self,
        function_arn: &'a str,
        event: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// A plaintext data key and its encrypted form, for one operation.
#[derive(Clone, Debug)]
pub struct OperationKey {
    encrypted: Vec<u8>,
    plaintext: Secret<Vec<u8>>,
}

/// What a continuation needs besides the handler: where data keys come from and how the next
/// poll is delivered.
pub struct Continuations {
    keys: Arc<dyn DataKeys>,
    key_id: String,
    scheduler: Arc<dyn Scheduler>,
    cache: Mutex<HashMap<Vec<u8>, Secret<Vec<u8>>>>,
}

impl std::fmt::Debug for Continuations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Continuations")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Builds [`Continuations`].
#[derive(Default)]
#[must_use]
pub struct ContinuationsBuilder {
    keys: Option<Arc<dyn DataKeys>>,
    key_id: Option<String>,
    scheduler: Option<Arc<dyn Scheduler>>,
}

impl ContinuationsBuilder {
    /// Where data keys are generated and decrypted (KMS in Lambda; [`LocalKeys`] in tests).
    pub fn keys(mut self, keys: Arc<dyn DataKeys>) -> Self {
        self.keys = Some(keys);
        self
    }

    /// The key data keys are generated under (a KMS key id or ARN).
    pub fn key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }

    /// How continuations are delivered ([`LambdaSelfInvoke`] in Lambda).
    pub fn scheduler(mut self, scheduler: Arc<dyn Scheduler>) -> Self {
        self.scheduler = Some(scheduler);
        self
    }

    /// The continuations; all three parts are required.
    pub fn build(self) -> Result<Continuations, Error> {
        let missing = |problem| Error::InvalidSetting {
            name: CONTINUATION_KEY_SETTING,
            problem,
        };
        Ok(Continuations {
            keys: self.keys.ok_or(missing("has no data-key source"))?,
            key_id: self
                .key_id
                .filter(|k| !k.is_empty())
                .ok_or(missing("is empty"))?,
            scheduler: self.scheduler.ok_or(missing("has no scheduler"))?,
            cache: Mutex::default(),
        })
    }
}

/// Unix milliseconds.
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// From Unix milliseconds.
pub(crate) fn from_unix_ms(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

impl Continuations {
    /// Starts a builder.
    pub fn builder() -> ContinuationsBuilder {
        ContinuationsBuilder::default()
    }

    fn key_use<'a>(&'a self, context: &'a EncryptionContext) -> KeyUse<'a> {
        KeyUse {
            key_id: &self.key_id,
            context,
        }
    }

    /// The key id data keys are generated under.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// A new data key for the operation of `request_id` (one `GenerateDataKey`).
    pub async fn new_key(&self, request_id: &str) -> Result<OperationKey, Error> {
        let context = std::collections::BTreeMap::from([
            ("purpose".to_owned(), token::PURPOSE.to_owned()),
            ("request-id".to_owned(), request_id.to_owned()),
        ]);
        let key = self.keys.generate(self.key_use(&context)).await?;
        self.remember(&key.ciphertext, &key.plaintext);
        Ok(OperationKey {
            encrypted: key.ciphertext,
            plaintext: key.plaintext,
        })
    }

    fn remember(&self, encrypted: &[u8], plaintext: &Secret<Vec<u8>>) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= KEY_CACHE {
                cache.clear();
            }
            cache.insert(encrypted.to_vec(), plaintext.clone());
        }
    }

    /// The data key of a continuation: from this environment's cache, else decrypted (one
    /// `Decrypt`, with the encryption context rebuilt from the header). Refused when the
    /// header names another key than the configured one.
    pub async fn key_of(&self, header: &ContinuationHeader) -> Result<OperationKey, Error> {
        if header.key_id != self.key_id {
            return Err(Error::ContinuationNotAuthentic);
        }
        let cached = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(&header.data_key).cloned());
        let plaintext = match cached {
            Some(p) => p,
            None => {
                let context = header.encryption_context();
                let plain = self
                    .keys
                    .decrypt(self.key_use(&context), &header.data_key)
                    .await
                    .map_err(|_| Error::ContinuationNotAuthentic)?;
                self.remember(&header.data_key, &plain);
                plain
            }
        };
        Ok(OperationKey {
            encrypted: header.data_key.clone(),
            plaintext,
        })
    }

    /// Seals the continuation of poll `attempt`.
    pub fn seal(
        &self,
        ids: &PollIds<'_>,
        key: &OperationKey,
        body: &ContinuationBody,
    ) -> Result<SealedContinuation, Error> {
        let header = ContinuationHeader {
            version: token::VERSION,
            stack_id: ids.stack_id.to_owned(),
            logical_resource_id: ids.logical_resource_id.to_owned(),
            request_id: ids.request_id.to_owned(),
            attempt: ids.attempt,
            started_at_ms: unix_ms(ids.started_at),
            not_before_ms: unix_ms(ids.not_before),
            deadline_ms: unix_ms(ids.deadline),
            key_id: self.key_id.clone(),
            data_key: key.encrypted.clone(),
        };
        SealedContinuation::seal(header, body, key.plaintext.expose())
    }

    /// Opens a continuation: its data key, then its tag. Expiry and replay are the runtime's
    /// checks; replay is checked only after this succeeded, so a forgery cannot mark a poll
    /// as run.
    pub async fn open(&self, sealed: &SealedContinuation) -> Result<ContinuationBody, Error> {
        let key = self.key_of(sealed.header()).await?;
        sealed.open(key.plaintext.expose())
    }

    /// Hands the continuation to the scheduler.
    pub(crate) async fn schedule(
        &self,
        function_arn: &str,
        sealed: &SealedContinuation,
    ) -> Result<(), Error> {
        self.scheduler
            .schedule(function_arn, sealed.to_event())
            .await
    }
}

/// What a continuation is bound to.
#[derive(Clone, Copy, Debug)]
pub struct PollIds<'a> {
    /// `StackId`.
    pub stack_id: &'a str,
    /// `LogicalResourceId`.
    pub logical_resource_id: &'a str,
    /// `RequestId`.
    pub request_id: &'a str,
    /// The poll it starts.
    pub attempt: u32,
    /// When the original request was received.
    pub started_at: SystemTime,
    /// When the poll is due.
    pub not_before: SystemTime,
    /// The operation's deadline (answer by).
    pub deadline: SystemTime,
}
