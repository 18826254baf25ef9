//! `iam-wildcard-action`: an Allow statement with `*` / `service:*` actions or `NotAction`
//! (roles, policies, SAM `Policies`), or a SAM `Policies` entry that is an AWS managed policy
//! with wildcard actions.

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, RuleId};
use crate::{
    finding::{Rule, Severity},
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
    let mut hits = Vec::new();
    if statement.get("NotAction").is_some() {
        hits.push(fail(ID, "an Allow statement uses NotAction"));
    }
    if iam::list_of(&statement["Action"])
        .iter()
        .filter_map(Value::as_str)
        .any(iam::is_wildcard_action)
    {
        hits.push(fail(ID, "an Allow statement grants wildcard actions"));
    }
    hits
}
