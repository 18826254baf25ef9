//! Stack operation in flight: CloudFormation itself must say that this resource is being
//! created, updated or deleted right now, with the properties the event carries.
//!
//! Sources, in order:
//! 1. `DescribeStackEvents`: the newest event for this logical id must be `<TYPE>_IN_PROGRESS`
//!    (matching the RequestType), within the recent window, for the same resource type (the
//!    generic `AWS::CloudFormation::CustomResource` stands for any `Custom::` type) and, on
//!    Update/Delete, the same PhysicalResourceId, and with `ResourceProperties` equal to the
//!    event's (values masked by NoEcho, any run of asterisks, are tolerated and listed in the
//!    evidence). A Delete whose event carries no properties (rollback and replacement cleanup)
//!    is bound by the physical id and the window alone.
//! 2. When the events name no such resource (some emulators record stack-level events only),
//!    `DescribeStackResource`: the status must match; properties cannot be compared (noted); a
//!    missing timestamp is refused unless allowed.
//!
//! A replayed event for an operation that is not in flight (e.g. a Delete sent by hand months
//! later) is refused. The calls use the credentials given (until caller credentials exist, a
//! configured credential source: the provider's own role needs the two read-only calls).

use std::{
    borrow::Cow,
    time::{Duration, SystemTime},
};

use aws_sdk_cloudformation::{error::ProvideErrorMetadata, types::StackEvent, Client};
use serde_json::{json, Value};

use super::{
    signed::{canonical_json, cfn_normalise},
    Evidence, Verifier, VerifierResult,
};
use crate::{
    pipeline::Invocation,
    protocol::{CfnRequest, RequestType},
    response::BoxFuture,
};

/// The check's name in the decision log.
pub const CHECK_NAME: &str = "stack-operation";

/// How far in the future an event timestamp may be (clock skew).
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// The generic type CloudFormation may name in stack events of any `Custom::` resource (seen
/// in real DescribeStackEvents records during rollback cleanup).
const GENERIC_CUSTOM_TYPE: &str = "AWS::CloudFormation::CustomResource";

/// Whether a stack event's `ResourceType` names the request's type: equal, or the generic
/// custom-resource type standing for any `Custom::` type.
fn same_resource_type(event_type: &str, request_type: &str) -> bool {
    event_type == request_type
        || (event_type == GENERIC_CUSTOM_TYPE && request_type.starts_with("Custom::"))
}

/// Whether a value is CloudFormation's NoEcho mask: all asterisks (the documentation says
/// five, real output shows four; any non-empty run is accepted).
fn is_mask(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == b'*')
}

enum ClientSource {
    Given(Client),
    FromEnvironment(tokio::sync::OnceCell<Client>),
}

/// The `stack-operation` verifier; see the module doc.
pub struct StackOperationVerifier {
    client: ClientSource,
    window: Duration,
    allow_missing_timestamp: bool,
    max_event_pages: usize,
}

impl std::fmt::Debug for StackOperationVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackOperationVerifier")
            .field("window", &self.window)
            .field("allow_missing_timestamp", &self.allow_missing_timestamp)
            .finish_non_exhaustive()
    }
}

/// Builds a [`StackOperationVerifier`].
#[derive(Debug, Default)]
pub struct StackOperationVerifierBuilder {
    client: Option<Client>,
    window: Option<Duration>,
    allow_missing_timestamp: bool,
}

impl StackOperationVerifierBuilder {
    /// The CloudFormation client (default: built on first use, with the ticket's credentials
    /// in ticket mode, else the provider's own captured at start). A client given here keeps
    /// the credentials it was built with: [`crate::Warden::run`] removes the provider's from
    /// the environment in `none` and `ticket` modes, so give it static credentials.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// How recent the in-progress event must be (default 15 minutes).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = Some(window);
        self
    }

    /// Accept a resource status without a timestamp (default: refuse). Some emulators give
    /// none; real CloudFormation always does.
    pub fn allow_missing_timestamp(mut self, allow: bool) -> Self {
        self.allow_missing_timestamp = allow;
        self
    }

    /// Builds the verifier.
    pub fn build(self) -> StackOperationVerifier {
        StackOperationVerifier {
            client: match self.client {
                Some(c) => ClientSource::Given(c),
                None => ClientSource::FromEnvironment(tokio::sync::OnceCell::new()),
            },
            window: self.window.unwrap_or(Duration::from_secs(900)),
            allow_missing_timestamp: self.allow_missing_timestamp,
            max_event_pages: 5,
        }
    }
}

