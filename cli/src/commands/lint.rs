//! `warden lint`: templates through `warden-lint`, reported as text, JSON, SARIF or JUnit.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use warden_lint::{report, Severity};

use super::{colour, LintFormat};

/// The arguments of `warden lint`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Template files.
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,
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
        paths,
        format,
        fail_on,
    } = args;
    let mut findings = Vec::new();
    for path in &paths {
        let source =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.display().to_string();
        findings
            .extend(warden_lint::lint(&name, &source).with_context(|| format!("linting {name}"))?);
    }
    match format {
        LintFormat::Text => print!("{}", report::text(&findings, colour())),
        LintFormat::Json => println!("{}", report::json(&findings)),
        LintFormat::Sarif => println!("{}", report::sarif(&findings, warden_lint::RULES)),
        LintFormat::Junit => {
            let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            print!(
                "{}",
                report::junit(&files, &findings, warden_lint::RULES, "warden lint")
            );
        }
    }
    Ok(!findings.iter().any(|f| f.severity >= fail_on))
}
