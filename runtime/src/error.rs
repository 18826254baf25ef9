//! The crate's one error type.

use crate::protocol::RequestType;

/// Everything that can go wrong in cfn-warden.
///
/// Variants about the event are sent to CloudFormation as the FAILED `Reason` (when the request
/// passed the consistency check), so their messages never echo property values.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event is not JSON.
    #[error("event is not JSON: {source}")]
    EventNotJson {
        /// The parser's error (position only; no content).
        #[source]
        source: serde_json::Error,
    },
    /// The event is JSON but not an object.
    #[error("event is not a JSON object")]
    EventNotObject,
    /// The event is an SNS notification that does not carry a CloudFormation request in the
    /// expected shape.
    #[error("SNS notification {problem}")]
    InvalidSnsDelivery {
        /// What is wrong.
        problem: &'static str,
    },
    /// A required field is missing.
    #[error("event is missing `{field}`")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field required for this request type is missing.
    #[error("{request_type} request is missing `{field}`")]
    MissingFieldFor {
        /// The field.
        field: &'static str,
        /// The request type.
        request_type: RequestType,
    },
    /// A field this request type must not carry is present.
    #[error("{request_type} request must not carry `{field}`")]
    FieldNotAllowed {
        /// The field.
        field: &'static str,
        /// The request type.
        request_type: RequestType,
    },
    /// A field is an empty string.
    #[error("`{field}` is empty")]
    EmptyField {
        /// The field.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("`{field}` is not {expected}")]
    WrongFieldType {
        /// The field.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// A field is too long.
    #[error("`{field}` is longer than {limit} characters")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// The limit.
        limit: usize,
    },
    /// `RequestType` is not Create, Update or Delete.
    #[error("unknown RequestType `{value}` (expected Create, Update or Delete)")]
    UnknownRequestType {
        /// The value received, truncated.
        value: String,
    },
    /// `StackId` is malformed.
    #[error("StackId is invalid: {problem}")]
    InvalidStackId {
        /// What is wrong.
        problem: &'static str,
    },
    /// The invoked function ARN is malformed.
    #[error("function ARN is invalid: {problem}")]
    InvalidFunctionArn {
        /// What is wrong.
        problem: &'static str,
    },
    /// `LogicalResourceId` is malformed.
    #[error("LogicalResourceId {problem}")]
    InvalidLogicalId {
        /// What is wrong.
        problem: &'static str,
    },
    /// `ResourceType` is malformed.
    #[error("ResourceType {problem}")]
    InvalidResourceType {
        /// What is wrong.
        problem: &'static str,
    },
    /// `ResponseURL` is malformed.
    #[error("ResponseURL {problem}")]
    InvalidResponseUrl {
        /// What is wrong.
        problem: &'static str,
    },
    /// `ServiceToken` is missing, not a string, or ambiguous.
    #[error("{problem}")]
    UnusableServiceToken {
        /// What is wrong.
        problem: &'static str,
    },
    /// A PhysicalResourceId is malformed.
    #[error("PhysicalResourceId {problem}")]
    InvalidPhysicalId {
        /// What is wrong.
        problem: &'static str,
    },
    /// `ServiceTimeout` is not a number.
    #[error("ServiceTimeout {problem}")]
    InvalidServiceTimeout {
        /// What is wrong.
        problem: &'static str,
    },
    /// `ServiceTimeout` is outside 1..=3600.
    #[error("ServiceTimeout must be between 1 and 3600 seconds, got {seconds}")]
    ServiceTimeoutOutOfRange {
        /// The value received.
        seconds: i64,
    },
    /// The event is larger than the configured limit.
    #[error("event is {size} bytes, over the {limit}-byte limit")]
    EventTooLarge {
        /// The event's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// This provider does not serve the resource type.
    #[error("resource type `{resource_type}` is not served by this provider")]
    UnsupportedResourceType {
        /// The type received.
        resource_type: String,
    },
    /// A router was given a handler that serves any resource type (empty `RESOURCE_TYPES`):
    /// it could not say which requests are its own.
    #[error("router: `{handler}` serves any resource type; a routed handler names its types")]
    RouteServesAnyType {
        /// The handler's type name.
        handler: &'static str,
    },
    /// A router was given two handlers for one resource type.
    #[error("router: resource type `{resource_type}` has two handlers")]
    DuplicateRoute {
        /// The type served twice.
        resource_type: &'static str,
    },
    /// An ARN meant to name exactly one resource does not.
    #[error("ARN `{arn}` {problem}")]
    InvalidExactArn {
        /// The ARN (cut).
        arn: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// The properties carry a framework key this provider is not configured to verify (a
    /// signed resource sent to a provider without signing keys, a ticket to one not in
    /// ticket mode): refused rather than ignored, naming the setting.
    #[error(
        "the properties carry `{key}` but this provider is not configured for it: set {setting}"
    )]
    UnconfiguredFrameworkKey {
        /// The property.
        key: &'static str,
        /// The provider setting that would verify it.
        setting: &'static str,
    },
    /// Properties do not fit the handler's schema.
    #[error("invalid {}: {message}", if path.is_empty() || path == "." { "properties".to_owned() } else { format!("property at `{path}`") })]
    InvalidProperties {
        /// Where (e.g. `Items[2].Name`; `.` for the top level).
        path: String,
        /// What is wrong (values withheld).
        message: String,
    },
    /// Properties carry keys the handler's schema does not know.
    #[error("unknown properties: {}", keys.join(", "))]
    UnknownProperties {
        /// Their paths.
        keys: Vec<String>,
    },
    /// A required Lambda environment variable is missing.
    #[error("environment variable {name} is not set: is this running inside Lambda (or the local harness)?")]
    MissingLambdaEnvironment {
        /// The variable.
        name: &'static str,
    },
    /// A setting has an invalid value.
    #[error("setting {name} {problem}")]
    InvalidSetting {
        /// The setting (environment variable name).
        name: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client for responses")]
    HttpClient {
        /// The cause (URL stripped).
        #[source]
        source: reqwest::Error,
    },
    /// JSON could not be put in canonical form.
    #[error("could not canonicalise JSON")]
    Canonicalisation {
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A signature token is malformed.
    #[error("WardenSignature {problem}")]
    MalformedSignature {
        /// What is wrong.
        problem: &'static str,
    },
    /// A signing or verifying key (or its configuration) is invalid.
    #[error("signing key: {problem}")]
    InvalidKey {
        /// What is wrong.
        problem: &'static str,
    },
    /// A declared session policy breaks a rule.
    #[error("declared permissions refused ({rule}): {detail}")]
    PolicyRefused {
        /// The rule.
        rule: crate::session_policy::PolicyRule,
        /// What broke it (no secrets: actions and ARNs, truncated).
        detail: String,
    },
    /// A declared session policy is over STS's plaintext limit.
    #[error("declared permissions are {chars} characters, over the {limit}-character limit of STS session policies")]
    PolicyTooLarge {
        /// Its size.
        chars: usize,
        /// The limit.
        limit: usize,
    },
    /// STS refused the declared policy as too large once packed.
    #[error("declared permissions exceed the packed size limit of STS session policies (PackedPolicyTooLarge): declare fewer or shorter statements")]
    PackedPolicyTooLarge,
    /// STS refused the declared policy.
    #[error("STS refused the declared permissions ({code})")]
    PolicyRejectedBySts {
        /// The STS error code.
        code: String,
    },
    /// A ticket is malformed.
    #[error("WardenTicket {problem}")]
    MalformedTicket {
        /// What is wrong.
        problem: &'static str,
    },
    /// Sealing or opening a ticket failed.
    #[error("ticket: could not {operation}")]
    TicketCrypto {
        /// The step that failed.
        operation: &'static str,
    },
    /// A continuation event is malformed.
    #[error("continuation {problem}")]
    MalformedContinuation {
        /// What is wrong.
        problem: &'static str,
    },
    /// A continuation's body does not decrypt under its data key with its header: forged or
    /// altered (an extended deadline, another attempt).
    #[error("continuation is not authentic: its header or body was not sealed by this provider")]
    ContinuationNotAuthentic,
    /// A continuation arrived after its operation's deadline.
    #[error("continuation expired at {}", crate::deadline::format_time(*deadline))]
    ContinuationExpired {
        /// The operation's deadline.
        deadline: std::time::SystemTime,
    },
    /// A continuation for a poll that already ran (or a request already answered).
    #[error("continuation replayed: poll {attempt} of this request already ran or the request was answered")]
    ContinuationReplayed {
        /// The poll it claims to start.
        attempt: u32,
    },
    /// A handler's state for the next poll is too large.
    #[error("the state for the next poll is {bytes} bytes of JSON; at most {limit} are carried")]
    ContinuationStateTooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A handler answered in progress, but this provider cannot poll.
    #[error("the handler answered in progress, but long-running operations are not configured ({setting} is not set)")]
    LongRunningUnavailable {
        /// The setting that enables them.
        setting: &'static str,
    },
    /// The deployer's credentials would expire before the operation's deadline.
    #[error("the ticket's credentials expire at {} (before this operation's deadline, {}): seal a ticket that outlives the deadline, or set a ServiceTimeout that ends before the ticket does", crate::deadline::format_time(*expires), crate::deadline::format_time(*deadline))]
    TicketExpiresBeforeDeadline {
        /// When the credentials expire.
        expires: std::time::SystemTime,
        /// The operation's deadline.
        deadline: std::time::SystemTime,
    },
    /// The ticket (or the credentials in it) expired.
    #[error("WardenTicket expired at {}: re-seal it with `warden refresh --stack-name {stack_name}` (which updates the stack with fresh tickets), then retry", crate::deadline::format_time(*not_after))]
    TicketExpired {
        /// When it expired.
        not_after: std::time::SystemTime,
        /// The stack, for the command in the message.
        stack_name: String,
    },
    /// An AWS call failed.
    #[error("{service}:{operation} failed ({code})")]
    AwsCall {
        /// The service.
        service: &'static str,
        /// The operation.
        operation: &'static str,
        /// The AWS error code.
        code: String,
    },
    /// A CloudTrail Lake call failed.
    #[error("cloudtrail:{operation} failed ({code}): {detail}")]
    LakeQueryCall {
        /// `StartQuery` or `GetQueryResults`.
        operation: &'static str,
        /// The AWS error code (`no error code` when the request never got an answer).
        code: String,
        /// What the SDK said, shortened (the cause chain when nothing was sent).
        detail: String,
    },
    /// A CloudTrail Lake query still ran when the caller's time was up (it was cancelled).
    #[error("the CloudTrail Lake query did not finish in time")]
    LakeQueryUnfinished,
    /// A CloudTrail Lake query ended without results.
    #[error("the CloudTrail Lake query ended {status}: {message}")]
    LakeQueryEnded {
        /// Its final status (`FAILED`, `CANCELLED`, `TIMED_OUT`, or `no status`).
        status: String,
        /// CloudTrail's error message, shortened.
        message: String,
    },
    /// The async runtime could not start.
    #[error("could not start the async runtime")]
    AsyncRuntime {
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The provider's credentials could not be handed to a re-executed image (see
    /// `credentials::handoff`).
    #[error("could not move the provider's credentials out of the environment")]
    CredentialHandoff {
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The Lambda runtime loop stopped.
    #[error("the Lambda runtime stopped")]
    LambdaRuntime {
        /// The cause.
        #[source]
        source: lambda_runtime::Error,
    },
}
