//! Keys: verifying keys with rotation and retirement, and the local Ed25519 signing key.

use std::{fmt, time::SystemTime};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use ring::signature::{self, KeyPair as _, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use super::envelope::{signing_message, SignedEnvelope, SignedToken};
use crate::Error;

/// Signature algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Algorithm {
    /// Ed25519 (local keys made by `warden keygen`).
    #[serde(rename = "ed25519")]
    Ed25519,
    /// ECDSA over P-256 with SHA-256, ASN.1 DER signatures (AWS KMS `ECC_NIST_P256` keys with
    /// `ECDSA_SHA_256`).
    #[serde(rename = "ecdsa-p256-sha256")]
    EcdsaP256Sha256,
}

/// DER prefix of a SubjectPublicKeyInfo for an uncompressed P-256 point (id-ecPublicKey,
/// prime256v1): what KMS `GetPublicKey` returns, followed by the 65-byte point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A public key allowed to sign properties.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    kid: String,
    alg: Algorithm,
    public_key: Vec<u8>,
    retired_after: Option<SystemTime>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field(
                "retired_after",
                &self.retired_after.map(crate::deadline::format_time),
            )
            .finish_non_exhaustive()
    }
}

fn check_kid(kid: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&kid.len())
        && kid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidKey {
            problem: "key id is not 1-64 letters, digits, '.', '_' or '-'",
        })
    }
}

impl VerifyingKey {
    /// An Ed25519 public key (32 bytes).
    pub fn ed25519(kid: impl Into<String>, public_key: &[u8]) -> Result<Self, Error> {
        let kid = kid.into();
        check_kid(&kid)?;
        if public_key.len() != 32 {
            return Err(Error::InvalidKey {
                problem: "an Ed25519 public key is 32 bytes",
            });
        }
        Ok(Self {
            kid,
            alg: Algorithm::Ed25519,
            public_key: public_key.to_vec(),
            retired_after: None,
        })
    }

    /// A P-256 public key: the DER SubjectPublicKeyInfo KMS `GetPublicKey` returns, or the
    /// 65-byte uncompressed point.
    pub fn ecdsa_p256(kid: impl Into<String>, public_key: &[u8]) -> Result<Self, Error> {
        let kid = kid.into();
        check_kid(&kid)?;
        let point = match public_key.len() {
            65 => public_key,
            91 if public_key.starts_with(&P256_SPKI_PREFIX) => &public_key[26..],
            _ => {
                return Err(Error::InvalidKey {
                    problem: "not a P-256 SubjectPublicKeyInfo or uncompressed point",
                })
            }
        };
        if point.first() != Some(&0x04) {
            return Err(Error::InvalidKey {
                problem: "P-256 point is not uncompressed",
            });
        }
        Ok(Self {
            kid,
            alg: Algorithm::EcdsaP256Sha256,
            public_key: point.to_vec(),
            retired_after: None,
        })
    }

    /// After this instant the key no longer verifies anything (rotation).
    pub fn retired_after(mut self, when: SystemTime) -> Self {
        self.retired_after = Some(when);
        self
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// When the key retires, if it does.
    pub fn retirement(&self) -> Option<SystemTime> {
        self.retired_after
    }

    /// Whether `signature` is this key's signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let alg: &dyn signature::VerificationAlgorithm = match self.alg {
            Algorithm::Ed25519 => &signature::ED25519,
            Algorithm::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
        };
        UnparsedPublicKey::new(alg, &self.public_key)
            .verify(message, signature)
            .is_ok()
    }
}

/// One entry of the key configuration (`WARDEN_SIGNING_KEYS`, `warden keygen` output).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// The key id.
    pub kid: String,
    /// The algorithm.
    pub alg: Algorithm,
    /// Standard base64 of the public key (Ed25519: 32 bytes; P-256: SPKI DER or the point).
    pub public_key: String,
    /// RFC 3339 retirement instant, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_after: Option<String>,
}

impl KeyConfig {
    fn into_key(self) -> Result<VerifyingKey, Error> {
        let bytes = STANDARD
            .decode(self.public_key.trim())
            .map_err(|_| Error::InvalidKey {
                problem: "public_key is not standard base64",
            })?;
        let key = match self.alg {
            Algorithm::Ed25519 => VerifyingKey::ed25519(self.kid, &bytes)?,
            Algorithm::EcdsaP256Sha256 => VerifyingKey::ecdsa_p256(self.kid, &bytes)?,
        };
        match self.retired_after {
            None => Ok(key),
            Some(t) => {
                let when = humantime::parse_rfc3339(&t).map_err(|_| Error::InvalidKey {
                    problem: "retired_after is not an RFC 3339 UTC time",
                })?;
                Ok(key.retired_after(when))
            }
        }
    }
}

/// The keys a provider accepts, several at once for rotation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: Vec<VerifyingKey>,
}

