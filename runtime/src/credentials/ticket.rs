//! Sealed tickets: the deployer's short-lived credentials, envelope-encrypted for one custom
//! resource of one stack until one instant.
//!
//! `warden seal` assumes the ticket role as the deployer and seals the session credentials:
//! a KMS data key (`GenerateDataKey`, AES-256) is generated under the encryption context
//! `{purpose, stack-name, logical-id, not-after}`, and the credentials are encrypted with
//! AES-256-GCM (`ring`) under that key, with the same context as associated data. The ticket
//! carries the encrypted data key, the nonce, the ciphertext and (for diagnostics) the values of
//! the context. Plaintext credentials are never written anywhere.
//!
//! The provider rebuilds the context **from the event** (stack name from `StackId`,
//! `LogicalResourceId`) plus the ticket's not-after, so KMS refuses to decrypt a ticket sealed
//! for another stack or resource, and a changed not-after breaks both KMS and GCM.
//!
//! Token format: `wt1.` + base64url (no padding) of a JSON object
//! `{"k": key id, "d": encrypted data key, "n": nonce, "c": ciphertext, "s": stack name,
//! "l": logical id, "x": not-after (Unix seconds)}` with binary fields in standard base64.

use std::{
    collections::BTreeMap,
    fmt,
    time::{Duration, SystemTime},
};

use base64::{engine::general_purpose, Engine};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize as _, Zeroizing};

use crate::{response::BoxFuture, secret::Secret, Error};

pub use crate::protocol::TICKET_PROPERTY_KEY;
/// Every ticket starts with this.
pub const TICKET_PREFIX: &str = "wt1.";
/// The `purpose` value of the encryption context.
pub const PURPOSE: &str = "cfn-warden-ticket/1";
/// Tickets longer than this are refused before decoding.
pub const MAX_TICKET_CHARS: usize = 8192;
/// The longest a ticket may live (role chaining caps sessions at one hour).
pub const MAX_TICKET_LIFETIME: Duration = Duration::from_secs(3600);
/// Expiries beyond this (9999-12-31) are malformed: every instant stays printable.
const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

/// A Unix time in seconds as a `SystemTime`, saturating at year 9999.
pub fn from_unix(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds.min(MAX_UNIX_SECONDS))
}

/// What a ticket is bound to: the encryption context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketBinding {
    /// The stack's name (not its id: tickets are sealed before the stack exists).
    pub stack_name: String,
    /// The custom resource's logical id.
    pub logical_id: String,
    /// Unix seconds after which the ticket is refused.
    pub not_after: u64,
}

impl TicketBinding {
    /// The KMS encryption context.
    pub fn encryption_context(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("purpose".to_owned(), PURPOSE.to_owned()),
            ("stack-name".to_owned(), self.stack_name.clone()),
            ("logical-id".to_owned(), self.logical_id.clone()),
            ("not-after".to_owned(), self.not_after.to_string()),
        ])
    }

    /// The AES-GCM associated data: the context as sorted JSON.
    fn aad(&self) -> Vec<u8> {
        serde_json::to_vec(&self.encryption_context()).unwrap_or_default()
    }

    /// The not-after instant.
    pub fn not_after_time(&self) -> SystemTime {
        from_unix(self.not_after)
    }
}

/// Short-lived AWS credentials. `Debug` shows the access key id only; deliberately not
/// `Serialize` (the sealed plaintext is written by [`seal`] alone).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SessionCredentials {
    /// The access key id (not secret on its own; shown in `Debug`).
    pub access_key_id: String,
    /// The secret access key.
    #[serde(deserialize_with = "secret_string")]
    pub secret_access_key: Secret<String>,
    /// The session token.
    #[serde(deserialize_with = "secret_string")]
    pub session_token: Secret<String>,
    /// When they expire, in Unix seconds.
    pub expiration: u64,
    /// The source identity the session carries, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

impl fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration", &self.expiration)
            .field("source_identity", &self.source_identity)
            .finish()
    }
}

fn secret_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret<String>, D::Error> {
    String::deserialize(d).map(Secret::new)
}

/// The sealed plaintext's shape (the only place credentials are serialised).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsJson<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<&'a str>,
}

