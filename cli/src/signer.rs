//! Signing keys and signers: `warden keygen`'s key files, a local Ed25519 key or an AWS KMS
//! ECC_NIST_P256 key behind one [`Signer`]. Imports nothing of the CLI.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context as _, Result};
use cfn_warden::verify::signed::{
    signing_message, Algorithm, Ed25519SigningKey, KeyConfig, SignedEnvelope, SignedToken,
    VerifyingKey,
};

/// Writes `<dir>/<kid>.pk8` (mode 0600, never overwritten) and `<dir>/<kid>.pub.json`; returns
/// the public key configuration as a `WARDEN_SIGNING_KEYS` value.
pub(crate) fn keygen(kid: &str, dir: &Path) -> Result<(PathBuf, String)> {
    let (key, pkcs8) = Ed25519SigningKey::generate(kid)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let private = dir.join(format!("{kid}.pk8"));
    let mut file = open_private(&private)?;
    file.write_all(&pkcs8)
        .with_context(|| format!("writing {}", private.display()))?;
    let config = serde_json::to_string(&vec![key.public_config()])?;
    let public = dir.join(format!("{kid}.pub.json"));
    std::fs::write(&public, format!("{config}\n"))
        .with_context(|| format!("writing {}", public.display()))?;
    Ok((private, config))
}

#[cfg(unix)]
fn open_private(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))
}

/// Loads a key written by `keygen`; the key id defaults to the file stem.
pub(crate) fn load_key(path: &Path, kid: Option<&str>) -> Result<Ed25519SigningKey> {
    let pkcs8 = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    Ok(Ed25519SigningKey::from_pkcs8(kid.unwrap_or(stem), &pkcs8)?)
}

/// Who signs: a local Ed25519 key or an AWS KMS ECC_NIST_P256 key.
pub(crate) enum Signer {
    /// A key from `warden keygen`.
    Local(Ed25519SigningKey),
    /// A KMS key; the private key never leaves KMS.
    Kms(Box<KmsSigner>),
}

impl Signer {
    pub(crate) fn kid(&self) -> &str {
        match self {
            Self::Local(k) => k.kid(),
            Self::Kms(k) => k.public.kid(),
        }
    }

    pub(crate) fn alg(&self) -> Algorithm {
        match self {
            Self::Local(_) => Algorithm::Ed25519,
            Self::Kms(_) => Algorithm::EcdsaP256Sha256,
        }
    }

    pub(crate) async fn sign(&self, envelope: &SignedEnvelope) -> Result<String> {
        match self {
            Self::Local(key) => Ok(key.sign(envelope)?.encode()),
            Self::Kms(kms) => kms.sign(envelope).await,
        }
    }
}

impl Signer {
    /// The public half, to check signatures this key made.
    pub(crate) fn verifying_key(&self) -> Result<VerifyingKey> {
        match self {
            Self::Local(key) => {
                let ring =
                    cfn_warden::verify::signed::KeyRing::from_json(&serde_json::to_string(&[
                        key.public_config(),
                    ])?)?;
                ring.get(key.kid())
                    .cloned()
                    .context("the signing key's public half")
            }
            Self::Kms(kms) => Ok(kms.public.clone()),
        }
    }
}

/// Whether the key is ECC_NIST_P256: `KeySpec`, or the deprecated `CustomerMasterKeySpec`
/// that some endpoints (moto) fill alone.
#[allow(
    deprecated,
    reason = "moto answers GetPublicKey with the deprecated field only"
)]
fn is_p256(out: &aws_sdk_kms::operation::get_public_key::GetPublicKeyOutput) -> bool {
    out.key_spec() == Some(&aws_sdk_kms::types::KeySpec::EccNistP256)
        || out.customer_master_key_spec()
            == Some(&aws_sdk_kms::types::CustomerMasterKeySpec::EccNistP256)
}

/// Signing with an AWS KMS asymmetric key (`ECC_NIST_P256`, `ECDSA_SHA_256`, `MessageType=RAW`
/// over the fixed-size signing message). Every signature is checked against the key's public
/// half before it is used.
pub(crate) struct KmsSigner {
    client: aws_sdk_kms::Client,
    key_id: String,
    public: VerifyingKey,
    spki: Vec<u8>,
}

impl KmsSigner {
    /// Reads the key's public half; `kid` defaults to the key's id.
    pub(crate) async fn new(key_id: &str, kid: Option<&str>) -> Result<Self> {
        let config = cfn_warden::aws::sdk_config().await;
        let client = aws_sdk_kms::Client::new(&config);
        let out = client
            .get_public_key()
            .key_id(key_id)
            .send()
            .await
            .with_context(|| format!("KMS GetPublicKey for {key_id}"))?;
        if !is_p256(&out) {
            bail!("KMS key {key_id} is not an ECC_NIST_P256 key");
        }
        if !out
            .signing_algorithms()
            .contains(&aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
        {
            bail!("KMS key {key_id} does not sign with ECDSA_SHA_256");
        }
        let spki = out
            .public_key()
            .context("KMS returned no public key")?
            .as_ref()
            .to_vec();
        let arn_id = out
            .key_id()
            .and_then(|arn| arn.rsplit('/').next())
            .unwrap_or(key_id);
        let public = VerifyingKey::ecdsa_p256(kid.unwrap_or(arn_id), &spki)
            .context("pass --kid: the KMS key id is not usable as a key id")?;
        Ok(Self {
            client,
            key_id: key_id.to_owned(),
            public,
            spki,
        })
    }

    /// The public key as provider configuration.
    pub(crate) fn public_config(&self) -> KeyConfig {
        use base64::Engine as _;
        KeyConfig {
            kid: self.public.kid().to_owned(),
            alg: Algorithm::EcdsaP256Sha256,
            public_key: base64::engine::general_purpose::STANDARD.encode(&self.spki),
            retired_after: None,
        }
    }

    async fn sign(&self, envelope: &SignedEnvelope) -> Result<String> {
        let payload = envelope.payload()?;
        let message = signing_message(&payload);
        let out = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(aws_sdk_kms::primitives::Blob::new(message.clone()))
            .message_type(aws_sdk_kms::types::MessageType::Raw)
            .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .with_context(|| format!("KMS Sign with {}", self.key_id))?;
        let signature = out
            .signature()
            .context("KMS returned no signature")?
            .as_ref()
            .to_vec();
        if !self.public.verify(&message, &signature) {
            bail!("the signature KMS returned does not verify with the key's public half");
        }
        Ok(SignedToken::new(payload, signature).encode())
    }
}
