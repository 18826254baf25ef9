//! `warden seal`: sealed credential tickets into a template's custom resources
//! (`crate::seal`).

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::{block_on, print_sealed, TicketArgs};
use crate::seal;

/// The arguments of `warden seal`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The template file.
    pub(crate) template: PathBuf,
    #[command(flatten)]
    pub(crate) ticket: TicketArgs,
    /// Write here instead of stdout.
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    /// Where tickets passed as parameters (`WardenTicket: !Ref P`) go: a JSON file of
    /// `[{"ParameterKey", "ParameterValue"}]`, as `aws cloudformation` takes it.
    #[arg(long)]
    pub(crate) parameters_out: Option<PathBuf>,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args {
        template,
        ticket,
        output,
        parameters_out,
    } = args;
    let source = std::fs::read_to_string(&template)
        .with_context(|| format!("reading {}", template.display()))?;
    let options = ticket.options(false);
    let (sealed_text, report) = block_on(async {
        let config = cfn_warden::aws::sdk_config().await;
        seal::seal_template(&source, &options, &config).await
    })
    .with_context(|| format!("sealing {}", template.display()))?;
    print_sealed(&report);
    match (&parameters_out, report.parameters.is_empty()) {
            (Some(path), _) => {
                let values: Vec<serde_json::Value> = report
                    .parameters
                    .iter()
                    .map(|(k, v)| serde_json::json!({"ParameterKey": k, "ParameterValue": v.expose()}))
                    .collect();
                std::fs::write(path, serde_json::to_string_pretty(&values)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            (None, false) => anyhow::bail!(
                "{} take their tickets from parameters; pass --parameters-out FILE to receive the values",
                report.parameters.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
            (None, true) => {}
        }
    match output {
        Some(path) => std::fs::write(&path, sealed_text)
            .with_context(|| format!("writing {}", path.display()))?,
        None => print!("{sealed_text}"),
    }
    Ok(true)
}
