//! `warden sign`: signatures of the custom resources' properties into a template
//! (`crate::sign`).

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::{block_on, make_signer, print_signed};
use crate::sign;

/// The arguments of `warden sign`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The template file.
    pub(crate) template: PathBuf,
    /// The private key written by `warden keygen`.
    #[arg(long, required_unless_present = "kms_key", conflicts_with = "kms_key")]
    pub(crate) key: Option<PathBuf>,
    /// Sign with this AWS KMS key (ECC_NIST_P256) instead: id, ARN or alias. Honours the
    /// usual AWS environment (credentials, region, profiles, AWS_ENDPOINT_URL).
    #[arg(long)]
    pub(crate) kms_key: Option<String>,
    /// The key id (default: the key file's name, or the KMS key's id).
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// The stack name the signature is valid for; `*` matches any run of characters.
    #[arg(long)]
    pub(crate) stack_name: String,
    /// How long the signature stays valid (e.g. `30d`, `12h`).
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration)]
    pub(crate) valid_for: std::time::Duration,
    /// A regex a dynamic (intrinsic-valued) property must match when resolved:
    /// `[LOGICAL_ID.]KEY=REGEX`. Repeatable.
    #[arg(long = "pattern")]
    pub(crate) patterns: Vec<sign::Pattern>,
    /// Sign only these logical ids (repeatable; default: every custom resource).
    #[arg(long = "resource")]
    pub(crate) only: Vec<String>,
    /// Replace existing signatures.
    #[arg(long)]
    pub(crate) resign: bool,
    /// Write here instead of stdout.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args {
        template,
        key,
        kms_key,
        kid,
        stack_name,
        valid_for,
        patterns,
        only,
        resign,
        output,
    } = args;
    let source = std::fs::read_to_string(&template)
        .with_context(|| format!("reading {}", template.display()))?;
    let now = std::time::SystemTime::now();
    let options = sign::SignOptions {
        stack: stack_name,
        issued_at: now,
        not_after: now + valid_for,
        patterns,
        only,
        resign,
    };
    let (signed_text, signed) = block_on(async {
        let Some(signer) = make_signer(key, kms_key, kid.as_deref()).await? else {
            anyhow::bail!("pass --key or --kms-key")
        };
        signer.sign_template(&source, &options).await
    })
    .with_context(|| format!("signing {}", template.display()))?;
    print_signed(&signed);
    match output {
        Some(path) => std::fs::write(&path, signed_text)
            .with_context(|| format!("writing {}", path.display()))?,
        None => print!("{signed_text}"),
    }
    Ok(true)
}
