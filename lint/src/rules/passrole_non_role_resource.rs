//! `passrole-non-role-resource`: an Allow statement naming `iam:PassRole` (an `iam:` action
//! pattern that covers it) on a resource that can match no IAM role (`arn:aws:s3:::*`, a user
//! or policy ARN, a role's name instead of its ARN). The grant passes nothing, so it is no
//! role wildcard (`iam-passrole-wildcard` does not report it), but the statement is probably
//! not what was meant: an info finding, which never fails a run. Statements whose action is
//! `*` are `iam-wildcard-action`'s, not this rule's.

use serde_json::Value;

use super::{fail, iam_passrole_wildcard::may_match_a_role, Ctx, Hit, Rule, RuleId, Severity};
use crate::iam;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "passrole-non-role-resource",
    severity: Severity::Info,
    description: "An Allow statement names iam:PassRole on a resource that can match no IAM role: the grant passes nothing.",
};

pub(crate) fn check(resource_type: &str, p: &Value, _ctx: &Ctx<'_>) -> Vec<Hit> {
    super::policy_statements(resource_type, p)
        .iter()
        .filter(|s| names_pass_role(s))
        .flat_map(|s| iam::list_of(&s["Resource"]))
        .filter_map(|r| {
            let r = r.as_str()?;
            // A reference (`${Role.Arn}`) is judged by what it names, not here.
            let judged = r.starts_with("arn:") || !r.contains("${");
            (judged && !may_match_a_role(r)).then(|| {
                fail(
                    RuleId::PassroleNonRoleResource,
                    format!("iam:PassRole on `{r}`, which can match no IAM role"),
                )
            })
        })
        .collect()
}

/// Whether a statement's actions name `iam:PassRole` through an `iam:` pattern.
fn names_pass_role(statement: &Value) -> bool {
    iam::list_of(&statement["Action"])
        .iter()
        .filter_map(Value::as_str)
        .any(|a| {
            a.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("iam:"))
                && iam::action_matches(a, "iam:PassRole")
        })
}
