//! The continuation event: the wire format a provider sends itself to poll a long-running
//! operation again. Read and written here only.
//!
//! ```json
//! {"WardenContinuation": {"Version": 1, "StackId": "…", "LogicalResourceId": "…",
//!   "RequestId": "…", "Attempt": 2, "StartedAtMs": 1765000000000, "NotBeforeMs": …,
//!   "DeadlineMs": …, "KeyId": "…", "DataKey": "<base64>", "Nonce": "<base64>",
//!   "Sealed": "<base64>"}}
//! ```
//!
//! Everything but `Nonce` and `Sealed` is the [`ContinuationHeader`], in clear and
//! authenticated: it is the AES-256-GCM associated data. `Sealed` is the AES-256-GCM
//! ciphertext, under the data key `DataKey` encrypts (KMS, encryption context
//! `{purpose: cfn-warden-continuation/1, request-id}`), of [`ContinuationBody`]: the original
//! CloudFormation event (so its ResponseURL never appears in clear), the handler's state and
//! the id a Create recorded. Changing any header field (attempt, deadline, ids) breaks the tag.
//!
//! Fixtures: `runtime/tests/fixtures/continuations/`; fuzz target: `continuation`.

use base64::{engine::general_purpose::STANDARD, Engine};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;

/// The top-level key of a continuation event (no CloudFormation event has it).
pub const CONTINUATION_KEY: &str = "WardenContinuation";
/// The only version read and written.
pub const VERSION: u32 = 1;
/// The `purpose` of the data key's KMS encryption context.
pub const PURPOSE: &str = "cfn-warden-continuation/1";
/// The largest continuation event read or written (Lambda's asynchronous payload limit is
/// 256 KiB; the rest is margin).
pub const MAX_CONTINUATION_BYTES: usize = 240 * 1024;
pub use crate::service::MAX_STATE_BYTES;
/// Ids longer than this are malformed (CloudFormation's are far shorter).
const MAX_ID_CHARS: usize = 1024;

/// The authenticated, readable part of a continuation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ContinuationHeader {
    /// Always [`VERSION`].
    pub version: u32,
    /// The original request's `StackId`.
    pub stack_id: String,
    /// The original request's `LogicalResourceId`.
    pub logical_resource_id: String,
    /// The original request's `RequestId`.
    pub request_id: String,
    /// The poll this continuation starts (1 for the first poll after the original request).
    pub attempt: u32,
    /// When the original request was received (Unix milliseconds).
    pub started_at_ms: u64,
    /// The earliest the poll runs (Unix milliseconds).
    pub not_before_ms: u64,
    /// The operation's deadline: the last instant an answer may be delivered; the
    /// continuation is refused after it (Unix milliseconds).
    pub deadline_ms: u64,
    /// The KMS key the data key is encrypted under.
    pub key_id: String,
    /// The encrypted data key.
    #[serde(with = "base64_bytes")]
    pub data_key: Vec<u8>,
}

impl ContinuationHeader {
    /// The data key's KMS encryption context.
    pub fn encryption_context(&self) -> std::collections::BTreeMap<String, String> {
        std::collections::BTreeMap::from([
            ("purpose".to_owned(), PURPOSE.to_owned()),
            ("request-id".to_owned(), self.request_id.clone()),
        ])
    }

    fn aad(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The sealed part: what only the provider can read.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct ContinuationBody {
    /// The original CloudFormation event, as received.
    pub event: String,
    /// The handler's state for the next poll.
    pub state: Value,
    /// The PhysicalResourceId a Create recorded so far, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_id: Option<String>,
}

/// Sizes only: the event holds the ResponseURL (a bearer credential), sealed tickets and
/// NoEcho properties, and the state is the handler's.
impl std::fmt::Debug for ContinuationBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContinuationBody")
            .field(
                "event",
                &format_args!("<redacted: {} bytes>", self.event.len()),
            )
            .field(
                "state",
                &format_args!("<redacted: {} bytes>", self.state.to_string().len()),
            )
            .field("recorded_id", &self.recorded_id)
            .finish()
    }
}

impl ContinuationBody {
    /// A body.
    pub fn new(event: String, state: Value, recorded_id: Option<String>) -> Self {
        Self {
            event,
            state,
            recorded_id,
        }
    }
}

/// A continuation as read from (or written to) the wire; opened only with its data key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedContinuation {
    header: ContinuationHeader,
    nonce: [u8; NONCE_LEN],
    sealed: Vec<u8>,
}

// No `deny_unknown_fields`: serde does not support it with `flatten`. Unknown fields are
// ignored and never authenticated or used.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Wire {
    #[serde(flatten)]
    header: ContinuationHeader,
    nonce: String,
    sealed: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    #[serde(rename = "WardenContinuation")]
    continuation: Wire,
}

fn malformed(problem: &'static str) -> Error {
    Error::MalformedContinuation { problem }
}

fn key(data_key: &[u8]) -> Result<LessSafeKey, Error> {
    UnboundKey::new(&AES_256_GCM, data_key)
        .map(LessSafeKey::new)
        .map_err(|_| malformed("data key is not 32 bytes"))
}

