//! `warden audit`: reads decision logs (JSONL, as the provider writes them to stdout and
//! CloudWatch Logs stores them) and reports what was decided, every deny, and anomalies.
//!
//! CloudTrail `Invoke` records given with `--cloudtrail` are loaded first and joined with the
//! decision lines by Lambda request id.
//!
//! Streaming: one line at a time, whatever the size; memory grows only with the number of
//! distinct stacks, resource types and callers, and 8 bytes per allowed request (to find
//! requests allowed twice). Lines that are not decision lines (other logs, export prefixes such
//! as a timestamp before the JSON) are skipped and counted.

use std::{
    collections::{BTreeMap, HashSet},
    hash::{Hash, Hasher},
    io::BufRead,
};

use anyhow::{Context as _, Result};
use cfn_warden::{
    cloudtrail::InvokeRecord,
    decision::{CredentialModeName, Decision, DecisionLine, ResultCode},
    verify::Verdict,
};
use serde::Serialize;
use serde_json::Value;

/// At most this many denies and anomalies are listed (all are counted).
const LISTED: usize = 1000;

/// Counts for one group (a stack, a resource type or a caller).
#[derive(Debug, Default, Serialize)]
pub(crate) struct Tally {
    allow: u64,
    deny: u64,
    error: u64,
}

/// A deny, as listed.
#[derive(Debug, Serialize)]
pub(crate) struct Deny {
    time: String,
    stack: String,
    logical_resource_id: String,
    request_type: String,
    detail: String,
}

/// An anomaly: something that is not necessarily an attack, but deserves a look.
#[derive(Debug, Serialize)]
pub(crate) struct Anomaly {
    /// Stable kebab-case code.
    code: &'static str,
    time: String,
    stack: String,
    logical_resource_id: String,
    message: String,
}

/// The audit's result.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Report {
    lines_read: u64,
    decision_lines: u64,
    skipped_lines: u64,
    by_stack: BTreeMap<String, Tally>,
    by_resource_type: BTreeMap<String, Tally>,
    by_caller: BTreeMap<String, Tally>,
    denies_total: u64,
    denies: Vec<Deny>,
    anomalies_total: u64,
    anomalies: Vec<Anomaly>,
    /// Long-running operations: one row per request, its polls folded in.
    #[serde(skip_serializing_if = "operations::Operations::is_empty")]
    operations: operations::Operations,
    #[serde(skip)]
    allowed_requests: HashSet<u64>,
    /// With CloudTrail records: decision lines whose Lambda request has an `Invoke` record,
    /// and those without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    cloudtrail: Option<TrailJoin>,
    #[serde(skip)]
    invokes: std::collections::HashMap<String, Invoke>,
}

/// How the decision lines matched the CloudTrail `Invoke` records given.
#[derive(Debug, Default, Serialize)]
pub(crate) struct TrailJoin {
    invoke_records: u64,
    matched: u64,
    unmatched: u64,
}

/// What an `Invoke` record says about its caller.
#[derive(Debug, Clone)]
pub(crate) struct Invoke {
    principal: String,
    via_cloudformation: bool,
}

/// The CloudFormation service as CloudTrail names it in `invokedBy` and `sourceIPAddress`.
const CLOUDFORMATION: &str = "cloudformation.amazonaws.com";

impl Report {
    /// Whether any anomaly was found.
    pub(crate) fn has_anomalies(&self) -> bool {
        self.anomalies_total > 0
    }

    /// Reads one source to its end.
    pub(crate) fn read(&mut self, mut source: impl BufRead, name: &str) -> Result<()> {
        let mut line = String::new();
        loop {
            line.clear();
            let n = source
                .read_line(&mut line)
                .with_context(|| format!("reading {name}"))?;
            if n == 0 {
                return Ok(());
            }
            self.read_line(&line);
        }
    }

