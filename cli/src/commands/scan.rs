//! `warden scan`: a live account's Lambda functions (`crate::scan`), reported like lint
//! findings.

use anyhow::Result;
use warden_lint::{report, Severity};

use super::{block_on, colour, LintFormat};
use crate::scan;

/// The arguments of `warden scan`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Report functions that are not in a VPC.
    #[arg(long)]
    pub(crate) require_vpc: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub(crate) format: LintFormat,
    /// The lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = Severity::Low)]
    pub(crate) fail_on: Severity,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args {
        require_vpc,
        format,
        fail_on,
    } = args;
    let report = block_on(async {
        let config = cfn_warden::aws::sdk_config().await;
        scan::scan(&config, &scan::ScanOptions { require_vpc }).await
    })?;
    let findings = &report.findings;
    match format {
        LintFormat::Text => print!("{}", report::text(findings, colour())),
        LintFormat::Json => println!(
            "{}",
            serde_json::json!({"functions": report.functions, "findings": findings})
        ),
        LintFormat::Sarif => println!("{}", report::sarif(findings, scan::SCAN_RULES)),
        LintFormat::Junit => print!(
            "{}",
            report::junit(&report.functions, findings, scan::SCAN_RULES, "warden scan")
        ),
    }
    Ok(!findings.iter().any(|f| f.severity >= fail_on))
}
