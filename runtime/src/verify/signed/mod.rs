//! Signed properties: a deploy-time signature over a custom resource's literal properties and
//! its place (stack, logical id, resource type), verified offline before the handler runs.
//!
//! The signer (`warden sign`) adds one property, [`PROPERTY_KEY`], holding a token
//! `warden-sig-v1.<payload>.<signature>` (base64url). The payload is the RFC 8785 canonical JSON
//! of a [`SignedEnvelope`]; the signature covers a fixed-size message derived from it
//! ([`signing_message`]), so Ed25519 keys and AWS KMS ECDSA P-256 keys (whose RAW signing input
//! is limited to 4096 bytes) sign the same thing. [`SignatureVerifier`] checks it with `ring`
//! against configured public keys: no network call.

mod canonical;
mod envelope;
mod keys;
mod verifier;

pub use canonical::{canonical_json, cfn_normalise};
pub use envelope::{
    signing_message, SignedEnvelope, SignedToken, PROPERTY_KEY, TOKEN_PREFIX,
    UNSIGNED_PROPERTY_KEYS,
};
pub use keys::{Algorithm, Ed25519SigningKey, KeyConfig, KeyRing, VerifyingKey};
pub use verifier::{SignatureVerifier, SignatureVerifierBuilder, CHECK_NAME};
