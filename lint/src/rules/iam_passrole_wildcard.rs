//! `iam-passrole-wildcard`: an Allow statement granting `iam:PassRole` on `*`, on an ARN
//! pattern that can match IAM roles, or on everything but some resources (`NotResource`)
//! (roles, users, groups, policies, SAM `Policies` documents). A pattern that can match no role
//! (`arn:aws:s3:::*`) is not a role wildcard (`passrole-non-role-resource` reports it as info).

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, Rule, RuleId, Severity};
use crate::{iam, resolve::is_concrete_reference};

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
    if statement.get("NotResource").is_some() {
        hits.push(fail(
            ID,
            "iam:PassRole with NotResource: every role but the listed ones",
        ));
    }
    for resource in iam::list_of(&statement["Resource"]) {
        match resource.as_str() {
            Some(r) if r.contains('*') && may_match_a_role(r) => {
                hits.push(fail(ID, format!("iam:PassRole on `{r}`")));
            }
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

/// Whether a resource pattern can match an IAM role's ARN
/// (`arn:<partition>:iam::<account>:role/<path><name>`).
pub(crate) fn may_match_a_role(pattern: &str) -> bool {
    if !pattern.starts_with("arn:") {
        return warden_iam::resource_matches(pattern, "arn:aws:iam::123456789012:role/r");
    }
    let pattern = iam::without_variables(pattern);
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [_, _, service, _, _, resource] = parts[..] else {
        // Fewer parts: a `*` in them may span the rest.
        return true;
    };
    let service_ok = service.contains('*') || service.contains('?') || service == "iam";
    // The resource part's literal start must be compatible with `role/`.
    let literal: String = resource
        .chars()
        .take_while(|c| *c != '*' && *c != '?')
        .collect();
    let resource_ok = literal.starts_with("role/") || "role/".starts_with(&literal);
    service_ok && resource_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_patterns_that_can_match_a_role_count() {
        for role in [
            "*",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::*:role/app-*",
            "arn:aws:iam::123456789012:*",
            "arn:*:*",
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x*",
        ] {
            assert!(may_match_a_role(role), "{role}");
        }
        for other in [
            "arn:aws:s3:::*",
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:lambda:*:*:function:*",
            "arn:aws:iam::123456789012:policy/*",
        ] {
            assert!(!may_match_a_role(other), "{other}");
        }
    }
}
