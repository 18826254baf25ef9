//! Long-running operations in the decision log: every line of one request (the original and
//! each poll) folded into one row with its polls and total duration.

use std::collections::BTreeMap;

use cfn_warden::decision::{DecisionLine, ResultCode};
use serde::Serialize;

/// One long-running operation.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Operation {
    request_id: String,
    stack: String,
    logical_resource_id: String,
    request_type: String,
    started_at: String,
    /// The time of the last line seen.
    last_at: String,
    /// How long the last line's invocation took (its `durations.total_ms`), in seconds.
    #[serde(skip)]
    last_took: f64,
    /// Polls seen (the original request not counted).
    polls: u32,
    /// From the original request's receipt to the end of the last line's invocation (its
    /// receipt plus its duration, which includes waiting for the poll to be due), in seconds.
    total_seconds: f64,
    /// `in-progress` until a line sent an answer; then that answer's status.
    outcome: String,
}

/// The operations, by RequestId.
#[derive(Debug, Default)]
pub(crate) struct Operations(BTreeMap<String, Operation>);

impl Operations {
    /// Folds in a line that belongs to an operation (it has an `operation` part).
    pub(crate) fn add(&mut self, line: &DecisionLine, stack: &str) {
        let (Some(op), Some(id)) = (&line.operation, &line.cfn_request_id) else {
            return;
        };
        let row = self.0.entry(id.clone()).or_default();
        row.request_id.clone_from(id);
        row.stack = stack.to_owned();
        row.logical_resource_id = line.logical_resource_id.clone().unwrap_or_default();
        row.request_type = line.request_type.clone().unwrap_or_default();
        row.started_at.clone_from(&op.started_at);
        row.polls = row.polls.max(op.poll);
        if line.time >= row.last_at {
            row.last_at.clone_from(&line.time);
            row.last_took = line.durations.total_ms / 1000.0;
            row.outcome = match (line.result, line.status_sent) {
                (ResultCode::InProgress, _) => "in-progress".to_owned(),
                (_, Some(status)) => serde_json::to_value(status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                (result, None) => serde_json::to_value(result)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            };
        }
        let at = |t: &str| humantime::parse_rfc3339_weak(t).ok();
        if let (Some(start), Some(last)) = (at(&row.started_at), at(&row.last_at)) {
            row.total_seconds =
                last.duration_since(start).unwrap_or_default().as_secs_f64() + row.last_took;
        }
    }

    /// The rows, by RequestId.
    pub(crate) fn rows(&self) -> impl Iterator<Item = &Operation> {
        self.0.values()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Operations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.values())
    }
}

/// The text report's section.
pub(crate) fn print(operations: &Operations, out: &mut String) {
    use std::fmt::Write as _;
    if operations.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nlong-running operations:");
    for o in operations.rows() {
        let _ = writeln!(
            out,
            "  {} {} {} {} {}: {} polls, {:.1} s, {}",
            o.started_at,
            o.stack,
            o.logical_resource_id,
            o.request_type,
            o.request_id,
            o.polls,
            o.total_seconds,
            o.outcome
        );
    }
}
