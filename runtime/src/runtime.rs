//! The driver: from raw event bytes to exactly one answer and one decision line.
//!
//! Order of work for every invocation:
//! 1. parse the JSON and read the [`Envelope`]; without one, nothing can be answered (deny);
//! 2. the always-on consistency check; failing it, **nothing is sent** (deny);
//! 3. from here on exactly one answer is sent: bad input → FAILED with a precise reason;
//!    a Delete of a failure sentinel → SUCCESS without the handler;
//! 4. the layered pipeline (verifiers, credentials, handler) runs in its own task under the
//!    deadline: errors, panics and timeouts all become FAILED;
//! 5. the answer is fitted into 4096 bytes and PUT with bounded retries before the deadline;
//! 6. one decision line is written.
//!
//! The Lambda Runtime API always receives a success with a small summary: an error there
//! would make Lambda re-invoke the (asynchronous) event and run the handler twice.

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use bytes::Bytes;
use serde::Serialize;
use tower::ServiceExt;
use tracing::Instrument;

use crate::{
    config::Config,
    continuation::{token::is_continuation, Continuations, Ledger, Seen},
    deadline::{operation_deadline, Deadlines, SharedClock},
    decision::{
        format_time, Decision, DecisionLine, DecisionSink, Durations, ResponseRecord, ResultCode,
        Schema,
    },
    pipeline::{Invocation, Outcome, Pipeline, Rejection, SharedCredentialSource},
    protocol::{bounded, CfnRequest, CfnResponse, Envelope, Status},
    response::{self, Jitter, ResponseTransport},
    service::{Context, LambdaMeta},
    verify::{self, Screening},
};

/// The reason sent when a verifier refuses. Deliberately generic: the caller learns nothing
/// about which check failed; the decision log has the detail.
pub const DENIED_REASON: &str = "request refused by cfn-warden verification";

/// The reason sent when the handler panics. The panic payload is never sent or logged.
pub const PANIC_REASON: &str = "handler panicked";

/// Ids copied from an event into a decision line are cut to this many bytes.
const LOGGED_ID_LIMIT: usize = 512;

mod answer;
mod builder;
mod long_running;

use answer::Answer;
pub use builder::WardenBuilder;
use long_running::{Later, Resumed};

/// A configured runtime for one handler (or a [`crate::pipeline::Router`] over several).
pub struct Warden {
    pipeline: Arc<Pipeline>,
    config: Config,
    clock: SharedClock,
    transport: Arc<dyn ResponseTransport>,
    jitter: Arc<dyn Jitter>,
    sink: Arc<dyn DecisionSink>,
    /// Provider-role mode: the source every request's context receives.
    provider_source: Option<SharedCredentialSource>,
    /// Long-running operations, when configured.
    continuations: Option<Arc<Continuations>>,
    /// This environment's record of requests (duplicates, replays).
    ledger: Arc<Ledger>,
}

impl std::fmt::Debug for Warden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warden")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What the Lambda Runtime API receives as the function's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// allow, deny or error.
    pub decision: Decision,
    /// The status sent, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Whether the answer was delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered: Option<bool>,
    /// Work that timed out could not be stopped (it is blocked in synchronous code). The
    /// process should be replaced: [`Warden::run`] exits after reporting this invocation, so
    /// Lambda starts a fresh execution environment for the next one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub abandoned_work: bool,
}

impl Summary {
    fn nothing_sent(decision: Decision) -> Self {
        Self {
            decision,
            status: None,
            delivered: None,
            abandoned_work: false,
        }
    }
}

/// The result of the work phase, before it becomes a response.
enum Work {
    Done(Result<Outcome, Rejection>),
    Panicked,
    /// The deadline passed; `abandoned` when the aborted task did not stop (it is blocked in
    /// synchronous code and keeps a worker thread).
    TimedOut {
        after: Duration,
        abandoned: bool,
    },
}

/// How long an aborted task gets to stop before it is considered stuck.
const ABORT_GRACE: Duration = Duration::from_millis(50);

