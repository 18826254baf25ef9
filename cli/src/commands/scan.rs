//! `warden scan`: a live account's Lambda functions (`crate::scan`), reported like lint
//! findings.

use anyhow::Result;

use super::{block_on, FindingsArgs};
use crate::scan;

/// The arguments of `warden scan`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Report functions that are not in a VPC.
    #[arg(long)]
    pub(crate) require_vpc: bool,
    #[command(flatten)]
    pub(crate) output: FindingsArgs,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let require_vpc = args.require_vpc;
    let report = block_on(async {
        let config = cfn_warden::aws::sdk_config().await;
        scan::scan(&config, &scan::ScanOptions { require_vpc }).await
    })?;
    let json = serde_json::json!({"functions": report.functions, "findings": report.findings});
    Ok(args.output.report(
        &report.findings,
        &[],
        &report.functions,
        scan::SCAN_RULES,
        "warden scan",
        json,
    ))
}
