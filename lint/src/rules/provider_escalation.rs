//! `provider-escalation`: a custom-resource provider that principals other than CloudFormation
//! and the provider itself may invoke while its role can pass roles, create or update function
//! code, or write IAM. Found through the template's resource graph (ServiceToken → alias or
//! version → function → role → inline, attached and separate policies).
//!
//! Who may invoke it: Lambda permissions to broad principals (`*`, an ARN pattern, an account
//! root, an account), and IAM statements allowing `lambda:InvokeFunction` on resources that
//! match the provider: `*`, an ARN pattern (`arn:aws:lambda:*:*:function:my-prov*`), or its
//! own ARN (`!Sub arn:...:function:${Provider}`, `!GetAtt Provider.Arn`), matched against its
//! `FunctionName` (CloudFormation's generated name when there is none). A statement counts
//! whoever holds it: roles, users and groups (with their members, through users' `Groups` and
//! `AWS::IAM::UserToGroupAddition`), a SAM function's generated role, or nobody in the template
//! (a managed policy attached elsewhere); one held only by the provider's own role is not a
//! path. A pattern that may match the provider's name only for some values known at
//! deployment (a generated name, a parameter) makes the finding UNKNOWN.

use std::collections::BTreeMap;

use serde_json::{json, Value};

mod holders;
mod reach;

use super::{fail, unknown, Hit, Rule, RuleId, Severity};
use crate::{
    graph::Graph,
    iam::{
        action_matches, broad_managed_policy, escalating, list_of, policy_documents, statement_list,
    },
};
use holders::{own_role, Principals};
use reach::{Invoker, ProviderName, Reach};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "provider-escalation",
    severity: Severity::High,
    description: "A custom-resource provider can be invoked through a wildcard, an ARN pattern, the whole account or an IAM statement matching it (held by anyone but its own role) while its role can pass roles, create or update functions, or write IAM.",
};

/// Findings by logical id (the provider function).
pub(crate) fn check(graph: &Graph<'_>) -> BTreeMap<String, Vec<Hit>> {
    let providers = graph.providers();
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    if providers.is_empty() {
        return hits;
    }
    let principals = Principals::of(graph);
    // One pass over the template: broad Lambda permissions per function, the IAM statements
    // that allow invoking functions (with who holds them), and the separate policies attached
    // to each role.
    let mut permission_grants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut invokers: Vec<Invoker> = Vec::new();
    let mut attached: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (id, t) in graph.types {
        let p = graph.props(id);
        if t == "AWS::Lambda::Permission" && broad_principal(&p["Principal"]) {
            if let Some(f) = graph.function_of(&p["FunctionName"]) {
                permission_grants.entry(f).or_default().push(format!(
                    "{id} (Principal {})",
                    p["Principal"].as_str().unwrap_or("?")
                ));
            }
        }
        if matches!(t.as_str(), "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") {
            for role in list_of(&p["Roles"]) {
                if let Some(r) = role.get("Ref").and_then(Value::as_str) {
                    attached
                        .entry(r.to_owned())
                        .or_default()
                        .push(p["PolicyDocument"].clone());
                }
            }
        }
        let mut documents = policy_documents(t, p);
        if t == "AWS::Serverless::Function" && p.get("Role").is_none() {
            documents.extend(
                list_of(&p["Policies"])
                    .into_iter()
                    .filter(|x| x.get("Statement").is_some()),
            );
        }
        for document in documents {
            for statement in statement_list(&document) {
                if invokes(&statement) {
                    invokers.push(Invoker {
                        id: id.clone(),
                        statement,
                        holders: principals.holders(id, t, p),
                    });
                }
            }
        }
    }
    for (function, users) in &providers {
        let own = own_role(graph, function, &principals);
        let name = ProviderName::of(graph, function);
        let mut definite = permission_grants.remove(function).unwrap_or_default();
        let mut possible = Vec::new();
        for invoker in &invokers {
            if !invoker.holders.is_empty()
                && invoker.holders.iter().all(|h| Some(h) == own.as_ref())
            {
                continue; // the provider invoking itself gains nothing
            }
            match invoker.reach(graph, function, &name) {
                (Reach::Yes, what) => definite.push(invoker.describe(&what, &principals)),
                (Reach::Maybe, what) => possible.push(invoker.describe(&what, &principals)),
                (Reach::No, _) => {}
            }
        }
        if definite.is_empty() && possible.is_empty() {
            continue;
        }
        let Some(documents) = role_documents(graph, function, &attached) else {
            let mut grants = definite;
            grants.extend(possible);
            hits.entry(function.clone()).or_default().push(unknown(
                RuleId::ProviderEscalation,
                format!(
                    "provider of {} may be invoked through {}; its role is not in the template",
                    users.join(", "),
                    shortened(grants)
                ),
            ));
            continue;
        };
        let actions = escalating(&documents);
        if actions.is_empty() {
            continue;
        }
        let hit = if definite.is_empty() {
            unknown(
                RuleId::ProviderEscalation,
                format!(
                    "provider of {} may be invoked through {} if the pattern matches its name (known at deployment) while its role can {}",
                    users.join(", "),
                    shortened(possible),
                    actions.join(", ")
                ),
            )
        } else {
            fail(
                RuleId::ProviderEscalation,
                format!(
                    "provider of {} may be invoked through {} while its role can {}",
                    users.join(", "),
                    shortened(definite),
                    actions.join(", ")
                ),
            )
        };
        hits.entry(function.clone()).or_default().push(hit);
    }
    hits
}

