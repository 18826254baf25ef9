//! Stacks as the deploy commands watch them: their status, their events after a point, live
//! progress until they settle, the summary of how they ended, and when the tickets and
//! signatures of a deployed template stop being valid. Imports no other module of the CLI.

use std::{
    collections::{BTreeMap, HashSet},
    time::{Duration, SystemTime},
};

use anyhow::{bail, Context as _, Result};
use aws_sdk_cloudformation::{error::ProvideErrorMetadata as _, types::StackEvent, Client};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};

/// How long tickets and signatures must stay valid for a stack operation to go ahead without
/// refreshing them (the requests reach the provider some time after the call), and the
/// margin under which `warden audit` flags a ticket as near expiry.
pub(crate) const TICKET_MARGIN: Duration = Duration::from_secs(15 * 60);

/// Between two looks at a stack.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// How a deploy or delete ended.
#[derive(Debug)]
pub(crate) struct Settled {
    pub(crate) stack_id: String,
    pub(crate) status: String,
    /// Chronologically first failure reasons (logical id, status, reason).
    pub(crate) failures: Vec<(String, String, String)>,
    pub(crate) outputs: BTreeMap<String, String>,
    pub(crate) changes: Vec<Value>,
    pub(crate) elapsed: Duration,
}

impl Settled {
    /// Whether the stack reached the state that was asked for.
    pub(crate) fn succeeded(&self) -> bool {
        matches!(
            self.status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "NO_CHANGES"
        )
    }

    /// The machine-readable summary (`--json`).
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "stack_id": self.stack_id,
            "status": self.status,
            "succeeded": self.succeeded(),
            "elapsed_seconds": self.elapsed.as_secs(),
            "changes": self.changes,
            "outputs": self.outputs,
            "failures": self.failures.iter().map(|(id, status, reason)| {
                json!({"logical_id": id, "status": status, "reason": reason})
            }).collect::<Vec<_>>(),
        })
    }

    /// The human summary.
    pub(crate) fn text(&self, stack: &str) -> String {
        let mut out = format!(
            "{stack}: {} after {}\n",
            self.status,
            humantime::format_duration(Duration::from_secs(self.elapsed.as_secs()))
        );
        for (id, status, reason) in &self.failures {
            out.push_str(&format!("  failed: {id} {status}: {reason}\n"));
        }
        for (key, value) in &self.outputs {
            out.push_str(&format!("  output {key} = {value}\n"));
        }
        out
    }
}

/// When a ticket or signature of a deployed template stops being valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// Valid until then.
    At(SystemTime),
    /// The token does not parse: as good as expired.
    Unreadable,
    /// A ticket passed as a parameter (`!Ref P`): its value is not in the template (and is
    /// best kept NoEcho), so it counts as expiring.
    Parameter,
}

/// The tokens (logical id, expiry) not valid for the next `margin`, described as
/// `ID (until T)`, `ID (unreadable)` or `ID (a parameter: expiry unknown)`, joined by commas.
pub(crate) fn expiring<'a>(
    tokens: impl IntoIterator<Item = (&'a str, Expiry)>,
    now: SystemTime,
    margin: Duration,
) -> Option<String> {
    let expiring: Vec<String> = tokens
        .into_iter()
        .filter_map(|(id, expiry)| match expiry {
            Expiry::At(at) if at >= now + margin => None,
            Expiry::At(at) => Some(format!(
                "{id} (until {})",
                humantime::format_rfc3339_seconds(at)
            )),
            Expiry::Unreadable => Some(format!("{id} (unreadable)")),
            Expiry::Parameter => Some(format!("{id} (a parameter: expiry unknown)")),
        })
        .collect();
    (!expiring.is_empty()).then(|| expiring.join(", "))
}

/// The current status of `stack`, or `None` when it does not exist (or was deleted).
pub(crate) async fn stack_status(
    cfn: &Client,
    stack: &str,
) -> Result<Option<(String, String, Vec<String>)>> {
    match cfn.describe_stacks().stack_name(stack).send().await {
        Ok(out) => Ok(out.stacks().first().and_then(|s| {
            let status = s.stack_status()?.as_str().to_owned();
            if status == "DELETE_COMPLETE" {
                return None;
            }
            let id = s.stack_id().unwrap_or(stack).to_owned();
            let params = s
                .parameters()
                .iter()
                .filter_map(|p| p.parameter_key().map(str::to_owned))
                .collect();
            Some((id, status, params))
        })),
        // CloudFormation has no typed "not found" error for stacks: a ValidationError that
        // says so.
        Err(e)
            if e.code() == Some("ValidationError")
                && e.message().is_some_and(|m| m.contains("does not exist")) =>
        {
            Ok(None)
        }
        Err(e) => Err(anyhow::Error::new(e))
            .with_context(|| format!("cloudformation:DescribeStacks {stack}")),
    }
}

/// At most this many pages of events are read per look (100 events each).
const MAX_EVENT_PAGES: usize = 10;

/// The ids of the stack's current events (so only later ones are shown).
pub(crate) async fn event_ids(cfn: &Client, stack_id: &str) -> Result<HashSet<String>> {
    Ok(new_events(cfn, stack_id, &HashSet::new())
        .await?
        .into_iter()
        .filter_map(|e| e.event_id().map(str::to_owned))
        .collect())
}

