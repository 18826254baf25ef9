//! Unit tests of `session_policy`.

use serde_json::json;

use super::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/app-fn";

fn rule_of(e: Error) -> PolicyRule {
    match e {
        Error::PolicyRefused { rule, .. } => rule,
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn builds_deterministic_minified_json() {
    let policy = SessionPolicy::builder()
        .allow(
            ["lambda:PublishLayerVersion"],
            ["arn:aws:lambda:eu-west-1:123456789012:layer:deps"],
        )
        .pass_role(ROLE, "lambda.amazonaws.com")
        .build()
        .unwrap();
    assert_eq!(
        policy.to_json(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:PublishLayerVersion"],"Resource":["arn:aws:lambda:eu-west-1:123456789012:layer:deps"]},{"Effect":"Allow","Action":["iam:PassRole"],"Resource":["arn:aws:iam::123456789012:role/app-fn"],"Condition":{"StringEquals":{"iam:PassedToService":["lambda.amazonaws.com"]}}}]}"#
    );
    let reparsed = SessionPolicy::parse(&serde_json::from_str(policy.to_json()).unwrap()).unwrap();
    assert_eq!(reparsed, policy);
    assert_eq!(
        policy.actions(),
        ["iam:PassRole", "lambda:PublishLayerVersion"]
    );
}

#[test]
fn wildcard_actions_are_refused() {
    for action in ["lambda:*", "*", "s3:Get*", "iam:Pass?ole"] {
        let err = SessionPolicy::builder()
            .allow([action], ["arn:aws:s3:::b/k"])
            .build()
            .unwrap_err();
        assert!(
            matches!(
                rule_of(err),
                PolicyRule::WildcardAction | PolicyRule::MalformedAction
            ),
            "{action}"
        );
    }
}

#[test]
fn malformed_actions_and_resources_are_refused() {
    for action in ["GetObject", "s3:", ":Get", "S3:GetObject", "s3:Get Object"] {
        let err = SessionPolicy::builder()
            .allow([action], ["arn:aws:s3:::b/k"])
            .build()
            .unwrap_err();
        assert_eq!(rule_of(err), PolicyRule::MalformedAction, "{action}");
    }
    for resource in [
        "bucket",
        "arn:aws:s3",
        "arn::s3:::b",
        "arn:aws:::a:b",
        "arn:*:*:*:*:*",
        "arn:aws:s3:::*",
        "arn:aws:*:us-east-1:123456789012:x",
        "arn:aws:lambda:us-east-1:123456789012:*:*",
    ] {
        let err = SessionPolicy::builder()
            .allow(["s3:GetObject"], [resource])
            .build()
            .unwrap_err();
        assert_eq!(rule_of(err), PolicyRule::MalformedResource, "{resource}");
    }
}

#[test]
fn wildcards_inside_a_resource_part_are_fine() {
    SessionPolicy::builder()
        .allow(
            ["s3:GetObject"],
            [
                "arn:aws:s3:::bucket/*",
                "arn:aws:lambda:*:123456789012:layer:deps:*",
            ],
        )
        .build()
        .unwrap();
}

#[test]
fn bare_star_resource_needs_the_explicit_call() {
    let err = SessionPolicy::builder()
        .allow(["lambda:ListLayers"], ["*"])
        .build()
        .unwrap_err();
    assert_eq!(rule_of(err), PolicyRule::MalformedResource);
    let ok = SessionPolicy::builder()
        .allow_any_resource(["lambda:ListLayers"])
        .build()
        .unwrap();
    assert!(ok.to_json().contains(r#""Resource":["*"]"#));
}

#[test]
fn pass_role_must_be_one_role_with_a_service_condition() {
    // Through allow(): no condition.
    let err = SessionPolicy::builder()
        .allow(["iam:PassRole"], [ROLE])
        .build()
        .unwrap_err();
    assert_eq!(rule_of(err), PolicyRule::UnboundedPassRole);
    // A wildcard role.
    let err = SessionPolicy::builder()
        .pass_role("arn:aws:iam::123456789012:role/*", "lambda.amazonaws.com")
        .build()
        .unwrap_err();
    assert_eq!(rule_of(err), PolicyRule::UnboundedPassRole);
    // A wildcard service.
    let err = SessionPolicy::builder()
        .pass_role(ROLE, "*")
        .build()
        .unwrap_err();
    assert_eq!(rule_of(err), PolicyRule::UnboundedPassRole);
    // Not a role.
    let err = SessionPolicy::builder()
        .pass_role(
            "arn:aws:lambda:eu-west-1:123456789012:function:f",
            "lambda.amazonaws.com",
        )
        .build()
        .unwrap_err();
    assert_eq!(rule_of(err), PolicyRule::UnboundedPassRole);
    // Lower-case spelling through a document.
    let err = SessionPolicy::parse(&json!({"Statement": [
        {"Effect": "Allow", "Action": "iam:passrole", "Resource": "arn:aws:iam::123456789012:role/x"}
    ]}))
    .unwrap_err();
    assert_eq!(rule_of(err), PolicyRule::UnboundedPassRole);
    // A bare `*` in a document is refused whatever the action.
    let err = SessionPolicy::parse(&json!({"Statement": [
        {"Effect": "Allow", "Action": "lambda:ListLayers", "Resource": "*"}
    ]}))
    .unwrap_err();
    assert_eq!(rule_of(err), PolicyRule::MalformedResource);
    // A Deny of PassRole is fine.
    SessionPolicy::builder()
        .deny(["iam:PassRole"], ["arn:aws:iam::123456789012:role/*"])
        .build()
        .unwrap();
}

#[test]
fn negated_elements_and_principals_are_refused() {
    for key in ["NotAction", "NotResource", "Principal", "NotPrincipal"] {
        let mut statement =
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"});
        statement[key] = json!("*");
        let err = SessionPolicy::parse(&json!({"Statement": [statement]})).unwrap_err();
        assert_eq!(rule_of(err), PolicyRule::NegatedOrPrincipal, "{key}");
    }
}

#[test]
fn malformed_documents_are_not_policies() {
    for doc in [
        json!([]),
        json!({"Statement": "x"}),
        json!({"Version": "2008-10-17", "Statement": []}),
        json!({"Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": 3, "Resource": "arn:aws:s3:::b"}]}),
        json!({"Statement": [{"Effect": "Allow", "Resource": "arn:aws:s3:::b"}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b", "Condition": {"StringEquals": 1}}]}),
        json!({"Extra": 1, "Statement": []}),
    ] {
        let err = SessionPolicy::parse(&doc).unwrap_err();
        assert_eq!(rule_of(err), PolicyRule::NotAPolicy, "{doc}");
    }
    let err = SessionPolicy::parse(&json!({"Statement": [
        {"Effect": "Allow", "Action": [], "Resource": "arn:aws:s3:::b"}
    ]}))
    .unwrap_err();
    assert_eq!(rule_of(err), PolicyRule::EmptyOrHugeStatement);
}

#[test]
fn over_2048_characters_is_refused_naming_the_limit() {
    let resources: Vec<String> = (0..40)
        .map(|i| format!("arn:aws:s3:::a-rather-long-bucket-name-number-{i}/*"))
        .collect();
    let err = SessionPolicy::builder()
        .allow(["s3:GetObject"], resources)
        .build()
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::PolicyTooLarge { limit: 2048, .. }));
    assert!(message.contains("2048"), "{message}");
}

#[test]
fn nothing_declared_is_empty() {
    let p = SessionPolicy::builder().build().unwrap();
    assert!(p.is_empty());
    assert_eq!(p.to_json(), "");
    assert!(SessionPolicy::parse(&json!({"Statement": []}))
        .unwrap()
        .is_empty());
}