/// `*`, a pattern, an account root, or an account (id, `${AWS::AccountId}`, its Ref).
fn broad_principal(p: &Value) -> bool {
    match p.as_str() {
        Some(s) => {
            s.contains('*')
                || s.ends_with(":root")
                || s.contains("${AWS::AccountId}")
                || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        }
        None => p.get("Ref").and_then(Value::as_str) == Some("AWS::AccountId"),
    }
}

/// Whether an Allow statement's actions include `lambda:InvokeFunction` (`Action`, or
/// `NotAction` that does not exclude it).
fn invokes(statement: &Value) -> bool {
    let invoke = |patterns: &Value| {
        list_of(patterns)
            .iter()
            .filter_map(Value::as_str)
            .any(|a| action_matches(a, "lambda:InvokeFunction"))
    };
    statement["Effect"] == json!("Allow")
        && (invoke(&statement["Action"])
            || (statement.get("NotAction").is_some() && !invoke(&statement["NotAction"])))
}

/// At most three grants, then how many more.
fn shortened(mut grants: Vec<String>) -> String {
    if grants.len() > 3 {
        let more = grants.len() - 3;
        grants.truncate(3);
        grants.push(format!("{more} more"));
    }
    grants.join(", ")
}

/// The documents of a provider's role (inline, managed, attached; a SAM function's own
/// `Policies` when it has no `Role`); `None` when the role is not in the template.
fn role_documents(
    graph: &Graph<'_>,
    function: &str,
    attached: &BTreeMap<String, Vec<Value>>,
) -> Option<Vec<Value>> {
    let f = graph.props(function);
    let mut documents: Vec<Value> = Vec::new();
    let role = f["Role"]
        .get("Fn::GetAtt")
        .and_then(|a| a.get(0))
        .and_then(Value::as_str)
        .filter(|r| graph.is(r, "AWS::IAM::Role"));
    match (role, graph.types.get(function).map(String::as_str)) {
        (Some(r), _) => {
            let rp = graph.props(r);
            documents.extend(
                list_of(&rp["Policies"])
                    .iter()
                    .map(|x| x["PolicyDocument"].clone()),
            );
            for arn in list_of(&rp["ManagedPolicyArns"]) {
                if let Some(m) = arn.get("Ref").and_then(Value::as_str) {
                    if graph.is(m, "AWS::IAM::ManagedPolicy") {
                        documents.push(graph.props(m)["PolicyDocument"].clone());
                    }
                }
                documents.extend(broad_managed_policy(&arn));
            }
            documents.extend(attached.get(r).into_iter().flatten().cloned());
        }
        (None, Some("AWS::Serverless::Function")) if f.get("Role").is_none() => {
            documents.extend(
                list_of(&f["Policies"])
                    .iter()
                    .filter_map(broad_managed_policy),
            );
            documents.extend(
                list_of(&f["Policies"])
                    .into_iter()
                    .filter(|x| x.get("Statement").is_some()),
            );
        }
        _ => return None,
    }
    Some(documents)
}

#[cfg(test)]
mod tests;
