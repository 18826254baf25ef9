//! The in-process harness: a handler (or router) run through the real pipeline, with no binary
//! and no network. Each request returns what CloudFormation would receive, the decision line,
//! the session policies the handler declared and every AWS call it made.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use cfn_warden::{
    credentials::{ticket::DataKeys, SessionPolicy, TicketLayer, TicketSettings, WorkCredentials},
    deadline::{SharedClock, SystemClock},
    decision::{DecisionLine, MemorySink},
    pipeline::{
        CredentialSource, Grant, IntoPipeline, Invocation, Outcome, Pipeline, Rejection,
        SharedCredentialSource, Stage, StageLayer,
    },
    protocol::ResponseUrl,
    response::{AttemptOutcome, BoxFuture, ResponseTransport},
    service::LambdaMeta,
    verify::{Check, Verdict},
    Config, Context, Warden, WardenBuilder,
};
use serde_json::Value;

use crate::{
    aws::Aws,
    clock::{ManualClock, PollQueue, QueuedPoll},
    event::CfnEvent,
    AwsCall, KitError,
};

/// The function the harness pretends to be (the events' ServiceToken is set to it).
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:under-test";

/// The check the harness records when it hands the handler credentials.
pub const TEST_CREDENTIALS_CHECK: &str = "test-credentials";

/// What one request produced.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The body PUT to the ResponseURL, as JSON (`None` when nothing was sent, e.g. a refused
    /// ResponseURL).
    pub answer: Option<Value>,
    /// The decision line.
    pub line: DecisionLine,
    /// The session policies the handler declared, in order (`permissions`,
    /// `unchanged_permissions`, `unparsed_delete_permissions`); empty policies are not granted.
    pub granted: Vec<SessionPolicy>,
    /// The AWS calls the handler made during this request.
    pub calls: Vec<AwsCall>,
    /// What the Lambda Runtime API would have received as the function's result.
    pub summary: cfn_warden::Summary,
}

impl Exchange {
    /// `SUCCESS`, `FAILED`, or `""` when nothing was sent.
    pub fn status(&self) -> &str {
        self.answer
            .as_ref()
            .and_then(|a| a["Status"].as_str())
            .unwrap_or("")
    }

    /// The FAILED reason, if any.
    pub fn reason(&self) -> Option<&str> {
        self.answer.as_ref().and_then(|a| a["Reason"].as_str())
    }

    /// The PhysicalResourceId answered.
    pub fn physical_id(&self) -> Option<&str> {
        self.answer
            .as_ref()
            .and_then(|a| a["PhysicalResourceId"].as_str())
    }

    /// A Data attribute answered.
    pub fn data(&self, key: &str) -> Option<&Value> {
        self.answer.as_ref().and_then(|a| a.get("Data")?.get(key))
    }

    /// The decision line's `result` (`success`, `handler-error`, `bad-input`, `denied`, …).
    pub fn result(&self) -> String {
        serde_json::to_value(self.line.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Records every PUT; always answers 200.
#[derive(Default)]
struct Answers(Mutex<Vec<Value>>);

impl ResponseTransport for Answers {
    fn put<'a>(
        &'a self,
        _: &'a ResponseUrl,
        body: Bytes,
        _: Duration,
    ) -> BoxFuture<'a, AttemptOutcome> {
        if let (Ok(mut answers), Ok(json)) = (self.0.lock(), serde_json::from_slice(&body)) {
            answers.push(json);
        }
        Box::pin(async { AttemptOutcome::Status(200) })
    }
}

/// Hands the handler credentials for exactly what it declares, from the kit's [`Aws`], and
/// remembers each declaration.
struct TestCredentials {
    aws: Aws,
    granted: Arc<Mutex<Vec<SessionPolicy>>>,
}

impl CredentialSource for TestCredentials {
    fn grant<'a>(&'a self, policy: &'a SessionPolicy, ctx: &'a mut Context) -> Grant<'a> {
        Box::pin(async move {
            if let Ok(mut granted) = self.granted.lock() {
                granted.push(policy.clone());
            }
            let mut evidence = cfn_warden::verify::Evidence::new();
            evidence.insert("actions".into(), serde_json::json!(policy.actions()));
            ctx.checks().record(Check::new(
                TEST_CREDENTIALS_CHECK,
                Verdict::Skip,
                evidence,
                0,
            ));
            ctx.extensions_mut()
                .insert(WorkCredentials(self.aws.sdk_config()));
            Ok(())
        })
    }

    fn withdraw(&self, ctx: &mut Context) {
        ctx.extensions_mut().remove::<WorkCredentials>();
    }
}