impl SessionCredentials {
    /// The JSON to seal, written into a buffer sized so that neither the writing nor the
    /// tag appended by sealing reallocates (a reallocation would free an unwiped copy), and
    /// wiped when dropped.
    fn plaintext(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let mut buffer = Zeroizing::new(Vec::with_capacity(PLAINTEXT_CAPACITY));
        serde_json::to_writer(
            &mut *buffer,
            &CredentialsJson {
                access_key_id: &self.access_key_id,
                secret_access_key: self.secret_access_key.expose(),
                session_token: self.session_token.expose(),
                expiration: self.expiration,
                source_identity: self.source_identity.as_deref(),
            },
        )
        .map_err(|source| Error::Canonicalisation { source })?;
        Ok(buffer)
    }
}

/// Room for the sealed JSON: STS session tokens are at most a few KiB, plus the tag.
const PLAINTEXT_CAPACITY: usize = 16 * 1024;

/// A data key from KMS: the plaintext (used once, then dropped) and its encrypted form.
pub struct DataKey {
    /// The 32-byte AES key.
    pub plaintext: Secret<Vec<u8>>,
    /// The key encrypted under the KMS key (stored in the ticket).
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey").finish_non_exhaustive()
    }
}

/// A KMS encryption context: the labels a data key is bound to.
pub type EncryptionContext = BTreeMap<String, String>;

/// What a [`DataKeys`] call answers.
pub type KeyFuture<'a, T> = BoxFuture<'a, Result<T, Error>>;

/// A decrypted data key.
pub type Plaintext = Secret<Vec<u8>>;

/// The key and encryption context a data-key call names.
#[derive(Clone, Copy, Debug)]
pub struct KeyUse<'a> {
    /// The KMS key (id or ARN).
    pub key_id: &'a str,
    /// The encryption context the data key is bound to.
    pub context: &'a EncryptionContext,
}

/// The KMS side of sealing and opening. The AWS implementation is
/// `credentials::KmsDataKeys` (feature `aws`); tests use an in-memory one.
pub trait DataKeys: Send + Sync {
    /// `GenerateDataKey` (AES-256) under the key, with the encryption context.
    fn generate<'a>(&'a self, under: KeyUse<'a>) -> KeyFuture<'a, DataKey>;

    /// `Decrypt` of an encrypted data key (`blob`), naming the key and the encryption context.
    fn decrypt<'a>(&'a self, under: KeyUse<'a>, blob: &'a [u8]) -> KeyFuture<'a, Plaintext>;
}

/// A parsed (still sealed) ticket.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedTicket {
    key_id: String,
    encrypted_key: Vec<u8>,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
    binding: TicketBinding,
}

impl fmt::Debug for SealedTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedTicket")
            .field("key_id", &self.key_id)
            .field("binding", &self.binding)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    k: String,
    d: String,
    n: String,
    c: String,
    s: String,
    l: String,
    x: u64,
}

fn malformed(problem: &'static str) -> Error {
    Error::MalformedTicket { problem }
}

impl SealedTicket {
    /// Parses a ticket token. Checks the shape only; nothing is decrypted.
    pub fn parse(token: &str) -> Result<Self, Error> {
        if token.len() > MAX_TICKET_CHARS {
            return Err(malformed("is too long"));
        }
        let body = token
            .strip_prefix(TICKET_PREFIX)
            .ok_or_else(|| malformed("does not start with wt1."))?;
        let json = general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| malformed("is not base64url"))?;
        let wire: Wire = serde_json::from_slice(&json)
            .map_err(|_| malformed("does not hold the ticket fields"))?;
        let b64 = |v: &str| general_purpose::STANDARD.decode(v);
        let encrypted_key = b64(&wire.d).map_err(|_| malformed("has an unreadable data key"))?;
        let nonce: [u8; NONCE_LEN] = b64(&wire.n)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| malformed("has an unreadable nonce"))?;
        let ciphertext = b64(&wire.c).map_err(|_| malformed("has an unreadable ciphertext"))?;
        if wire.k.is_empty()
            || encrypted_key.is_empty()
            || ciphertext.len() <= AES_256_GCM.tag_len()
        {
            return Err(malformed("has empty fields"));
        }
        if wire.s.is_empty() || wire.l.is_empty() || wire.s.len() > 128 || wire.l.len() > 255 {
            return Err(malformed("names no plausible stack or logical id"));
        }
        if wire.x > MAX_UNIX_SECONDS {
            return Err(malformed("has an implausible expiry"));
        }
        Ok(Self {
            key_id: wire.k,
            encrypted_key,
            nonce,
            ciphertext,
            binding: TicketBinding {
                stack_name: wire.s,
                logical_id: wire.l,
                not_after: wire.x,
            },
        })
    }

    /// The token form.
    pub fn to_token(&self) -> String {
        let b64 = |v: &[u8]| general_purpose::STANDARD.encode(v);
        let wire = Wire {
            k: self.key_id.clone(),
            d: b64(&self.encrypted_key),
            n: b64(&self.nonce),
            c: b64(&self.ciphertext),
            s: self.binding.stack_name.clone(),
            l: self.binding.logical_id.clone(),
            x: self.binding.not_after,
        };
        let json = serde_json::to_vec(&wire).unwrap_or_default();
        format!(
            "{TICKET_PREFIX}{}",
            general_purpose::URL_SAFE_NO_PAD.encode(json)
        )
    }

    /// The KMS key the ticket names.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// What the ticket claims to be bound to (authenticated only by a successful open).
    pub fn binding(&self) -> &TicketBinding {
        &self.binding
    }
}

