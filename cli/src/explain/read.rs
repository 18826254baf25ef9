//! Reading a principal's policies from the stack: a template role's inline and attached
//! policies and boundary, the role SAM makes for a function, AWS managed policies whose
//! documents are known, and documents with values the reading could not resolve (noted, and
//! gaps for what they could change).

use serde_json::Value;
use warden_iam::Policy;
use warden_lint::inventory::{Named, Stack};

use super::{
    gaps::{Gap, Gaps},
    model::Principal,
};

/// A principal's policies as read, and what could not be read.
#[derive(Default)]
pub(super) struct Read {
    pub(super) identity: Vec<(String, Policy)>,
    pub(super) boundary: Option<Policy>,
    pub(super) gaps: Gaps,
}

/// A template role's inline and attached policies and its boundary.
pub(super) fn read_role(stack: &Stack, id: &str, principal: &mut Principal, read: &mut Read) {
    for (name, document) in stack.role_documents(id) {
        let policy = read_policy(
            &name,
            &document,
            &mut principal.notes,
            &mut read.gaps.identity,
        );
        if let Some(p) = policy {
            read.identity.push((name, p));
        }
    }
    for managed in stack.managed_policies(id) {
        if let Named::Elsewhere(name) = managed {
            read_managed(&name, principal, read);
        }
    }
    if let Some(boundary) = stack.boundary(id) {
        read_boundary(stack, boundary, principal, read);
    }
}

/// The role SAM makes for `function`: AWSLambdaBasicExecutionRole, each `Policies` entry (a
/// managed policy, a document; a policy template is not expanded and is a gap) and the
/// function's `PermissionsBoundary`.
pub(super) fn read_sam_role(
    stack: &Stack,
    function: &str,
    principal: &mut Principal,
    read: &mut Read,
) {
    let Some(resource) = stack.resource(function) else {
        return;
    };
    let properties = &resource.properties;
    let partition = &stack.assumptions().partition;
    let basic = format!("arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
    read_managed(&basic, principal, read);
    for (i, entry) in warden_lint::iam::sam_policy_entries(&properties["Policies"])
        .iter()
        .enumerate()
    {
        match entry {
            Value::String(name) => read_managed(name, principal, read),
            Value::Object(map) if map.contains_key("Statement") => {
                let name = format!("{function}Role/Policies[{i}]");
                let policy =
                    read_policy(&name, entry, &mut principal.notes, &mut read.gaps.identity);
                if let Some(p) = policy {
                    read.identity.push((name, p));
                }
            }
            other => {
                let name = other
                    .as_object()
                    .and_then(|m| m.keys().next().cloned())
                    .unwrap_or_else(|| other.to_string());
                principal.notes.push(format!(
                    "SAM policy template {name} is not expanded: not evaluated"
                ));
                read.gaps
                    .identity
                    .push(Gap::whole(format!("SAM policy template {name}")));
            }
        }
    }
    let boundary = &properties["PermissionsBoundary"];
    if !boundary.is_null() {
        let named = stack.named(boundary, "AWS::IAM::ManagedPolicy");
        read_boundary(stack, named, principal, read);
    }
}

/// A managed policy named from outside the template: an AWS managed policy whose document is
/// known, else a gap.
fn read_managed(name: &str, principal: &mut Principal, read: &mut Read) {
    let known = warden_lint::iam::broad_managed_policy(&Value::String(name.to_owned()))
        .or_else(|| known_managed_policy(name));
    let policy =
        known.and_then(|d| read_policy(name, &d, &mut principal.notes, &mut read.gaps.identity));
    match policy {
        Some(p) => read.identity.push((name.to_owned(), p)),
        None => {
            principal.notes.push(format!(
                "managed policy {name} is not in the template: not evaluated"
            ));
            read.gaps.identity.push(Gap::whole(name));
        }
    }
}

/// A permissions boundary: a managed policy of the template, else a gap.
fn read_boundary(stack: &Stack, boundary: Named, principal: &mut Principal, read: &mut Read) {
    match boundary {
        Named::Here(b) => {
            let document = stack
                .resource(&b)
                .map(|r| r.properties["PolicyDocument"].clone())
                .unwrap_or_default();
            read.boundary =
                read_policy(&b, &document, &mut principal.notes, &mut read.gaps.boundary);
            principal.boundary = Some(b);
        }
        Named::Elsewhere(b) => {
            principal.notes.push(format!(
                "the permissions boundary {b} is not in the template: not evaluated"
            ));
            read.gaps.boundary.push(Gap::whole(b.clone()));
            principal.boundary = Some(b);
        }
    }
}

/// AWS managed policies narrow enough to be common on providers' roles, as their documents
/// (from the AWS managed policy reference; version v1 of AWSLambdaBasicExecutionRole, unchanged
/// since 2015).
fn known_managed_policy(arn: &str) -> Option<Value> {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let aws_managed = !arn.starts_with("arn:") || arn.contains(":aws:policy/");
    (name == "AWSLambdaBasicExecutionRole" && aws_managed).then(|| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*"}]})
    })
}

