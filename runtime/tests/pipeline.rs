//! The pipeline in process: tower layers around a handler, with an injected transport and
//! decision sink, fed with the fixture events.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use cfn_warden::{
    decision::DecisionLine,
    pipeline::IntoPipeline,
    response::BoxFuture,
    verify::{Denial, Verifier, VerifierResult, VerifyLayer},
    Context, Created, CustomResource, Deleted, HandlerError, PhysicalId, Secret, Updated,
    DENIED_REASON,
};
use cfn_warden_test::HarnessBuilder;
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[path = "pipeline/layers.rs"]
mod layers;
#[path = "pipeline/router.rs"]
mod router;

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:warden-fixture";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Props {
    name: String,
    #[serde(default)]
    password: Option<Secret<String>>,
}

/// What the test handler does, chosen per test.
#[derive(Clone, Copy)]
enum Behaviour {
    Greet,
    RecordThenFail,
    ReplaceOnUpdate,
    SecretData,
    ExpectExtension,
}

struct TestResource {
    calls: Arc<AtomicUsize>,
    behaviour: Behaviour,
    seen_old: Arc<Mutex<Option<bool>>>,
}

#[derive(Clone, Debug, PartialEq)]
struct Marker(&'static str);

impl CustomResource for TestResource {
    type Properties = Props;
    const RESOURCE_TYPES: &'static [&'static str] = &["Custom::Hello"];

    async fn create(&self, p: Props, ctx: &Context) -> Result<Created, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.behaviour {
            Behaviour::RecordThenFail => {
                ctx.record_physical_id(PhysicalId::new("half-made-thing")?);
                Err(HandlerError::new("failed after creating something"))
            }
            Behaviour::SecretData => Ok(Created::with_physical_id(PhysicalId::new("with-secret")?)
                .data("Name", p.name)
                .secret_data(
                    "Password",
                    p.password.map(|s| s.into_inner()).unwrap_or_default(),
                )),
            Behaviour::ExpectExtension => {
                let marker = ctx.extensions().get::<Marker>().cloned();
                Ok(Created::new().data("Marker", marker.map(|m| m.0).unwrap_or("missing")))
            }
            _ => Ok(Created::new().data("Greeting", format!("Hello, {}", p.name))),
        }
    }

    async fn update(
        &self,
        p: Props,
        old: Option<Props>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        *self.seen_old.lock().unwrap() = Some(old.is_some());
        match self.behaviour {
            Behaviour::ReplaceOnUpdate => Ok(Updated::replace(PhysicalId::new(format!(
                "new-{}",
                p.name
            ))?)),
            _ => Ok(Updated::keep()),
        }
    }

    async fn delete(&self, _: Option<Props>, _: &Context) -> Result<Deleted, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Deleted)
    }
}

/// The kit's harness, with the test resource's call counters.
struct Harness {
    kit: cfn_warden_test::Harness,
    calls: Arc<AtomicUsize>,
    seen_old: Arc<Mutex<Option<bool>>>,
}

impl Harness {
    fn new(
        behaviour: Behaviour,
        layers: impl FnOnce(HarnessBuilder<TestResource>) -> HarnessBuilder<TestResource>,
    ) -> Self {
        Self::within(behaviour, Duration::from_secs(10), layers)
    }

    fn within(
        behaviour: Behaviour,
        time_limit: Duration,
        layers: impl FnOnce(HarnessBuilder<TestResource>) -> HarnessBuilder<TestResource>,
    ) -> Self {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen_old = Arc::new(Mutex::new(None));
        let resource = TestResource {
            calls: calls.clone(),
            behaviour,
            seen_old: seen_old.clone(),
        };
        Self::serving(resource, time_limit, calls, seen_old, layers)
    }

    /// A runtime serving `handler` (a resource or a router); `calls` counts handler calls.
    fn serving<H: IntoPipeline + 'static>(
        handler: H,
        time_limit: Duration,
        calls: Arc<AtomicUsize>,
        seen_old: Arc<Mutex<Option<bool>>>,
        layers: impl FnOnce(HarnessBuilder<H>) -> HarnessBuilder<H>,
    ) -> Self {
        let builder = cfn_warden_test::Harness::builder(handler)
            .function_arn(FUNCTION)
            .time_limit(time_limit);
        Self {
            kit: layers(builder).build().unwrap(),
            calls,
            seen_old,
        }
    }

    async fn send(&self, event: &Value) -> (Option<Value>, DecisionLine) {
        let exchange = self.kit.send_json(event).await;
        (exchange.answer, exchange.line)
    }
}