/// Seals `credentials` for one resource of one stack until `not_after`.
pub async fn seal(
    keys: &dyn DataKeys,
    key_id: &str,
    credentials: &SessionCredentials,
    binding: TicketBinding,
) -> Result<SealedTicket, Error> {
    let context = binding.encryption_context();
    let DataKey {
        plaintext,
        ciphertext: encrypted_key,
    } = keys
        .generate(KeyUse {
            key_id,
            context: &context,
        })
        .await?;
    let plaintext = Zeroizing::new(plaintext.into_inner());
    let mut nonce = [0u8; NONCE_LEN];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce).map_err(|_| {
        Error::TicketCrypto {
            operation: "draw a nonce",
        }
    })?;
    let key = aead_key(&plaintext)?;
    let mut buffer = credentials.plaintext()?;
    if buffer.capacity() - buffer.len() < AES_256_GCM.tag_len() {
        return Err(Error::TicketCrypto {
            operation: "fit the credentials in the sealing buffer",
        });
    }
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(binding.aad()),
        &mut *buffer,
    )
    .map_err(|_| Error::TicketCrypto {
        operation: "encrypt",
    })?;
    // Ciphertext now: out of the wiping wrapper.
    let ciphertext = std::mem::take(&mut *buffer);
    Ok(SealedTicket {
        key_id: key_id.to_owned(),
        encrypted_key,
        nonce,
        ciphertext,
        binding,
    })
}

/// Opens a ticket for the resource the event names: the binding is rebuilt from
/// `stack_name` and `logical_id` (the event's) and the ticket's not-after, and the data key is
/// decrypted with `key_id` (the provider's configured key).
pub async fn open(
    keys: &dyn DataKeys,
    key_id: &str,
    ticket: &SealedTicket,
    stack_name: &str,
    logical_id: &str,
) -> Result<SessionCredentials, Error> {
    let binding = TicketBinding {
        stack_name: stack_name.to_owned(),
        logical_id: logical_id.to_owned(),
        not_after: ticket.binding.not_after,
    };
    let context = binding.encryption_context();
    let plaintext_key = Zeroizing::new(
        keys.decrypt(
            KeyUse {
                key_id,
                context: &context,
            },
            &ticket.encrypted_key,
        )
        .await?
        .into_inner(),
    );
    let key = aead_key(&plaintext_key)?;
    let mut buffer = ticket.ciphertext.clone();
    let credentials = match key.open_in_place(
        Nonce::assume_unique_for_key(ticket.nonce),
        Aad::from(binding.aad()),
        &mut buffer,
    ) {
        Ok(plaintext) => serde_json::from_slice::<SessionCredentials>(plaintext)
            .map_err(|_| malformed("holds no credentials after decryption")),
        Err(_) => Err(Error::TicketCrypto {
            operation: "decrypt",
        }),
    };
    // Whatever happened, the plaintext does not linger in this buffer (a write the compiler
    // may not remove, unlike a plain loop over a buffer about to be dropped).
    buffer.zeroize();
    credentials
}

