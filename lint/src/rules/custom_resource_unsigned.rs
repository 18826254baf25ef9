//! `custom-resource-unsigned`: a custom resource without `WardenSignature`: any invoker can
//! choose its properties.

use serde_json::Value;

use super::{fail, Ctx, Hit, Rule, RuleId, Severity};
use crate::graph::is_custom_resource;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "custom-resource-unsigned",
    severity: Severity::Medium,
    description:
        "A custom resource carries no WardenSignature: any invoker can choose its properties.",
};

pub(crate) fn check(resource_type: &str, p: &Value, _: &Ctx<'_>) -> Vec<Hit> {
    if is_custom_resource(resource_type) && p.get("WardenSignature").is_none() {
        return vec![fail(
            RuleId::CustomResourceUnsigned,
            "no WardenSignature property (sign with `warden sign`)",
        )];
    }
    Vec::new()
}
