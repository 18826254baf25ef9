//! Options several commands share: ticket options (`seal`, `refresh`, `deploy`, `delete`),
//! signing options (`deploy`, `delete`, `refresh`) and the signer they make.

use std::path::PathBuf;

use anyhow::Result;

use crate::{seal, sign, signer};

impl TicketArgs {
    pub(crate) fn options(self, existing_only: bool) -> seal::SealOptions {
        seal::SealOptions {
            stack_name: self.stack_name,
            ticket_role: self.ticket_role,
            key_id: self.key,
            duration: self.duration,
            source_identity: self.source_identity,
            only: self.only,
            existing_only,
        }
    }
}

/// The ticket options `seal` and `refresh` share.
#[derive(clap::Args)]
pub(crate) struct TicketArgs {
    /// The stack name the tickets are for (exact).
    #[arg(long)]
    pub(crate) stack_name: String,
    /// The ticket role to assume (cfn/provider.yaml's TicketRole).
    #[arg(long)]
    pub(crate) ticket_role: String,
    /// The KMS key tickets are sealed with (the provider's WARDEN_TICKET_KEY).
    #[arg(long)]
    pub(crate) key: String,
    /// How long the tickets stay valid (15m to 1h).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub(crate) duration: std::time::Duration,
    /// The SourceIdentity the sessions carry (default: your user or session name).
    #[arg(long)]
    pub(crate) source_identity: Option<String>,
    /// Only these logical ids (repeatable; default: every custom resource).
    #[arg(long = "resource")]
    pub(crate) only: Vec<String>,
}

/// Signing options of `deploy`, `delete` and `refresh`.
#[derive(clap::Args)]
pub(crate) struct SigningArgs {
    /// Sign the custom resources with this private key (from `warden keygen`).
    #[arg(long, conflicts_with = "signing_kms_key")]
    pub(crate) signing_key: Option<PathBuf>,
    /// Sign with this AWS KMS key (ECC_NIST_P256) instead: id, ARN or alias.
    #[arg(long)]
    pub(crate) signing_kms_key: Option<String>,
    /// The signing key id (default: the key file's name, or the KMS key's id).
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// How long the signatures stay valid.
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration)]
    pub(crate) signature_valid_for: std::time::Duration,
    /// A regex a dynamic property must match when resolved: `[LOGICAL_ID.]KEY=REGEX`.
    #[arg(long = "pattern")]
    pub(crate) patterns: Vec<sign::Pattern>,
}

impl SigningArgs {
    /// The re-signing `refresh` and `delete` do, when a key is given.
    pub(crate) async fn resign(self) -> Result<Option<sign::Resign>> {
        let signer =
            make_signer(self.signing_key, self.signing_kms_key, self.kid.as_deref()).await?;
        Ok(signer.map(|signer| sign::Resign {
            signer,
            valid_for: self.signature_valid_for,
            patterns: self.patterns,
        }))
    }
}

/// Ticket options of `deploy`, `delete` and `refresh` (both or neither).
#[derive(clap::Args)]
pub(crate) struct OptionalTicketArgs {
    /// Seal tickets as this ticket role (cfn/provider.yaml's TicketRole).
    #[arg(long, requires = "key")]
    pub(crate) ticket_role: Option<String>,
    /// The KMS key tickets are sealed with (the provider's WARDEN_TICKET_KEY).
    #[arg(long, requires = "ticket_role")]
    pub(crate) key: Option<String>,
    /// How long the tickets stay valid (15m to 1h).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub(crate) ticket_duration: std::time::Duration,
    /// The SourceIdentity the sessions carry (default: your user or session name).
    #[arg(long)]
    pub(crate) source_identity: Option<String>,
}

impl OptionalTicketArgs {
    pub(crate) fn options(
        self,
        stack_name: &str,
        existing_only: bool,
    ) -> Option<seal::SealOptions> {
        Some(seal::SealOptions {
            stack_name: stack_name.to_owned(),
            ticket_role: self.ticket_role?,
            key_id: self.key?,
            duration: self.ticket_duration,
            source_identity: self.source_identity,
            only: Vec::new(),
            existing_only,
        })
    }
}

/// A deployed stack and what renews its tickets and signatures (`refresh`, `delete`).
#[derive(clap::Args)]
pub(crate) struct RenewArgs {
    /// The deployed stack.
    #[arg(long)]
    pub(crate) stack_name: String,
    #[command(flatten)]
    pub(crate) tickets: OptionalTicketArgs,
    #[command(flatten)]
    pub(crate) signing: SigningArgs,
}

impl RenewArgs {
    /// What to re-seal (existing tickets only) and how to re-sign.
    pub(crate) async fn renewal(self) -> Result<(Option<seal::SealOptions>, Option<sign::Resign>)> {
        let seal = self.tickets.options(&self.stack_name, true);
        Ok((seal, self.signing.resign().await?))
    }
}

/// How `deploy` and `delete` follow the stack operation.
#[derive(clap::Args)]
pub(crate) struct SettleArgs {
    /// The longest to wait for the stack operation (for `delete`, with the refresh it may
    /// need first).
    #[arg(long, default_value = "60m", value_parser = humantime::parse_duration)]
    pub(crate) wait: std::time::Duration,
    /// Print the summary as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    pub(crate) json: bool,
}

/// The signer from `--key`/`--kms-key` style options.
pub(crate) async fn make_signer(
    key: Option<PathBuf>,
    kms_key: Option<String>,
    kid: Option<&str>,
) -> Result<Option<signer::Signer>> {
    Ok(match (key, kms_key) {
        (Some(path), _) => Some(signer::Signer::Local(signer::load_key(&path, kid)?)),
        (None, Some(kms)) => Some(signer::Signer::Kms(Box::new(
            signer::KmsSigner::new(&kms, kid).await?,
        ))),
        (None, None) => None,
    })
}

/// Template parameter values given on the command line (`lint`, `explain`).
#[derive(clap::Args)]
pub(crate) struct ParameterArgs {
    /// A template parameter's value, `KEY=VALUE` (repeatable; used instead of its Default;
    /// wins over --parameters).
    #[arg(long = "parameter")]
    pub(crate) parameter: Vec<crate::deploy::KeyValue>,
    /// A JSON file of parameter values: {"Key": "Value"}, {"Parameters": {...}} or
    /// [{"ParameterKey": ..., "ParameterValue": ...}].
    #[arg(long)]
    pub(crate) parameters: Option<PathBuf>,
}

impl ParameterArgs {
    /// The values: the file's, then each `--parameter` over them.
    pub(crate) fn values(&self) -> Result<std::collections::BTreeMap<String, String>> {
        use anyhow::Context as _;
        let mut given = std::collections::BTreeMap::new();
        if let Some(path) = &self.parameters {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            given = warden_lint::parse_parameters(&text)
                .with_context(|| format!("reading {}", path.display()))?;
        }
        for kv in &self.parameter {
            given.insert(kv.key.clone(), kv.value.clone());
        }
        Ok(given)
    }
}
