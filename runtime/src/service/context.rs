//! The context a handler (and every layer) receives with a request.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use super::progress::{Polling, ProgressSlots};
use crate::{
    checks::CheckLog,
    deadline::{Deadlines, SharedClock},
    protocol::{CfnRequest, PhysicalId, FRAMEWORK_PROPERTY_KEYS},
};

/// What Lambda told the runtime about this invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LambdaMeta {
    /// The Lambda request id (`Lambda-Runtime-Aws-Request-Id`).
    pub request_id: String,
    /// The invoked function ARN (`Lambda-Runtime-Invoked-Function-Arn`).
    pub invoked_function_arn: String,
    /// The Lambda deadline.
    pub deadline: SystemTime,
}

/// A logger bound to one invocation: every line carries the request's ids.
#[derive(Clone, Debug)]
pub struct Logger {
    span: tracing::Span,
}

impl Logger {
    pub(crate) fn new(span: tracing::Span) -> Self {
        Self { span }
    }

    /// The span; plain `tracing` macros inside the handler are already within it.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Logs at info level.
    pub fn info(&self, message: impl fmt::Display) {
        self.span.in_scope(|| tracing::info!("{message}"));
    }

    /// Logs at warn level.
    pub fn warn(&self, message: impl fmt::Display) {
        self.span.in_scope(|| tracing::warn!("{message}"));
    }

    /// Logs at error level.
    pub fn error(&self, message: impl fmt::Display) {
        self.span.in_scope(|| tracing::error!("{message}"));
    }
}

/// Everything a handler or layer knows about the current request.
pub struct Context {
    request: Arc<CfnRequest>,
    lambda: LambdaMeta,
    deadlines: Deadlines,
    clock: SharedClock,
    checks: CheckLog,
    logger: Logger,
    reserved_keys: Vec<String>,
    physical_id_hint: Arc<Mutex<Option<PhysicalId>>>,
    progress: ProgressSlots,
    polling: Option<Polling>,
    extensions: http::Extensions,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("request", &self.request)
            .field("lambda", &self.lambda)
            .field("deadlines", &self.deadlines)
            .field("reserved_keys", &self.reserved_keys)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A request's context, logging in `span`, with an empty check log.
    pub(crate) fn new(
        request: Arc<CfnRequest>,
        lambda: LambdaMeta,
        deadlines: Deadlines,
        clock: SharedClock,
        span: tracing::Span,
    ) -> Self {
        Self {
            request,
            lambda,
            deadlines,
            clock,
            checks: CheckLog::default(),
            logger: Logger::new(span),
            reserved_keys: FRAMEWORK_PROPERTY_KEYS
                .iter()
                .map(|k| (*k).to_owned())
                .collect(),
            physical_id_hint: Arc::default(),
            progress: ProgressSlots::default(),
            polling: None,
            extensions: http::Extensions::new(),
        }
    }

    /// The request.
    pub fn request(&self) -> &CfnRequest {
        &self.request
    }

    pub(crate) fn request_arc(&self) -> Arc<CfnRequest> {
        self.request.clone()
    }

    /// What Lambda said about this invocation.
    pub fn lambda(&self) -> &LambdaMeta {
        &self.lambda
    }

    /// When work must stop: after this instant the runtime answers FAILED "timed out".
    pub fn deadline(&self) -> SystemTime {
        self.deadlines.work_by
    }

    /// All deadlines of this invocation.
    pub fn deadlines(&self) -> &Deadlines {
        &self.deadlines
    }

    /// Time left before [`Context::deadline`], by the injected clock.
    pub fn remaining(&self) -> Duration {
        self.deadlines.work_remaining(self.clock.now())
    }

    /// The injected clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The logger for this invocation.
    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// The checks recorded so far (layers append to it).
    pub fn checks(&self) -> &CheckLog {
        &self.checks
    }

    /// Marks a property key as the framework's (e.g. a signature): it is removed before the
    /// handler's properties are deserialised, so it never trips the unknown-key check.
    pub fn reserve_property_key(&mut self, key: impl Into<String>) {
        self.reserved_keys.push(key.into());
    }

    /// Property keys removed before deserialisation.
    pub fn reserved_property_keys(&self) -> &[String] {
        &self.reserved_keys
    }

    /// Tells the runtime the id of what a Create has made so far. If the Create then fails,
    /// panics or times out, FAILED carries this id instead of the sentinel, so the Delete that
    /// CloudFormation sends next reaches the handler and can clean up.
    pub fn record_physical_id(&self, id: PhysicalId) {
        if let Ok(mut hint) = self.physical_id_hint.lock() {
            *hint = Some(id);
        }
    }

    pub(crate) fn physical_id_hint(&self) -> Arc<Mutex<Option<PhysicalId>>> {
        self.physical_id_hint.clone()
    }

    /// Answers "in progress": no answer is sent now; after `after` (at least a second) the
    /// same method (`create`, `update` or `delete`) is called again with `state` in
    /// [`Context::polling`], until it returns without calling this, fails, or the operation's
    /// deadline (`min(ServiceTimeout, 1 hour, the ResponseURL's expiry)` minus the response
    /// reserve) passes; then exactly one FAILED "timed out" is sent. The value the method
    /// returns alongside is ignored. `state` must be JSON of at most
    /// [`crate::service::MAX_STATE_BYTES`] bytes; it travels encrypted.
    pub fn poll_again(
        &self,
        state: impl serde::Serialize,
        after: Duration,
    ) -> Result<(), crate::HandlerError> {
        self.progress.set_poll_again(state, after)
    }

    /// On a poll of a long-running operation: its attempt, the state the previous invocation
    /// left, and the operation's start and deadline. `None` on the original request.
    pub fn polling(&self) -> Option<&Polling> {
        self.polling.as_ref()
    }

    /// For credential layers: the credentials this request works with expire at `at` (the
    /// earliest noted counts). A handler answering in progress for an operation whose deadline
    /// is later is answered FAILED up front, naming both instants (the ticket layer notes its
    /// credentials' expiry).
    pub fn note_credentials_expiry(&self, at: std::time::SystemTime) {
        self.progress.note_credentials_expiry(at);
    }

    pub(crate) fn set_polling(&mut self, polling: Polling) {
        self.polling = Some(polling);
    }

    pub(crate) fn progress(&self) -> ProgressSlots {
        self.progress.clone()
    }

    /// Values layers attached for the handler (e.g. narrowed credentials).
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// Attaches values for the handler.
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        &mut self.extensions
    }
}

/// ARNs a handler names in its declared policy (`session_policy::ExactArn` refuses wildcards).
impl Context {
    /// The ARN of `resource` (e.g. `parameter/app/db-url`) of `service` (e.g. `ssm`) in the
    /// stack's partition, region and account, refused when `resource` holds a wildcard.
    pub fn arn(
        &self,
        service: &str,
        resource: &str,
    ) -> Result<crate::session_policy::ExactArn, crate::Error> {
        let stack = self.request().stack();
        crate::session_policy::ExactArn::parse(&format!(
            "arn:{}:{service}:{}:{}:{resource}",
            stack.partition(),
            stack.region(),
            stack.account()
        ))
    }
}