/// Whether `event` is a continuation (a JSON object whose first key is
/// [`CONTINUATION_KEY`]); a cheap look, not a parse.
pub fn is_continuation(event: &[u8]) -> bool {
    let text = event.trim_ascii_start();
    text.strip_prefix(b"{")
        .map(<[u8]>::trim_ascii_start)
        .is_some_and(|rest| rest.starts_with(b"\"WardenContinuation\""))
}

impl SealedContinuation {
    /// Seals `body` under `data_key` (plaintext, 32 bytes) with a fresh random nonce.
    pub fn seal(
        header: ContinuationHeader,
        body: &ContinuationBody,
        data_key: &[u8],
    ) -> Result<Self, Error> {
        let state = serde_json::to_vec(&body.state).map_err(|_| malformed("state is not JSON"))?;
        if state.len() > MAX_STATE_BYTES {
            return Err(Error::ContinuationStateTooLarge {
                bytes: state.len(),
                limit: MAX_STATE_BYTES,
            });
        }
        let mut nonce = [0u8; NONCE_LEN];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| malformed("nonce could not be drawn"))?;
        let mut sealed = zeroize::Zeroizing::new(
            serde_json::to_vec(body).map_err(|_| malformed("body is not JSON"))?,
        );
        key(data_key)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(header.aad()),
                &mut *sealed,
            )
            .map_err(|_| malformed("could not be sealed"))?;
        let this = Self {
            header,
            nonce,
            sealed: sealed.to_vec(),
        };
        if this.to_event().len() > MAX_CONTINUATION_BYTES {
            return Err(malformed(
                "is larger than 240 KiB (the original event is too large)",
            ));
        }
        Ok(this)
    }

    /// Reads a continuation event. Checks shape and sizes only: nothing is authenticated
    /// before [`SealedContinuation::open`].
    pub fn parse(event: &[u8]) -> Result<Self, Error> {
        if event.len() > MAX_CONTINUATION_BYTES {
            return Err(malformed("is larger than 240 KiB"));
        }
        let Event { continuation: wire } =
            serde_json::from_slice(event).map_err(|_| malformed("does not hold its fields"))?;
        let header = wire.header;
        if header.version != VERSION {
            return Err(malformed("is of another version"));
        }
        let ids = [
            &header.stack_id,
            &header.logical_resource_id,
            &header.request_id,
            &header.key_id,
        ];
        if ids
            .iter()
            .any(|id| id.is_empty() || id.len() > MAX_ID_CHARS)
        {
            return Err(malformed("has an empty or overlong id"));
        }
        if header.data_key.is_empty() || header.not_before_ms > header.deadline_ms {
            return Err(malformed("has no data key or ends before it starts"));
        }
        let nonce: [u8; NONCE_LEN] = STANDARD
            .decode(&wire.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| malformed("has an unreadable nonce"))?;
        let sealed = STANDARD
            .decode(&wire.sealed)
            .map_err(|_| malformed("has an unreadable body"))?;
        if sealed.len() <= AES_256_GCM.tag_len() {
            return Err(malformed("has an empty body"));
        }
        Ok(Self {
            header,
            nonce,
            sealed,
        })
    }

    /// The event bytes (`{"WardenContinuation": {…}}`).
    pub fn to_event(&self) -> Vec<u8> {
        let event = Event {
            continuation: Wire {
                header: self.header.clone(),
                nonce: STANDARD.encode(self.nonce),
                sealed: STANDARD.encode(&self.sealed),
            },
        };
        serde_json::to_vec(&event).unwrap_or_default()
    }

    /// The header (authenticated only by a successful [`SealedContinuation::open`]).
    pub fn header(&self) -> &ContinuationHeader {
        &self.header
    }

    /// Authenticates the header and decrypts the body with the plaintext data key. The runtime
    /// then checks that the event inside names the header's stack, resource and request.
    pub fn open(&self, data_key: &[u8]) -> Result<ContinuationBody, Error> {
        let mut buffer = zeroize::Zeroizing::new(self.sealed.clone());
        let plain = key(data_key)?
            .open_in_place(
                Nonce::assume_unique_for_key(self.nonce),
                Aad::from(self.header.aad()),
                &mut buffer,
            )
            .map_err(|_| Error::ContinuationNotAuthentic)?;
        serde_json::from_slice(plain).map_err(|_| malformed("body does not parse"))
    }
}

mod base64_bytes {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_s_debug_shows_no_event_and_no_state() {
        let event = r#"{"ResponseURL":"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=SECRETSIG"}"#;
        let body = ContinuationBody::new(
            event.to_owned(),
            serde_json::json!({"token": "HANDLER-SECRET"}),
            Some("phys-1".into()),
        );
        let shown = format!("{body:?}");
        assert!(
            !shown.contains("SECRETSIG") && !shown.contains("HANDLER-SECRET"),
            "{shown}"
        );
        assert!(
            shown.contains("phys-1") && shown.contains("bytes"),
            "{shown}"
        );
    }
}
