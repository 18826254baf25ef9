//! One module per `warden` command: its `Args` (clap) and its `exec`, which returns whether the
//! exit code is 0 (`Ok(true)`) or 1 (`Ok(false)`); errors exit 2. The work itself lives in the
//! crate's concern modules (`sign`, `seal`, `deploy`, `stack`, `audit`, `scan`); what several
//! commands print or parse the same way lives here.

pub(crate) mod audit;
pub(crate) mod build_layer;
pub(crate) mod check_event;
pub(crate) mod delete;
pub(crate) mod deploy;
pub(crate) mod explain;
pub(crate) mod keygen;
pub(crate) mod lint;
pub(crate) mod options;
pub(crate) mod public_key;
pub(crate) mod refresh;
pub(crate) mod scan;
pub(crate) mod seal;
pub(crate) mod sign;

use std::{io::Read, path::PathBuf};

use anyhow::{Context as _, Result};
use clap::ValueEnum;

pub(crate) use options::{
    make_signer, OptionalTicketArgs, RenewArgs, SettleArgs, SigningArgs, TicketArgs,
};

pub(crate) fn print_sealed(report: &crate::seal::SealReport) {
    eprintln!(
        "sealed {} ticket(s) ({}) until {} for {} (source identity {})",
        report.logical_ids.len(),
        report.logical_ids.join(", "),
        humantime::format_rfc3339_seconds(report.not_after),
        report.principal,
        report.source_identity
    );
}

pub(crate) fn print_signed(signed: &[crate::sign::Signed]) {
    for s in signed {
        let unconstrained: Vec<_> = s
            .dynamic
            .iter()
            .filter(|(_, p)| p.is_none())
            .map(|(k, _)| k.as_str())
            .collect();
        eprintln!(
            "signed {}: {} literal, {} dynamic properties",
            s.logical_id,
            s.literal,
            s.dynamic.len()
        );
        if !unconstrained.is_empty() {
            eprintln!(
                "  warning: dynamic without --pattern (any resolved value is accepted): {}",
                unconstrained.join(", ")
            );
        }
    }
}

pub(crate) fn print_settled(stack: &str, settled: &crate::stack::Settled, json: bool) {
    if json {
        println!("{}", settled.to_json());
    } else {
        print!("{}", settled.text(stack));
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LintFormat {
    Text,
    Json,
    Sarif,
    Junit,
}

/// `--format` and `--fail-on` of the commands that report findings (`lint`, `scan`).
#[derive(clap::Args)]
pub(crate) struct FindingsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub(crate) format: LintFormat,
    /// The lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = warden_lint::Severity::Low)]
    pub(crate) fail_on: warden_lint::Severity,
}

impl FindingsArgs {
    /// Prints `findings` about `subjects` (templates or functions) checked by `rules`, and the
    /// `errors` of subjects not checked, in the chosen format (`json` is the JSON report);
    /// returns whether no finding reaches `--fail-on`.
    pub(crate) fn report(
        &self,
        findings: &[warden_lint::Finding],
        errors: &[warden_lint::FileError],
        subjects: &[String],
        rules: &[warden_lint::Rule],
        suite: &str,
        json: serde_json::Value,
    ) -> bool {
        use warden_lint::report;
        match self.format {
            LintFormat::Text => print!("{}", report::text(findings, colour())),
            LintFormat::Json => println!("{json}"),
            LintFormat::Sarif => println!("{}", report::sarif(findings, errors, rules)),
            LintFormat::Junit => print!(
                "{}",
                report::junit(subjects, findings, errors, rules, suite)
            ),
        }
        !findings.iter().any(|f| f.severity >= self.fail_on)
    }
}

/// Whether text output is coloured: stdout is a terminal and NO_COLOR is unset.
pub(crate) fn colour() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Runs a future on a small runtime (the CLI is synchronous except for AWS calls).
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(future)
}

pub(crate) fn read_input(path: &PathBuf) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading stdin")?;
        Ok(buf)
    } else {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))
    }
}
