//! `provider-escalation`: a custom-resource provider that a broad set of principals may invoke
//! (the account root, `*`, an account, or an ARN pattern; Lambda permissions and IAM statements
//! allowing `lambda:InvokeFunction` on `*` or a Lambda pattern) while its role can pass roles,
//! create or update function code, or write IAM. Found through the template's resource graph
//! (ServiceToken → alias or version → function → role → inline, attached and separate
//! policies).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{fail, unknown, Hit, RuleId};
use crate::{
    finding::{Rule, Severity},
    graph::Graph,
    iam::{
        action_matches, broad_managed_policy, escalating, list_of, policy_documents, statement_list,
    },
};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "provider-escalation",
    severity: Severity::High,
    description: "A custom-resource provider can be invoked through a wildcard, an ARN pattern or the whole account while its role can pass roles, create or update functions, or write IAM.",
};

/// Findings by logical id (the provider function).
pub(crate) fn check(graph: &Graph<'_>) -> BTreeMap<String, Vec<Hit>> {
    let providers = graph.providers();
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    // Invoke grants to broad principals: Lambda permissions, and IAM statements on patterns.
    // `*`, a pattern, an account root, or an account (id, `${AWS::AccountId}`, its Ref).
    let broad_principal = |p: &Value| match p.as_str() {
        Some(s) => {
            s.contains('*')
                || s.ends_with(":root")
                || s.contains("${AWS::AccountId}")
                || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        }
        None => p.get("Ref").and_then(Value::as_str) == Some("AWS::AccountId"),
    };
    // One pass over the template: broad Lambda permissions per function, IAM statements that
    // let their holders invoke every function (they apply to every provider), and the
    // separate policies attached to each role.
    let mut permission_grants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut pattern_grants: Vec<String> = Vec::new();
    let mut attached: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if !providers.is_empty() {
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
            let documents = policy_documents(t, p);
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
            for document in documents {
                for statement in statement_list(&document) {
                    let invokes = statement["Effect"] == json!("Allow")
                        && list_of(&statement["Action"])
                            .iter()
                            .filter_map(Value::as_str)
                            .any(|a| action_matches(a, "lambda:InvokeFunction"));
                    // `*`, or a Lambda ARN pattern (`function:*`, `arn:aws:lambda:*:*:*`,
                    // `function:app-*`): each may cover the provider.
                    let pattern = list_of(&statement["Resource"]).into_iter().find_map(|r| {
                        let r = r.as_str()?.to_owned();
                        let lambda = r.starts_with("arn:")
                            && r.split(':')
                                .nth(2)
                                .is_some_and(|x| x == "lambda" || x.contains('*'));
                        (r == "*" || (lambda && r.contains('*'))).then_some(r)
                    });
                    if let (true, Some(pattern)) = (invokes, pattern) {
                        pattern_grants.push(format!("{id} (lambda:InvokeFunction on `{pattern}`)"));
                    }
                }
            }
        }
    }
    for (function, users) in &providers {
        let mut grants = permission_grants.remove(function).unwrap_or_default();
        grants.extend(pattern_grants.iter().cloned());
        if grants.len() > 3 {
            let more = grants.len() - 3;
            grants.truncate(3);
            grants.push(format!("{more} more"));
        }
        if grants.is_empty() {
            continue;
        }
        let f = graph.props(function);
        let mut documents: Vec<Value> = Vec::new();
        let role = f["Role"]
            .get("Fn::GetAtt")
            .and_then(|a| a.get(0))
            .and_then(Value::as_str)
            .filter(|r| graph.is(r, "AWS::IAM::Role"))
            .map(str::to_owned);
        match (&role, graph.types.get(function).map(String::as_str)) {
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
            _ => {
                hits.entry(function.clone()).or_default().push(unknown(
                    RuleId::ProviderEscalation,
                    format!(
                        "provider of {} may be invoked through {}; its role is not in the template",
                        users.join(", "),
                        grants.join(", ")
                    ),
                ));
                continue;
            }
        }
        let actions = escalating(&documents);
        if !actions.is_empty() {
            hits.entry(function.clone()).or_default().push(fail(
                RuleId::ProviderEscalation,
                format!(
                    "provider of {} may be invoked through {} while its role can {}",
                    users.join(", "),
                    grants.join(", "),
                    actions.join(", ")
                ),
            ));
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    #[test]
    fn a_provider_linked_by_sub_and_invokable_by_the_account_escalates() {
        let source = r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: b
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
  Provider:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Open:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Sub "${Provider.Arn}:live", Principal: !Ref AWS::AccountId, Action: lambda:InvokeFunction}
  Thing:
    Type: Custom::Thing
    Properties: {ServiceToken: !Sub "${Provider.Arn}:live", WardenSignature: s}
"#;
        let findings = crate::lint("t.yaml", source).unwrap();
        let hit = findings
            .iter()
            .find(|f| f.rule == "provider-escalation")
            .unwrap_or_else(|| panic!("{findings:?}"));
        assert_eq!(hit.logical_id, "Provider");
        assert!(hit.message.contains("iam:PassRole"), "{}", hit.message);
    }
}