/// Reads a policy document of the stack; what cannot be read is noted and added to `gaps`:
/// the whole policy, or the statements read with an unresolved value.
fn read_policy(
    name: &str,
    document: &Value,
    notes: &mut Vec<String>,
    gaps: &mut Vec<Gap>,
) -> Option<Policy> {
    let document = match warden_lint::iam::document(document) {
        Ok(d) => d,
        Err(e) => {
            notes.push(format!("{name}: {e}; not evaluated"));
            gaps.push(Gap::whole(name));
            return None;
        }
    };
    let before = notes.len();
    let document = unresolved_to_placeholders(name, &document, notes);
    match Policy::parse(&document) {
        Ok(p) => {
            if notes.len() > before {
                gaps.push(Gap {
                    policy: name.to_owned(),
                    actions: unresolved_statement_actions(&document),
                });
            }
            Some(p)
        }
        Err(e) => {
            notes.push(format!("{name}: {e}; not evaluated"));
            gaps.push(Gap::whole(name));
            None
        }
    }
}

/// The action patterns of the statements holding an unresolved value; `None` when one of them
/// has `NotAction` or no readable action (it could concern any action).
fn unresolved_statement_actions(document: &Value) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for statement in warden_lint::iam::list_of(&document["Statement"]) {
        if !statement.to_string().contains("UNRESOLVED(") {
            continue;
        }
        if statement.get("NotAction").is_some() {
            return None;
        }
        let actions: Vec<String> = warden_lint::iam::list_of(&statement["Action"])
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .filter(|a| !a.starts_with("UNRESOLVED("))
            .collect();
        if actions.is_empty() {
            return None;
        }
        out.extend(actions);
    }
    Some(out)
}

/// What a template leaves unresolved in a statement's elements (an attribute the reading does
/// not know): the text `UNRESOLVED(…)`, which matches no request, noted.
fn unresolved_to_placeholders(name: &str, document: &Value, notes: &mut Vec<String>) -> Value {
    fn walk(value: &Value, path: &str, found: &mut Vec<String>) -> Value {
        match value {
            Value::Object(map) if warden_lint::template::is_intrinsic(value) => {
                found.push(format!("{path} = {value}"));
                Value::String(format!(
                    "UNRESOLVED({})",
                    map.keys().next().map_or("", String::as_str)
                ))
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, &format!("{path}.{k}"), found)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| walk(v, &format!("{path}[{i}]"), found))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut found = Vec::new();
    let out = walk(document, name, &mut found);
    notes.extend(
        found
            .into_iter()
            .map(|f| format!("unresolved, read as matching nothing: {f}")),
    );
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    use super::*;
    use crate::explain::judge::requests_named;

    #[test]
    fn unresolved_values_are_named_and_match_nothing() {
        let mut notes = Vec::new();
        let mut gaps = Vec::new();
        let document = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents",
            "Resource": {"Fn::GetAtt": ["Group", "Arn"]}}]});
        let policy = read_policy("logs", &document, &mut notes, &mut gaps).unwrap();
        assert_eq!(
            gaps,
            [Gap {
                policy: "logs".into(),
                actions: Some(vec!["logs:PutLogEvents".into()])
            }]
        );
        assert!(notes[0].contains("Fn::GetAtt"), "{notes:?}");
        assert_eq!(
            requests_named(&policy),
            [(
                "logs:PutLogEvents".to_owned(),
                "UNRESOLVED(Fn::GetAtt)".to_owned()
            )]
        );
        let mut notes = Vec::new();
        assert!(
            read_policy("bad", &serde_json::json!("not json"), &mut notes, &mut gaps).is_none()
        );
        assert_eq!(gaps.len(), 2);
    }
}
