use serde_json::json;

use super::*;

fn conditions(block: serde_json::Value) -> Vec<Condition> {
    parse_block(0, &block, true).unwrap()
}

fn eval(block: serde_json::Value, ctx: &Context) -> Truth {
    let mut missing = Vec::new();
    conditions(block)
        .iter()
        .fold(Truth::Yes, |t, c| t.and(c.evaluate(ctx, &mut missing)))
}

fn complete() -> crate::ContextBuilder {
    Context::builder().complete(true)
}

#[test]
fn operators_parse() {
    let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
    assert_eq!(
        (op.set(), op.kind(), op.if_exists()),
        (
            Some(SetQualifier::ForAnyValue),
            OperatorKind::StringLike,
            true
        )
    );
    assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
    for bad in [
        "stringequals",
        "StringEqualsIfExistsIfExists",
        "ForAll:StringLike",
        "Null IfExists",
        "",
    ] {
        assert!(Operator::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn absent_keys_are_unknown_in_an_open_context() {
    let open = Context::empty();
    for op in [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIfExists",
        "ForAllValues:StringEquals",
        "Null",
    ] {
        let block = json!({op: {"aws:SourceIdentity": "true"}});
        assert_eq!(eval(block, &open), Truth::Unknown, "{op}");
    }
    let mut missing = Vec::new();
    conditions(json!({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}))[0]
        .evaluate(&open, &mut missing);
    assert_eq!(
        missing,
        [Missing::Key {
            operator: "StringEquals".into(),
            key: "iam:PassedToService".into()
        }]
    );
}

#[test]
fn absent_keys_in_a_complete_context_follow_iam() {
    let ctx = complete().build();
    let cases = [
        ("StringEquals", Truth::No),
        ("StringNotEquals", Truth::Yes),
        ("StringLikeIfExists", Truth::Yes),
        ("StringNotLike", Truth::Yes),
        ("ArnNotEquals", Truth::Yes),
        ("ForAllValues:StringEquals", Truth::Yes),
        ("ForAnyValue:StringEquals", Truth::No),
        ("ForAnyValue:StringNotEquals", Truth::No),
    ];
    for (op, expected) in cases {
        assert_eq!(eval(json!({op: {"k": "v"}}), &ctx), expected, "{op}");
    }
    assert_eq!(eval(json!({"Null": {"k": "true"}}), &ctx), Truth::Yes);
    assert_eq!(eval(json!({"Null": {"k": "false"}}), &ctx), Truth::No);
    let present = complete().value("k", "x").build();
    assert_eq!(eval(json!({"Null": {"k": "false"}}), &present), Truth::Yes);
    assert_eq!(eval(json!({"Null": {"k": "true"}}), &present), Truth::No);
}

#[test]
fn strings() {
    let ctx = complete().value("aws:PrincipalTag/team", "Blue").build();
    let t = |op: &str, v: &str| eval(json!({op: {"aws:principaltag/TEAM": v}}), &ctx);
    assert_eq!(t("StringEquals", "Blue"), Truth::Yes);
    assert_eq!(t("StringEquals", "blue"), Truth::No);
    assert_eq!(t("StringNotEquals", "blue"), Truth::Yes);
    assert_eq!(t("StringEqualsIgnoreCase", "blue"), Truth::Yes);
    assert_eq!(t("StringNotEqualsIgnoreCase", "BLUE"), Truth::No);
    assert_eq!(t("StringLike", "B?u*"), Truth::Yes);
    assert_eq!(t("StringLike", "b*"), Truth::No);
    assert_eq!(t("StringNotLike", "B*"), Truth::No);
    // Values of one key are alternatives.
    assert_eq!(
        eval(
            json!({"StringEquals": {"aws:PrincipalTag/team": ["Red", "Blue"]}}),
            &ctx
        ),
        Truth::Yes
    );
    // Keys and operators of one block must all hold.
    assert_eq!(
        eval(
            json!({"StringEquals": {"aws:PrincipalTag/team": "Blue", "aws:username": "x"}}),
            &ctx
        ),
        Truth::No
    );
}

#[test]
fn arns_numbers_dates_bools_ips() {
    let ctx = complete()
        .value(
            "aws:PrincipalArn",
            "arn:aws:iam::111122223333:role/app-deploy",
        )
        .value("s3:max-keys", "10")
        .value("aws:CurrentTime", "2024-06-01T12:00:00Z")
        .value("aws:EpochTime", "1717243200")
        .value("aws:SecureTransport", "false")
        .value("aws:SourceIp", "203.0.113.7")
        .build();
    let cases = [
        (
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app-*"}}),
            Truth::Yes,
        ),
        (
            json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app-*"}}),
            Truth::Yes,
        ),
        (
            json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app-*"}}),
            Truth::No,
        ),
        (
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/App-*"}}),
            Truth::No,
        ),
        (
            json!({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
            Truth::Yes,
        ),
        (json!({"NumericLessThan": {"s3:max-keys": 10}}), Truth::No),
        (
            json!({"NumericGreaterThan": {"s3:max-keys": "9.5"}}),
            Truth::Yes,
        ),
        (
            json!({"NumericNotEquals": {"s3:max-keys": "10"}}),
            Truth::No,
        ),
        (
            json!({"DateLessThan": {"aws:CurrentTime": "2024-06-02"}}),
            Truth::Yes,
        ),
        (
            json!({"DateGreaterThan": {"aws:CurrentTime": "2024-06-01T13:00:00+02:00"}}),
            Truth::Yes,
        ),
        (
            json!({"DateEquals": {"aws:EpochTime": "2024-06-01T12:00:00Z"}}),
            Truth::Yes,
        ),
        (
            json!({"Bool": {"aws:SecureTransport": "false"}}),
            Truth::Yes,
        ),
        (json!({"Bool": {"aws:SecureTransport": true}}), Truth::No),
        (
            json!({"IpAddress": {"aws:SourceIp": ["198.51.100.0/24", "203.0.113.0/24"]}}),
            Truth::Yes,
        ),
        (
            json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            Truth::No,
        ),
        (
            json!({"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}),
            Truth::No,
        ),
    ];
    for (block, expected) in cases {
        assert_eq!(eval(block.clone(), &ctx), expected, "{block}");
    }
    // A request value that does not parse matches nothing.
    let junk = complete().value("s3:max-keys", "many").build();
    assert_eq!(
        eval(json!({"NumericLessThan": {"s3:max-keys": "10"}}), &junk),
        Truth::No
    );
}

#[test]
fn set_operators() {
    let tags = complete().values("aws:TagKeys", ["env", "team"]).build();
    let none = complete()
        .values("aws:TagKeys", Vec::<String>::new())
        .build();
    let all = json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team", "cost"]}});
    let all_narrow = json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}});
    let any = json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}});
    let any_not = json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}});
    assert_eq!(eval(all.clone(), &tags), Truth::Yes);
    assert_eq!(eval(all_narrow, &tags), Truth::No);
    assert_eq!(eval(any.clone(), &tags), Truth::Yes);
    assert_eq!(eval(any_not, &tags), Truth::Yes);
    assert_eq!(eval(all, &none), Truth::Yes);
    assert_eq!(eval(any, &none), Truth::No);
    // Without a qualifier, a negated operator needs every value to miss.
    assert_eq!(
        eval(json!({"StringNotEquals": {"aws:TagKeys": "env"}}), &tags),
        Truth::No
    );
}