    /// Keeps one CloudTrail record if it is a caller's Lambda `Invoke`.
    fn add_invoke(&mut self, record: &InvokeRecord) {
        let join = self.cloudtrail.get_or_insert_with(TrailJoin::default);
        let is_invoke =
            record.is_invoke() && record.event_source.as_deref() == Some("lambda.amazonaws.com");
        let Some(request_id) = record.request_id.as_deref().filter(|_| is_invoke) else {
            return;
        };
        join.invoke_records += 1;
        let principal = record
            .principal_arn
            .as_deref()
            .or(record.invoked_by.as_deref())
            .unwrap_or("(unknown)")
            .to_owned();
        let via_cloudformation = record.invoked_by.as_deref() == Some(CLOUDFORMATION)
            || record.source_ip.as_deref() == Some(CLOUDFORMATION);
        self.invokes.insert(
            request_id.to_owned(),
            Invoke {
                principal,
                via_cloudformation,
            },
        );
    }

    /// Queries a CloudTrail Lake event data store (`StartQuery`, `GetQueryResults`) for the
    /// Lambda `Invoke` records since `since`, waiting at most `wait` for the query, and keeps
    /// them for the join like [`Report::read_cloudtrail`].
    pub(crate) async fn read_cloudtrail_lake(
        &mut self,
        client: &aws_sdk_cloudtrail::Client,
        event_data_store: &str,
        since: std::time::SystemTime,
        wait: std::time::Duration,
    ) -> Result<()> {
        // The SQL names the store by its id (the last part of its ARN).
        let id = event_data_store
            .rsplit('/')
            .next()
            .unwrap_or(event_data_store);
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            anyhow::bail!(
                "--cloudtrail-lake: `{event_data_store}` is not an event data store id or ARN"
            );
        }
        let since = humantime::format_rfc3339_seconds(since)
            .to_string()
            .replace('T', " ")
            .trim_end_matches('Z')
            .to_owned();
        let sql = format!(
            "SELECT {} FROM {id} WHERE eventName = 'Invoke' AND eventTime > '{since}'",
            cfn_warden::cloudtrail::LAKE_COLUMNS
        );
        let give_up = tokio::time::Instant::now() + wait;
        let out_of_time = || tokio::time::Instant::now() >= give_up;
        let rows = cfn_warden::cloudtrail::run_lake_query(
            client,
            &sql,
            std::time::Duration::from_millis(500),
            &out_of_time,
        )
        .await
        .map_err(|e| match e {
            cfn_warden::Error::LakeQueryUnfinished => {
                anyhow::anyhow!("the CloudTrail Lake query did not finish in time (--lake-wait)")
            }
            other => anyhow::Error::new(other),
        })?;
        self.cloudtrail.get_or_insert_with(TrailJoin::default);
        for row in &rows {
            self.add_invoke(&InvokeRecord::from_lake_row(row));
        }
        Ok(())
    }

    /// Loads CloudTrail records (a log file `{"Records": [...]}`, or one record per line) and
    /// keeps the Lambda `Invoke` ones by request id, to join with the decision lines read
    /// after. The join key, the Invoke record's `requestID` being the invocation's Lambda
    /// request id, is an unverified AWS fact (cfn/README.md runbook).
    pub(crate) fn read_cloudtrail(&mut self, text: &str, name: &str) -> Result<()> {
        let records: Vec<Value> = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(file)) => match file.get("Records") {
                Some(Value::Array(records)) => records.clone(),
                _ => vec![Value::Object(file)],
            },
            Ok(Value::Array(records)) => records,
            _ => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str)
                .collect::<Result<_, _>>()
                .with_context(|| format!("{name} is not CloudTrail JSON"))?,
        };
        self.cloudtrail.get_or_insert_with(TrailJoin::default);
        for record in records.iter().filter_map(InvokeRecord::from_record) {
            self.add_invoke(&record);
        }
        Ok(())
    }

    /// Takes one log line (a decision line or anything else, which is counted and skipped).
    pub(crate) fn read_line(&mut self, line: &str) {
        self.lines_read += 1;
        match DecisionLine::from_log_line(line) {
            Some(decision) => self.add(&decision),
            None => self.skipped_lines += 1,
        }
    }

    /// Reads the events of a CloudWatch Logs group (FilterLogEvents, page by page: nothing is
    /// held but the report), from `start_ms` (milliseconds since the epoch) on.
    pub(crate) async fn read_log_group(
        &mut self,
        config: &aws_config::SdkConfig,
        group: &str,
        start_ms: Option<i64>,
    ) -> Result<()> {
        // 10,000 events per page at most: a billion events before this bound stops the read.
        const MAX_PAGES: usize = 100_000;
        let client = aws_sdk_cloudwatchlogs::Client::new(config);
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = client
                .filter_log_events()
                .log_group_name(group)
                .set_start_time(start_ms)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "reading log group {group}: {}",
                        aws_sdk_cloudwatchlogs::error::DisplayErrorContext(e)
                    )
                })?;
            for event in page.events() {
                if let Some(message) = event.message() {
                    self.read_line(message);
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(());
            }
        }
        anyhow::bail!("log group {group}: stopped after {MAX_PAGES} pages")
    }

    fn add(&mut self, line: &DecisionLine) {
        self.decision_lines += 1;
        let stack = stack_name(line.stack_id.as_deref().unwrap_or("(unroutable)"));
        let resource_type = line
            .resource_type
            .clone()
            .unwrap_or_else(|| "(unknown)".to_owned());
        let caller = caller(line);
        let decision = line.decision;
        self.operations.add(line, &stack);
        for (map, key) in [
            (&mut self.by_stack, stack.clone()),
            (&mut self.by_resource_type, resource_type),
            (&mut self.by_caller, caller),
        ] {
            let tally = map.entry(key).or_default();
            match decision {
                Decision::Allow => tally.allow += 1,
                Decision::Deny => tally.deny += 1,
                _ => tally.error += 1,
            }
        }
        let time = line.time.clone();
        let logical = line.logical_resource_id.clone().unwrap_or_default();
        if decision == Decision::Deny {
            self.denies_total += 1;
            if self.denies.len() < LISTED {
                self.denies.push(Deny {
                    time: time.clone(),
                    stack: stack.clone(),
                    logical_resource_id: logical.clone(),
                    request_type: line.request_type.clone().unwrap_or_default(),
                    detail: line.detail.clone().unwrap_or_default(),
                });
            }
        }
        let mut flag = |code: &'static str, message: String| {
            self.anomalies_total += 1;
            if self.anomalies.len() < LISTED {
                self.anomalies.push(Anomaly {
                    code,
                    time: time.clone(),
                    stack: stack.clone(),
                    logical_resource_id: logical.clone(),
                    message,
                });
            }
        };
        if decision == Decision::Allow {
            if let (Some(stack_id), Some(request_id)) = (&line.stack_id, &line.cfn_request_id) {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                (stack_id, request_id).hash(&mut hasher);
                if !self.allowed_requests.insert(hasher.finish()) {
                    flag(
                        "request-allowed-twice",
                        format!("CloudFormation RequestId {request_id} was allowed more than once"),
                    );
                }
            }
        }
        if let Some(join) = self.cloudtrail.as_mut() {
            match self.invokes.get(&line.lambda_request_id) {
                Some(invoke) => {
                    join.matched += 1;
                    if !invoke.via_cloudformation {
                        let principal = invoke.principal.clone();
                        let decided = serde_json::to_value(decision)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        flag(
                            "invoked-not-by-cloudformation",
                            format!(
                                "the Invoke behind this {decided} was made by {principal}, not through CloudFormation"
                            ),
                        );
                    }
                }
                None => join.unmatched += 1,
            }
        }
        if let Some(prefix) = &line.insecure_response_url_prefix {
            flag(
                "insecure-response-url-prefix",
                format!(
                    "decided under the test-only WARDEN_INSECURE_RESPONSE_URL_PREFIX ({prefix})"
                ),
            );
        }
        if line.credentials == CredentialModeName::ProviderRole {
            flag(
                "provider-role-credentials",
                "decided in provider-role mode: the provider's own role did the work, unnarrowed"
                    .to_owned(),
            );
        }
        if line.abandoned_work {
            flag(
                "abandoned-work",
                "timed-out work could not be stopped; the process was replaced".to_owned(),
            );
        }
        if line
            .response
            .as_ref()
            .is_some_and(|r| !r.delivery.delivered)
        {
            flag(
                "answer-not-delivered",
                "the answer did not reach CloudFormation".to_owned(),
            );
        }
        let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
        for check in &line.checks {
            let name = check.name.as_ref();
            let evidence = &check.evidence;
            if check.verdict == Verdict::Skip {
                flag("verifier-skipped", format!("check {name} was skipped"));
            }
            if evidence.get("expired_accepted_on_delete") == Some(&Value::Bool(true)) {
                flag(
                    "expired-signature-accepted",
                    "an expired signature was accepted on Delete".to_owned(),
                );
            }
            if evidence.get("alert").and_then(Value::as_str) == Some("not-found-in-time") {
                flag(
                    "cloudtrail-record-missing",
                    "allowed without a CloudTrail Invoke record (allow-with-alert)".to_owned(),
                );
            }
            if name == "ticket" && check.verdict == Verdict::Pass {
                let at = |t: Option<&str>| t.and_then(|t| humantime::parse_rfc3339_weak(t).ok());
                if let (Some(decided), Some(not_after)) = (
                    at(Some(&line.time)),
                    at(evidence.get("not_after").and_then(Value::as_str)),
                ) {
                    let left = not_after.duration_since(decided).unwrap_or_default();
                    // The handler's work (up to the 15-minute Lambda maximum) may outlive such
                    // a ticket.
                    if left < crate::stack::TICKET_MARGIN {
                        flag(
                            "ticket-near-expiry",
                            format!(
                                "a ticket was used {} before it expired; long operations may outlive it (seal closer to the deployment or refresh)",
                                humantime::format_duration(left)
                            ),
                        );
                    }
                }
            }
            let problem = evidence.get("problem").map(text).unwrap_or_default();
            if name == "signed-properties" && problem.contains("retired") {
                flag(
                    "retired-key-used",
                    format!(
                        "a signature by retired key {} was presented",
                        evidence.get("kid").map(text).unwrap_or_default()
                    ),
                );
            }
        }
        if decision == Decision::Deny && line.result == ResultCode::Unroutable {
            flag("unroutable-event", "an event without a usable envelope reached the provider (not CloudFormation's doing)".to_owned());
        }
    }
}

