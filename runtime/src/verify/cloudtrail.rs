//! CloudTrail lookup: the `Invoke` call that started this invocation must be on record, made by
//! CloudFormation on behalf of an allowed principal.
//!
//! Lambda `Invoke` is a CloudTrail *data* event: it is not in `LookupEvents`. It is looked up
//! here by the Lambda request id in one of two sources: a CloudTrail Lake event data store
//! (`StartQuery` / `GetQueryResults`), or the CloudWatch Logs group a trail delivers to
//! (`FilterLogEvents`). Records arrive "typically within about 5 minutes", so the lookup polls with
//! backoff under a budget inside the invocation's deadline; what "not found in time" means is a
//! policy ([`NotFound`], deny by default).
//!
//! Facts this depends on (FACTS §2 and §6; see the runbook in `cfn/README.md`):
//! - the record's `requestID` equals the function's `aws_request_id`: shown in a practitioner's
//!   published records (the `Invoke` record, by the real caller, and the `InvokeExecution`
//!   records, by `lambda.amazonaws.com` with `userIdentity.type = AWSService`, share it), not
//!   in AWS documentation. Lambda's asynchronous retries (two more attempts) keep the request
//!   id, so each retry finds the same `Invoke` record;
//! - CloudFormation invokes custom-resource functions asynchronously *with the stack
//!   operation's credentials* (the deployer's session, or the stack's service role), not as a
//!   service principal: `userIdentity` is that principal. That the record then carries
//!   `invokedBy` / `sourceIPAddress` = `cloudformation.amazonaws.com` is still *unverified*;
//!   both matching rules are configurable for that reason;
//! - an invoke that Lambda denies leaves no record (and never runs the function): nothing here
//!   or in `warden audit` can see it.

use std::{
    borrow::Cow,
    collections::HashMap,
    time::{Duration, SystemTime},
};

use aws_sdk_cloudtrail::{error::ProvideErrorMetadata, Client};
use serde_json::json;

use super::{Evidence, Verifier, VerifierResult};
use crate::{
    cloudtrail::InvokeRecord, cloudtrail::LAKE_COLUMNS, pipeline::Invocation, response::BoxFuture,
    Error,
};

mod builder;

pub use builder::CloudTrailVerifierBuilder;

/// The check's name in the decision log.
pub const CHECK_NAME: &str = "cloudtrail-invoke";

/// The value CloudFormation's invokes are expected to carry (unverified; configurable).
pub const CLOUDFORMATION: &str = "cloudformation.amazonaws.com";

/// What to do when no record is found within the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotFound {
    /// Refuse (default: fail closed).
    Deny,
    /// Allow, with `alert: "not-found-in-time"` in the evidence for audits to flag.
    AllowWithAlert,
}

/// Where CloudTrail records are read.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    /// A CloudTrail Lake event data store id.
    Lake(String),
    /// A CloudWatch Logs group a trail delivers to.
    LogGroup(String),
}

/// The `cloudtrail-invoke` verifier; see the module doc.
pub struct CloudTrailVerifier {
    client: Option<Client>,
    lazy: tokio::sync::OnceCell<Client>,
    logs_client: Option<aws_sdk_cloudwatchlogs::Client>,
    logs_lazy: tokio::sync::OnceCell<aws_sdk_cloudwatchlogs::Client>,
    source: Source,
    principals: Vec<regex::Regex>,
    settings: Settings,
}

/// What the builder passes on to the verifier as given: the record's required values, the
/// lookup's budget and polling, and what "not found" means.
#[derive(Clone, Debug)]
struct Settings {
    require_invoked_by: Vec<String>,
    require_source_ip: Vec<String>,
    budget: Duration,
    not_found: NotFound,
    first_delay: Duration,
    max_delay: Duration,
    handler_reserve: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            require_invoked_by: vec![CLOUDFORMATION.to_owned()],
            require_source_ip: vec![CLOUDFORMATION.to_owned()],
            budget: Duration::from_secs(300),
            not_found: NotFound::Deny,
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(20),
            handler_reserve: Duration::from_secs(30),
        }
    }
}

impl std::fmt::Debug for CloudTrailVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudTrailVerifier")
            .field("source", &self.source)
            .field("budget", &self.settings.budget)
            .field("not_found", &self.settings.not_found)
            .finish_non_exhaustive()
    }
}

/// Why one query round did not produce rows.
enum QueryFailure {
    /// Worth another round (throttling, concurrency limits, still running at the budget).
    Transient(String),
    /// Not worth retrying (access denied, a failed query).
    Fatal(String),
}

impl CloudTrailVerifier {
    /// Starts a builder.
    pub fn builder() -> CloudTrailVerifierBuilder {
        CloudTrailVerifierBuilder::default()
    }

