//! `warden delete`: refresh what would expire during the delete, then delete the stack and
//! follow its events (`crate::deploy`).

use anyhow::Result;

use super::{block_on, print_settled, RenewArgs, SettleArgs};
use crate::deploy;

/// The arguments of `warden delete`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) stack: RenewArgs,
    /// The provider runs with WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE=true: signatures
    /// about to expire need no re-signing unless the tickets are refreshed too.
    #[arg(long)]
    pub(crate) allow_expired_signatures: bool,
    /// The CloudFormation service role the delete runs as.
    #[arg(long)]
    pub(crate) role_arn: Option<String>,
    #[command(flatten)]
    pub(crate) settle: SettleArgs,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args {
        stack,
        allow_expired_signatures,
        role_arn,
        settle: SettleArgs { wait, json },
    } = args;
    let stack_name = stack.stack_name.clone();
    let settled = block_on(async {
        let config = cfn_warden::aws::sdk_config().await;
        let (seal, resign) = stack.renewal().await?;
        let renewal = deploy::DeleteRenewal {
            seal,
            resign,
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
