//! What a rule is and what it reports: [`Rule`], [`Severity`], [`Status`], [`Finding`]. Shared
//! with `warden scan`, whose rules use the same descriptors and outputs.

use std::{fmt, str::FromStr};

use serde::Serialize;

/// How serious a finding is. `Info` findings are reported but never fail a run: `--fail-on`
/// starts at `Low` (the CLI does not offer `info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A smell, not a risk: reported, never a failure.
    #[cfg_attr(feature = "clap", value(skip))]
    Info,
    /// Worth knowing.
    Low,
    /// Should be fixed.
    Medium,
    /// A path to privilege escalation or public exposure.
    High,
}

impl Severity {
    /// The SARIF `level`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Self::Info | Self::Low => "note",
            Self::Medium => "warning",
            Self::High => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        })
    }
}

/// `info`, `low`, `medium` or `high`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a severity (info, low, medium, high)")]
pub struct UnknownSeverity(String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Self::Info),
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            _ => Err(UnknownSeverity(s.to_owned())),
        }
    }
}

/// Whether the rule failed, or could not decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule's condition holds.
    Fail,
    /// A needed value is an unresolved intrinsic.
    Unknown,
}

/// A rule's identity: stable kebab-case id, severity, one-sentence description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The stable id (`provider-escalation`).
    pub id: &'static str,
    /// How serious its findings are.
    pub severity: Severity,
    /// What it finds.
    pub description: &'static str,
}

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// The rule's severity.
    pub severity: Severity,
    /// Failed or unknown.
    pub status: Status,
    /// The template (or, for `warden scan`, the account) it is about.
    pub file: String,
    /// The resource's logical id (or function name).
    pub logical_id: String,
    /// The resource's 1-based line, 0 when there is none.
    pub line: usize,
    /// What was found (never a secret value).
    pub message: String,
}

/// A template that could not be linted (not YAML or JSON, unreadable): reported beside the
/// findings of the others, and the run exits 2.
#[derive(Clone, Debug, Serialize)]
pub struct FileError {
    /// The template.
    pub file: String,
    /// The 1-based line of the problem, 0 when there is none.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_is_below_low_and_reads_back() {
        assert!(Severity::Info < Severity::Low);
        for s in [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
        ] {
            assert_eq!(s.to_string().parse::<Severity>().ok(), Some(s));
        }
        assert_eq!(Severity::Info.sarif_level(), "note");
        assert!("none".parse::<Severity>().is_err());
    }
}
