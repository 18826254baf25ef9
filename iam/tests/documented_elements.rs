//! The examples of AWS's policy element documentation (NotAction, NotResource, condition
//! operators, multi-valued conditions, policy variables), each encoded as a case. Policy JSON is
//! kept as the page shows it (the text of the awsdocs/iam-user-guide sources of those pages).
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use common::{assert_cases, complete, policy, request, Expect};
use warden_iam::{Context, Evaluator, Layer, Policy, Request};

fn alone(p: &str) -> Evaluator {
    Evaluator::builder().identity([policy(p)]).build().unwrap()
}

/// The policy, with an allow-everything policy beside it, so that only its Deny decides.
fn deny_only(p: &str) -> Evaluator {
    let all = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
    );
    Evaluator::builder()
        .identity([policy(p), all])
        .build()
        .unwrap()
}

/// Requests for this action on this resource in a complete context holding one value of `key`.
fn keyed<'a>(action: &'a str, resource: &'a str, key: &'a str) -> impl Fn(&str) -> Request + 'a {
    move |value| request(action, resource, complete().value(key, value).build())
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
// (NotAction with Allow: the two fragments, wrapped in a policy).
#[test]
fn not_action_with_allow() {
    let fragment = |body: &str| format!(r#"{{"Version": "2012-10-17", "Statement": {{{body}}}}}"#);
    let all_s3_but_delete_bucket = alone(&fragment(
        r#""Effect": "Allow",
"NotAction": "s3:DeleteBucket",
"Resource": "arn:aws:s3:::*""#,
    ));
    let ctx = Context::empty;
    assert_cases(
        &all_s3_but_delete_bucket,
        [
            ("s3:GetObject", "arn:aws:s3:::b/k", ctx(), Expect::Allowed),
            ("s3:DeleteBucket", "arn:aws:s3:::b", ctx(), Expect::Denied),
            // "This does not allow users to use the ListAllMyBuckets ... requires the "*"
            // resource".
            ("s3:ListAllMyBuckets", "*", ctx(), Expect::Denied),
        ],
    );
    let everything_but_iam = alone(&fragment(
        r#""Effect": "Allow",
"NotAction": "iam:*",
"Resource": "*""#,
    ));
    assert_cases(
        &everything_but_iam,
        [
            ("ec2:RunInstances", "*", ctx(), Expect::Allowed),
            ("IAM:CreateUser", "*", ctx(), Expect::Denied),
        ],
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
// (NotAction with Deny: DenyAllUsersNotUsingMFA).
const DENY_WITHOUT_MFA: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "DenyAllUsersNotUsingMFA",
        "Effect": "Deny",
        "NotAction": "iam:*",
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    }]
}"#;

#[test]
fn not_action_with_deny_and_mfa() {
    let e = deny_only(DENY_WITHOUT_MFA);
    let mfa = |v: &str| complete().value("aws:MultiFactorAuthPresent", v).build();
    assert_cases(
        &e,
        [
            ("s3:GetObject", "*", mfa("false"), Expect::ExplicitDeny),
            // "If the user is signed in with MFA, then the Condition test fails".
            ("s3:GetObject", "*", mfa("true"), Expect::Allowed),
            // IAM actions are not denied.
            ("iam:ChangePassword", "*", mfa("false"), Expect::Allowed),
            // ...IfExists: a key absent from a complete context (long-term keys) counts as a
            // match.
            (
                "s3:GetObject",
                "*",
                complete().build(),
                Expect::ExplicitDeny,
            ),
            // In an open context it is unknown whether the Deny applies.
            ("s3:GetObject", "*", Context::empty(), Expect::Unknown),
        ],
    );
    // And it "would not grant the user access to any actions".
    assert_cases(
        &alone(DENY_WITHOUT_MFA),
        [("iam:ChangePassword", "*", mfa("true"), Expect::Denied)],
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
// (HRPayroll).
const HR_PAYROLL: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Deny",
    "Action": "s3:*",
    "NotResource": [
      "arn:aws:s3:::HRBucket/Payroll",
      "arn:aws:s3:::HRBucket/Payroll/*"
    ]
  }
}"#;

