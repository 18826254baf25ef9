//! `warden explain`: for each custom resource of a template, what its provider can do (see
//! `crate::explain`), as text or JSON.
//!
//! Exit codes: 0 when the template (and the provider template) were read and explained, what
//! could not be decided included as notes; 2 when a template cannot be read or parsed.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use warden_lint::{
    inventory::{self, Assumptions},
    Options,
};

use super::{options::ParameterArgs, Format};
use crate::{deploy::KeyValue, explain};

/// The arguments of `warden explain`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The template whose custom resources are explained (a template defining providers and
    /// no custom resources, such as cfn/provider.yaml, explains its providers).
    pub(crate) template: PathBuf,
    /// The template defining the provider, when the custom resources' ServiceToken names a
    /// function of another stack.
    #[arg(long)]
    pub(crate) provider: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) parameters: ParameterArgs,
    /// A parameter of the provider template, `KEY=VALUE` (repeatable).
    #[arg(long = "provider-parameter")]
    pub(crate) provider_parameter: Vec<KeyValue>,
    /// The partition names are made in.
    #[arg(long, default_value = "aws")]
    pub(crate) partition: String,
    /// The region names are made in.
    #[arg(long, default_value = "us-east-1")]
    pub(crate) region: String,
    /// The account names are made in.
    #[arg(long, default_value = "111122223333")]
    pub(crate) account: String,
    /// The stack name of the template (`AWS::StackName`).
    #[arg(long, default_value = "stack")]
    pub(crate) stack_name: String,
    /// The stack name of the provider template.
    #[arg(long, default_value = "warden-provider")]
    pub(crate) provider_stack_name: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

fn read(path: &PathBuf, options: &Options, assumptions: &Assumptions) -> Result<inventory::Stack> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    inventory::read(&source, options, assumptions)
        .with_context(|| format!("reading {}", path.display()))
}

/// Runs the command: `Ok(true)` (exit 0) once explained; errors exit 2.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let assumptions = Assumptions {
        partition: args.partition.clone(),
        region: args.region.clone(),
        account: args.account.clone(),
        stack_name: args.stack_name.clone(),
    };
    let options = Options::with_parameters(args.parameters.values()?);
    let stack = read(&args.template, &options, &assumptions)?;
    let provider = match &args.provider {
        Some(path) => {
            let given = args
                .provider_parameter
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.clone()))
                .collect();
            let assumptions = Assumptions {
                stack_name: args.provider_stack_name.clone(),
                ..assumptions.clone()
            };
            Some((
                path.display().to_string(),
                read(path, &Options::with_parameters(given), &assumptions)?,
            ))
        }
        None => None,
    };
    let template_file = args.template.display().to_string();
    let explanation = explain::explain(
        explain::Source {
            file: &template_file,
            stack: &stack,
        },
        provider
            .as_ref()
            .map(|(file, stack)| explain::Source { file, stack }),
    );
    match args.format {
        Format::Text => print!("{}", explain::text(&explanation)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&explanation).context("writing JSON")?
        ),
    }
    Ok(true)
}
