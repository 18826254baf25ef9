//! Unit tests of `provider-escalation`.

#![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::reach::{resource_reach, ProviderName, Reach};
use crate::graph::Graph;

#[test]
fn invoke_resources_are_matched_against_the_provider() {
    let types: BTreeMap<String, String> = [
        ("P", "AWS::Lambda::Function"),
        ("Alias", "AWS::Lambda::Alias"),
        ("Other", "AWS::Lambda::Function"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    let properties: BTreeMap<String, Value> =
        BTreeMap::from([("Alias".to_owned(), json!({"FunctionName": {"Ref": "P"}}))]);
    let graph = Graph {
        types: &types,
        properties: &properties,
    };
    let known = ProviderName::Known("${AWS::StackName}-prov".into());
    let cases = [
        (json!("*"), &known, Reach::Yes),
        (json!("${P.Arn}:*"), &known, Reach::Yes),
        (json!({"Ref": "Alias"}), &known, Reach::Yes),
        (json!("arn:aws:lambda:*"), &known, Reach::Yes),
        (
            json!("arn:aws:lambda:eu-west-1:123456789012:function:${AWS::StackName}-*"),
            &known,
            Reach::Yes,
        ),
        (
            json!("arn:aws:lambda:eu-west-1:123456789012:function:prod-prov"),
            &known,
            Reach::Maybe,
        ),
        (
            json!("arn:aws:lambda:*:*:function:${AWS::StackName}-prov:live"),
            &known,
            Reach::Maybe,
        ),
        (
            json!("arn:aws:lambda:*:*:function:${Other}"),
            &known,
            Reach::No,
        ),
        (json!("arn:aws:lambda:*:*:layer:*"), &known, Reach::No),
        (json!("arn:aws:s3:::*"), &known, Reach::No),
        (json!({"Fn::ImportValue": "x"}), &known, Reach::Maybe),
        (
            json!("arn:aws:lambda:*:*:function:x"),
            &ProviderName::Unresolved,
            Reach::Maybe,
        ),
        (
            json!("arn:aws:lambda:*:*:function:x"),
            &ProviderName::Generated,
            Reach::No,
        ),
        (
            json!("arn:aws:lambda:*:*:function:${P}"),
            &ProviderName::Generated,
            Reach::Yes,
        ),
    ];
    for (value, name, reach) in cases {
        assert_eq!(resource_reach(&graph, &value, "P", name), reach, "{value}");
    }
}

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
