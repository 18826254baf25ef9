//! [`LocalKeys`]: data keys wrapped under a key held in memory, for tests, benchmarks and
//! local runs. Not a key only the provider can use: in Lambda, use KMS.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

use crate::{
    credentials::ticket::{DataKey, DataKeys, EncryptionContext, KeyFuture, KeyUse, Plaintext},
    secret::Secret,
    Error,
};

/// Data keys wrapped (AES-256-GCM, the encryption context as associated data) under one key
/// in memory. The encrypted form is the nonce followed by the ciphertext.
pub struct LocalKeys {
    wrapping: LessSafeKey,
}

impl std::fmt::Debug for LocalKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalKeys([redacted])")
    }
}

fn crypto(operation: &'static str) -> Error {
    Error::TicketCrypto { operation }
}

fn fill(bytes: &mut [u8]) -> Result<(), Error> {
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), bytes)
        .map_err(|_| crypto("draw random bytes"))
}

impl LocalKeys {
    /// Wraps under `key` (32 bytes).
    pub fn new(key: &[u8]) -> Result<Self, Error> {
        UnboundKey::new(&AES_256_GCM, key)
            .map(|k| Self {
                wrapping: LessSafeKey::new(k),
            })
            .map_err(|_| crypto("use the wrapping key (not 32 bytes)"))
    }

    /// Wraps under a fresh random key.
    pub fn random() -> Result<Self, Error> {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        fill(&mut *key)?;
        Self::new(&*key)
    }
}

fn aad(context: &EncryptionContext) -> Vec<u8> {
    serde_json::to_vec(context).unwrap_or_default()
}

impl DataKeys for LocalKeys {
    fn generate<'a>(&'a self, under: KeyUse<'a>) -> KeyFuture<'a, DataKey> {
        Box::pin(async move {
            let mut plain = vec![0u8; 32];
            fill(&mut plain)?;
            let mut nonce = [0u8; NONCE_LEN];
            fill(&mut nonce)?;
            let mut wrapped = plain.clone();
            self.wrapping
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad(under.context)),
                    &mut wrapped,
                )
                .map_err(|_| crypto("wrap a data key"))?;
            let mut ciphertext = nonce.to_vec();
            ciphertext.extend_from_slice(&wrapped);
            Ok(DataKey {
                plaintext: Secret::new(plain),
                ciphertext,
            })
        })
    }

    fn decrypt<'a>(&'a self, under: KeyUse<'a>, blob: &'a [u8]) -> KeyFuture<'a, Plaintext> {
        Box::pin(async move {
            let (nonce, wrapped) = blob
                .split_at_checked(NONCE_LEN)
                .ok_or_else(|| crypto("unwrap a data key (too short)"))?;
            let nonce: [u8; NONCE_LEN] = nonce
                .try_into()
                .map_err(|_| crypto("unwrap a data key (too short)"))?;
            let mut buffer = wrapped.to_vec();
            let plain = self
                .wrapping
                .open_in_place(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad(under.context)),
                    &mut buffer,
                )
                .map_err(|_| crypto("unwrap a data key"))?;
            Ok(Secret::new(plain.to_vec()))
        })
    }
}
