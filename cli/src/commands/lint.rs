//! `warden lint`: templates (files, or every template under a directory) through
//! `warden-lint`, reported as text, JSON, SARIF or JUnit. A template that cannot be linted is
//! reported as an error beside the findings of the others.
//!
//! Exit codes: 0 when every template was linted and no finding reaches `--fail-on`; 1 when
//! every template was linted and a finding reaches it; 2 when a template (or the parameters
//! file) could not be read or parsed, after the others were linted and reported.

use std::path::PathBuf;

use anyhow::{bail, Result};
use warden_lint::{report, FileError, Options};

use super::{options::ParameterArgs, FindingsArgs};

/// The arguments of `warden lint`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Template files, or directories: every template under them (.yaml, .yml, .json,
    /// .template files with a Resources or AWSTemplateFormatVersion key; hidden directories
    /// and node_modules skipped).
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) parameters: ParameterArgs,
    #[command(flatten)]
    pub(crate) output: FindingsArgs,
}

/// Runs the command; `Ok(false)` means exit code 1, an error exit code 2.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let options = Options::with_parameters(args.parameters.values()?);
    let (files, mut errors) = warden_lint::templates_under(&args.paths);
    let unreadable_directories = errors.len();
    let mut findings = Vec::new();
    let mut linted = Vec::new();
    for path in &files {
        let name = path.display().to_string();
        let error = |line, message| FileError {
            file: name.clone(),
            line,
            message,
        };
        let source = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes),
            Err(e) => {
                errors.push(error(0, format!("reading: {e}")));
                continue;
            }
        };
        let Ok(source) = source else {
            errors.push(error(0, "not UTF-8 text".to_owned()));
            continue;
        };
        match warden_lint::lint_with(&name, &source, &options) {
            Ok(found) => {
                findings.extend(found);
                linted.push(name);
            }
            Err(e) => errors.push(error(e.line(), e.to_string())),
        }
    }
    let passed = args.output.report(
        &findings,
        &errors,
        &linted,
        warden_lint::RULES,
        "warden lint",
        report::json(&findings, &errors),
    );
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{}: error: {}", e.file, e.message);
        }
        bail!(
            "{} of {} template(s) could not be linted",
            errors.len(),
            files.len() + unreadable_directories
        );
    }
    Ok(passed)
}
