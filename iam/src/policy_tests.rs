use serde_json::json;

use super::*;

#[test]
fn single_statement_and_single_strings() {
    let p = Policy::parse(&json!({
        "Version": "2012-10-17",
        "Statement": {"Sid": "One", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    }))
    .unwrap();
    assert_eq!(p.version(), Version::V2012_10_17);
    let s = &p.statements()[0];
    assert_eq!(
        (s.index(), s.sid(), s.effect()),
        (0, Some("One"), Effect::Allow)
    );
    assert_eq!(
        s.actions(),
        (Polarity::Listed, &["s3:GetObject".to_owned()][..])
    );
    assert!(s.matches_action("S3:getobject"));
    assert!(!s.matches_action("s3:PutObject"));
    assert_eq!(s.label(), "statement 0 (Sid \"One\")");
}

#[test]
fn no_version_means_2008() {
    let p: Policy = r#"{"Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"*"}]}"#
        .parse()
        .unwrap();
    assert_eq!(p.version(), Version::V2008_10_17);
    let s = &p.statements()[0];
    assert_eq!(s.resources().map(|r| r.0), Some(Polarity::Not));
    assert!(s.matches_action("s3:GetObject"));
    assert!(!s.matches_action("iam:CreateUser"));
}

#[test]
fn principals_parse() {
    let p = Policy::parse(&json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root", "Service": ["s3.amazonaws.com"]},
         "Action": "sqs:SendMessage", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": "*", "Action": "sqs:*", "Resource": "*"}]}))
    .unwrap();
    let Some((Polarity::Listed, Principals::ByType(map))) = p.statements()[0].principal() else {
        panic!("principal not parsed");
    };
    assert_eq!(map["Service"], ["s3.amazonaws.com"]);
    assert_eq!(
        p.statements()[1].principal(),
        Some((Polarity::Not, &Principals::Anyone))
    );
}

/// Each malformed document names its statement and element.
#[test]
fn errors_name_statement_and_element() {
    let ok = json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"});
    let cases = [
        (json!([]), "not a JSON object"),
        (json!({"Version": "2012-10-17"}), "no Statement"),
        (json!({"Statement": []}), "no Statement"),
        (
            json!({"Version": "2020-01-01", "Statement": [ok]}),
            "unsupported policy Version \"2020-01-01\"",
        ),
        (
            json!({"Statements": [ok]}),
            "unknown policy element \"Statements\"",
        ),
        (json!({"Statement": 3}), "Statement must be"),
        (
            json!({"Statement": [ok, 3]}),
            "statement 1: Statement must be",
        ),
        (
            json!({"Statement": [ok, {"Action": "s3:*", "Resource": "*"}]}),
            "statement 1: Effect is missing",
        ),
        (
            json!({"Statement": [{"Effect": "allow", "Action": "s3:*"}]}),
            "Effect \"allow\" is neither",
        ),
        (
            json!({"Statement": [{"Effect": true, "Action": "s3:*"}]}),
            "statement 0: Effect must be",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            "Action or NotAction is missing",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}),
            "statement 0: Action is missing or empty",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*"}]}),
            "Action and NotAction cannot both",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}),
            "Action must be a string or a list",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "GetItem", "Resource": "*"}]}),
            "action \"GetItem\" is not",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": ":x", "Resource": "*"}]}),
            "action \":x\" is not",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Actions": "s3:*"}]}),
            "unknown element \"Actions\"",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Sid": 1}]}),
            "Sid must be a string",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": {"a": 1}}]}),
            "Resource must be",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Principal": "me"}]}),
            "Principal must be",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Principal": {}}]}),
            "Principal must be",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqual": {"k": "v"}}}]}),
            "unknown condition operator \"StringEqual\"",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NullIfExists": {"k": "true"}}}]}),
            "unknown condition operator",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"ForSomeValues:StringLike": {"k": "v"}}}]}),
            "unknown condition operator",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}]}),
            "value \"ten\" is not a number",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "soon"}}}]}),
            "is not an ISO 8601 date",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "300.0.0.0/8"}}}]}),
            "is not an IP address",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Null": {"k": "maybe"}}}]}),
            "is not true or false",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"k": {"a": 1}}}}]}),
            "is not a string, number or boolean",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": "k"}}]}),
            "Condition must be",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": []}]}),
            "Condition must be",
        ),
    ];
    for (doc, expected) in cases {
        let err = Policy::parse(&doc).expect_err(&doc.to_string()).to_string();
        assert!(err.contains(expected), "{doc}: {err:?} lacks {expected:?}");
    }
    let err = "{".parse::<Policy>().unwrap_err();
    assert!(matches!(err, Error::Json { .. }), "{err}");
}
