//! `multiple-event-triggers`: a function with several triggers (SAM `Events`, event source
//! mappings, permissions for AWS service principals).

use std::collections::BTreeMap;

use super::{fail, Hit, RuleId};
use crate::{
    finding::{Rule, Severity},
    graph::Graph,
};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "multiple-event-triggers",
    severity: Severity::Low,
    description: "A function has several event triggers: one role serves several purposes.",
};

/// Findings by logical id (the function).
pub(crate) fn check(graph: &Graph<'_>) -> BTreeMap<String, Vec<Hit>> {
    let functions = graph.functions();
    let names: BTreeMap<String, String> = functions
        .iter()
        .filter_map(|id| {
            graph.props(id)["FunctionName"]
                .as_str()
                .map(|n| (n.to_owned(), (*id).clone()))
        })
        .collect();
    let mut triggers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in &functions {
        for event in graph.props(id)["Events"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            triggers
                .entry((*id).clone())
                .or_default()
                .push(format!("event {event}"));
        }
    }
    for (id, t) in graph.types {
        let p = graph.props(id);
        let is_trigger = t == "AWS::Lambda::EventSourceMapping"
            || (t == "AWS::Lambda::Permission"
                && p["Principal"]
                    .as_str()
                    .is_some_and(|s| s.ends_with(".amazonaws.com")));
        if is_trigger {
            if let Some(target) = graph.target_function(&p["FunctionName"], &names) {
                triggers.entry(target).or_default().push(id.clone());
            }
        }
    }
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for (id, sources) in triggers.into_iter().filter(|(_, s)| s.len() > 1) {
        hits.entry(id).or_default().push(fail(
            RuleId::MultipleEventTriggers,
            format!("{} triggers: {}", sources.len(), sources.join(", ")),
        ));
    }
    hits
}
