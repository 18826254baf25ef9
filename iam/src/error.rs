//! The crate's one error type.

use crate::layer::Layer;

/// Why a policy, a request or an evaluator could not be built.
///
/// `statement` fields are zero-based indexes into the policy's `Statement` list (a single
/// statement object is index 0); `element` fields name the JSON element as IAM spells it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not JSON.
    #[error("the policy is not JSON: {source}")]
    Json {
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The policy document is not a JSON object.
    #[error("the policy document is not a JSON object")]
    NotAnObject,
    /// The policy has no `Statement` element, or an empty one.
    #[error("the policy has no Statement")]
    MissingStatement,
    /// `Version` is neither `2012-10-17` nor `2008-10-17`.
    #[error("unsupported policy Version {version:?} (expected \"2012-10-17\" or \"2008-10-17\")")]
    UnsupportedVersion {
        /// The version as written.
        version: String,
    },
    /// A top-level element IAM does not know.
    #[error("unknown policy element {element:?} (expected Version, Id or Statement)")]
    UnknownPolicyElement {
        /// The element's name.
        element: String,
    },
    /// An element has the wrong JSON type.
    #[error("statement {statement}: {element} must be {expected}")]
    WrongType {
        /// The statement's index.
        statement: usize,
        /// The element.
        element: &'static str,
        /// What IAM accepts there.
        expected: &'static str,
    },
    /// A required element is missing (or an empty list).
    #[error("statement {statement}: {element} is missing or empty")]
    MissingElement {
        /// The statement's index.
        statement: usize,
        /// The missing element (`Effect`, `Action or NotAction`, …).
        element: &'static str,
    },
    /// Two elements that exclude each other are both present.
    #[error("statement {statement}: {first} and {second} cannot both be present")]
    ConflictingElements {
        /// The statement's index.
        statement: usize,
        /// The first element.
        first: &'static str,
        /// The second element.
        second: &'static str,
    },
    /// A statement element IAM does not know (a typo such as `Actions`).
    #[error("statement {statement}: unknown element {element:?}")]
    UnknownElement {
        /// The statement's index.
        statement: usize,
        /// The element's name as written.
        element: String,
    },
    /// `Effect` is neither `Allow` nor `Deny`.
    #[error("statement {statement}: Effect {effect:?} is neither \"Allow\" nor \"Deny\"")]
    InvalidEffect {
        /// The statement's index.
        statement: usize,
        /// The effect as written.
        effect: String,
    },
    /// An action is empty or has no `service:` prefix (only `*` may stand alone).
    #[error("statement {statement}: action {action:?} is not \"service:Action\" or \"*\"")]
    MalformedAction {
        /// The statement's index.
        statement: usize,
        /// The action as written.
        action: String,
    },
    /// A `Principal` or `NotPrincipal` value IAM would not accept.
    #[error("statement {statement}: {element} must be \"*\" or an object of lists of strings")]
    MalformedPrincipal {
        /// The statement's index.
        statement: usize,
        /// `Principal` or `NotPrincipal`.
        element: &'static str,
    },
    /// A condition operator IAM does not know.
    #[error("statement {statement}: unknown condition operator {operator:?}")]
    UnknownConditionOperator {
        /// The statement's index.
        statement: usize,
        /// The operator as written.
        operator: String,
    },
    /// A condition value the operator cannot compare (a number, date, address or boolean that
    /// does not parse; a nested object).
    #[error("statement {statement}: {operator} {key:?}: value {value:?} is not {expected}")]
    InvalidConditionValue {
        /// The statement's index.
        statement: usize,
        /// The operator as written.
        operator: String,
        /// The condition key as written.
        key: String,
        /// The value as written (JSON text for non-strings).
        value: String,
        /// What the operator expects.
        expected: &'static str,
    },
    /// A statement of a principal-side layer (identity, boundary, session, SCP) names a
    /// principal, which IAM refuses outside resource-based policies.
    #[error("{layer} policy {policy}, statement {statement}: {element} belongs in resource-based policies only")]
    PrincipalInLayer {
        /// The layer the policy was given as.
        layer: Layer,
        /// The policy's index within its layer.
        policy: usize,
        /// The statement's index.
        statement: usize,
        /// `Principal` or `NotPrincipal`.
        element: &'static str,
    },
    /// A statement of a principal-side layer has neither `Resource` nor `NotResource`.
    #[error("{layer} policy {policy}, statement {statement}: Resource or NotResource is required")]
    MissingResource {
        /// The layer the policy was given as.
        layer: Layer,
        /// The policy's index within its layer.
        policy: usize,
        /// The statement's index.
        statement: usize,
    },
    /// A request was built without a required field.
    #[error("the request has no {field}")]
    IncompleteRequest {
        /// `action` or `resource`.
        field: &'static str,
    },
    /// The evaluator was built without identity-based policies.
    #[error("the evaluator has no identity-based policy (give at least one, even an empty list is refused)")]
    NoIdentityPolicy,
}
