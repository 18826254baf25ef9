//! `multiple-event-triggers`: a function with several triggers (SAM `Events`, event source
//! mappings, permissions for AWS service principals), counted by source: several routes or
//! permissions of one API, or several events of one bucket, queue, stream or topic, are one
//! trigger. The source of a SAM `Api`/`HttpApi` event is its `RestApiId`/`ApiId` (the implicit
//! API when absent), of an event source mapping its `EventSourceArn`, of a permission its
//! `SourceArn` (the API id of an `execute-api` ARN); a trigger whose source is not known (a
//! schedule, a permission without `SourceArn`, a pattern) is a source of its own.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{fail, Hit, Rule, RuleId, Severity};
use crate::{arn, graph::Graph};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "multiple-event-triggers",
    severity: Severity::Low,
    description: "A function has several event triggers: one role serves several purposes.",
};

/// The property naming a SAM event's source, by event type, and the implicit source when it
/// is absent.
const SAM_SOURCES: &[(&str, &str, Option<&str>)] = &[
    ("Api", "RestApiId", Some("ServerlessRestApi")),
    ("HttpApi", "ApiId", Some("ServerlessHttpApi")),
    ("S3", "Bucket", None),
    ("SNS", "Topic", None),
    ("SQS", "Queue", None),
    ("Kinesis", "Stream", None),
    ("DynamoDB", "Stream", None),
    ("MSK", "Stream", None),
    ("MQ", "Broker", None),
    ("DocumentDB", "Cluster", None),
    ("Cognito", "UserPool", None),
];

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
    // Per function: its triggers, each under its source (its own name when unknown).
    let mut triggers: BTreeMap<String, Sources> = BTreeMap::new();
    for id in &functions {
        for (event, body) in graph.props(id)["Events"].as_object().into_iter().flatten() {
            let label = format!("event {event}");
            let source = sam_source(body).unwrap_or_else(|| label.clone());
            triggers
                .entry((*id).clone())
                .or_default()
                .add(source, label);
        }
    }
    for (id, t) in graph.types {
        let p = graph.props(id);
        let source = match t.as_str() {
            "AWS::Lambda::EventSourceMapping" => source_of(&p["EventSourceArn"]),
            "AWS::Lambda::Permission"
                if p["Principal"]
                    .as_str()
                    .is_some_and(|s| s.ends_with(".amazonaws.com")) =>
            {
                source_of(&p["SourceArn"])
            }
            _ => continue,
        };
        if let Some(target) = graph.target_function(&p["FunctionName"], &names) {
            triggers
                .entry(target)
                .or_default()
                .add(source.unwrap_or_else(|| id.clone()), id.clone());
        }
    }
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for (id, sources) in triggers.into_iter().filter(|(_, s)| s.0.len() > 1) {
        let described: Vec<String> = sources
            .0
            .iter()
            .map(|(source, members)| match &members[..] {
                [one] => one.clone(),
                several => format!("{} (one source: {source})", several.join(", ")),
            })
            .collect();
        hits.entry(id).or_default().push(fail(
            RuleId::MultipleEventTriggers,
            format!("{} triggers: {}", sources.0.len(), described.join(", ")),
        ));
    }
    hits
}

/// A function's triggers by source, in the order found.
#[derive(Default)]
struct Sources(Vec<(String, Vec<String>)>);

impl Sources {
    fn add(&mut self, source: String, label: String) {
        match self.0.iter_mut().find(|(s, _)| *s == source) {
            Some((_, members)) => members.push(label),
            None => self.0.push((source, vec![label])),
        }
    }
}

/// The source of a SAM event, when its type names one.
fn sam_source(event: &Value) -> Option<String> {
    let kind = event["Type"].as_str()?;
    let (_, property, implicit) = SAM_SOURCES.iter().find(|(k, _, _)| *k == kind)?;
    match event["Properties"].get(*property) {
        Some(value) => source_of(value),
        None => implicit.map(str::to_owned),
    }
}

/// The source an ARN (or a reference) designates: the resource or parameter a reference names
/// (`!Ref Queue`, `!GetAtt Queue.Arn`, `${Bucket}` as the resource part), the API of an
/// `execute-api` ARN, else the literal ARN. `None` when it may designate several (a wildcard)
/// or cannot be read.
fn source_of(value: &Value) -> Option<String> {
    let text = arn::text(value)?;
    if let Some(name) = arn::reference(&text) {
        return Some(name.to_owned());
    }
    let fields = arn::fields(&text);
    if fields.len() >= 6 && fields[0] == "arn" {
        let resource = fields[5..].join(":");
        if fields[2] == "execute-api" {
            // arn:aws:execute-api:region:account:API_ID/stage/method/path
            let api = resource.split('/').next().unwrap_or_default();
            if api.is_empty() || api.contains(['*', '?']) {
                return None;
            }
            return Some(arn::reference(api).unwrap_or(api).to_owned());
        }
        if let Some(name) = arn::reference(&resource) {
            return Some(name.to_owned());
        }
    }
    (!text.is_empty() && !text.contains(['*', '?'])).then_some(text)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sources_are_apis_resources_and_literal_arns() {
        for (value, source) in [
            (json!({"Ref": "Api"}), Some("Api")),
            (json!({"Fn::GetAtt": ["Queue", "Arn"]}), Some("Queue")),
            (
                json!({"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/*/*/*"}),
                Some("RestApi"),
            ),
            (
                json!("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/items"),
                Some("abc123"),
            ),
            (
                json!({"Fn::Join": ["", ["arn:aws:execute-api:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":", {"Ref": "Api"}, "/*"]]}),
                Some("Api"),
            ),
            (
                json!("arn:${AWS::Partition}:s3:::${Bucket}"),
                Some("Bucket"),
            ),
            (
                json!("arn:aws:sqs:us-east-1:123456789012:q"),
                Some("arn:aws:sqs:us-east-1:123456789012:q"),
            ),
            (
                json!("arn:aws:execute-api:us-east-1:123456789012:*/*"),
                None,
            ),
            (json!("arn:aws:s3:::*"), None),
            (json!({"Fn::ImportValue": "x"}), None),
            (Value::Null, None),
        ] {
            assert_eq!(source_of(&value).as_deref(), source, "{value}");
        }
    }
}