/// The stage putting [`TestCredentials`] into every request's context.
struct Credentials(SharedCredentialSource);

impl Stage for Credentials {
    fn before<'a>(
        &'a self,
        invocation: &'a mut Invocation,
    ) -> BoxFuture<'a, Result<(), Rejection>> {
        invocation.context.extensions_mut().insert(self.0.clone());
        Box::pin(async { Ok(()) })
    }
}

/// Runs after the ticket layer: wraps the work-role credential source it put into the context
/// so each declaration is remembered and the handler's calls go through the kit's [`Aws`].
struct RecordTicketGrants {
    aws: Aws,
    granted: Arc<Mutex<Vec<SessionPolicy>>>,
}

impl Stage for RecordTicketGrants {
    fn before<'a>(
        &'a self,
        invocation: &'a mut Invocation,
    ) -> BoxFuture<'a, Result<(), Rejection>> {
        let extensions = invocation.context.extensions_mut();
        if let Some(inner) = extensions.get::<SharedCredentialSource>().cloned() {
            extensions.insert(SharedCredentialSource(Arc::new(RecordedSource {
                inner,
                aws: self.aws.clone(),
                granted: self.granted.clone(),
            })));
        }
        Box::pin(async { Ok(()) })
    }
}

struct RecordedSource {
    inner: SharedCredentialSource,
    aws: Aws,
    granted: Arc<Mutex<Vec<SessionPolicy>>>,
}

impl CredentialSource for RecordedSource {
    fn grant<'a>(&'a self, policy: &'a SessionPolicy, ctx: &'a mut Context) -> Grant<'a> {
        Box::pin(async move {
            if let Ok(mut granted) = self.granted.lock() {
                granted.push(policy.clone());
            }
            self.inner.0.grant(policy, ctx).await?;
            if let Some(WorkCredentials(config)) = ctx.extensions_mut().remove::<WorkCredentials>()
            {
                let recorded = config
                    .to_builder()
                    .http_client(self.aws.http_client())
                    .build();
                ctx.extensions_mut().insert(WorkCredentials(recorded));
            }
            Ok(())
        })
    }

    fn withdraw(&self, ctx: &mut Context) {
        self.inner.0.withdraw(ctx);
    }
}

/// Where the handler's credentials come from.
enum Grants {
    /// Exactly what it declares, from the kit's [`Aws`], with no check.
    Test,
    /// The real ticket layer.
    Ticket(TicketLayer),
}

type Configure<H> = Box<dyn FnOnce(WardenBuilder<H>) -> WardenBuilder<H> + Send>;

/// Builds a [`Harness`].
#[must_use]
pub struct HarnessBuilder<H> {
    handler: H,
    config: Option<Config>,
    aws: Aws,
    time_limit: Duration,
    function_arn: String,
    configure: Vec<Configure<H>>,
    grants: Result<Grants, cfn_warden::Error>,
    clock: Option<ManualClock>,
}