impl Warden {
    /// The settings in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handles one invocation end to end: verify, run, answer, log. Never fails.
    pub async fn handle(&self, body: &[u8], lambda: LambdaMeta) -> Summary {
        let started = Instant::now();
        let received_at = self.clock.now();
        let mut line = DecisionLine {
            schema: Schema,
            time: format_time(received_at),
            lambda_request_id: lambda.request_id.clone(),
            function_arn: lambda.invoked_function_arn.clone(),
            cfn_request_id: None,
            stack_id: None,
            logical_resource_id: None,
            resource_type: None,
            request_type: None,
            event_bytes: body.len(),
            checks: Vec::new(),
            decision: Decision::Deny,
            result: ResultCode::Unroutable,
            status_sent: None,
            reason: None,
            detail: None,
            physical_resource_id: None,
            response: None,
            durations: Durations::default(),
            insecure_response_url_prefix: self
                .config
                .insecure_response_url_prefix()
                .map(str::to_owned),
            unknown_fields: Vec::new(),
            abandoned_work: false,
            credentials: self.config.credentials.name(),
            operation: None,
        };
        let summary = if is_continuation(body) {
            self.handle_continuation(body, &lambda, received_at, &mut line)
                .await
        } else {
            self.handle_inner(body, &lambda, received_at, &mut line, None)
                .await
        };
        line.durations.total_ms = millis(started.elapsed());
        self.sink.write(&line);
        summary
    }