#[test]
fn variables_in_conditions() {
    let ctx = complete()
        .value("aws:username", "david")
        .value("s3:prefix", "david/photos")
        .build();
    assert_eq!(
        eval(
            json!({"StringLike": {"s3:prefix": "${aws:username}/*"}}),
            &ctx
        ),
        Truth::Yes
    );
    let other = complete()
        .value("aws:username", "eve")
        .value("s3:prefix", "david/photos")
        .build();
    assert_eq!(
        eval(
            json!({"StringLike": {"s3:prefix": "${aws:username}/*"}}),
            &other
        ),
        Truth::No
    );
    let anonymous = complete().value("s3:prefix", "david/photos").build();
    let mut missing = Vec::new();
    let c = conditions(json!({"StringLike": {"s3:prefix": "${aws:username}/*"}}));
    assert_eq!(c[0].evaluate(&anonymous, &mut missing), Truth::Unknown);
    assert_eq!(missing, [Missing::Variable("aws:username".into())]);
    assert_eq!(c[0].variables(), ["aws:username"]);
    // Numeric operators take no variables: the value must be a number.
    assert!(parse_block(0, &json!({"NumericEquals": {"k": "${aws:username}"}}), true).is_err());
    // Before 2012-10-17, variables are literal text.
    let literal = parse_block(
        0,
        &json!({"StringEquals": {"s3:prefix": "${aws:username}"}}),
        false,
    )
    .unwrap();
    let ctx = complete()
        .value("s3:prefix", "${aws:username}")
        .value("aws:username", "x")
        .build();
    assert_eq!(literal[0].evaluate(&ctx, &mut Vec::new()), Truth::Yes);
}

#[test]
fn three_valued_logic() {
    use Truth::*;
    assert_eq!(Yes.and(Unknown), Unknown);
    assert_eq!(No.and(Unknown), No);
    assert_eq!(Yes.or(Unknown), Yes);
    assert_eq!(No.or(Unknown), Unknown);
    assert_eq!(Unknown.not(), Unknown);
}
