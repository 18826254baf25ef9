//! `suppression-without-reason`: a suppression in a resource's Metadata
//! (`cfn-warden: {Suppress: [{Rule, Reason}]}`) without a Reason; it is ignored.

use serde_json::Value;

use super::{fail, Hit, Rule, RuleId, Severity};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "suppression-without-reason",
    severity: Severity::Medium,
    description: "A suppression in Metadata has no Reason.",
};

/// Rules suppressed by the resource's Metadata, and findings about bad suppressions.
pub(crate) fn suppressions(metadata: &Value) -> (Vec<String>, Vec<Hit>) {
    let mut suppressed = Vec::new();
    let mut hits = Vec::new();
    for entry in metadata["cfn-warden"]["Suppress"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let rule = entry["Rule"].as_str().unwrap_or_default();
        let reason = entry["Reason"].as_str().map(str::trim).unwrap_or_default();
        if reason.is_empty() {
            hits.push(fail(
                RuleId::SuppressionWithoutReason,
                format!("suppression of `{rule}` has no Reason; it is ignored"),
            ));
        } else {
            suppressed.push(rule.to_owned());
        }
    }
    (suppressed, hits)
}
