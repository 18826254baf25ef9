//! Long-running operations in process: polls, the deadline, continuation refusals and
//! duplicate delivery, with a clock the test moves.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use base64::{engine::general_purpose::STANDARD, Engine};
use cfn_warden::{Context, Created, CustomResource, Deleted, HandlerError, Updated};
use cfn_warden_test::{CfnEvent, Harness, ManualClock};
use serde_json::{json, Value};

/// Done after `polls` polls; counts every call and every poll.
#[derive(Clone, Default)]
struct Slow {
    polls: u32,
    calls: Arc<AtomicUsize>,
}

impl Slow {
    fn after(polls: u32) -> Self {
        Self {
            polls,
            ..Self::default()
        }
    }

    fn step(&self, ctx: &Context) -> Result<bool, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let seen = ctx
            .polling()
            .map_or(0, |p| p.state["seen"].as_u64().unwrap_or(0) as u32);
        if ctx.polling().map_or(0, |p| p.attempt) >= self.polls {
            return Ok(true);
        }
        ctx.poll_again(json!({ "seen": seen + 1 }), Duration::from_secs(30))?;
        Ok(false)
    }
}

impl CustomResource for Slow {
    type Properties = Value;
    const ALLOW_UNKNOWN_PROPERTIES: bool = true;
    async fn create(&self, _: Value, ctx: &Context) -> Result<Created, HandlerError> {
        let done = self.step(ctx)?;
        Ok(Created::new().data("Done", done))
    }
    async fn update(
        &self,
        _: Value,
        _: Option<Value>,
        ctx: &Context,
    ) -> Result<Updated, HandlerError> {
        let done = self.step(ctx)?;
        Ok(Updated::keep().data("Done", done))
    }
    async fn delete(&self, _: Option<Value>, ctx: &Context) -> Result<Deleted, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let _ = ctx;
        Ok(Deleted)
    }
}

fn harness(slow: Slow) -> (Harness, ManualClock) {
    let clock = ManualClock::default();
    let h = Harness::builder(slow)
        .clock(clock.clone())
        .time_limit(Duration::from_secs(900))
        .build()
        .unwrap();
    (h, clock)
}

fn create() -> CfnEvent {
    CfnEvent::create("Custom::Slow", "Slow", json!({}))
}

