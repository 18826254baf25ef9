//! `warden keygen`: an Ed25519 signing key pair and its provider configuration.

use std::path::PathBuf;

use anyhow::Result;

use crate::signer;

/// The arguments of `warden keygen`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The key id (1-64 letters, digits, '.', '_', '-').
    #[arg(long)]
    pub(crate) kid: String,
    /// Where to write the files.
    #[arg(long, default_value = ".")]
    pub(crate) dir: PathBuf,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args { kid, dir } = args;
    let (private, config) = signer::keygen(&kid, &dir)?;
    eprintln!("private key: {} (keep it secret)", private.display());
    println!("{config}");
    Ok(true)
}
