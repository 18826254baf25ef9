//! `warden public-key`: the provider configuration (a `WARDEN_SIGNING_KEYS` entry) of an AWS
//! KMS signing key.

use anyhow::Result;

use super::block_on;
use crate::signer;

/// The arguments of `warden public-key`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The KMS key: id, ARN or alias.
    #[arg(long)]
    pub(crate) kms_key: String,
    /// The key id (default: the KMS key's id).
    #[arg(long)]
    pub(crate) kid: Option<String>,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args { kms_key, kid } = args;
    let signer = block_on(signer::KmsSigner::new(&kms_key, kid.as_deref()))?;
    println!("{}", serde_json::to_string(&vec![signer.public_config()])?);
    Ok(true)
}
