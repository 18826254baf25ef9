//! The runtime's side of long-running operations (see [`crate::continuation`]): opening a
//! continuation, and scheduling the next poll when a handler answers in progress.

use std::time::SystemTime;

use serde_json::json;

use super::{Summary, Warden, LOGGED_ID_LIMIT};
use crate::{
    checks::{Check, Evidence, Verdict},
    continuation::{
        from_unix_ms, token::SealedContinuation, ContinuationBody, ContinuationHeader, PollIds,
        CONTINUATION_KEY_SETTING, MIN_POLL_INTERVAL,
    },
    decision::{format_time, Decision, DecisionLine, OperationRecord, ResultCode},
    protocol::{bounded, CfnRequest, PhysicalId},
    service::{Context, LambdaMeta, PollAgain, Polling},
    Error,
};

/// The check every continuation records.
const CONTINUATION_CHECK: &str = "continuation";

/// A poll is never scheduled further out than this share of the invocation's own Lambda time
/// (a stand-in for the function's timeout): the next invocation waits until it is due.
const MAX_WAIT_SHARE: u32 = 2;

/// An authenticated continuation, not yet replay-checked against the request.
pub(super) struct Resumed {
    header: ContinuationHeader,
    body: ContinuationBody,
}

impl Resumed {
    /// Whether the request inside is the one the header names.
    pub(super) fn names(&self, request: &CfnRequest) -> bool {
        request.request_id() == self.header.request_id
            && request.stack().as_str() == self.header.stack_id
            && request.logical_resource_id() == self.header.logical_resource_id
    }

    /// The operation's deadline.
    pub(super) fn deadline(&self) -> SystemTime {
        from_unix_ms(self.header.deadline_ms)
    }

    fn started_at(&self) -> SystemTime {
        from_unix_ms(self.header.started_at_ms)
    }

    /// Gives the handler the state, and the runtime the id a Create recorded before.
    pub(super) fn prepare(&self, context: &mut Context, line: &mut DecisionLine) {
        context.set_polling(Polling {
            attempt: self.header.attempt,
            state: self.body.state.clone(),
            started_at: self.started_at(),
            deadline: self.deadline(),
        });
        if let Some(id) = self
            .body
            .recorded_id
            .as_deref()
            .and_then(|id| PhysicalId::from_event(id).ok())
        {
            context.record_physical_id(id);
        }
        line.operation = Some(OperationRecord {
            poll: self.header.attempt,
            started_at: format_time(self.started_at()),
            next_poll_at: None,
            deadline: format_time(self.deadline()),
        });
    }
}

/// What scheduling the next poll needs.
pub(super) struct Later<'a> {
    pub(super) again: PollAgain,
    /// The original event, as received.
    pub(super) event: &'a [u8],
    pub(super) request: &'a CfnRequest,
    pub(super) lambda: &'a LambdaMeta,
    pub(super) resumed: Option<&'a Resumed>,
    pub(super) received_at: SystemTime,
    pub(super) deadline: SystemTime,
    pub(super) credentials_expire: Option<SystemTime>,
    pub(super) recorded_id: Option<PhysicalId>,
}

impl Warden {
    /// A continuation event: authenticate, refuse expired and replayed ones, wait until the
    /// poll is due, then handle the original request inside as a poll.
    pub(super) async fn handle_continuation(
        &self,
        body: &[u8],
        lambda: &LambdaMeta,
        received_at: SystemTime,
        line: &mut DecisionLine,
    ) -> Summary {
        let started = std::time::Instant::now();
        let opened = self.resume(body).await;
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut evidence = Evidence::new();
        let resumed = match opened {
            Ok(resumed) => resumed,
            Err((error, header)) => {
                if let Some(h) = header {
                    line.cfn_request_id = Some(bounded(&h.request_id, LOGGED_ID_LIMIT));
                    line.stack_id = Some(bounded(&h.stack_id, LOGGED_ID_LIMIT));
                    line.logical_resource_id =
                        Some(bounded(&h.logical_resource_id, LOGGED_ID_LIMIT));
                    evidence.insert("attempt".into(), json!(h.attempt));
                }
                evidence.insert("problem".into(), json!(error.to_string()));
                line.checks.push(Check::new(
                    CONTINUATION_CHECK,
                    Verdict::Fail,
                    evidence,
                    latency_us,
                ));
                line.result = ResultCode::Denied;
                line.detail = Some(error.to_string());
                return Summary::nothing_sent(Decision::Deny);
            }
        };
        evidence.insert("attempt".into(), json!(resumed.header.attempt));
        line.checks.push(Check::new(
            CONTINUATION_CHECK,
            Verdict::Pass,
            evidence,
            latency_us,
        ));
        let due = from_unix_ms(resumed.header.not_before_ms);
        let now = self.clock.now();
        if let Ok(wait) = due.duration_since(now) {
            let lambda_left = lambda.deadline.duration_since(now).unwrap_or_default();
            tokio::time::sleep(wait.min(lambda_left / MAX_WAIT_SHARE)).await;
        }
        let event = resumed.body.event.clone();
        self.handle_inner(event.as_bytes(), lambda, received_at, line, Some(resumed))
            .await
    }