/// `arn:...:stack/<name>/<id>` → `<name>`.
fn stack_name(stack_id: &str) -> String {
    stack_id.split('/').nth(1).unwrap_or(stack_id).to_owned()
}

/// Who caused the invoke, when a check recorded it (CloudTrail), else `(unknown)`.
fn caller(line: &DecisionLine) -> String {
    line.checks
        .iter()
        .find_map(|c| c.evidence.get("principal").and_then(Value::as_str))
        .unwrap_or("(unknown)")
        .to_owned()
}

/// Prints the report as text.
pub(crate) fn print_text(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} lines read, {} decision lines, {} other lines skipped",
        report.lines_read, report.decision_lines, report.skipped_lines
    );
    for (title, map) in [
        ("stack", &report.by_stack),
        ("resource type", &report.by_resource_type),
        ("caller", &report.by_caller),
    ] {
        let _ = writeln!(out, "\nby {title}:");
        for (key, t) in map {
            let _ = writeln!(
                out,
                "  {key}: {} allow, {} deny, {} error",
                t.allow, t.deny, t.error
            );
        }
    }
    let denies = report.denies.iter().map(|d| {
        let resource = format!("{} {}", d.stack, d.logical_resource_id);
        format!("{} {resource} {}: {}", d.time, d.request_type, d.detail)
    });
    listed(&mut out, "denies", report.denies_total, denies);
    let anomalies = report.anomalies.iter().map(|a| {
        let resource = format!("{} {}", a.stack, a.logical_resource_id);
        format!("[{}] {} {resource}: {}", a.code, a.time, a.message)
    });
    listed(&mut out, "anomalies", report.anomalies_total, anomalies);
    operations::print(&report.operations, &mut out);
    out
}

mod operations;
/// `\n{title}: {total}` and one indented line per row.
fn listed(out: &mut String, title: &str, total: u64, rows: impl Iterator<Item = String>) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "\n{title}: {total}");
    for row in rows {
        let _ = writeln!(out, "  {row}");
    }
}

#[cfg(test)]
mod tests;