impl<H: IntoPipeline + 'static> HarnessBuilder<H> {
    /// The function the harness pretends to be (default [`FUNCTION_ARN`]); events without a
    /// ServiceToken get this one.
    pub fn function_arn(mut self, arn: impl Into<String>) -> Self {
        self.function_arn = arn.into();
        self
    }

    /// Settings (default: cfn-warden's defaults with a 200 ms response reserve, no verifier
    /// beyond the always-on consistency check, no ticket mode).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// The AWS the handler talks to (default: [`Aws::replay`] with no replies).
    pub fn aws(mut self, aws: Aws) -> Self {
        self.aws = aws;
        self
    }

    /// How long each request may run (Lambda's remaining time; default 30 s).
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// A clock the test controls, read by the runtime and the handler (default: the system
    /// clock). It moves only when the test moves it, or when [`Harness::deliver_next_poll`]
    /// moves it to the poll's due time.
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Ticket mode: requests must carry a `WardenTicket` sealed with `keys` under
    /// `settings.key_id`; the real ticket layer opens it, checks its principal with STS at
    /// `base` (its endpoint and region; credentials come from the ticket) and assumes the work
    /// role with the declared session policy. The handler's calls still go through the
    /// harness's [`Aws`]. [`crate::TicketWorld::harness`] sets all of this up on moto.
    pub fn ticket_layer(
        mut self,
        settings: TicketSettings,
        keys: Arc<dyn DataKeys>,
        base: aws_config::SdkConfig,
    ) -> Self {
        self.grants = TicketLayer::new(settings, keys, Some(base)).map(Grants::Ticket);
        self
    }

    /// Adds a tower layer, as [`WardenBuilder::layer`] does (e.g. a verifier of your own).
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: cfn_warden::tower::Layer<Pipeline> + Send + 'static,
        L::Service: cfn_warden::tower::Service<Invocation, Response = Outcome, Error = Rejection>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as cfn_warden::tower::Service<Invocation>>::Future: Send + 'static,
    {
        self.configure.push(Box::new(move |b| b.layer(layer)));
        self
    }

    /// The harness.
    pub fn build(self) -> Result<Harness, KitError> {
        let answers = Arc::new(Answers::default());
        let sink = MemorySink::default();
        let granted = Arc::new(Mutex::new(Vec::new()));
        let config = match self.config {
            Some(config) => config,
            None => Config::builder()
                .response_reserve(Duration::from_millis(200))
                .build()?,
        };
        let polls = PollQueue::default();
        let continuations = cfn_warden::continuation::Continuations::builder()
            .keys(Arc::new(cfn_warden::continuation::LocalKeys::random()?))
            .key_id("local")
            .scheduler(Arc::new(polls.clone()))
            .build()?;
        let clock: SharedClock = match &self.clock {
            Some(manual) => Arc::new(manual.clone()),
            None => Arc::new(SystemClock),
        };
        let mut builder = Warden::builder(self.handler)
            .config(config)
            .clock(clock.clone())
            .continuations(continuations)
            .transport(answers.clone())
            .decision_sink(Arc::new(sink.clone()));
        builder = match self.grants? {
            Grants::Test => builder.layer(StageLayer::new(Credentials(SharedCredentialSource(
                Arc::new(TestCredentials {
                    aws: self.aws.clone(),
                    granted: granted.clone(),
                }),
            )))),
            Grants::Ticket(layer) => {
                builder
                    .layer(layer)
                    .layer(StageLayer::new(RecordTicketGrants {
                        aws: self.aws.clone(),
                        granted: granted.clone(),
                    }))
            }
        };
        for configure in self.configure {
            builder = configure(builder);
        }
        Ok(Harness {
            warden: builder.build()?,
            answers,
            sink,
            granted,
            aws: self.aws,
            time_limit: self.time_limit,
            function_arn: self.function_arn,
            clock,
            manual: self.clock,
            polls,
        })
    }
}

