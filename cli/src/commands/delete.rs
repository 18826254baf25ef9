//! `warden delete`: refresh what would expire during the delete, then delete the stack and
//! follow its events (`crate::deploy`).

use anyhow::Result;

use super::{block_on, print_settled, OptionalTicketArgs, SigningArgs};
use crate::deploy;

/// The arguments of `warden delete`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The stack to delete.
    #[arg(long)]
    pub(crate) stack_name: String,
    #[command(flatten)]
    pub(crate) tickets: OptionalTicketArgs,
    #[command(flatten)]
    pub(crate) signing: SigningArgs,
    /// The provider runs with WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE=true: signatures
    /// about to expire need no re-signing unless the tickets are refreshed too.
    #[arg(long)]
    pub(crate) allow_expired_signatures: bool,
    /// The CloudFormation service role the delete runs as.
    #[arg(long)]
    pub(crate) role_arn: Option<String>,
    /// The longest to wait for the refresh and the delete.
    #[arg(long, default_value = "60m", value_parser = humantime::parse_duration)]
    pub(crate) wait: std::time::Duration,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args {
        stack_name,
        tickets,
        signing,
        allow_expired_signatures,
        role_arn,
        wait,
        json,
    } = args;
    let seal = tickets.options(&stack_name, true);
    let settled = block_on(async {
        let config = cfn_warden::aws::sdk_config().await;
        let renewal = deploy::DeleteRenewal {
            seal,
            resign: signing.resign().await?,
            allow_expired_signatures,
        };
        deploy::delete(
            &config,
            &stack_name,
            renewal,
            role_arn,
            wait,
            crate::stack::POLL_INTERVAL,
        )
        .await
    })?;
    print_settled(&stack_name, &settled, json);
    Ok(settled.status == "DELETE_COMPLETE")
}