    /// Reads, dates, authenticates and replay-checks a continuation.
    async fn resume(&self, body: &[u8]) -> Result<Resumed, (Error, Option<ContinuationHeader>)> {
        let continuations = self.continuations.as_ref().ok_or((
            Error::LongRunningUnavailable {
                setting: CONTINUATION_KEY_SETTING,
            },
            None,
        ))?;
        let sealed = SealedContinuation::parse(body).map_err(|e| (e, None))?;
        let header = sealed.header().clone();
        let fail = |e: Error| (e, Some(header.clone()));
        let deadline = from_unix_ms(header.deadline_ms);
        if self.clock.now() > deadline {
            return Err(fail(Error::ContinuationExpired { deadline }));
        }
        let opened = continuations.open(&sealed).await.map_err(fail)?;
        self.ledger
            .poll(&header.request_id, opened.event.as_bytes(), header.attempt)
            .map_err(fail)?;
        Ok(Resumed {
            header,
            body: opened,
        })
    }

    /// The handler answered in progress: seal and schedule the next poll, or say why not (the
    /// reason of the one FAILED answer then sent).
    pub(super) async fn poll_later(
        &self,
        later: Later<'_>,
        line: &mut DecisionLine,
    ) -> Result<Summary, String> {
        let now = self.clock.now();
        let attempt = later.resumed.map_or(0, |r| r.header.attempt);
        let started_at = later.resumed.map_or(later.received_at, Resumed::started_at);
        let reserve = self.config.response_reserve;
        let work_by = later
            .deadline
            .checked_sub(reserve)
            .unwrap_or(later.deadline);
        let lambda_time = later
            .lambda
            .deadline
            .duration_since(later.received_at)
            .unwrap_or_default();
        let interval = later
            .again
            .after
            .min(lambda_time / MAX_WAIT_SHARE)
            .max(MIN_POLL_INTERVAL);
        let not_before = now.checked_add(interval).unwrap_or(now);
        line.operation = Some(OperationRecord {
            poll: attempt,
            started_at: format_time(started_at),
            next_poll_at: None,
            deadline: format_time(later.deadline),
        });
        if not_before >= work_by {
            line.result = ResultCode::Timeout;
            return Err(format!(
                "timed out after {:.1} s and {attempt} polls: the operation did not finish before its deadline ({})",
                now.duration_since(started_at).unwrap_or_default().as_secs_f64(),
                format_time(later.deadline)
            ));
        }
        let refuse = |line: &mut DecisionLine, error: Error| {
            line.decision = Decision::Error;
            line.result = ResultCode::BadInput;
            line.detail = Some(error.to_string());
            error.to_string()
        };
        if let Some(expires) = later.credentials_expire.filter(|t| *t < later.deadline) {
            return Err(refuse(
                line,
                Error::TicketExpiresBeforeDeadline {
                    expires,
                    deadline: later.deadline,
                },
            ));
        }
        let Some(continuations) = &self.continuations else {
            return Err(refuse(
                line,
                Error::LongRunningUnavailable {
                    setting: CONTINUATION_KEY_SETTING,
                },
            ));
        };
        let failed = |line: &mut DecisionLine, error: Error| {
            line.result = ResultCode::HandlerError;
            line.detail = Some(error.to_string());
            format!("could not schedule the next poll: {error}")
        };
        let key = match later.resumed {
            Some(r) => continuations.key_of(&r.header).await,
            None => continuations.new_key(later.request.request_id()).await,
        }
        .map_err(|e| failed(line, e))?;
        let ids = PollIds {
            stack_id: later.request.stack().as_str(),
            logical_resource_id: later.request.logical_resource_id(),
            request_id: later.request.request_id(),
            attempt: attempt.saturating_add(1),
            started_at,
            not_before,
            deadline: later.deadline,
        };
        let body = ContinuationBody::new(
            String::from_utf8_lossy(later.event).into_owned(),
            later.again.state,
            later.recorded_id.map(|id| id.to_string()),
        );
        let sealed = continuations
            .seal(&ids, &key, &body)
            .map_err(|e| failed(line, e))?;
        continuations
            .schedule(&later.lambda.invoked_function_arn, &sealed)
            .await
            .map_err(|e| failed(line, e))?;
        line.result = ResultCode::InProgress;
        if let Some(op) = &mut line.operation {
            op.next_poll_at = Some(format_time(not_before));
        }
        Ok(Summary::nothing_sent(Decision::Allow))
    }
}