#[test]
fn not_resource_with_deny() {
    let e = deny_only(HR_PAYROLL);
    let ctx = Context::empty;
    assert_cases(
        &e,
        [
            (
                "s3:GetObject",
                "arn:aws:s3:::HRBucket/Payroll/jan.csv",
                ctx(),
                Expect::Allowed,
            ),
            (
                "s3:GetObject",
                "arn:aws:s3:::HRBucket/Other/x",
                ctx(),
                Expect::ExplicitDeny,
            ),
            // Resources are case-sensitive.
            (
                "s3:GetObject",
                "arn:aws:s3:::hrbucket/payroll/x",
                ctx(),
                Expect::Denied,
            ),
            // Other services are not denied by it.
            (
                "sqs:SendMessage",
                "arn:aws:sqs:us-east-1:1:q",
                ctx(),
                Expect::Allowed,
            ),
        ],
    );
    // "this policy does not grant the user access to any resources".
    assert_cases(
        &alone(HR_PAYROLL),
        [(
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Payroll/x",
            ctx(),
            Expect::ImplicitDeny(Layer::Identity),
        )],
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// (String, Numeric, Date, Boolean and IP address examples; the policies are in fixtures/).
#[test]
fn condition_operator_examples() {
    let tag = alone(include_str!("fixtures/ConditionStringEquals.json"));
    let key = "arn:aws:iam::account-id:user/bob";
    let admin = complete()
        .value("aws:PrincipalTag/job-category", "iamuser-admin")
        .build();
    assert_cases(
        &tag,
        [
            ("iam:CreateAccessKey", key, admin, Expect::Allowed),
            // "If a user without the tag attempts to view or edit an access key, the condition
            // returns false and the request is implicitly denied."
            (
                "iam:CreateAccessKey",
                key,
                complete().build(),
                Expect::Denied,
            ),
            (
                "iam:CreateAccessKey",
                key,
                Context::empty(),
                Expect::Unknown,
            ),
        ],
    );

    let max_keys = alone(include_str!("fixtures/ConditionNumericLessThanEquals.json"));
    let list = keyed(
        "s3:ListBucket",
        "arn:aws:s3:::example_bucket",
        "s3:max-keys",
    );
    assert!(max_keys.evaluate(&list("10")).is_allowed());
    assert!(max_keys.evaluate(&list("11")).is_denied());

    let fresh = alone(include_str!("fixtures/ConditionDateGreaterThan.json"));
    let issued = keyed("iam:ListAccessKeys", key, "aws:TokenIssueTime");
    assert!(fresh.evaluate(&issued("2020-03-01T10:00:00Z")).is_allowed());
    assert!(fresh.evaluate(&issued("2019-12-31T23:59:59Z")).is_denied());
    // "if an IAM user attempts to view or edit an access key, the request is denied" (the key
    // is absent with long-term access keys).
    assert!(fresh
        .evaluate(&request("iam:ListAccessKeys", key, complete().build()))
        .is_denied());

    let tls = deny_only(include_str!("fixtures/ConditionBool.json"));
    let get = keyed(
        "s3:GetObject",
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k",
        "aws:SecureTransport",
    );
    let plain = tls.evaluate(&get("false"));
    assert_eq!(
        plain.to_string(),
        "explicitly denied by identity-based policy 0, statement 0 (Sid \"BooleanExample\")"
    );
    assert!(tls.evaluate(&get("true")).is_allowed());

    let ips = alone(include_str!("fixtures/ConditionIpAddress.json"));
    let from = keyed("someservice:Do", "*", "aws:SourceIp");
    assert!(ips.evaluate(&from("203.0.113.200")).is_allowed());
    assert!(ips.evaluate(&from("2001:db8:1234:5678::1")).is_allowed());
    assert!(ips.evaluate(&from("198.51.100.1")).is_denied());
    assert!(ips.evaluate(&from("2001:db8:1234:5679::1")).is_denied());
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
// (ForAllValues / ForAnyValue with dynamodb:requestedAttributes). The page writes the action as
// "GetItem" / "PutItem" with no service prefix, which IAM refuses and so does Policy::parse;
// the cases evaluate the same policies with "dynamodb:" added.
const ONLY_SOME_ATTRIBUTES: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "GetItem",
    "Resource": "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread",
    "Condition": {"ForAllValues:StringLike": {"dynamodb:requestedAttributes": [
      "PostDateTime",
      "Message",
      "Tags"
    ]}}
  }]
}"#;
const NOT_THESE_ATTRIBUTES: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Deny",
    "Action": "PutItem",
    "Resource": "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread",
    "Condition": {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": [
      "ID",
      "PostDateTime"
    ]}}
  }]
}"#;

