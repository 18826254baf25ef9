//! The decision log: exactly one JSON line per invocation, on stdout.
//!
//! The schema is versioned (`schema: "cfn-warden.decision/1"`) and documented in
//! `docs/decision-log.md`. A line never holds a secret: no ResponseURL, no property values, no
//! credentials, no `Data` values; only ids, verdicts, evidence built for the purpose, and sizes.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use serde::{Deserialize, Serialize};

use crate::{
    checks::Check,
    protocol::Status,
    response::{Adjustment, Delivery},
};

/// The schema identifier every line carries.
pub const SCHEMA: &str = "cfn-warden.decision/1";

/// The `schema` field: written as [`SCHEMA`], and read only when it is exactly that (one schema
/// version; a line of another is not a decision line of this version).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Schema;

impl Serialize for Schema {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(SCHEMA)
    }
}

impl<'de> Deserialize<'de> for Schema {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        if text == SCHEMA {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom(format_args!(
                "schema is not {SCHEMA}"
            )))
        }
    }
}

impl DecisionLine {
    /// Reads a decision line from a log line: the JSON object from the first `{` (a prefix
    /// such as a CloudWatch timestamp is allowed). `None` for any other line, including lines
    /// of another schema version.
    pub fn from_log_line(line: &str) -> Option<Self> {
        let start = line.find('{')?;
        serde_json::from_str(line[start..].trim_end()).ok()
    }
}

/// What was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Decision {
    /// No check refused and the pipeline (verifier layers, then the handler) was started.
    /// `result` says how it ended: `success`, `handler-error`, `handler-panic`, `timeout` (a
    /// panic or timeout may have happened in a verifier layer, before the handler), or
    /// `sentinel-delete` (answered without the pipeline).
    Allow,
    /// The request was refused: a check failed (`denied`), or the event had no usable
    /// envelope (`unroutable`). The handler did not run.
    Deny,
    /// The request was routable and consistent but could not be processed (`bad-input`):
    /// answered FAILED with the reason; the handler did not run.
    Error,
}

/// How the invocation ended, in more detail than the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ResultCode {
    /// The handler succeeded.
    Success,
    /// The handler returned an error.
    HandlerError,
    /// The handler panicked.
    HandlerPanic,
    /// The deadline passed before the handler or a verifier finished.
    Timeout,
    /// The event or the properties were invalid.
    BadInput,
    /// A check refused the request.
    Denied,
    /// The event could not even be routed (no usable envelope); nothing was sent.
    Unroutable,
    /// A Delete of a failed Create's sentinel id, answered without the handler.
    SentinelDelete,
    /// A layer returned a result of the wrong kind for the request type (e.g. `Deleted` for a
    /// Create); answered FAILED.
    InvalidOutcome,
    /// An Update that changed only framework keys (a refreshed ticket or signature), answered
    /// SUCCESS without calling the handler's `update`.
    Unchanged,
    /// The handler answered in progress: nothing was sent, the next poll was scheduled
    /// (`operation.next_poll_at`).
    InProgress,
    /// A second delivery of a request (same RequestId and ResponseURL) this environment has
    /// answered (the same answer is sent again, no work is done) or is working on (nothing is
    /// sent, no second worker starts).
    Duplicate,
}

/// The `operation` part of a line: which poll of a long-running operation this invocation was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperationRecord {
    /// 0 for the original request, then 1, 2, … for each poll.
    pub poll: u32,
    /// When the original request was received (RFC 3339).
    pub started_at: String,
    /// When the next poll is due, when one was scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_poll_at: Option<String>,
    /// The operation's deadline (RFC 3339).
    #[serde(default)]
    pub deadline: String,
}

/// The `response` part of a line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseRecord {
    /// Body size in bytes.
    pub bytes: usize,
    /// What was changed to fit 4096 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<Adjustment>,
    /// How delivery went.
    pub delivery: Delivery,
}

/// Phase durations in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Durations {
    /// Verification layers and the handler (they share one deadline).
    pub work_ms: f64,
    /// Fitting and delivering the response.
    pub response_ms: f64,
    /// The whole invocation.
    pub total_ms: f64,
}

/// The mode as written in the decision log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CredentialModeName {
    /// `none` (also what a line written before the field existed means)
    #[default]
    None,
    /// `ticket`
    Ticket,
    /// `provider-role`
    ProviderRole,
}

