//! `warden lint`: templates through `warden-lint`, reported as text, JSON, SARIF or JUnit.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use warden_lint::report;

use super::FindingsArgs;

/// The arguments of `warden lint`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Template files.
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: FindingsArgs,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let mut findings = Vec::new();
    for path in &args.paths {
        let source =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        findings
            .extend(warden_lint::lint(&name, &source).with_context(|| format!("linting {name}"))?);
    }
    let files: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
    Ok(args.output.report(
        &findings,
        &files,
        warden_lint::RULES,
        "warden lint",
        report::json(&findings),
    ))
}
