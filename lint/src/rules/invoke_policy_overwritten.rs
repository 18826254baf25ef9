//! `invoke-policy-overwritten`: a custom-resource provider with both an
//! `AWS::Lambda::Permission` and an `AWS::Lambda::ResourcePolicy`. `AddPermission` and
//! `PutResourcePolicy` overwrite each other (Lambda API reference), so one of the two invoke
//! policies is silently lost. Reported on each such permission.

use std::collections::BTreeMap;

use super::{fail, Hit, Rule, RuleId, Severity};
use crate::graph::Graph;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "invoke-policy-overwritten",
    severity: Severity::High,
    description: "A custom-resource provider has both an AWS::Lambda::Permission and an AWS::Lambda::ResourcePolicy: AddPermission and PutResourcePolicy overwrite each other, so one of the two invoke policies is silently lost.",
};

/// Findings by logical id (the permission).
pub(crate) fn check(graph: &Graph<'_>) -> BTreeMap<String, Vec<Hit>> {
    let providers = graph.providers();
    let mut resource_policies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, t) in graph.types {
        if t == "AWS::Lambda::ResourcePolicy" {
            if let Some(f) = graph.function_of(&graph.props(id)["ResourceArn"]) {
                resource_policies.entry(f).or_default().push(id.clone());
            }
        }
    }
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for (id, t) in graph.types {
        if t != "AWS::Lambda::Permission" {
            continue;
        }
        let Some(function) = graph.function_of(&graph.props(id)["FunctionName"]) else {
            continue;
        };
        if let (Some(users), Some(policies)) =
            (providers.get(&function), resource_policies.get(&function))
        {
            hits.entry(id.clone()).or_default().push(fail(
                RuleId::InvokePolicyOverwritten,
                format!(
                    "permission on the provider of {} (function {function}), which also has the resource policy {}: AddPermission and PutResourcePolicy overwrite each other; keep one",
                    users.join(", "),
                    policies.join(", ")
                ),
            ));
        }
    }
    hits
}