/// A handler under test, in process. See the crate docs for an example.
pub struct Harness {
    warden: Warden,
    answers: Arc<Answers>,
    sink: MemorySink,
    granted: Arc<Mutex<Vec<SessionPolicy>>>,
    aws: Aws,
    time_limit: Duration,
    function_arn: String,
    clock: SharedClock,
    manual: Option<ManualClock>,
    polls: PollQueue,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("aws", &self.aws)
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// Starts a harness for `handler`: a [`cfn_warden::CustomResource`] or a
    /// [`cfn_warden::pipeline::Router`].
    pub fn builder<H: IntoPipeline + 'static>(handler: H) -> HarnessBuilder<H> {
        HarnessBuilder {
            handler,
            config: None,
            aws: Aws::replay(),
            time_limit: Duration::from_secs(30),
            function_arn: FUNCTION_ARN.to_owned(),
            configure: Vec::new(),
            grants: Ok(Grants::Test),
            clock: None,
        }
    }

    /// Sends `event` (its ServiceToken set to the harness's function, [`FUNCTION_ARN`] by
    /// default, when it has none) and returns what came of it.
    ///
    /// # Panics
    ///
    /// When the runtime wrote no decision line (it always writes one: that would be a bug).
    pub async fn send(&self, event: &CfnEvent) -> Exchange {
        let mut value = event.to_value();
        if value.get("ServiceToken").is_none() {
            value = event.clone().service_token(&self.function_arn).to_value();
        }
        self.send_json(&value).await
    }

    /// Sends any JSON as the event (malformed ones included).
    pub async fn send_json(&self, event: &Value) -> Exchange {
        self.send_bytes(&serde_json::to_vec(event).unwrap_or_default())
            .await
    }

    /// Sends raw bytes as the event.
    pub async fn send_bytes(&self, event: &[u8]) -> Exchange {
        let answers_before = self.answers.0.lock().map(|a| a.len()).unwrap_or(0);
        let granted_before = self.granted.lock().map(|g| g.len()).unwrap_or(0);
        let calls_before = self.aws.calls().len();
        let meta = LambdaMeta {
            request_id: format!("lambda-{}", crate::event::uuid_like()),
            invoked_function_arn: self.function_arn.clone(),
            deadline: self.clock.now() + self.time_limit,
        };
        let summary = self.warden.handle(event, meta).await;
        let answer = self
            .answers
            .0
            .lock()
            .ok()
            .and_then(|a| a.get(answers_before).cloned());
        let line = self
            .sink
            .lines()
            .last()
            .cloned()
            .unwrap_or_else(|| missing_line(&summary));
        Exchange {
            answer,
            line,
            granted: self
                .granted
                .lock()
                .map(|g| g.get(granted_before..).unwrap_or_default().to_vec())
                .unwrap_or_default(),
            calls: self
                .aws
                .calls()
                .get(calls_before..)
                .unwrap_or_default()
                .to_vec(),
            summary,
        }
    }

    /// Every decision line written so far (exactly one per request).
    pub fn lines(&self) -> Vec<DecisionLine> {
        self.sink.lines()
    }

    /// Every answer sent so far (one per request at most).
    pub fn answers(&self) -> Vec<Value> {
        self.answers.0.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// The clock the test controls, when one was given ([`HarnessBuilder::clock`]).
    pub fn clock(&self) -> Option<&ManualClock> {
        self.manual.as_ref()
    }

    /// The continuations the provider sent itself and the test has not delivered yet.
    pub fn queued_polls(&self) -> Vec<QueuedPoll> {
        self.polls
            .0
            .lock()
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Delivers the oldest queued continuation, as Lambda would re-invoke the provider; with a
    /// [`ManualClock`] the clock is first moved to when the poll is due (else the runtime waits
    /// for it). `None` when none is queued.
    pub async fn deliver_next_poll(&self) -> Option<Exchange> {
        let poll = self.polls.0.lock().ok()?.pop_front()?;
        if let (Some(due), Some(manual)) = (poll.due(), &self.manual) {
            manual.advance_to(due);
        }
        Some(self.send_bytes(&poll.event).await)
    }

    /// The recorder of AWS calls.
    pub fn aws(&self) -> &Aws {
        &self.aws
    }
}

/// Every request writes a line; reaching this means the runtime broke that promise, and the
/// test fails here.
fn missing_line(summary: &cfn_warden::Summary) -> DecisionLine {
    panic!("no decision line was written (summary: {summary:?})")
}