type Refusal = Cow<'static, str>;

impl StackOperationVerifier {
    /// Starts a builder.
    pub fn builder() -> StackOperationVerifierBuilder {
        StackOperationVerifierBuilder::default()
    }

    /// The given client; else, in ticket mode, one with the ticket's credentials; else one
    /// with the provider's credentials (captured at start, or the environment's chain).
    async fn client(&self) -> Cow<'_, Client> {
        match &self.client {
            ClientSource::Given(c) => Cow::Borrowed(c),
            ClientSource::FromEnvironment(cell) => {
                if let Some(config) = crate::aws::verification_config() {
                    return Cow::Owned(Client::new(&config));
                }
                Cow::Borrowed(
                    cell.get_or_init(|| async {
                        Client::new(&crate::aws::provider_sdk_config().await)
                    })
                    .await,
                )
            }
        }
    }

    /// Checks a request at `now`.
    pub async fn check(&self, request: &CfnRequest, now: SystemTime) -> VerifierResult {
        let mut evidence = Evidence::new();
        let verdict = self.run(request, now, &mut evidence).await;
        super::conclude(CHECK_NAME, verdict, evidence)
    }

    async fn run(
        &self,
        request: &CfnRequest,
        now: SystemTime,
        evidence: &mut Evidence,
    ) -> Result<(), Refusal> {
        let expected = match request.request_type() {
            RequestType::Create => "CREATE_IN_PROGRESS",
            RequestType::Update => "UPDATE_IN_PROGRESS",
            RequestType::Delete => "DELETE_IN_PROGRESS",
        };
        evidence.insert("expected_status".into(), json!(expected));
        match self.newest_event(request).await? {
            Some(event) => {
                evidence.insert("source".into(), json!("DescribeStackEvents"));
                let status = event
                    .resource_status()
                    .map(|s| s.as_str())
                    .unwrap_or("none");
                evidence.insert("status".into(), json!(status));
                if status != expected {
                    return Err(format!(
                        "CloudFormation shows this resource {status}, not {expected}"
                    )
                    .into());
                }
                self.check_time(event.timestamp(), now, evidence)?;
                // Update and Delete are bound to the resource by its physical id, which every
                // real Update/Delete event carries (a cleanup Delete has nothing else to bind it).
                if let Some(ours) = request.physical_resource_id() {
                    match event.physical_resource_id().filter(|id| !id.is_empty()) {
                        Some(theirs) if theirs == ours.as_str() => {}
                        Some(_) => {
                            return Err(
                                "the in-progress operation is for another PhysicalResourceId"
                                    .into(),
                            )
                        }
                        None => {
                            return Err(
                                "CloudFormation's event names no PhysicalResourceId to compare"
                                    .into(),
                            )
                        }
                    }
                }
                if let Some(theirs) = event.resource_type() {
                    evidence.insert("event_resource_type".into(), json!(theirs));
                    if !same_resource_type(theirs, request.resource_type()) {
                        return Err("the in-progress operation is for another resource type".into());
                    }
                }
                match (event.resource_properties(), request.request_type()) {
                    (Some(text), _) => compare_properties(request, text, evidence),
                    // Nothing to compare on a Delete (real cleanup Deletes, in
                    // UPDATE_COMPLETE_CLEANUP_IN_PROGRESS and
                    // UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, carry none); the physical
                    // id and the window bind it. On Create and Update the event is the only
                    // place the properties could be checked, so fail closed.
                    (None, RequestType::Delete) => {
                        evidence.insert("properties".into(), json!("not in the event"));
                        Ok(())
                    }
                    (None, _) => Err(
                        "CloudFormation's event carries no ResourceProperties to compare".into(),
                    ),
                }
            }
            None => {
                self.fall_back_to_resource(request, expected, now, evidence)
                    .await
            }
        }
    }

    /// The newest event about this logical id (events come newest first).
    async fn newest_event(&self, request: &CfnRequest) -> Result<Option<StackEvent>, Refusal> {
        let client = self.client().await;
        let mut token: Option<String> = None;
        for _ in 0..self.max_event_pages {
            let out = client
                .describe_stack_events()
                .stack_name(request.stack().as_str())
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    Cow::Owned(format!(
                        "DescribeStackEvents failed ({})",
                        e.code().unwrap_or("no error code")
                    ))
                })?;
            let found = out.stack_events().iter().find(|e| {
                e.logical_resource_id() == Some(request.logical_resource_id())
                    && e.logical_resource_id() != e.stack_name()
            });
            if let Some(event) = found {
                return Ok(Some(event.clone()));
            }
            match out.next_token() {
                Some(next) => token = Some(next.to_owned()),
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    async fn fall_back_to_resource(
        &self,
        request: &CfnRequest,
        expected: &str,
        now: SystemTime,
        evidence: &mut Evidence,
    ) -> Result<(), Refusal> {
        evidence.insert("source".into(), json!("DescribeStackResource"));
        let out = self
            .client()
            .await
            .describe_stack_resource()
            .stack_name(request.stack().as_str())
            .logical_resource_id(request.logical_resource_id())
            .send()
            .await
            .map_err(|e| {
                Cow::Owned(format!(
                    "DescribeStackResource failed ({})",
                    e.code().unwrap_or("no error code")
                ))
            })?;
        let detail = out
            .stack_resource_detail()
            .ok_or("CloudFormation does not know this resource")?;
        let status = detail
            .resource_status()
            .map(|s| s.as_str())
            .unwrap_or("none");
        evidence.insert("status".into(), json!(status));
        if status != expected {
            return Err(
                format!("CloudFormation shows this resource {status}, not {expected}").into(),
            );
        }
        evidence.insert(
            "properties".into(),
            json!("not compared (no resource event)"),
        );
        self.check_time(detail.last_updated_timestamp(), now, evidence)
    }

    fn check_time(
        &self,
        timestamp: Option<&aws_smithy_types::DateTime>,
        now: SystemTime,
        evidence: &mut Evidence,
    ) -> Result<(), Refusal> {
        // The SDK fills a required-but-absent timestamp with the Unix epoch: treat any 1970
        // timestamp as missing (no CloudFormation operation dates from then).
        let real = timestamp.filter(|t| t.secs() > 86_400);
        let Some(timestamp) = real else {
            evidence.insert("timestamp".into(), json!(null));
            return if self.allow_missing_timestamp {
                Ok(())
            } else {
                Err("CloudFormation gave no timestamp for the operation".into())
            };
        };
        let at = SystemTime::try_from(*timestamp)
            .map_err(|_| "the operation's timestamp is out of range")?;
        evidence.insert("timestamp".into(), json!(crate::deadline::format_time(at)));
        if at > now + CLOCK_SKEW {
            return Err("the operation's timestamp is in the future".into());
        }
        if now.duration_since(at).unwrap_or(Duration::ZERO) > self.window {
            return Err(format!(
                "the operation started more than {} s ago",
                self.window.as_secs()
            )
            .into());
        }
        Ok(())
    }
}