/// A verifier with a fixed verdict that records when it ran.
struct Fixed {
    name: &'static str,
    pass: bool,
    order: Arc<Mutex<Vec<&'static str>>>,
}

impl Verifier for Fixed {
    fn name(&self) -> &'static str {
        self.name
    }
    fn verify<'a>(
        &'a self,
        _: &'a cfn_warden::pipeline::Invocation,
    ) -> BoxFuture<'a, VerifierResult> {
        self.order.lock().unwrap().push(self.name);
        let mut evidence = Map::new();
        evidence.insert("looked_at".into(), json!("the request"));
        let result = if self.pass {
            Ok(evidence)
        } else {
            Err((
                Denial {
                    check: self.name.into(),
                    detail: "signature does not match".into(),
                },
                evidence,
            ))
        };
        Box::pin(async move { result })
    }
}

#[tokio::test]
async fn layers_run_in_the_order_added_and_are_logged() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let (o1, o2) = (order.clone(), order.clone());
    let h = Harness::new(Behaviour::Greet, |b| {
        b.layer(VerifyLayer::new(Fixed {
            name: "first",
            pass: true,
            order: o1,
        }))
        .layer(VerifyLayer::new(Fixed {
            name: "second",
            pass: true,
            order: o2,
        }))
    });
    let (answer, line) = h.send(&fixture("create.json")).await;
    assert_eq!(*order.lock().unwrap(), ["first", "second"]);
    assert_eq!(answer.unwrap()["Status"], "SUCCESS");
    let names: Vec<_> = line.checks.iter().map(|c| c.name.to_string()).collect();
    assert_eq!(names, ["request-consistency", "first", "second"]);
    assert_eq!(line.checks[1].evidence["looked_at"], "the request");
    assert_eq!(h.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refusing_verifier_stops_the_request_with_a_generic_reason() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let (o1, o2) = (order.clone(), order.clone());
    let h = Harness::new(Behaviour::Greet, |b| {
        b.layer(VerifyLayer::new(Fixed {
            name: "signature",
            pass: false,
            order: o1,
        }))
        .layer(VerifyLayer::new(Fixed {
            name: "never-reached",
            pass: true,
            order: o2,
        }))
    });
    let (answer, line) = h.send(&fixture("create.json")).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert_eq!(
        answer["Reason"], DENIED_REASON,
        "no oracle detail for the caller"
    );
    assert!(answer.get("Data").is_none());
    assert_eq!(
        h.calls.load(Ordering::SeqCst),
        0,
        "the handler must not run"
    );
    assert_eq!(*order.lock().unwrap(), ["signature"]);
    assert_eq!(serde_json::to_value(line.decision).unwrap(), "deny");
    assert_eq!(serde_json::to_value(line.result).unwrap(), "denied");
    assert_eq!(
        line.detail.as_deref(),
        Some("signature: signature does not match")
    );
    assert_eq!(
        serde_json::to_value(line.checks[1].verdict).unwrap(),
        "fail"
    );
}

#[tokio::test]
async fn a_failed_create_that_recorded_an_id_answers_with_it() {
    let h = Harness::new(Behaviour::RecordThenFail, |b| b);
    let (answer, line) = h.send(&fixture("create.json")).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert_eq!(
        answer["PhysicalResourceId"], "half-made-thing",
        "so the next Delete reaches the handler"
    );
    assert_eq!(
        line.physical_resource_id.as_deref(),
        Some("half-made-thing")
    );
}

