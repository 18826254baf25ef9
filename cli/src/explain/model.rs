//! What `warden explain` reports, as JSON (`--format json`) and as the text module prints it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// The explanation of one template.
#[derive(Debug, Serialize)]
pub(crate) struct Explanation {
    /// The template explained.
    pub(crate) template: String,
    /// The provider template, if one was given.
    pub(crate) provider_template: Option<String>,
    /// Partition, region, account and stack name names were made concrete with.
    pub(crate) assumptions: BTreeMap<&'static str, String>,
    /// What the reading could not decide (conditions on unknown values).
    pub(crate) notes: Vec<String>,
    /// Each custom resource and its provider.
    pub(crate) resources: Vec<ResourceExplained>,
    /// Providers explained on their own (a template defining cfn-warden providers and no
    /// custom resources, such as cfn/provider.yaml).
    pub(crate) providers: Vec<ProviderExplained>,
}

/// One custom resource.
#[derive(Debug, Serialize)]
pub(crate) struct ResourceExplained {
    /// Its logical id.
    pub(crate) logical_id: String,
    /// Its type.
    pub(crate) resource_type: String,
    /// Its provider, when found.
    pub(crate) provider: Option<ProviderExplained>,
    /// How the provider was found when it was assumed, or why it was not found.
    pub(crate) note: Option<String>,
}

/// One provider function and the principals it involves.
#[derive(Debug, Serialize)]
pub(crate) struct ProviderExplained {
    /// The function's logical id.
    pub(crate) function: String,
    /// The template that defines it.
    pub(crate) template: String,
    /// Its ARN under the assumptions.
    pub(crate) arn: String,
    /// `WARDEN_CREDENTIALS`: `ticket`, `provider-role`, `none`; `not a cfn-warden provider`
    /// for a function without any `WARDEN_*` setting.
    pub(crate) credentials: String,
    /// Provider role, ticket role(s), work session.
    pub(crate) principals: Vec<Principal>,
}

/// A principal and what it can do.
#[derive(Debug, Serialize)]
pub(crate) struct Principal {
    /// `provider role`, `ticket role` or `work session`.
    pub(crate) kind: &'static str,
    /// The role (logical id, or an ARN outside the template).
    pub(crate) role: Option<String>,
    /// Its ARN, when known.
    pub(crate) arn: Option<String>,
    /// The identity policies evaluated.
    pub(crate) policies: Vec<String>,
    /// The permissions boundary evaluated.
    pub(crate) boundary: Option<String>,
    /// The session policy evaluated (the work session's declared policy).
    pub(crate) session_policy: Option<Value>,
    /// Values the template leaves to deploy time, and the placeholders used.
    pub(crate) placeholders: Vec<String>,
    /// What could not be evaluated, and why.
    pub(crate) notes: Vec<String>,
    /// The requests judged.
    pub(crate) checks: Vec<Check>,
}

/// One request and its decision.
#[derive(Debug, Serialize)]
pub(crate) struct Check {
    /// The action.
    pub(crate) action: String,
    /// The resource.
    pub(crate) resource: String,
    /// Context keys given to the request.
    pub(crate) context: BTreeMap<String, String>,
    /// `allowed`, `denied` or `unknown`.
    pub(crate) decision: &'static str,
    /// The evaluator's explanation.
    pub(crate) why: String,
    /// Whether the request is an escalation probe rather than one the policies name.
    pub(crate) probe: bool,
}