    /// The given client; else, in ticket mode, one with the ticket's credentials; else one
    /// with the provider's credentials (captured at start, or the environment's chain).
    async fn client(&self) -> Cow<'_, Client> {
        if let Some(c) = &self.client {
            return Cow::Borrowed(c);
        }
        if let Some(config) = crate::aws::verification_config() {
            return Cow::Owned(Client::new(&config));
        }
        Cow::Borrowed(
            self.lazy
                .get_or_init(|| async { Client::new(&crate::aws::provider_sdk_config().await) })
                .await,
        )
    }

    /// Like [`Self::client`], for CloudWatch Logs.
    async fn logs_client(&self) -> Cow<'_, aws_sdk_cloudwatchlogs::Client> {
        if let Some(c) = &self.logs_client {
            return Cow::Borrowed(c);
        }
        if let Some(config) = crate::aws::verification_config() {
            return Cow::Owned(aws_sdk_cloudwatchlogs::Client::new(&config));
        }
        Cow::Borrowed(
            self.logs_lazy
                .get_or_init(|| async {
                    aws_sdk_cloudwatchlogs::Client::new(&crate::aws::provider_sdk_config().await)
                })
                .await,
        )
    }

    /// Looks up `lambda_request_id`, giving up at `deadline` at the latest.
    pub async fn check(
        &self,
        lambda_request_id: &str,
        received_at: SystemTime,
        deadline: SystemTime,
        clock: &dyn crate::deadline::Clock,
    ) -> VerifierResult {
        let mut evidence = Evidence::new();
        let verdict = self
            .run(
                lambda_request_id,
                received_at,
                deadline,
                clock,
                &mut evidence,
            )
            .await;
        super::conclude(CHECK_NAME, verdict, evidence)
    }

    async fn run(
        &self,
        request_id: &str,
        received_at: SystemTime,
        deadline: SystemTime,
        clock: &dyn crate::deadline::Clock,
        evidence: &mut Evidence,
    ) -> Result<(), Cow<'static, str>> {
        if request_id.is_empty()
            || request_id.len() > 64
            || !request_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err("the Lambda request id is not a plain id".into());
        }
        // Records of this invoke cannot predate it by much: bound the scan (Lake bills by data
        // scanned; log filtering by time range).
        // Asynchronous invokes can wait in Lambda's queue for up to six hours.
        let since = received_at - Duration::from_secs(6 * 3600);
        let source_name = match self.source {
            Source::Lake(_) => "cloudtrail-lake",
            Source::LogGroup(_) => "cloudwatch-logs",
        };
        evidence.insert("source".into(), json!(source_name));
        let started = clock.now();
        let give_up_at = (started + self.settings.budget).min(deadline);
        let mut delay = self.settings.first_delay;
        let mut rounds = 0u32;
        loop {
            rounds += 1;
            let round = async {
                match &self.source {
                    Source::Lake(store) => {
                        self.query_lake(store, request_id, since, give_up_at, clock)
                            .await
                    }
                    Source::LogGroup(group) => self.filter_logs(group, request_id, since).await,
                }
            };
            // Every round ends by the budget, whatever the endpoint does.
            let left = give_up_at
                .duration_since(clock.now())
                .unwrap_or(Duration::ZERO);
            let fetched = tokio::time::timeout(left, round).await.unwrap_or_else(|_| {
                Err(QueryFailure::Transient(
                    "a query round ran into the budget".into(),
                ))
            });
            match fetched {
                Ok(records) => {
                    // The record must name this request and come from Lambda: a log group could hold
                    // other text mentioning the id.
                    let found = records.into_iter().find(|r| {
                        r.is_invoke()
                            && r.request_id.as_deref() == Some(request_id)
                            && r.event_source.as_deref() == Some("lambda.amazonaws.com")
                    });
                    if let Some(record) = found {
                        evidence.insert("rounds".into(), json!(rounds));
                        return self.judge(&record, evidence);
                    }
                }
                Err(QueryFailure::Transient(why)) => {
                    evidence.insert("last_transient_error".into(), json!(why));
                }
                Err(QueryFailure::Fatal(why)) => return Err(why.into()),
            }
            let now = clock.now();
            if now + delay >= give_up_at {
                break;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.settings.max_delay);
        }
        evidence.insert("rounds".into(), json!(rounds));
        let waited = clock
            .now()
            .duration_since(started)
            .unwrap_or(Duration::ZERO);
        match self.settings.not_found {
            NotFound::Deny => Err(format!(
                "no Invoke record for this request in CloudTrail after {} s",
                waited.as_secs()
            )
            .into()),
            NotFound::AllowWithAlert => {
                evidence.insert("alert".into(), json!("not-found-in-time"));
                Ok(())
            }
        }
    }

    /// One Lake round: start the query, wait for it to finish, read every page.
    async fn query_lake(
        &self,
        store: &str,
        request_id: &str,
        since: SystemTime,
        give_up_at: SystemTime,
        clock: &dyn crate::deadline::Clock,
    ) -> Result<Vec<InvokeRecord>, QueryFailure> {
        let since = humantime::format_rfc3339_seconds(since).to_string();
        let since = since.trim_end_matches('Z').replace('T', " ");
        let sql = format!(
            "SELECT {LAKE_COLUMNS} FROM {store} WHERE eventSource = 'lambda.amazonaws.com' AND eventName = 'Invoke' \
             AND requestID = '{request_id}' AND eventTime > '{since}'"
        );
        let rows = self.run_lake_query(&sql, give_up_at, clock).await?;
        Ok(rows
            .iter()
            .map(|r| InvokeRecord::from_lake_row(r))
            .collect())
    }

    /// One CloudWatch Logs round: the trail's log events mentioning the request id.
    async fn filter_logs(
        &self,
        group: &str,
        request_id: &str,
        since: SystemTime,
    ) -> Result<Vec<InvokeRecord>, QueryFailure> {
        let client = self.logs_client().await;
        let start_ms = since
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let mut records = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10 {
            let out = client
                .filter_log_events()
                .log_group_name(group)
                .filter_pattern(format!("\"{request_id}\""))
                .start_time(i64::try_from(start_ms).unwrap_or(i64::MAX))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    let code = e.code().unwrap_or("no error code").to_owned();
                    if matches!(
                        code.as_str(),
                        "ThrottlingException"
                            | "ServiceUnavailableException"
                            | "LimitExceededException"
                    ) {
                        QueryFailure::Transient(format!("FilterLogEvents: {code}"))
                    } else {
                        QueryFailure::Fatal(format!(
                            "CloudWatch Logs FilterLogEvents failed ({code})"
                        ))
                    }
                })?;
            for event in out.events() {
                // Only streams CloudTrail writes (`<account>_CloudTrail_<region>`).
                if !event
                    .log_stream_name()
                    .is_some_and(|n| n.contains("_CloudTrail_"))
                {
                    continue;
                }
                let parsed = event
                    .message()
                    .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok());
                if let Some(record) = parsed.as_ref().and_then(InvokeRecord::from_record) {
                    records.push(record);
                }
            }
            match out.next_token() {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        Ok(records)
    }

    /// Starts a Lake query, waits for it to finish, reads every page.
    async fn run_lake_query(
        &self,
        sql: &str,
        give_up_at: SystemTime,
        clock: &dyn crate::deadline::Clock,
    ) -> Result<Vec<Vec<HashMap<String, String>>>, QueryFailure> {
        let client = self.client().await;
        let poll = Duration::from_millis(250);
        let out_of_time = || clock.now() + poll >= give_up_at;
        crate::cloudtrail::run_lake_query(&client, sql, poll, &out_of_time)
            .await
            .map_err(|e| match e {
                Error::LakeQueryCall {
                    operation, code, ..
                } if crate::cloudtrail::is_transient_lake_error(&code) => {
                    QueryFailure::Transient(format!("{operation}: {code}"))
                }
                Error::LakeQueryUnfinished => {
                    QueryFailure::Transient("query still running at the budget".into())
                }
                // The code only: the detail may quote the request.
                Error::LakeQueryCall {
                    operation, code, ..
                } => QueryFailure::Fatal(format!("CloudTrail {operation} failed ({code})")),
                other => QueryFailure::Fatal(other.to_string()),
            })
    }

    fn judge(
        &self,
        record: &InvokeRecord,
        evidence: &mut Evidence,
    ) -> Result<(), Cow<'static, str>> {
        evidence.insert("event_time".into(), json!(record.event_time));
        evidence.insert("principal".into(), json!(record.principal_arn));
        evidence.insert("invoked_by".into(), json!(record.invoked_by));
        evidence.insert("source_ip".into(), json!(record.source_ip));
        let Some(principal) = record.principal_arn.as_deref() else {
            return Err("the Invoke record names no principal".into());
        };
        if !self.principals.iter().any(|p| p.is_match(principal)) {
            return Err("the Invoke was made by a principal outside the allow-list".into());
        }
        let accepted = |required: &[String], value: &Option<String>| {
            required.is_empty()
                || value
                    .as_ref()
                    .is_some_and(|v| required.iter().any(|r| r == v))
        };
        if !accepted(&self.settings.require_invoked_by, &record.invoked_by) {
            return Err("the Invoke was not made through CloudFormation (invokedBy)".into());
        }
        if !accepted(&self.settings.require_source_ip, &record.source_ip) {
            return Err("the Invoke was not made through CloudFormation (sourceIPAddress)".into());
        }
        Ok(())
    }
}

impl Verifier for CloudTrailVerifier {
    fn name(&self) -> &'static str {
        CHECK_NAME
    }

    fn verify<'a>(&'a self, invocation: &'a Invocation) -> BoxFuture<'a, VerifierResult> {
        let ctx = &invocation.context;
        // Leave the handler its reserve of the work budget (at most half of what is left).
        let left = ctx.remaining();
        let reserve = self.settings.handler_reserve.min(left / 2);
        let deadline = ctx
            .deadline()
            .checked_sub(reserve)
            .unwrap_or(ctx.deadline());
        Box::pin(crate::aws::verifying(
            invocation.context.extensions(),
            self.check(
                &ctx.lambda().request_id,
                ctx.deadlines().received_at,
                deadline,
                ctx.clock().as_ref(),
            ),
        ))
    }
}
