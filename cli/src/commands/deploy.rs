//! `warden deploy`: sign and seal the template's custom resources, create or update the stack
//! through a change set, follow it until it settles (`crate::sign`, `crate::seal`,
//! `crate::deploy`).

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::{
    block_on, make_signer, print_sealed, print_settled, print_signed, OptionalTicketArgs,
    SettleArgs, SigningArgs,
};
use crate::{deploy, seal, sign};

/// The arguments of `warden deploy`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The stack to create or update.
    #[arg(long)]
    pub(crate) stack_name: String,
    /// The template file (YAML or JSON, at most 51,200 bytes after signing and sealing).
    #[arg(long)]
    pub(crate) template: PathBuf,
    /// A template parameter, `KEY=VALUE` (repeatable).
    #[arg(long = "parameter")]
    pub(crate) parameters: Vec<deploy::KeyValue>,
    /// Acknowledge a capability (repeatable).
    #[arg(long = "capability", value_parser = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])]
    pub(crate) capabilities: Vec<String>,
    /// A stack tag, `KEY=VALUE` (repeatable).
    #[arg(long = "tag")]
    pub(crate) tags: Vec<deploy::KeyValue>,
    /// The CloudFormation service role the stack operation runs as.
    #[arg(long)]
    pub(crate) role_arn: Option<String>,
    #[command(flatten)]
    pub(crate) signing: SigningArgs,
    #[command(flatten)]
    pub(crate) tickets: OptionalTicketArgs,
    #[command(flatten)]
    pub(crate) settle: SettleArgs,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args {
        stack_name,
        template,
        parameters,
        capabilities,
        tags,
        role_arn,
        signing,
        tickets,
        settle: SettleArgs { wait, json },
    } = args;
    let source = std::fs::read_to_string(&template)
        .with_context(|| format!("reading {}", template.display()))?;
    let customs = deploy::custom_resource_ids(&source)
        .with_context(|| format!("reading {}", template.display()))?;
    let seal_options = tickets.options(&stack_name, false);
    let mut options = deploy::DeployOptions {
        stack_name: stack_name.clone(),
        parameters,
        capabilities,
        tags,
        role_arn,
        wait,
        poll: crate::stack::POLL_INTERVAL,
    };
    let settled = block_on(async {
        let config = cfn_warden::aws::sdk_config().await;
        let signer = make_signer(
            signing.signing_key,
            signing.signing_kms_key,
            signing.kid.as_deref(),
        )
        .await?;
        let mut text = source;
        if customs.is_empty() {
            if signer.is_some() || seal_options.is_some() {
                eprintln!("no custom resources in the template: nothing to sign or seal");
            }
        } else {
            if let Some(signer) = &signer {
                let now = std::time::SystemTime::now();
                let sign_options = sign::SignOptions {
                    stack: stack_name.clone(),
                    issued_at: now,
                    not_after: now + signing.signature_valid_for,
                    patterns: signing.patterns,
                    only: Vec::new(),
                    resign: true,
                };
                let (signed_text, signed) = signer
                    .sign_template(&text, &sign_options)
                    .await
                    .with_context(|| format!("signing {}", template.display()))?;
                print_signed(&signed);
                text = signed_text;
            }
            if let Some(seal_options) = &seal_options {
                let (sealed_text, report) = seal::seal_template(&text, seal_options, &config)
                    .await
                    .with_context(|| format!("sealing {}", template.display()))?;
                print_sealed(&report);
                deploy::add_ticket_parameters(&mut options.parameters, report.parameters)?;
                text = sealed_text;
            }
            if signer.is_none() && seal_options.is_none() {
                eprintln!(
                        "warning: {} carry neither a signature nor a ticket: anyone who may invoke the provider can send the same request",
                        customs.join(", ")
                    );
            }
        }
        let cfn = aws_sdk_cloudformation::Client::new(&config);
        deploy::deploy(&cfn, &text, &options).await
    })?;
    print_settled(&stack_name, &settled, json);
    Ok(settled.succeeded())
}