    async fn handle_inner(
        &self,
        body: &[u8],
        lambda: &LambdaMeta,
        received_at: SystemTime,
        line: &mut DecisionLine,
        resumed: Option<Resumed>,
    ) -> Summary {
        let deny = Summary::nothing_sent(Decision::Deny);
        // 1-2. Parse, envelope, consistency, size, full request (see `verify::screen`).
        let screening = verify::screen(
            body,
            &lambda.invoked_function_arn,
            &self.config.consistency,
            self.config.max_event_bytes,
        );
        let Some(envelope) = screening.envelope().cloned() else {
            if let Screening::Unroutable(e) = screening {
                line.detail = Some(e.to_string());
            }
            return deny;
        };
        // Untrusted until the consistency check passes: bounded so a forged event cannot flood
        // or forge log lines.
        line.cfn_request_id = Some(bounded(&envelope.request_id, LOGGED_ID_LIMIT));
        line.stack_id = Some(bounded(&envelope.stack_id, LOGGED_ID_LIMIT));
        line.logical_resource_id = Some(bounded(&envelope.logical_resource_id, LOGGED_ID_LIMIT));
        line.resource_type = envelope.resource_type.clone();
        line.request_type = envelope.request_type.clone();

        let (check, parsed) = match screening {
            Screening::Unroutable(_) => return deny,
            Screening::Denied { check, denial, .. } => {
                // Failing consistency, nothing is sent anywhere.
                line.checks.push(check);
                line.result = ResultCode::Denied;
                line.detail = Some(denial.detail.into_owned());
                return deny;
            }
            Screening::Invalid { check, error, .. } => (check, Err(error)),
            Screening::Accepted { request, check } => (check, Ok(request)),
        };
        line.checks.push(check);

        // 3. From here on, exactly one answer.
        let mut answer = Answer::for_envelope(&envelope);
        // Until the request parses, only the Lambda deadline is known.
        let lambda_answer_by =
            Deadlines::compute(received_at, lambda.deadline, None, Duration::ZERO).answer_by;
        // A Delete of a failure sentinel: nothing was created, so there is nothing to delete.
        // Answered before validation: the Delete of a Create refused as invalid carries the
        // same invalid fields, and failing it too would leave the stack stuck. Only the id the
        // event carries counts (a well-formed sentinel that passed the consistency check):
        // a Delete with a missing or unusable id goes on like any other request and is
        // answered FAILED naming the problem, never SUCCESS on a computed sentinel.
        if envelope.request_type.as_deref() == Some("Delete") && envelope.carries_sentinel() {
            line.decision = Decision::Allow;
            line.result = ResultCode::SentinelDelete;
            answer.status = Status::Success;
            return self.send(answer, &envelope, lambda_answer_by, line).await;
        }
        let request: Arc<CfnRequest> = match parsed {
            Ok(request) => Arc::from(request),
            Err(error) => {
                line.decision = Decision::Error;
                line.result = ResultCode::BadInput;
                line.detail = Some(error.to_string());
                answer.fail(error.to_string());
                return self.send(answer, &envelope, lambda_answer_by, line).await;
            }
        };
        line.unknown_fields = request.unknown_fields().to_vec();
        let current_id = request.physical_resource_id().cloned();
        if let Some(id) = &current_id {
            answer.physical_id = id.clone();
        }
        match &resumed {
            Some(resumed) if !resumed.names(&request) => {
                line.result = ResultCode::Denied;
                line.detail = Some("the continuation's event names another request".to_owned());
                return deny;
            }
            Some(_) => {}
            None => match self.ledger.original(request.request_id(), body) {
                Seen::New => {}
                Seen::Answered(sent) => {
                    line.decision = Decision::Allow;
                    line.result = ResultCode::Duplicate;
                    return self.deliver(sent, &envelope, lambda_answer_by, line).await;
                }
                Seen::InFlight => {
                    line.decision = Decision::Allow;
                    line.result = ResultCode::Duplicate;
                    line.detail = Some("in progress already: no second worker".to_owned());
                    return Summary::nothing_sent(Decision::Allow);
                }
            },
        }
        let op_deadline = match &resumed {
            Some(resumed) => resumed.deadline(),
            None => operation_deadline(
                received_at,
                request.service_timeout().map(|t| t.duration()),
                request.response_url().expires_at(),
            ),
        };
        let mut deadlines = Deadlines::compute(
            received_at,
            lambda.deadline,
            request.service_timeout().map(|t| t.duration()),
            self.config.response_reserve,
        );
        if resumed.is_some() {
            // A poll: bounded by the operation's deadline, sealed into the continuation.
            deadlines = deadlines.within(op_deadline, self.config.response_reserve);
        }

        // 4. The pipeline, in its own task, under the deadline.
        let span = tracing::info_span!(
            "invocation",
            lambda_request_id = %lambda.request_id,
            cfn_request_id = %request.request_id(),
            logical_resource_id = %request.logical_resource_id(),
            request_type = %request.request_type(),
        );
        let mut context = Context::new(
            request.clone(),
            lambda.clone(),
            deadlines,
            self.clock.clone(),
            span.clone(),
        );
        let checks = context.checks().clone();
        if let Some(source) = &self.provider_source {
            context.extensions_mut().insert(source.clone());
        }
        if let Some(resumed) = &resumed {
            resumed.prepare(&mut context, line);
        }
        let progress = context.progress();
        let hint = context.physical_id_hint();
        let work_started = Instant::now();
        let work = self
            .run_pipeline(Invocation { context }, span, deadlines)
            .await;
        line.durations.work_ms = millis(work_started.elapsed());
        line.checks.extend(checks.snapshot());
        let recorded_id = hint.lock().ok().and_then(|h| h.clone());
        line.decision = Decision::Allow;
        if let Work::Done(Ok(_)) = &work {
            if let Some(again) = progress.take_poll_again() {
                let later = Later {
                    again,
                    event: body,
                    request: &request,
                    lambda,
                    resumed: resumed.as_ref(),
                    received_at,
                    deadline: op_deadline,
                    credentials_expire: progress.credentials_expire(),
                    recorded_id: recorded_id.clone(),
                };
                match self.poll_later(later, line).await {
                    Ok(summary) => return summary,
                    Err(reason) => {
                        answer.fail_with_recorded(reason, recorded_id);
                        return self
                            .send(answer, &envelope, deadlines.answer_by, line)
                            .await;
                    }
                }
            }
        }
        match work {
            Work::Done(Ok(outcome)) => {
                let unchanged = matches!(outcome, Outcome::Unchanged(_));
                if let Err(mismatch) = answer.succeed(outcome, &request) {
                    // Only a layer can do this (the handler's methods are typed): refuse rather
                    // than send an id that breaks the PhysicalResourceId rules.
                    line.decision = Decision::Error;
                    line.result = ResultCode::InvalidOutcome;
                    line.detail = Some(mismatch.clone());
                    answer.fail_with_recorded(mismatch, recorded_id);
                } else if unchanged {
                    line.result = ResultCode::Unchanged;
                } else {
                    line.result = ResultCode::Success;
                }
            }
            Work::Done(Err(Rejection::Handler(e))) => {
                line.result = ResultCode::HandlerError;
                answer.fail_with_recorded(e.reason().to_owned(), recorded_id);
            }
            Work::Done(Err(Rejection::BadInput(e))) => {
                line.decision = Decision::Error;
                line.result = ResultCode::BadInput;
                line.detail = Some(e.to_string());
                answer.fail(e.to_string());
            }
            Work::Done(Err(Rejection::Denied(denial))) => {
                line.decision = Decision::Deny;
                line.result = ResultCode::Denied;
                line.detail = Some(format!("{}: {}", denial.check, denial.detail));
                answer.fail(DENIED_REASON.to_owned());
            }
            Work::Panicked => {
                line.result = ResultCode::HandlerPanic;
                answer.fail_with_recorded(PANIC_REASON.to_owned(), recorded_id);
            }
            Work::TimedOut { after, abandoned } => {
                line.result = ResultCode::Timeout;
                line.abandoned_work = abandoned;
                let reason = format!(
                    "timed out after {:.1} s: the work did not finish before the deadline",
                    after.as_secs_f64()
                );
                answer.fail_with_recorded(reason, recorded_id);
            }
        }
        self.send(answer, &envelope, deadlines.answer_by, line)
            .await
    }