#[tokio::test]
async fn update_can_replace_and_old_properties_are_typed() {
    let h = Harness::new(Behaviour::ReplaceOnUpdate, |b| b);
    let (answer, _) = h.send(&fixture("update.json")).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "SUCCESS");
    assert!(answer["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .starts_with("new-"));
    assert_eq!(*h.seen_old.lock().unwrap(), Some(true));

    // Old properties that no longer fit the schema arrive as None; the Update still runs.
    let mut event = fixture("update.json");
    event["OldResourceProperties"] = json!({"Legacy": 1});
    let (answer, _) = h.send(&event).await;
    assert_eq!(answer.unwrap()["Status"], "SUCCESS");
    assert_eq!(*h.seen_old.lock().unwrap(), Some(false));
}

#[tokio::test]
async fn secret_data_forces_no_echo_and_never_reaches_the_decision_line() {
    let h = Harness::new(Behaviour::SecretData, |b| b);
    let mut event = fixture("create.json");
    event["ResourceProperties"]["Password"] = json!("pw-4d1c9e");
    let (answer, line) = h.send(&event).await;
    let answer = answer.unwrap();
    assert_eq!(answer["NoEcho"], true);
    assert_eq!(answer["Data"]["Password"], "pw-4d1c9e");
    let logged = serde_json::to_string(&line).unwrap();
    assert!(!logged.contains("pw-4d1c9e"), "{logged}");
    assert!(!logged.contains("X-Amz-Signature"), "{logged}");
}

#[tokio::test]
async fn other_resource_types_are_failed_without_the_handler() {
    let h = Harness::new(Behaviour::Greet, |b| b);
    let (answer, line) = h
        .send(&fixture("create-aws-cloudformation-customresource.json"))
        .await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(answer["Reason"]
        .as_str()
        .unwrap()
        .contains("is not served by this provider"));
    assert_eq!(h.calls.load(Ordering::SeqCst), 0);
    assert_eq!(serde_json::to_value(line.result).unwrap(), "bad-input");
}

/// A verifier that never finishes (e.g. a lookup that hangs).
struct Stuck;
impl Verifier for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }
    fn verify<'a>(
        &'a self,
        _: &'a cfn_warden::pipeline::Invocation,
    ) -> BoxFuture<'a, VerifierResult> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_stuck_verifier_is_bounded_by_the_deadline() {
    let h = Harness::within(Behaviour::Greet, Duration::from_secs(2), |b| {
        b.layer(VerifyLayer::new(Stuck))
    });
    let started = std::time::Instant::now();
    let (answer, line) = h.send(&fixture("create.json")).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(answer["Reason"].as_str().unwrap().starts_with("timed out"));
    assert_eq!(h.calls.load(Ordering::SeqCst), 0);
    assert_eq!(serde_json::to_value(line.result).unwrap(), "timeout");
}

#[tokio::test]
async fn every_fixture_gets_one_decision_line_and_at_most_one_answer() {
    let h = Harness::new(Behaviour::Greet, |b| b);
    let dir = format!("{}/tests/fixtures/events", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        let before = h.kit.answers().len();
        let exchange = h.kit.send_bytes(&body).await;
        count += 1;
        let sent = h.kit.answers().len() - before;
        assert_eq!(h.kit.lines().len(), count, "{}", path.display());
        let line = exchange.line;
        assert!(sent <= 1, "{}", path.display());
        assert_eq!(sent == 1, line.status_sent.is_some(), "{}", path.display());
        assert_eq!(
            exchange.summary.status,
            line.status_sent,
            "{}",
            path.display()
        );
    }
    assert!(count >= 40, "only {count} fixtures");
}

#[tokio::test]
async fn the_verification_policy_applies_per_resource_type_and_fails_closed() {
    use cfn_warden::verify::policy::VerificationPolicy;
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    let policy = VerificationPolicy::builder()
        .resource_type("Custom::Hello", |rule| {
            rule.require(Fixed {
                name: "hello-check",
                pass: true,
                order: o,
            })
        })
        .build();
    let h = Harness::new(Behaviour::Greet, |b| b.layer(policy));
    let (answer, line) = h.send(&fixture("create.json")).await;
    assert_eq!(answer.unwrap()["Status"], "SUCCESS");
    assert_eq!(*order.lock().unwrap(), ["hello-check"]);
    assert_eq!(line.checks[1].name, "hello-check");

    // A type without a rule and no fallback is refused before the handler.
    let (answer, line) = h
        .send(&fixture("create-aws-cloudformation-customresource.json"))
        .await;
    assert_eq!(answer.unwrap()["Reason"], DENIED_REASON);
    assert_eq!(
        line.detail.as_deref(),
        Some("verification-policy: no verification policy for this resource type")
    );
    assert_eq!(h.calls.load(Ordering::SeqCst), 1);

    // With a fallback, other types get the fallback's verifiers.
    let o = order.clone();
    let policy = VerificationPolicy::builder()
        .resource_type("Custom::Hello", |rule| rule)
        .otherwise(|rule| {
            rule.require(Fixed {
                name: "strict",
                pass: false,
                order: o,
            })
        })
        .build();
    let h = Harness::new(Behaviour::Greet, |b| b.layer(policy));
    let (_, line) = h
        .send(&fixture("create-aws-cloudformation-customresource.json"))
        .await;
    assert_eq!(
        line.detail.as_deref(),
        Some("strict: signature does not match")
    );
    let (answer, _) = h.send(&fixture("create.json")).await;
    assert_eq!(
        answer.unwrap()["Status"],
        "SUCCESS",
        "Custom::Hello has its own (empty) rule"
    );
}