/// The event's properties must equal what CloudFormation holds, except values it masks.
fn compare_properties(
    request: &CfnRequest,
    text: &str,
    evidence: &mut Evidence,
) -> Result<(), Refusal> {
    let Ok(Value::Object(theirs)) = serde_json::from_str::<Value>(text) else {
        return Err("CloudFormation's ResourceProperties are not a JSON object".into());
    };
    let ours = request.resource_properties();
    let canonical =
        |v: &Value| canonical_json(&cfn_normalise(v)).map_err(|e| Cow::Owned(e.to_string()));
    let mut masked = Vec::new();
    for key in ours
        .keys()
        .chain(theirs.keys().filter(|k| !ours.contains_key(*k)))
    {
        let name = crate::protocol::truncate_for_message(key);
        match (ours.get(key), theirs.get(key)) {
            (Some(_), Some(Value::String(m))) if is_mask(m) => masked.push(name),
            (Some(a), Some(b)) if canonical(a)? == canonical(b)? => {}
            (Some(_), Some(_)) => {
                return Err(
                    format!("property `{name}` differs from what CloudFormation holds").into(),
                )
            }
            (Some(_), None) => {
                return Err(
                    format!("property `{name}` is not in CloudFormation's properties").into(),
                )
            }
            (None, _) => return Err(format!("property `{name}` is missing from the event").into()),
        }
    }
    evidence.insert("properties".into(), json!("equal"));
    if !masked.is_empty() {
        evidence.insert("masked_properties".into(), json!(masked));
    }
    Ok(())
}

impl Verifier for StackOperationVerifier {
    fn name(&self) -> &'static str {
        CHECK_NAME
    }

    fn verify<'a>(&'a self, invocation: &'a Invocation) -> BoxFuture<'a, VerifierResult> {
        Box::pin(crate::aws::verifying(
            invocation.context.extensions(),
            self.check(
                invocation.context.request(),
                invocation.context.clock().now(),
            ),
        ))
    }
}
