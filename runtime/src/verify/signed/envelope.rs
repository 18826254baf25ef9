//! The signed envelope and its token encoding.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{canonical::canonical_json, keys::Algorithm};
use crate::Error;

/// The property holding the signature.
pub use crate::protocol::SIGNATURE_PROPERTY_KEY as PROPERTY_KEY;

/// Properties a signature never covers: the framework's own (`ServiceToken`,
/// `ServiceTimeout`), the signature itself, and the ticket (which authenticates itself through
/// its KMS encryption context and is re-sealed on every deployment).
pub const UNSIGNED_PROPERTY_KEYS: [&str; 4] = [
    "ServiceToken",
    "ServiceTimeout",
    PROPERTY_KEY,
    crate::credentials::ticket::TICKET_PROPERTY_KEY,
];

/// The token's version prefix.
pub const TOKEN_PREFIX: &str = "warden-sig-v1";

/// Domain separation for the signed message.
const MESSAGE_TAG: &[u8] = b"cfn-warden signed properties v1\n";

/// Tokens longer than this are refused before decoding.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// What a signature vouches for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedEnvelope {
    /// Format version (1).
    pub v: u32,
    /// The signing key's id.
    pub kid: String,
    /// The signature algorithm.
    pub alg: Algorithm,
    /// The stack name, or a pattern where `*` matches any run of characters.
    pub stack: String,
    /// The resource's LogicalResourceId.
    pub logical_id: String,
    /// The resource's type, e.g. `Custom::Hello`.
    pub resource_type: String,
    /// When it was signed (RFC 3339; informational).
    pub issued_at: String,
    /// After this instant (RFC 3339) the signature is expired.
    pub not_after: String,
    /// The literal properties, normalised as CloudFormation delivers them
    /// (see [`super::cfn_normalise`]).
    pub properties: Map<String, Value>,
    /// Properties whose values are intrinsics (resolved at deploy time, so unsignable), each
    /// with an optional regex the resolved value must match in full.
    pub dynamic: BTreeMap<String, Option<String>>,
}

impl SignedEnvelope {
    /// The canonical payload bytes.
    pub fn payload(&self) -> Result<Vec<u8>, Error> {
        let value =
            serde_json::to_value(self).map_err(|source| Error::Canonicalisation { source })?;
        canonical_json(&value)
    }
}

/// The message a key signs for a payload: a fixed tag followed by the payload's SHA-256.
/// Fixed-size, so KMS `Sign` with `MessageType=RAW` accepts it whatever the payload size.
pub fn signing_message(payload: &[u8]) -> Vec<u8> {
    let digest = ring::digest::digest(&ring::digest::SHA256, payload);
    [MESSAGE_TAG, digest.as_ref()].concat()
}

/// A parsed `warden-sig-v1.<payload>.<signature>` token.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedToken {
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl std::fmt::Debug for SignedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SignedToken({} payload bytes, {} signature bytes)",
            self.payload.len(),
            self.signature.len()
        )
    }
}

impl SignedToken {
    /// Assembles a token from a payload and its signature.
    pub fn new(payload: Vec<u8>, signature: Vec<u8>) -> Self {
        Self { payload, signature }
    }

