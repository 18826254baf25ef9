//! `warden check-event`: runs the provider's screening (envelope, request consistency, every
//! request field) on an event offline, with the provider's `WARDEN_*` settings from the
//! environment. Nothing is sent anywhere; the report never includes the ResponseURL or
//! property values.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use cfn_warden::{
    config::{Environment, ProcessEnvironment},
    verify::{screen, Check, Screening},
    Config,
};
use serde_json::{json, Value};

use super::{read_input, Format};

/// The arguments of `warden check-event`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The event JSON file, or `-` for stdin.
    pub(crate) event: PathBuf,
    /// The ARN of the function the event would be sent to.
    #[arg(long)]
    pub(crate) function_arn: String,
    /// Test only: admit response URLs under this loopback prefix.
    #[arg(long)]
    pub(crate) insecure_response_url_prefix: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// Runs the command; `Ok(false)` (exit 1) when the event would be refused or answered FAILED.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args {
        event,
        function_arn,
        insecure_response_url_prefix,
        format,
    } = args;
    let bytes = read_input(&event)?;
    // The provider's own settings (WARDEN_* variables), so the verdict matches what a
    // provider configured from this environment would decide.
    let env = Overridden {
        prefix: insecure_response_url_prefix,
    };
    let config = Config::from_env(&env).context("invalid WARDEN_* setting")?;
    let report = check_event(&bytes, &function_arn, &config);
    match format {
        Format::Json => println!("{report}"),
        Format::Text => print_text(&report),
    }
    Ok(report["outcome"] == "accepted")
}

/// The process environment, with `--insecure-response-url-prefix` taking precedence.
struct Overridden {
    prefix: Option<String>,
}

impl Environment for Overridden {
    fn var(&self, name: &str) -> Option<String> {
        match (&self.prefix, name) {
            (Some(p), "WARDEN_INSECURE_RESPONSE_URL_PREFIX") => Some(p.clone()),
            _ => ProcessEnvironment.var(name),
        }
    }
}

/// Runs the provider's screening; the report never includes the ResponseURL or property values.
fn check_event(bytes: &[u8], function_arn: &str, config: &Config) -> Value {
    let as_json = |check: &Check| serde_json::to_value(check).unwrap_or(Value::Null);
    match screen(
        bytes,
        function_arn,
        config.consistency(),
        config.max_event_bytes(),
    ) {
        Screening::Unroutable(e) => finding("unroutable", "no-envelope", &e.to_string(), None),
        Screening::Denied { check, denial, .. } => finding(
            "denied",
            "request-consistency",
            &denial.detail,
            Some(as_json(&check)),
        ),
        Screening::Invalid { check, error, .. } => finding(
            "failed",
            "bad-input",
            &error.to_string(),
            Some(as_json(&check)),
        ),
        Screening::Accepted { request, check } => json!({
            "outcome": "accepted",
            "request_type": request.request_type().as_str(),
            "resource_type": request.resource_type(),
            "logical_resource_id": request.logical_resource_id(),
            "stack_id": request.stack().as_str(),
            "service_timeout_seconds": request.service_timeout().map(|t| t.duration().as_secs()),
            "unknown_fields": request.unknown_fields(),
            "check": as_json(&check),
        }),
        other => finding("failed", "unknown", &format!("{other:?}"), None),
    }
}

fn finding(outcome: &str, code: &str, message: &str, check: Option<Value>) -> Value {
    json!({"outcome": outcome, "code": code, "message": message, "check": check})
}

fn print_text(report: &Value) {
    match report["outcome"].as_str() {
        Some("accepted") => println!(
            "accepted: {} {} ({})",
            report["request_type"].as_str().unwrap_or_default(),
            report["logical_resource_id"].as_str().unwrap_or_default(),
            report["resource_type"].as_str().unwrap_or_default()
        ),
        Some(outcome) => {
            let what = match outcome {
                "unroutable" => "no answer possible, the provider sends nothing",
                "denied" => "refused, the provider sends nothing",
                _ => "the provider answers FAILED",
            };
            println!(
                "{outcome} [{}]: {} ({what})",
                report["code"].as_str().unwrap_or_default(),
                report["message"].as_str().unwrap_or_default()
            );
        }
        None => println!("{report}"),
    }
}