    async fn run_pipeline(
        &self,
        invocation: Invocation,
        span: tracing::Span,
        deadlines: Deadlines,
    ) -> Work {
        let budget = deadlines.work_remaining(self.clock.now());
        if budget.is_zero() {
            // Past the deadline already (a late poll): nothing runs.
            return Work::TimedOut {
                after: Duration::ZERO,
                abandoned: false,
            };
        }
        let pipeline = self.pipeline.clone();
        // Cloning the pipeline runs the layers' `Clone`: do it inside the task, where a panic
        // is caught like any other.
        let work = async move { Pipeline::clone(&pipeline).oneshot(invocation).await };
        let mut task = tokio::spawn(work.instrument(span));
        match tokio::time::timeout(budget, &mut task).await {
            Ok(Ok(result)) => Work::Done(result),
            Ok(Err(_join_error)) => Work::Panicked,
            Err(_elapsed) => {
                task.abort();
                let stopped = tokio::time::timeout(ABORT_GRACE, &mut task).await.is_ok();
                Work::TimedOut {
                    after: budget,
                    abandoned: !stopped,
                }
            }
        }
    }

    /// Fits, delivers and records the answer.
    async fn send(
        &self,
        answer: Answer,
        envelope: &Envelope,
        answer_by: SystemTime,
        line: &mut DecisionLine,
    ) -> Summary {
        let response_started = Instant::now();
        let response = CfnResponse {
            status: answer.status,
            reason: answer.reason,
            physical_resource_id: answer.physical_id,
            stack_id: envelope.stack_id.clone(),
            request_id: envelope.request_id.clone(),
            logical_resource_id: envelope.logical_resource_id.clone(),
            no_echo: answer.no_echo,
            data: answer.data,
        };
        let fitted = response::fit(response);
        line.reason = fitted.response.reason.clone();
        line.physical_resource_id = Some(fitted.response.physical_resource_id.to_string());
        let body = Bytes::from(fitted.body);
        self.ledger.answered(&envelope.request_id, body.clone());
        let mut summary = self.deliver(body, envelope, answer_by, line).await;
        if let Some(record) = &mut line.response {
            record.adjustment = fitted.adjustment;
        }
        line.durations.response_ms = millis(response_started.elapsed());
        summary.status = Some(fitted.response.status);
        line.status_sent = summary.status;
        summary
    }

    /// PUTs an answer's body (a new one, or the one sent before for a duplicate delivery).
    async fn deliver(
        &self,
        body: Bytes,
        envelope: &Envelope,
        answer_by: SystemTime,
        line: &mut DecisionLine,
    ) -> Summary {
        let status = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| serde_json::from_value::<Status>(v.get("Status")?.clone()).ok());
        let bytes = body.len();
        let delivery = response::deliver(
            self.transport.as_ref(),
            &envelope.response_url,
            body,
            answer_by,
            self.clock.as_ref(),
            self.config.retry,
            self.jitter.as_ref(),
        )
        .await;
        let delivered = delivery.delivered;
        line.status_sent = status;
        line.response = Some(ResponseRecord {
            bytes,
            adjustment: None,
            delivery,
        });
        Summary {
            decision: line.decision,
            status,
            delivered: Some(delivered),
            abandoned_work: line.abandoned_work,
        }
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}