/// Events not in `seen`, oldest first (reads newest-first pages until a seen event).
async fn new_events(
    cfn: &Client,
    stack_id: &str,
    seen: &HashSet<String>,
) -> Result<Vec<StackEvent>> {
    let mut fresh = Vec::new();
    let mut token = None;
    for _ in 0..MAX_EVENT_PAGES {
        let page = cfn
            .describe_stack_events()
            .stack_name(stack_id)
            .set_next_token(token)
            .send()
            .await
            .with_context(|| format!("cloudformation:DescribeStackEvents {stack_id}"))?;
        let mut reached_seen = false;
        for event in page.stack_events() {
            if event.event_id().is_some_and(|id| seen.contains(id)) {
                reached_seen = true;
                break;
            }
            fresh.push(event.clone());
        }
        token = page.next_token().map(str::to_owned);
        if reached_seen || token.is_none() {
            break;
        }
    }
    fresh.reverse();
    Ok(fresh)
}

/// Follows the stack's events after `seen` (see [`event_ids`]) with live progress until it
/// settles or `wait` passes.
pub(crate) async fn watch(
    cfn: &Client,
    stack_id: &str,
    seen: HashSet<String>,
    wait: Duration,
    poll: Duration,
) -> Result<Settled> {
    let progress = Progress::new();
    follow(
        cfn,
        stack_id,
        seen,
        tokio::time::Instant::now() + wait,
        poll,
        &progress,
    )
    .await
}

/// Whether a stack in `status` is done (for good or bad).
pub(crate) fn is_settled(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// Prints the stack's new events until its status settles or `give_up`.
pub(crate) async fn follow(
    cfn: &Client,
    stack_id: &str,
    mut seen: HashSet<String>,
    give_up: tokio::time::Instant,
    poll: Duration,
    progress: &Progress,
) -> Result<Settled> {
    let mut failures = Vec::new();
    // A settled status counts only once the operation left a trace: right after the call,
    // DescribeStacks may still show the previous settled status.
    let mut saw_new_event = false;
    loop {
        let events = new_events(cfn, stack_id, &seen).await?;
        saw_new_event |= !events.is_empty();
        for event in events {
            if let Some(id) = event.event_id() {
                seen.insert(id.to_owned());
            }
            let status = event
                .resource_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            let logical = event.logical_resource_id().unwrap_or("?").to_owned();
            let reason = event.resource_status_reason().unwrap_or("").to_owned();
            let at = event
                .timestamp()
                .and_then(|t| SystemTime::try_from(*t).ok())
                .map(|t| humantime::format_rfc3339_seconds(t).to_string())
                .unwrap_or_default();
            progress.line(&format!(
                "{at}  {logical:<28} {:<36} {status}{}",
                event.resource_type().unwrap_or(""),
                if reason.is_empty() {
                    String::new()
                } else {
                    format!("  {reason}")
                }
            ));
            if status.ends_with("_FAILED") && !reason.contains("cancelled") {
                failures.push((logical, status, reason));
            }
        }
        let status = stack_status(cfn, stack_id)
            .await?
            .map_or_else(|| "DELETE_COMPLETE".to_owned(), |(_, status, _)| status);
        progress.status(&status);
        if is_settled(&status)
            && status != "REVIEW_IN_PROGRESS"
            && (saw_new_event || status == "DELETE_COMPLETE")
        {
            progress.finish();
            return Ok(Settled {
                stack_id: stack_id.to_owned(),
                status,
                failures,
                outputs: BTreeMap::new(),
                changes: Vec::new(),
                elapsed: Duration::ZERO,
            });
        }
        if tokio::time::Instant::now() >= give_up {
            progress.finish();
            bail!("stack {stack_id} is still {status}; stopped waiting (--wait)");
        }
        tokio::time::sleep(poll).await;
    }
}

/// Live progress on stderr: event lines, and a spinner with the status on a terminal.
pub(crate) struct Progress(ProgressBar);

impl Progress {
    pub(crate) fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        Self(bar)
    }

    pub(crate) fn status(&self, message: &str) {
        self.0.set_message(message.to_owned());
    }

    /// A permanent line (printed above the spinner, or plainly when stderr is not a terminal).
    pub(crate) fn line(&self, text: &str) {
        if self.0.is_hidden() {
            eprintln!("{text}");
        } else {
            self.0.println(text);
        }
    }

    pub(crate) fn finish(&self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_complete_states_succeed() {
        let settled = |status: &str| Settled {
            stack_id: "s".into(),
            status: status.into(),
            failures: Vec::new(),
            outputs: BTreeMap::new(),
            changes: Vec::new(),
            elapsed: Duration::ZERO,
        };
        for ok in [
            "CREATE_COMPLETE",
            "UPDATE_COMPLETE",
            "DELETE_COMPLETE",
            "NO_CHANGES",
        ] {
            assert!(settled(ok).succeeded(), "{ok}");
        }
        for bad in [
            "ROLLBACK_COMPLETE",
            "UPDATE_ROLLBACK_COMPLETE",
            "CREATE_FAILED",
            "DELETE_FAILED",
        ] {
            assert!(!settled(bad).succeeded(), "{bad}");
        }
        assert!(!is_settled("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
    }
}