impl KeyRing {
    /// A ring of keys; key ids must be unique.
    pub fn new(keys: Vec<VerifyingKey>) -> Result<Self, Error> {
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|k| k.kid == key.kid) {
                return Err(Error::InvalidKey {
                    problem: "two keys share a key id",
                });
            }
        }
        Ok(Self { keys })
    }

    /// Parses a JSON array of key entries
    /// (`[{"kid": "...", "alg": "ed25519", "public_key": "<base64>", "retired_after": "..."}]`).
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let entries: Vec<KeyConfig> =
            serde_json::from_str(text).map_err(|_| Error::InvalidKey {
                problem: "key configuration is not a JSON array of key entries",
            })?;
        Self::new(
            entries
                .into_iter()
                .map(KeyConfig::into_key)
                .collect::<Result<_, _>>()?,
        )
    }

    /// The key with this id.
    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Whether the ring is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A local Ed25519 signing key (PKCS#8), as `warden keygen` writes it.
pub struct Ed25519SigningKey {
    kid: String,
    pair: signature::Ed25519KeyPair,
}

impl fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ed25519SigningKey({}, [redacted])", self.kid)
    }
}

impl Ed25519SigningKey {
    /// Generates a key; returns it and its PKCS#8 document (to be stored secretly).
    pub fn generate(kid: impl Into<String>) -> Result<(Self, Vec<u8>), Error> {
        let kid = kid.into();
        check_kid(&kid)?;
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 =
            signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| Error::InvalidKey {
                problem: "the system random source failed",
            })?;
        let key = Self::from_pkcs8(kid, pkcs8.as_ref())?;
        Ok((key, pkcs8.as_ref().to_vec()))
    }

    /// Loads a PKCS#8 Ed25519 key.
    pub fn from_pkcs8(kid: impl Into<String>, pkcs8: &[u8]) -> Result<Self, Error> {
        let kid = kid.into();
        check_kid(&kid)?;
        let pair = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|_| {
            Error::InvalidKey {
                problem: "not a PKCS#8 Ed25519 private key",
            }
        })?;
        Ok(Self { kid, pair })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half, as configuration for providers.
    pub fn public_config(&self) -> KeyConfig {
        KeyConfig {
            kid: self.kid.clone(),
            alg: Algorithm::Ed25519,
            public_key: STANDARD.encode(self.pair.public_key().as_ref()),
            retired_after: None,
        }
    }

    /// Signs an envelope (its `kid` and `alg` must be this key's).
    pub fn sign(&self, envelope: &SignedEnvelope) -> Result<SignedToken, Error> {
        if envelope.kid != self.kid || envelope.alg != Algorithm::Ed25519 {
            return Err(Error::InvalidKey {
                problem: "the envelope names another key or algorithm",
            });
        }
        let payload = envelope.payload()?;
        let signature = self.pair.sign(&signing_message(&payload));
        Ok(SignedToken::new(payload, signature.as_ref().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_sign_and_verify() {
        let (key, pkcs8) = Ed25519SigningKey::generate("k1").unwrap();
        let ring = KeyRing::from_json(&serde_json::to_string(&vec![key.public_config()]).unwrap())
            .unwrap();
        let verifying = ring.get("k1").unwrap();
        let message = signing_message(b"payload");
        let reloaded = Ed25519SigningKey::from_pkcs8("k1", &pkcs8).unwrap();
        let sig = reloaded.pair.sign(&message);
        assert!(verifying.verify(&message, sig.as_ref()));
        assert!(!verifying.verify(&signing_message(b"other"), sig.as_ref()));
        assert!(!format!("{key:?}").contains(&STANDARD.encode(&pkcs8)));
    }

    #[test]
    fn p256_spki_and_point_forms() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &rng,
        )
        .unwrap();
        let pair = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            pkcs8.as_ref(),
            &rng,
        )
        .unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let spki = [P256_SPKI_PREFIX.as_slice(), &point].concat();
        let message = signing_message(b"payload");
        let sig = pair.sign(&rng, &message).unwrap();
        for form in [&point, &spki] {
            let key = VerifyingKey::ecdsa_p256("kms-1", form).unwrap();
            assert!(key.verify(&message, sig.as_ref()));
        }
        assert!(VerifyingKey::ecdsa_p256("kms-1", &spki[1..]).is_err());
        assert!(VerifyingKey::ecdsa_p256("kms-1", &[0x02; 65]).is_err());
    }

    #[test]
    fn key_configuration_errors_are_clear() {
        for (json, needle) in [
            ("{}", "JSON array"),
            (r#"[{"kid":"a","alg":"rsa","public_key":""}]"#, "JSON array"),
            (
                r#"[{"kid":"a","alg":"ed25519","public_key":"%%%"}]"#,
                "base64",
            ),
            (
                r#"[{"kid":"a","alg":"ed25519","public_key":"AAAA"}]"#,
                "32 bytes",
            ),
            (
                r#"[{"kid":"a b","alg":"ed25519","public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]"#,
                "key id",
            ),
            (
                r#"[{"kid":"a","alg":"ed25519","public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","retired_after":"soon"}]"#,
                "RFC 3339",
            ),
            (
                r#"[{"kid":"a","alg":"ed25519","public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},{"kid":"a","alg":"ed25519","public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]"#,
                "share",
            ),
        ] {
            let err = KeyRing::from_json(json).unwrap_err().to_string();
            assert!(err.contains(needle), "{json}: {err}");
        }
    }
}
