//! `iam-wildcard-action`: an Allow statement with `*` / `service:*` actions or `NotAction`
//! (roles, users, groups, policies, SAM `Policies`), or an AWS managed policy with wildcard
//! actions attached (`ManagedPolicyArns`, SAM `Policies`); a policy document that cannot be
//! read (an unresolved intrinsic, a string that is not JSON) is UNKNOWN.

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, Rule, RuleId, Severity};
use crate::{
    iam::{self, BROAD_MANAGED_POLICIES},
    template::is_intrinsic,
};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "iam-wildcard-action",
    severity: Severity::Medium,
    description: "An Allow statement grants * or service:* actions, or uses NotAction.",
};

const ID: RuleId = RuleId::IamWildcardAction;

pub(crate) fn check(resource_type: &str, p: &Value, _: &Ctx<'_>) -> Vec<Hit> {
    let mut hits: Vec<Hit> = super::policy_statements(resource_type, p)
        .iter()
        .flat_map(statement)
        .collect();
    // A document the analysis cannot read is not a pass.
    for reason in iam::unreadable_documents(resource_type, p) {
        hits.push(unknown(ID, reason));
    }
    if matches!(
        resource_type,
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group"
    ) {
        for arn in iam::list_of(&p["ManagedPolicyArns"]) {
            if let Some(name) = iam::broad_managed_policy_name(&arn) {
                hits.push(fail(ID, format!("attaches the AWS managed policy {name}")));
            }
        }
    }
    if resource_type == "AWS::Serverless::Function" {
        for entry in iam::sam_policy_entries(&p["Policies"]) {
            match &entry {
                Value::String(name) => {
                    let short = name.rsplit('/').next().unwrap_or(name);
                    if BROAD_MANAGED_POLICIES.contains(&short) {
                        hits.push(fail(
                            ID,
                            format!("SAM Policies attaches the managed policy {short}"),
                        ));
                    }
                }
                Value::Object(map) if !map.contains_key("Statement") && is_intrinsic(&entry) => {
                    hits.push(unknown(ID, "a SAM Policies entry could not be resolved"));
                }
                _ => {}
            }
        }
    }
    hits
}

/// One Allow statement.
fn statement(statement: &Value) -> Vec<Hit> {
    let broad = iam::broad_actions(statement);
    let mut hits = Vec::new();
    if broad.iter().any(|a| a == "NotAction") {
        hits.push(fail(ID, "an Allow statement uses NotAction"));
    }
    if broad.iter().any(|a| a != "NotAction") {
        hits.push(fail(ID, "an Allow statement grants wildcard actions"));
    }
    hits
}