/// One decision-log line, written by the runtime and read back by `warden audit` (both
/// directions here). Reading is lenient where the schema grew: a field added during schema 1
/// reads as its default when absent; `schema`, `decision` and `result` are required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecisionLine {
    /// Always [`SCHEMA`]; a line of another schema does not deserialize.
    pub schema: Schema,
    /// When the invocation was received (RFC 3339, UTC, milliseconds).
    #[serde(default)]
    pub time: String,
    /// The Lambda request id.
    #[serde(default)]
    pub lambda_request_id: String,
    /// The invoked function ARN.
    #[serde(default)]
    pub function_arn: String,
    /// CloudFormation's `RequestId`, when readable.
    pub cfn_request_id: Option<String>,
    /// `StackId`, when readable.
    pub stack_id: Option<String>,
    /// `LogicalResourceId`, when readable.
    pub logical_resource_id: Option<String>,
    /// `ResourceType`, when readable.
    pub resource_type: Option<String>,
    /// `RequestType`, when readable.
    pub request_type: Option<String>,
    /// Event size in bytes.
    #[serde(default)]
    pub event_bytes: usize,
    /// Every check that ran, in order.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// allow, deny or error.
    pub decision: Decision,
    /// How it ended.
    pub result: ResultCode,
    /// The status of the answer that was PUT (or attempted: see `response.delivery.delivered`);
    /// `null` when no answer was attempted (deny). Can be FAILED with `result: success` when
    /// the handler's Data did not fit 4096 bytes (`response.adjustment`).
    pub status_sent: Option<Status>,
    /// The `Reason` sent, if any.
    pub reason: Option<String>,
    /// Detail kept for operators only (deny and bad-input details).
    pub detail: Option<String>,
    /// The PhysicalResourceId sent.
    pub physical_resource_id: Option<String>,
    /// The response, when one was sent.
    pub response: Option<ResponseRecord>,
    /// Phase durations.
    #[serde(default)]
    pub durations: Durations,
    /// Set when the test-only `WARDEN_INSECURE_RESPONSE_URL_PREFIX` is in force.
    pub insecure_response_url_prefix: Option<String>,
    /// Top-level event fields this version does not know (tolerated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_fields: Vec<String>,
    /// The timed-out work could not be stopped (blocked in synchronous code); the process
    /// exits after this invocation so Lambda replaces it. Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abandoned_work: bool,
    /// Where handlers' credentials come from: `none`, `ticket` or `provider-role` (the last is
    /// the classic, unnarrowed model and is flagged by `warden audit`).
    #[serde(default)]
    pub credentials: CredentialModeName,
    /// Set when the request is (or became) a long-running operation: which poll this was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationRecord>,
}

pub use crate::deadline::format_time;

/// Where decision lines go. Injected so tests can read them.
pub trait DecisionSink: Send + Sync + 'static {
    /// Writes one line.
    fn write(&self, line: &DecisionLine);
}

/// Writes each line to stdout, flushed, as one `write` call.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdoutSink;

impl DecisionSink for StdoutSink {
    fn write(&self, line: &DecisionLine) {
        if let Ok(mut text) = serde_json::to_vec(line) {
            text.push(b'\n');
            let mut out = std::io::stdout().lock();
            // Nowhere left to report a failing stdout; the answer to CloudFormation stands.
            let _ = out.write_all(&text).and_then(|()| out.flush());
        }
    }
}

/// Keeps lines in memory (tests, embedding).
#[derive(Clone, Debug, Default)]
pub struct MemorySink(Arc<Mutex<Vec<DecisionLine>>>);

impl MemorySink {
    /// The lines written so far.
    pub fn lines(&self) -> Vec<DecisionLine> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl DecisionSink for MemorySink {
    fn write(&self, line: &DecisionLine) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(line.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    use super::*;

    fn line() -> DecisionLine {
        DecisionLine {
            schema: Schema,
            time: "2026-12-05T10:00:00.000Z".into(),
            lambda_request_id: "l-1".into(),
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            cfn_request_id: Some("r-1".into()),
            stack_id: None,
            logical_resource_id: Some("Res".into()),
            resource_type: Some("Custom::X".into()),
            request_type: Some("Create".into()),
            event_bytes: 512,
            checks: vec![Check::new(
                "request-consistency",
                crate::checks::Verdict::Pass,
                serde_json::Map::new(),
                3,
            )],
            decision: Decision::Allow,
            result: ResultCode::Success,
            status_sent: Some(Status::Success),
            reason: None,
            detail: None,
            physical_resource_id: Some("p".into()),
            response: Some(ResponseRecord {
                bytes: 200,
                adjustment: None,
                delivery: Delivery::default(),
            }),
            durations: Durations::default(),
            insecure_response_url_prefix: None,
            unknown_fields: Vec::new(),
            abandoned_work: false,
            credentials: CredentialModeName::Ticket,
            operation: None,
        }
    }

    #[test]
    fn lines_read_back_as_written_and_only_of_this_schema() {
        let written = serde_json::to_string(&line()).unwrap();
        assert!(
            written.starts_with(&format!("{{\"schema\":\"{SCHEMA}\"")),
            "{written}"
        );
        let prefixed = format!("2026-12-05T10:00:00Z\tINFO\t{written}");
        assert_eq!(DecisionLine::from_log_line(&prefixed), Some(line()));
        let other = written.replace(SCHEMA, "cfn-warden.decision/2");
        assert_eq!(DecisionLine::from_log_line(&other), None);
        assert_eq!(DecisionLine::from_log_line("START RequestId: x"), None);
        // Fields added during schema 1 default when absent; decision and result are required.
        let minimal = format!(r#"{{"schema":"{SCHEMA}","decision":"deny","result":"unroutable"}}"#);
        let read = DecisionLine::from_log_line(&minimal).unwrap();
        assert_eq!(read.credentials, CredentialModeName::None);
        assert!(read.checks.is_empty());
        assert_eq!(
            DecisionLine::from_log_line(&format!(r#"{{"schema":"{SCHEMA}","decision":"deny"}}"#)),
            None
        );
    }
}
