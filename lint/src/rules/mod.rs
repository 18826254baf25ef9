//! The rules: one module per rule, each with its [`Rule`] descriptor and its check. A rule is
//! either per resource (`check(resource_type, properties, ctx)`) or template-wide
//! (`check(graph)`, findings by logical id). [`RuleId`] names every rule; its order is the
//! order of [`RULES`] and of findings within a resource.

pub(crate) mod custom_resource_unsigned;
pub(crate) mod function_url_auth_none;
pub(crate) mod iam_passrole_wildcard;
pub(crate) mod iam_wildcard_action;
pub(crate) mod invoke_policy_overwritten;
pub(crate) mod lambda_permission_public;
pub(crate) mod multiple_event_triggers;
pub(crate) mod passrole_non_role_resource;
pub(crate) mod provider_escalation;
pub(crate) mod role_without_boundary;
pub(crate) mod secret_like_environment;
pub(crate) mod service_token_unqualified;
pub(crate) mod shared_execution_role;
pub(crate) mod suppression_without_reason;
pub(crate) mod wildcard_in_arn;

use std::collections::BTreeMap;

use serde_json::Value;

pub(crate) use crate::finding::{Rule, Severity};
use crate::{finding::Status, graph::Graph, iam};

/// Every rule of `warden lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RuleId {
    /// `custom-resource-unsigned`
    CustomResourceUnsigned,
    /// `service-token-unqualified`
    ServiceTokenUnqualified,
    /// `lambda-permission-public`
    LambdaPermissionPublic,
    /// `function-url-auth-none`
    FunctionUrlAuthNone,
    /// `iam-wildcard-action`
    IamWildcardAction,
    /// `iam-passrole-wildcard`
    IamPassroleWildcard,
    /// `role-without-boundary`
    RoleWithoutBoundary,
    /// `suppression-without-reason`
    SuppressionWithoutReason,
    /// `shared-execution-role`
    SharedExecutionRole,
    /// `multiple-event-triggers`
    MultipleEventTriggers,
    /// `wildcard-in-arn`
    WildcardInArn,
    /// `provider-escalation`
    ProviderEscalation,
    /// `invoke-policy-overwritten`
    InvokePolicyOverwritten,
    /// `secret-like-environment`
    SecretLikeEnvironment,
    /// `passrole-non-role-resource`
    PassroleNonRoleResource,
}

/// Every rule's descriptor, in [`RuleId`] order.
pub const RULES: &[Rule] = &[
    custom_resource_unsigned::RULE,
    service_token_unqualified::RULE,
    lambda_permission_public::RULE,
    function_url_auth_none::RULE,
    iam_wildcard_action::RULE,
    iam_passrole_wildcard::RULE,
    role_without_boundary::RULE,
    suppression_without_reason::RULE,
    shared_execution_role::RULE,
    multiple_event_triggers::RULE,
    wildcard_in_arn::RULE,
    provider_escalation::RULE,
    invoke_policy_overwritten::RULE,
    secret_like_environment::RULE,
    passrole_non_role_resource::RULE,
];

impl RuleId {
    /// Every rule, in order.
    pub const ALL: [Self; 15] = [
        Self::CustomResourceUnsigned,
        Self::ServiceTokenUnqualified,
        Self::LambdaPermissionPublic,
        Self::FunctionUrlAuthNone,
        Self::IamWildcardAction,
        Self::IamPassroleWildcard,
        Self::RoleWithoutBoundary,
        Self::SuppressionWithoutReason,
        Self::SharedExecutionRole,
        Self::MultipleEventTriggers,
        Self::WildcardInArn,
        Self::ProviderEscalation,
        Self::InvokePolicyOverwritten,
        Self::SecretLikeEnvironment,
        Self::PassroleNonRoleResource,
    ];

