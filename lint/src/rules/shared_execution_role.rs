//! `shared-execution-role`: several functions with the same execution role (compared as
//! resolved JSON; a SAM function without `Role` gets its own).

use std::collections::BTreeMap;

use super::{fail, Hit, Rule, RuleId, Severity};
use crate::graph::Graph;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "shared-execution-role",
    severity: Severity::Medium,
    description: "Several functions share one execution role: each gets the others' permissions.",
};

/// Findings by logical id (each sharing function).
pub(crate) fn check(graph: &Graph<'_>) -> BTreeMap<String, Vec<Hit>> {
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    let mut by_role: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for id in graph.functions() {
        let role = &graph.props(id)["Role"];
        if !role.is_null() {
            by_role.entry(role.to_string()).or_default().push(id);
        }
    }
    for sharing in by_role.values().filter(|ids| ids.len() > 1) {
        for id in sharing {
            let others: Vec<&str> = sharing
                .iter()
                .filter(|o| o != &id)
                .map(|o| o.as_str())
                .collect();
            hits.entry((*id).clone()).or_default().push(fail(
                RuleId::SharedExecutionRole,
                format!("shares its role with {}", others.join(", ")),
            ));
        }
    }
    hits
}
