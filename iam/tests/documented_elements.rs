//! The examples of AWS's policy element documentation (NotAction, NotResource, condition
//! operators, multi-valued conditions, policy variables), each encoded as a case. Policy JSON is
//! kept as the page shows it (the text of the awsdocs/iam-user-guide sources of those pages).
#![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

use warden_iam::{Context, Decision, Evaluator, Layer, Policy, Request};

fn policy(json: &str) -> Policy {
    json.parse().unwrap()
}

fn request(action: &str, resource: &str, context: Context) -> Request {
    Request::builder()
        .action(action)
        .resource(resource)
        .context(context)
        .build()
        .unwrap()
}

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

fn complete() -> warden_iam::ContextBuilder {
    Context::builder().complete(true)
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
    let ctx = Context::empty();
    assert!(all_s3_but_delete_bucket
        .evaluate(&request("s3:GetObject", "arn:aws:s3:::b/k", ctx.clone()))
        .is_allowed());
    assert!(all_s3_but_delete_bucket
        .evaluate(&request("s3:DeleteBucket", "arn:aws:s3:::b", ctx.clone()))
        .is_denied());
    // "This does not allow users to use the ListAllMyBuckets ... requires the "*" resource".
    assert!(all_s3_but_delete_bucket
        .evaluate(&request("s3:ListAllMyBuckets", "*", ctx.clone()))
        .is_denied());
    let everything_but_iam = alone(&fragment(
        r#""Effect": "Allow",
"NotAction": "iam:*",
"Resource": "*""#,
    ));
    assert!(everything_but_iam
        .evaluate(&request("ec2:RunInstances", "*", ctx.clone()))
        .is_allowed());
    assert!(everything_but_iam
        .evaluate(&request("IAM:CreateUser", "*", ctx))
        .is_denied());
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
    assert!(matches!(
        e.evaluate(&request("s3:GetObject", "*", mfa("false"))),
        Decision::ExplicitDeny { .. }
    ));
    // "If the user is signed in with MFA, then the Condition test fails".
    assert!(e
        .evaluate(&request("s3:GetObject", "*", mfa("true")))
        .is_allowed());
    // IAM actions are not denied.
    assert!(e
        .evaluate(&request("iam:ChangePassword", "*", mfa("false")))
        .is_allowed());
    // ...IfExists: a key absent from a complete context (long-term keys) counts as a match.
    assert!(matches!(
        e.evaluate(&request("s3:GetObject", "*", complete().build())),
        Decision::ExplicitDeny { .. }
    ));
    // In an open context it is unknown whether the Deny applies.
    assert!(e
        .evaluate(&request("s3:GetObject", "*", Context::empty()))
        .is_unknown());
    // And it "would not grant the user access to any actions".
    assert!(alone(DENY_WITHOUT_MFA)
        .evaluate(&request("iam:ChangePassword", "*", mfa("true")))
        .is_denied());
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
    let ctx = Context::empty();
    assert!(e
        .evaluate(&request(
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Payroll/jan.csv",
            ctx.clone()
        ))
        .is_allowed());
    assert!(matches!(
        e.evaluate(&request(
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Other/x",
            ctx.clone()
        )),
        Decision::ExplicitDeny { .. }
    ));
    // Resources are case-sensitive.
    assert!(e
        .evaluate(&request(
            "s3:GetObject",
            "arn:aws:s3:::hrbucket/payroll/x",
            ctx.clone()
        ))
        .is_denied());
    // Other services are not denied by it.
    assert!(e
        .evaluate(&request(
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:1:q",
            ctx.clone()
        ))
        .is_allowed());
    // "this policy does not grant the user access to any resources".
    assert_eq!(
        alone(HR_PAYROLL).evaluate(&request(
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Payroll/x",
            ctx
        )),
        Decision::ImplicitDeny {
            missing: Layer::Identity
        }
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// (String, Numeric, Date, Boolean and IP address examples).
#[test]
fn condition_operator_examples() {
    let tag = alone(
        r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:*AccessKey*",
    "Resource": "arn:aws:iam::account-id:user/*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
  }
}"#,
    );
    let key = "arn:aws:iam::account-id:user/bob";
    let admin = complete()
        .value("aws:PrincipalTag/job-category", "iamuser-admin")
        .build();
    assert!(tag
        .evaluate(&request("iam:CreateAccessKey", key, admin))
        .is_allowed());
    // "If a user without the tag attempts to view or edit an access key, the condition returns
    // false and the request is implicitly denied."
    assert!(tag
        .evaluate(&request("iam:CreateAccessKey", key, complete().build()))
        .is_denied());
    assert!(tag
        .evaluate(&request("iam:CreateAccessKey", key, Context::empty()))
        .is_unknown());

    let max_keys = alone(
        r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:ListBucket",
    "Resource": "arn:aws:s3:::example_bucket",
    "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}
  }
}"#,
    );
    let list = |n: &str| {
        request(
            "s3:ListBucket",
            "arn:aws:s3:::example_bucket",
            complete().value("s3:max-keys", n).build(),
        )
    };
    assert!(max_keys.evaluate(&list("10")).is_allowed());
    assert!(max_keys.evaluate(&list("11")).is_denied());

    let fresh = alone(
        r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:*AccessKey*",
    "Resource": "arn:aws:iam::account-id:user/*",
    "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
  }
}"#,
    );
    let issued = |t: &str| {
        request(
            "iam:ListAccessKeys",
            key,
            complete().value("aws:TokenIssueTime", t).build(),
        )
    };
    assert!(fresh.evaluate(&issued("2020-03-01T10:00:00Z")).is_allowed());
    assert!(fresh.evaluate(&issued("2019-12-31T23:59:59Z")).is_denied());
    // "if an IAM user attempts to view or edit an access key, the request is denied" (the key
    // is absent with long-term access keys).
    assert!(fresh
        .evaluate(&request("iam:ListAccessKeys", key, complete().build()))
        .is_denied());

    let tls = deny_only(
        r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "BooleanExample",
      "Action": "s3:*",
      "Effect": "Deny",
      "Resource": [
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET",
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"
      ],
      "Condition": {
        "Bool": {
          "aws:SecureTransport": "false"
        }
      }
    }
  ]
}"#,
    );
    let get = |secure: &str| {
        request(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k",
            complete().value("aws:SecureTransport", secure).build(),
        )
    };
    let plain = tls.evaluate(&get("false"));
    assert_eq!(
        plain.to_string(),
        "explicitly denied by identity-based policy 0, statement 0 (Sid \"BooleanExample\")"
    );
    assert!(tls.evaluate(&get("true")).is_allowed());

    let ips = alone(
        r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "someservice:*",
    "Resource": "*",
    "Condition": {
      "IpAddress": {
        "aws:SourceIp": [
          "203.0.113.0/24",
          "2001:DB8:1234:5678::/64"
        ]
      }
    }
  }
}"#,
    );
    let from = |ip: &str| {
        request(
            "someservice:Do",
            "*",
            complete().value("aws:SourceIp", ip).build(),
        )
    };
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
    let attrs = |a: &[&str]| {
        complete()
            .values("dynamodb:requestedAttributes", a.iter().copied())
            .build()
    };
    let get = alone(&prefixed(ONLY_SOME_ATTRIBUTES));
    assert!(get
        .evaluate(&request(
            "dynamodb:GetItem",
            table,
            attrs(&["PostDateTime", "Message"])
        ))
        .is_allowed());
    // "if the user's request includes the ID attribute, the request fails".
    assert!(get
        .evaluate(&request(
            "dynamodb:GetItem",
            table,
            attrs(&["PostDateTime", "ID"])
        ))
        .is_denied());
    // "... get the attributes PostDateTime and UserName ... the policy does not allow".
    assert!(get
        .evaluate(&request(
            "dynamodb:GetItem",
            table,
            attrs(&["PostDateTime", "UserName"])
        ))
        .is_denied());
    // An empty set: ForAllValues is true.
    assert!(get
        .evaluate(&request("dynamodb:GetItem", table, attrs(&[])))
        .is_allowed());

    let put = deny_only(&prefixed(NOT_THESE_ATTRIBUTES));
    // "update the PostDateTime and Message attributes ... the request is denied".
    assert!(matches!(
        put.evaluate(&request(
            "dynamodb:PutItem",
            table,
            attrs(&["PostDateTime", "Message"])
        )),
        Decision::ExplicitDeny { .. }
    ));
    // "UserName, Message, and PostDateTime ... the condition is true ... denied".
    assert!(put
        .evaluate(&request(
            "dynamodb:PutItem",
            table,
            attrs(&["UserName", "Message", "PostDateTime"])
        ))
        .is_denied());
    // "PutItem with just the UserName attribute ... not denied by this policy".
    assert!(put
        .evaluate(&request("dynamodb:PutItem", table, attrs(&["UserName"])))
        .is_allowed());
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
    assert!(e
        .evaluate(&request(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/David/notes",
            as_user("David").build()
        ))
        .is_allowed());
    assert!(e
        .evaluate(&request(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/Adele/notes",
            as_user("David").build()
        ))
        .is_denied());
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
        matches!(&unknown, Decision::Unknown { reasons } if !reasons.is_empty()),
        "{unknown}"
    );
    // "If you don't include the Version element ... variables ... are treated as literal strings".
    let old = alone(&HOME_DIRECTORY.replace("\"Version\": \"2012-10-17\",", ""));
    assert!(old
        .evaluate(&request(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/${aws:username}/x",
            as_user("David").build()
        ))
        .is_allowed());
    assert!(old
        .evaluate(&request(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/David/x",
            as_user("David").build()
        ))
        .is_denied());

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
            as_user("David").build(),
        )
    };
    assert!(queues.evaluate(&q("David-queue")).is_allowed());
    assert!(queues.evaluate(&q("Adele-queue")).is_denied());
    assert!(queues
        .evaluate(&request(
            "sqs:SendMessage",
            "arn:aws:sqs:us-west-2:111122223333:David-queue",
            as_user("David").build()
        ))
        .is_denied());
}
