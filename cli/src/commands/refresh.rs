//! `warden refresh`: re-seal a deployed stack's tickets and re-sign its signatures, then
//! update it with its previous template and parameters (`crate::seal`).

use anyhow::Result;

use super::{block_on, print_sealed, print_signed, RenewArgs};
use crate::seal;

/// The arguments of `warden refresh`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) stack: RenewArgs,
    /// Only these logical ids (repeatable; default: every custom resource with a ticket).
    #[arg(long = "resource")]
    pub(crate) only: Vec<String>,
    /// The longest to wait for the update.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub(crate) wait: std::time::Duration,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args { stack, only, wait } = args;
    if !only.is_empty() && stack.tickets.ticket_role.is_none() {
        anyhow::bail!("--resource selects tickets to re-seal: it needs --ticket-role and --key");
    }
    let stack_name = stack.stack_name.clone();
    let report = block_on(async {
        let config = cfn_warden::aws::sdk_config().await;
        let (seal, resign) = stack.renewal().await?;
        let renewal = seal::Renewal {
            stack_name: stack_name.clone(),
            seal: seal.map(|options| seal::SealOptions { only, ..options }),
            resign,
        };
        seal::refresh(&renewal, wait, &config).await
    })?;
    if let Some(sealed) = &report.sealed {
        print_sealed(sealed);
    }
    print_signed(&report.resigned);
    println!("{stack_name}: {}", report.final_status);
    Ok(true)
}