fn aead_key(bytes: &[u8]) -> Result<LessSafeKey, Error> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .map(LessSafeKey::new)
        .map_err(|_| Error::TicketCrypto {
            operation: "use the data key (not 32 bytes)",
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    // Data keys wrapped in memory, with KMS's context rule: a data key only decrypts with
    // the exact context it was generated under.
    use crate::credentials::LocalKeys as MemoryKeys;

    pub(crate) fn credentials() -> SessionCredentials {
        SessionCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("s3cr3t-access-key-value".into()),
            session_token: Secret::new("t0ken-value".into()),
            expiration: 2_000_000_000,
            source_identity: Some("alice".into()),
        }
    }

    fn binding() -> TicketBinding {
        TicketBinding {
            stack_name: "app".into(),
            logical_id: "Layer".into(),
            not_after: 1_900_000_000,
        }
    }

    #[tokio::test]
    async fn seal_then_open_round_trips_through_the_token() {
        let keys = MemoryKeys::random().unwrap();
        let sealed = seal(&keys, "alias/t", &credentials(), binding())
            .await
            .unwrap();
        let token = sealed.to_token();
        assert!(token.starts_with(TICKET_PREFIX));
        assert!(!token.contains("s3cr3t") && !token.contains("t0ken"));
        let parsed = SealedTicket::parse(&token).unwrap();
        assert_eq!(parsed, sealed);
        let opened = open(&keys, "alias/t", &parsed, "app", "Layer")
            .await
            .unwrap();
        assert_eq!(opened, credentials());
        let debug = format!("{opened:?} {parsed:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("t0ken"),
            "{debug}"
        );
    }

    #[tokio::test]
    async fn another_stack_or_logical_id_does_not_open() {
        let keys = MemoryKeys::random().unwrap();
        let sealed = seal(&keys, "k", &credentials(), binding()).await.unwrap();
        assert!(open(&keys, "k", &sealed, "other", "Layer").await.is_err());
        assert!(open(&keys, "k", &sealed, "app", "Other").await.is_err());
    }

    #[tokio::test]
    async fn a_changed_not_after_or_flipped_byte_does_not_open() {
        let keys = MemoryKeys::random().unwrap();
        let sealed = seal(&keys, "k", &credentials(), binding()).await.unwrap();
        let mut later = sealed.clone();
        later.binding.not_after += 3600;
        assert!(open(&keys, "k", &later, "app", "Layer").await.is_err());
        for i in [0, sealed.ciphertext.len() - 1] {
            let mut flipped = sealed.clone();
            flipped.ciphertext[i] ^= 1;
            let err = open(&keys, "k", &flipped, "app", "Layer")
                .await
                .unwrap_err();
            assert!(matches!(err, Error::TicketCrypto { .. }), "{err}");
        }
        let mut nonce = sealed.clone();
        nonce.nonce[0] ^= 1;
        assert!(open(&keys, "k", &nonce, "app", "Layer").await.is_err());
    }

    #[test]
    fn malformed_tokens_say_what_is_wrong() {
        for (token, problem) in [
            ("wt2.abc", "does not start with wt1."),
            ("wt1.!!!", "is not base64url"),
            ("wt1.e30", "does not hold the ticket fields"),
        ] {
            match SealedTicket::parse(token) {
                Err(Error::MalformedTicket { problem: p }) => assert_eq!(p, problem, "{token}"),
                other => panic!("{token}: {other:?}"),
            }
        }
        let engine = general_purpose::URL_SAFE_NO_PAD;
        let huge = format!(
            "wt1.{}",
            engine.encode(
                r#"{"k":"k","d":"AA==","n":"AAAAAAAAAAAAAAAA","c":"AAAAAAAAAAAAAAAAAAAAAAAA","s":"s","l":"l","x":9999999999999}"#
            )
        );
        match SealedTicket::parse(&huge) {
            Err(Error::MalformedTicket { problem }) => {
                assert_eq!(problem, "has an implausible expiry")
            }
            other => panic!("{other:?}"),
        }
        let long = format!("wt1.{}", "A".repeat(MAX_TICKET_CHARS));
        assert!(SealedTicket::parse(&long).is_err());
    }
}