    /// Parses the token text (strictly: prefix, two base64url parts without padding).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let malformed = |problem: &'static str| Error::MalformedSignature { problem };
        if text.len() > MAX_TOKEN_BYTES {
            return Err(malformed("is longer than 64 KiB"));
        }
        let mut parts = text.split('.');
        let (Some(prefix), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("is not warden-sig-v1.<payload>.<signature>"));
        };
        if prefix != TOKEN_PREFIX {
            return Err(malformed("has an unknown version prefix"));
        }
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| malformed("payload is not base64url"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| malformed("signature is not base64url"))?;
        if signature.is_empty() {
            return Err(malformed("signature is empty"));
        }
        Ok(Self { payload, signature })
    }

    /// The token text.
    pub fn encode(&self) -> String {
        format!(
            "{TOKEN_PREFIX}.{}.{}",
            URL_SAFE_NO_PAD.encode(&self.payload),
            URL_SAFE_NO_PAD.encode(&self.signature)
        )
    }

    /// The payload bytes as signed.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Decodes the envelope. The payload must be exactly its own canonical form, so one
    /// envelope has one encoding.
    pub fn envelope(&self) -> Result<SignedEnvelope, Error> {
        let malformed = |problem: &'static str| Error::MalformedSignature { problem };
        let envelope: SignedEnvelope = serde_json::from_slice(&self.payload)
            .map_err(|_| malformed("payload is not a signed envelope"))?;
        if envelope.v != 1 {
            return Err(malformed("envelope version is not 1"));
        }
        if envelope.payload()? != self.payload {
            return Err(malformed("payload is not in canonical form"));
        }
        Ok(envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_keys_are_never_signed() {
        for key in crate::protocol::FRAMEWORK_PROPERTY_KEYS {
            assert!(UNSIGNED_PROPERTY_KEYS.contains(key), "{key}");
        }
    }

    fn envelope() -> SignedEnvelope {
        SignedEnvelope {
            v: 1,
            kid: "k1".into(),
            alg: Algorithm::Ed25519,
            stack: "demo".into(),
            logical_id: "Greeting".into(),
            resource_type: "Custom::Hello".into(),
            issued_at: "2026-11-22T00:00:00Z".into(),
            not_after: "2026-12-22T00:00:00Z".into(),
            properties: serde_json::from_str(r#"{"Name":"World"}"#).unwrap(),
            dynamic: BTreeMap::from([(
                "RoleArn".to_owned(),
                Some("arn:aws:iam::\\d{12}:role/app-.*".to_owned()),
            )]),
        }
    }

    #[test]
    fn token_round_trip() {
        let payload = envelope().payload().unwrap();
        let token = SignedToken::new(payload.clone(), vec![1, 2, 3]);
        let text = token.encode();
        assert!(text.starts_with("warden-sig-v1."));
        let parsed = SignedToken::parse(&text).unwrap();
        assert_eq!(parsed, token);
        assert_eq!(parsed.envelope().unwrap(), envelope());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = SignedToken::new(envelope().payload().unwrap(), vec![9; 64]).encode();
        let (prefix, rest) = good.split_once('.').unwrap();
        for (bad, needle) in [
            (String::new(), "is not"),
            (format!("warden-sig-v2.{rest}"), "version prefix"),
            (format!("{prefix}.{rest}.extra"), "is not"),
            (
                format!("{prefix}.!!!.{}", rest.split_once('.').unwrap().1),
                "payload is not base64url",
            ),
            (
                format!("{}.", good.rsplit_once('.').unwrap().0),
                "signature is empty",
            ),
            ("x".repeat(70_000), "64 KiB"),
        ] {
            let err = SignedToken::parse(&bad).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad:.40}: {err}");
        }
    }

    #[test]
    fn non_canonical_or_unknown_payloads_are_refused() {
        let spaced = br#"{ "v":1 }"#.to_vec();
        assert!(SignedToken::new(spaced, vec![1]).envelope().is_err());
        let mut value = serde_json::to_value(envelope()).unwrap();
        value["extra"] = serde_json::json!(1);
        let extra = canonical_json(&value).unwrap();
        assert!(SignedToken::new(extra, vec![1])
            .envelope()
            .unwrap_err()
            .to_string()
            .contains("not a signed envelope"));
        let mut other = envelope();
        other.v = 2;
        let p = other.payload().unwrap();
        assert!(SignedToken::new(p, vec![1])
            .envelope()
            .unwrap_err()
            .to_string()
            .contains("version"));
    }

    #[test]
    fn signing_message_is_fixed_size() {
        assert_eq!(
            signing_message(b"").len(),
            signing_message(&[0; 100_000]).len()
        );
        assert_ne!(signing_message(b"a"), signing_message(b"b"));
    }
}