#[tokio::test]
async fn an_operation_finishes_after_three_polls_with_one_answer() {
    let slow = Slow::after(3);
    let (h, _) = harness(slow.clone());
    let first = h.send(&create()).await;
    assert_eq!(first.result(), "in-progress");
    assert!(first.answer.is_none(), "nothing is sent while in progress");
    let mut last = first;
    for poll in 1..=3 {
        last = h.deliver_next_poll().await.expect("a poll is queued");
        assert_eq!(last.line.operation.as_ref().unwrap().poll, poll);
        assert!(last.line.checks.iter().any(|c| c.name == "continuation"));
    }
    assert_eq!(last.status(), "SUCCESS");
    assert_eq!(last.data("Done"), Some(&json!(true)));
    assert!(h.queued_polls().is_empty());
    assert_eq!(h.answers().len(), 1, "exactly one answer");
    assert_eq!(slow.calls.load(Ordering::SeqCst), 4);
    // Every line names the original request.
    let ids: Vec<_> = h.lines().iter().map(|l| l.cfn_request_id.clone()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
}

#[tokio::test]
async fn past_the_deadline_exactly_one_failed_and_nothing_runs_after() {
    let slow = Slow::after(1000);
    let (h, _) = harness(slow.clone());
    let event = create().field("ServiceTimeout", json!("100"));
    assert_eq!(h.send(&event).await.result(), "in-progress");
    // Polls every 30 s against a 100 s deadline: the third poll cannot schedule a fourth.
    let mut exchanges = Vec::new();
    while let Some(x) = h.deliver_next_poll().await {
        exchanges.push(x);
    }
    let last = exchanges.last().unwrap();
    assert_eq!(last.status(), "FAILED");
    assert!(
        last.reason().unwrap().contains("timed out"),
        "{:?}",
        last.reason()
    );
    assert_eq!(last.result(), "timeout");
    assert_eq!(h.answers().len(), 1);
    let calls = slow.calls.load(Ordering::SeqCst);
    assert!(
        h.queued_polls().is_empty(),
        "nothing is scheduled after FAILED"
    );
    assert_eq!(calls, 1 + exchanges.len());
}

#[tokio::test]
async fn a_late_poll_answers_timed_out_without_running_the_handler() {
    let slow = Slow::after(5);
    let (h, clock) = harness(slow.clone());
    h.send(&create().field("ServiceTimeout", json!("120")))
        .await;
    clock.advance(Duration::from_millis(119_900));
    let late = h.deliver_next_poll().await.unwrap();
    assert_eq!(late.status(), "FAILED");
    assert_eq!(late.result(), "timeout");
    assert_eq!(
        slow.calls.load(Ordering::SeqCst),
        1,
        "the handler did not run"
    );
}

/// The queued continuation's JSON object.
fn continuation(h: &Harness) -> Value {
    let poll = h.queued_polls().into_iter().next().unwrap();
    serde_json::from_slice(&poll.event).unwrap()
}

#[tokio::test]
async fn forged_replayed_and_expired_continuations_are_refused() {
    let slow = Slow::after(3);
    let (h, clock) = harness(slow.clone());
    h.send(&create()).await;
    let genuine = continuation(&h);

    // Extended: a later deadline breaks the tag.
    let mut extended = genuine.clone();
    extended["WardenContinuation"]["DeadlineMs"] = json!(u64::MAX / 2);
    // Forged: another attempt number; and a body sealed by someone else.
    let mut attempt = genuine.clone();
    attempt["WardenContinuation"]["Attempt"] = json!(7);
    let mut body = genuine.clone();
    body["WardenContinuation"]["Sealed"] = json!(STANDARD.encode([7u8; 64]));
    for forged in [extended, attempt, body] {
        let x = h.send_json(&forged).await;
        assert_eq!(x.line.result, cfn_warden::decision::ResultCode::Denied);
        assert!(x.answer.is_none());
        assert!(
            x.line.detail.as_deref().unwrap().contains("not authentic"),
            "{:?}",
            x.line.detail
        );
    }
    assert_eq!(
        slow.calls.load(Ordering::SeqCst),
        1,
        "no forgery ran the handler"
    );

    // The genuine one runs once; the same one again is a replay.
    let first = h.deliver_next_poll().await.unwrap();
    assert_eq!(first.result(), "in-progress");
    let replay = h.send_json(&genuine).await;
    assert!(
        replay.line.detail.as_deref().unwrap().contains("replayed"),
        "{:?}",
        replay.line.detail
    );
    assert_eq!(slow.calls.load(Ordering::SeqCst), 2);

    // Expired: after the operation's deadline (one hour by default).
    clock.advance(Duration::from_secs(3601));
    let expired = h.deliver_next_poll().await.unwrap();
    assert!(
        expired.line.detail.as_deref().unwrap().contains("expired"),
        "{:?}",
        expired.line.detail
    );
    assert!(expired.answer.is_none());
    assert_eq!(slow.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_response_url_is_never_in_clear_in_a_continuation() {
    let (h, _) = harness(Slow::after(1));
    let event = create();
    h.send(&event).await;
    let text = String::from_utf8(h.queued_polls()[0].event.clone()).unwrap();
    let url = event.to_value()["ResponseURL"].as_str().unwrap().to_owned();
    assert!(
        !text.contains(&url) && !text.contains("X-Amz-Signature"),
        "{text}"
    );
}

#[tokio::test]
async fn duplicated_create_and_delete_each_do_the_work_once() {
    let slow = Slow::after(0);
    let (h, _) = harness(slow.clone());
    let create = create();
    let first = h.send(&create).await;
    assert_eq!(first.status(), "SUCCESS");
    let again = h.send(&create).await;
    assert_eq!(again.result(), "duplicate");
    assert_eq!(again.answer, first.answer, "the same answer, sent again");
    assert_eq!(slow.calls.load(Ordering::SeqCst), 1);

    let delete = CfnEvent::delete(
        "Custom::Slow",
        "Slow",
        first.physical_id().unwrap(),
        json!({}),
    );
    let deleted = h.send(&delete).await;
    assert_eq!(deleted.status(), "SUCCESS", "{:?}", deleted.line);
    let again = h.send(&delete).await;
    assert_eq!(again.result(), "duplicate");
    assert_eq!(again.status(), "SUCCESS");
    assert_eq!(slow.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_duplicate_of_a_request_in_progress_starts_no_second_worker() {
    let slow = Slow::after(2);
    let (h, _) = harness(slow.clone());
    let create = create();
    assert_eq!(h.send(&create).await.result(), "in-progress");
    let dup = h.send(&create).await;
    assert_eq!(dup.result(), "duplicate");
    assert!(dup.answer.is_none());
    assert_eq!(h.queued_polls().len(), 1, "one chain of polls");
    assert_eq!(slow.calls.load(Ordering::SeqCst), 1);
}

/// A credential layer whose credentials expire ten minutes after the request arrives.
struct ShortCredentials;

impl cfn_warden::pipeline::Stage for ShortCredentials {
    fn before<'a>(
        &'a self,
        invocation: &'a mut cfn_warden::pipeline::Invocation,
    ) -> cfn_warden::response::BoxFuture<'a, Result<(), cfn_warden::pipeline::Rejection>> {
        let ctx = &invocation.context;
        ctx.note_credentials_expiry(ctx.clock().now() + Duration::from_secs(600));
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn credentials_expiring_before_the_deadline_are_refused_up_front() {
    let slow = Slow::after(3);
    let h = Harness::builder(slow.clone())
        .clock(ManualClock::default())
        .layer(cfn_warden::pipeline::StageLayer::new(ShortCredentials))
        .build()
        .unwrap();
    let refused = h.send(&create()).await;
    assert_eq!(refused.status(), "FAILED");
    let reason = refused.reason().unwrap();
    assert!(
        reason.contains("expire at") && reason.contains("deadline"),
        "{reason}"
    );
    assert!(h.queued_polls().is_empty(), "no poll scheduled");
    // With a ServiceTimeout that ends first, the same credentials are enough.
    let h = Harness::builder(Slow::after(1))
        .clock(ManualClock::default())
        .layer(cfn_warden::pipeline::StageLayer::new(ShortCredentials))
        .build()
        .unwrap();
    let event = create().field("ServiceTimeout", json!("300"));
    assert_eq!(h.send(&event).await.result(), "in-progress");
}
