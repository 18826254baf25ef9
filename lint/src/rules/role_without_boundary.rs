//! `role-without-boundary`: an IAM role without a permissions boundary (SAM functions whose
//! generated role has none included, unless `Globals.Function.PermissionsBoundary` is set).

use serde_json::Value;

use super::{fail, Ctx, Hit, Rule, RuleId, Severity};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "role-without-boundary",
    severity: Severity::Low,
    description: "An IAM role has no permissions boundary.",
};

pub(crate) fn check(resource_type: &str, p: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    match resource_type {
        "AWS::Serverless::Function"
            if p.get("Role").is_none()
                && p.get("PermissionsBoundary").is_none()
                && !ctx.sam_global_boundary =>
        {
            vec![fail(
                RuleId::RoleWithoutBoundary,
                "SAM creates this function's role without a PermissionsBoundary",
            )]
        }
        "AWS::IAM::Role" if p.get("PermissionsBoundary").is_none() => {
            vec![fail(RuleId::RoleWithoutBoundary, "no PermissionsBoundary")]
        }
        _ => Vec::new(),
    }
}
