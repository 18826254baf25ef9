//! `iam-passrole-wildcard`: an Allow statement granting `iam:PassRole` on `*` or an ARN
//! pattern (roles, policies, SAM `Policies` documents).

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, RuleId};
use crate::{
    finding::{Rule, Severity},
    iam,
    resolve::is_concrete_reference,
};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "iam-passrole-wildcard",
    severity: Severity::High,
    description: "An Allow statement grants iam:PassRole on * or on an ARN pattern.",
};

const ID: RuleId = RuleId::IamPassroleWildcard;

pub(crate) fn check(resource_type: &str, p: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    super::policy_statements(resource_type, p)
        .iter()
        .flat_map(|s| statement(s, ctx))
        .collect()
}

/// One Allow statement.
fn statement(statement: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    if !iam::passes_role(statement) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for resource in iam::list_of(&statement["Resource"]) {
        match resource.as_str() {
            Some(r) if r.contains('*') => hits.push(fail(ID, format!("iam:PassRole on `{r}`"))),
            Some(_) => {}
            None if is_concrete_reference(&resource, ctx.types) => {}
            None => hits.push(unknown(
                ID,
                "an iam:PassRole Resource could not be resolved",
            )),
        }
    }
    hits
}