#[test]
fn multi_valued_conditions() {
    assert!(ONLY_SOME_ATTRIBUTES
        .parse::<Policy>()
        .unwrap_err()
        .to_string()
        .contains("\"GetItem\""));
    let prefixed = |p: &str| {
        p.replace("\"GetItem\"", "\"dynamodb:GetItem\"")
            .replace("\"PutItem\"", "\"dynamodb:PutItem\"")
    };
    let table = "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread";
    // One case: this action requesting these attributes.
    let case = |action, attributes: &[&str], expect| {
        let context = complete()
            .values("dynamodb:requestedAttributes", attributes.iter().copied())
            .build();
        (action, table, context, expect)
    };
    let (get, put) = ("dynamodb:GetItem", "dynamodb:PutItem");
    assert_cases(
        &alone(&prefixed(ONLY_SOME_ATTRIBUTES)),
        [
            case(get, &["PostDateTime", "Message"], Expect::Allowed),
            // "if the user's request includes the ID attribute, the request fails".
            case(get, &["PostDateTime", "ID"], Expect::Denied),
            // "... get the attributes PostDateTime and UserName ... the policy does not allow".
            case(get, &["PostDateTime", "UserName"], Expect::Denied),
            // An empty set: ForAllValues is true.
            case(get, &[], Expect::Allowed),
        ],
    );
    assert_cases(
        &deny_only(&prefixed(NOT_THESE_ATTRIBUTES)),
        [
            // "update the PostDateTime and Message attributes ... the request is denied".
            case(put, &["PostDateTime", "Message"], Expect::ExplicitDeny),
            // "UserName, Message, and PostDateTime ... the condition is true ... denied".
            case(
                put,
                &["UserName", "Message", "PostDateTime"],
                Expect::Denied,
            ),
            // "PutItem with just the UserName attribute ... not denied by this policy".
            case(put, &["UserName"], Expect::Allowed),
        ],
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
// (the home-directory policy and the SQS queue per user).
const HOME_DIRECTORY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": ["s3:ListBucket"],
      "Effect": "Allow",
      "Resource": ["arn:aws:s3:::mybucket"],
      "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}
    },
    {
      "Action": [
        "s3:GetObject",
        "s3:PutObject"
      ],
      "Effect": "Allow",
      "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]
    }
  ]
}"#;

#[test]
fn policy_variables() {
    let e = alone(HOME_DIRECTORY);
    let as_user = |u: &str| complete().value("aws:username", u);
    let david = || as_user("David").build();
    assert_cases(
        &e,
        [
            (
                "s3:GetObject",
                "arn:aws:s3:::mybucket/David/notes",
                david(),
                Expect::Allowed,
            ),
            (
                "s3:GetObject",
                "arn:aws:s3:::mybucket/Adele/notes",
                david(),
                Expect::Denied,
            ),
        ],
    );
    let list = |u: &str, prefix: &str| {
        request(
            "s3:ListBucket",
            "arn:aws:s3:::mybucket",
            as_user(u).value("s3:prefix", prefix).build(),
        )
    };
    assert!(e.evaluate(&list("David", "David/2024/")).is_allowed());
    assert!(e.evaluate(&list("David", "Adele/")).is_denied());
    // No user name (a role session): unknown, naming the variable.
    let unknown = e.evaluate(&request(
        "s3:GetObject",
        "arn:aws:s3:::mybucket/David/notes",
        Context::empty(),
    ));
    assert!(
        matches!(&unknown, warden_iam::Decision::Unknown { reasons } if !reasons.is_empty()),
        "{unknown}"
    );
    // "If you don't include the Version element ... variables ... are treated as literal strings".
    let old = alone(&HOME_DIRECTORY.replace("\"Version\": \"2012-10-17\",", ""));
    assert_cases(
        &old,
        [
            (
                "s3:GetObject",
                "arn:aws:s3:::mybucket/${aws:username}/x",
                david(),
                Expect::Allowed,
            ),
            (
                "s3:GetObject",
                "arn:aws:s3:::mybucket/David/x",
                david(),
                Expect::Denied,
            ),
        ],
    );

    let queues = alone(
        r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ListForConsole",
            "Effect": "Allow",
            "Action": "sqs:ListQueues",
            "Resource": "*"
        },
        {
            "Sid": "AllQueueActions",
            "Effect": "Allow",
            "Action": "sqs:*",
            "Resource": "arn:aws:sqs:us-east-2:*:${aws:username}-queue"
        }
    ]
}"#,
    );
    let q = |name: &str| {
        request(
            "sqs:SendMessage",
            &format!("arn:aws:sqs:us-east-2:111122223333:{name}"),
            david(),
        )
    };
    assert!(queues.evaluate(&q("David-queue")).is_allowed());
    assert!(queues.evaluate(&q("Adele-queue")).is_denied());
    assert_cases(
        &queues,
        [(
            "sqs:SendMessage",
            "arn:aws:sqs:us-west-2:111122223333:David-queue",
            david(),
            Expect::Denied,
        )],
    );
}