#[tokio::test]
async fn only_the_event_s_own_sentinel_skips_the_handler() {
    // A well-formed sentinel in the event: SUCCESS without the handler (the consistency check
    // examined it, and the line says so).
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    let h = Harness::new(Behaviour::Greet, |b| {
        b.layer(VerifyLayer::new(Fixed {
            name: "signature",
            pass: true,
            order: o,
        }))
    });
    let (answer, line) = h.send(&fixture("delete-failure-sentinel.json")).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "SUCCESS");
    assert_eq!(
        answer["PhysicalResourceId"],
        "cfn-warden-create-failed-8c1f2e3d4a5b6c7d"
    );
    assert_eq!(
        serde_json::to_value(line.result).unwrap(),
        "sentinel-delete"
    );
    assert_eq!(line.checks[0].name, "request-consistency");
    assert_eq!(h.calls.load(Ordering::SeqCst), 0);

    // A Delete whose id is missing, empty, too long or holds control characters is not a
    // sentinel: FAILED naming the problem, never `allow`, the handler never called.
    for (file, problem) in [
        (
            "delete-missing-physical-id.json",
            "missing `PhysicalResourceId`",
        ),
        (
            "delete-physical-id-empty.json",
            "PhysicalResourceId is empty",
        ),
        (
            "delete-physical-id-too-long.json",
            "PhysicalResourceId is longer than 1024 bytes",
        ),
        (
            "delete-physical-id-control-chars.json",
            "PhysicalResourceId contains control characters",
        ),
    ] {
        let (answer, line) = h.send(&fixture(file)).await;
        let answer = answer.unwrap();
        assert_eq!(answer["Status"], "FAILED", "{file}");
        assert!(
            answer["Reason"].as_str().unwrap().contains(problem),
            "{file}: {answer}"
        );
        assert_ne!(
            serde_json::to_value(line.decision).unwrap(),
            "allow",
            "{file}"
        );
        assert_eq!(
            serde_json::to_value(line.result).unwrap(),
            "bad-input",
            "{file}"
        );
        assert_eq!(h.calls.load(Ordering::SeqCst), 0, "{file}");
    }
    // A sentinel-looking id that is not what the framework writes goes to the handler.
    let mut forged = fixture("delete.json");
    forged["PhysicalResourceId"] = json!("cfn-warden-create-failed-not-hex-at-all");
    let (answer, line) = h.send(&forged).await;
    assert_eq!(answer.unwrap()["Status"], "SUCCESS");
    assert_eq!(serde_json::to_value(line.result).unwrap(), "success");
    assert_eq!(h.calls.load(Ordering::SeqCst), 1);
    assert_eq!(*order.lock().unwrap(), ["signature"]);
}
#[tokio::test]
async fn a_signed_or_sealed_request_to_a_provider_not_configured_for_it_says_so() {
    let h = Harness::new(Behaviour::Greet, |b| b);
    for (key, setting) in [
        ("WardenSignature", "WARDEN_SIGNING_KEYS"),
        ("WardenTicket", "WARDEN_CREDENTIALS=ticket"),
    ] {
        let mut event = fixture("create.json");
        event["ResourceProperties"][key] = json!("wt1.opaque");
        let (answer, line) = h.send(&event).await;
        let answer = answer.unwrap();
        assert_eq!(answer["Status"], "FAILED");
        let reason = answer["Reason"].as_str().unwrap();
        assert!(reason.contains(key) && reason.contains(setting), "{reason}");
        assert_eq!(serde_json::to_value(line.result).unwrap(), "bad-input");
    }
    assert_eq!(h.calls.load(Ordering::SeqCst), 0);
}