    /// The rule's descriptor.
    pub fn rule(self) -> &'static Rule {
        match self {
            Self::CustomResourceUnsigned => &custom_resource_unsigned::RULE,
            Self::ServiceTokenUnqualified => &service_token_unqualified::RULE,
            Self::LambdaPermissionPublic => &lambda_permission_public::RULE,
            Self::FunctionUrlAuthNone => &function_url_auth_none::RULE,
            Self::IamWildcardAction => &iam_wildcard_action::RULE,
            Self::IamPassroleWildcard => &iam_passrole_wildcard::RULE,
            Self::RoleWithoutBoundary => &role_without_boundary::RULE,
            Self::SuppressionWithoutReason => &suppression_without_reason::RULE,
            Self::SharedExecutionRole => &shared_execution_role::RULE,
            Self::MultipleEventTriggers => &multiple_event_triggers::RULE,
            Self::WildcardInArn => &wildcard_in_arn::RULE,
            Self::ProviderEscalation => &provider_escalation::RULE,
            Self::InvokePolicyOverwritten => &invoke_policy_overwritten::RULE,
            Self::SecretLikeEnvironment => &secret_like_environment::RULE,
            Self::PassroleNonRoleResource => &passrole_non_role_resource::RULE,
        }
    }

    /// The rule with this id, if any.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.rule().id == id)
    }
}

/// What a rule says about one resource.
pub(crate) struct Hit {
    pub(crate) rule: RuleId,
    pub(crate) status: Status,
    pub(crate) message: String,
}

pub(crate) fn fail(rule: RuleId, message: impl Into<String>) -> Hit {
    Hit {
        rule,
        status: Status::Fail,
        message: message.into(),
    }
}

pub(crate) fn unknown(rule: RuleId, message: impl Into<String>) -> Hit {
    Hit {
        rule,
        status: Status::Unknown,
        message: message.into(),
    }
}

/// What per-resource rules need from the rest of the template.
pub(crate) struct Ctx<'a> {
    pub(crate) types: &'a BTreeMap<String, String>,
    /// `Globals.Function.PermissionsBoundary` is set (SAM).
    pub(crate) sam_global_boundary: bool,
}

type PerResource = fn(&str, &Value, &Ctx<'_>) -> Vec<Hit>;

/// The per-resource rules.
const PER_RESOURCE: &[PerResource] = &[
    custom_resource_unsigned::check,
    service_token_unqualified::check,
    lambda_permission_public::check,
    function_url_auth_none::check,
    iam_wildcard_action::check,
    iam_passrole_wildcard::check,
    role_without_boundary::check,
    wildcard_in_arn::check,
    secret_like_environment::check,
    passrole_non_role_resource::check,
];

/// Every per-resource rule's findings for one resource.
pub(crate) fn per_resource(resource_type: &str, properties: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    PER_RESOURCE
        .iter()
        .flat_map(|check| check(resource_type, properties, ctx))
        .collect()
}

/// Every template-wide rule's findings, by logical id.
pub(crate) fn template_wide(
    types: &BTreeMap<String, String>,
    properties: &BTreeMap<String, Value>,
) -> BTreeMap<String, Vec<Hit>> {
    let graph = Graph { types, properties };
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for check in [
        shared_execution_role::check,
        multiple_event_triggers::check,
        provider_escalation::check,
        invoke_policy_overwritten::check,
    ] {
        for (id, found) in check(&graph) {
            hits.entry(id).or_default().extend(found);
        }
    }
    hits
}

/// The Allow statements of a resource's policy documents: a role's inline policies, a
/// policy's or managed policy's document, a SAM function's `Policies` documents.
pub(crate) fn policy_statements(resource_type: &str, properties: &Value) -> Vec<Value> {
    let mut statements: Vec<Value> = iam::policy_documents(resource_type, properties)
        .iter()
        .flat_map(iam::allow_statements)
        .collect();
    if resource_type == "AWS::Serverless::Function" {
        for entry in iam::sam_policy_entries(&properties["Policies"]) {
            if entry.get("Statement").is_some() {
                statements.extend(iam::allow_statements(&entry));
            }
        }
    }
    statements
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn rule_ids_are_unique_kebab_case_and_in_order() {
        let ids: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len(), "duplicate rule ids");
        assert_eq!(RuleId::ALL.len(), RULES.len());
        for (rule, id) in RULES.iter().zip(RuleId::ALL) {
            assert_eq!(id.rule(), rule, "{id:?} is out of order");
            assert_eq!(RuleId::from_id(rule.id), Some(id));
            assert!(
                rule.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !rule.id.starts_with('-')
                    && !rule.id.ends_with('-'),
                "{} is not kebab-case",
                rule.id
            );
            assert!(rule.description.ends_with('.'), "{}", rule.id);
        }
        assert_eq!(RuleId::from_id("no-such-rule"), None);
    }
}
