//! `lambda-permission-public`: `AWS::Lambda::Permission` with Principal `*` and no
//! SourceArn / SourceAccount / PrincipalOrgID.

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, Rule, RuleId, Severity};
use crate::{resolve::is_concrete_reference, template::is_intrinsic};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "lambda-permission-public",
    severity: Severity::High,
    description:
        "A Lambda permission grants Principal * without SourceArn, SourceAccount or PrincipalOrgID.",
};

pub(crate) fn check(resource_type: &str, p: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    if resource_type != "AWS::Lambda::Permission" {
        return Vec::new();
    }
    public_permission(p, ctx).into_iter().collect()
}

fn public_permission(p: &Value, ctx: &Ctx<'_>) -> Option<Hit> {
    const RULE: RuleId = RuleId::LambdaPermissionPublic;
    let principal = &p["Principal"];
    // `!GetAtt SomeRole.Arn`: that one principal of this template.
    if is_concrete_reference(principal, ctx.types) {
        return None;
    }
    if is_intrinsic(principal) {
        return Some(unknown(RULE, "the Principal could not be resolved"));
    }
    let scoped = ["SourceArn", "SourceAccount", "PrincipalOrgID"]
        .iter()
        .any(|k| p.get(*k).is_some());
    (principal.as_str() == Some("*") && !scoped).then(|| {
        fail(
            RULE,
            "Principal * without SourceArn, SourceAccount or PrincipalOrgID",
        )
    })
}
