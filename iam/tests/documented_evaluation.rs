//! The worked examples of AWS's policy evaluation and permissions boundary documentation,
//! each encoded as a case. Policy JSON is kept as the page shows it (the text of the
//! awsdocs/iam-user-guide sources of those pages).
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use common::{assert_cases, complete, policy, request, sid_of, Expect};
use warden_iam::{Context, Decision, Evaluator, Layer};

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// ("Example identity-based and resource-based policy evaluation"; now on
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html).
// Only the identity-based half: resource-based policies are not evaluated by this crate.
const CARLOS: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowS3ListRead",
            "Effect": "Allow",
            "Action": [
                "s3:GetBucketLocation",
                "s3:GetAccountPublicAccessBlock",
                "s3:ListAccessPoints",
                "s3:ListAllMyBuckets"
            ],
            "Resource": "arn:aws:s3:::*"
        },
        {
            "Sid": "AllowS3Self",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::carlossalazar/*",
                "arn:aws:s3:::carlossalazar"
            ]
        },
        {
            "Sid": "DenyS3Logs",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::*log*"
        }
    ]
}"#;

#[test]
fn carlos_saves_to_his_logs_bucket_then_to_his_own() {
    let e = Evaluator::builder()
        .identity([policy(CARLOS)])
        .build()
        .unwrap();
    let ctx = complete().build();
    // "AWS first checks for a Deny statement ... It finds one ... Carlos is denied access."
    let logs = e.evaluate(&request(
        "s3:PutObject",
        "arn:aws:s3:::carlossalazar-logs/file.txt",
        ctx.clone(),
    ));
    assert_eq!(sid_of(&logs), Some("DenyS3Logs"), "{logs}");
    assert_eq!(
        logs.to_string(),
        "explicitly denied by identity-based policy 0, statement 2 (Sid \"DenyS3Logs\")"
    );
    // "... tries to save the file to the carlossalazar bucket ... AWS allows the request."
    let own = e.evaluate(&request(
        "s3:PutObject",
        "arn:aws:s3:::carlossalazar/file.txt",
        ctx.clone(),
    ));
    assert!(own.is_allowed(), "{own}");
    assert!(own.to_string().contains("AllowS3Self"), "{own}");
    assert_cases(
        &e,
        [
            // AllowS3ListRead lets him list every bucket.
            (
                "s3:ListAllMyBuckets",
                "arn:aws:s3:::other",
                ctx.clone(),
                Expect::Allowed,
            ),
            (
                "s3:GetObject",
                "arn:aws:s3:::other/file.txt",
                ctx,
                Expect::ImplicitDeny(Layer::Identity),
            ),
        ],
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// ("The difference between explicit and implicit denies").
const GET_LIST_NO_REPORTS: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowGetList",
            "Effect": "Allow",
            "Action": [
                "iam:Get*",
                "iam:List*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "DenyReports",
            "Effect": "Deny",
            "Action": "iam:*Report",
            "Resource": "*"
        }
    ]
}"#;

#[test]
fn explicit_and_implicit_denies() {
    let grant_reports = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:GenerateCredentialReport", "Resource": "*"}}"#,
    );
    let e = Evaluator::builder()
        .identity([policy(GET_LIST_NO_REPORTS), grant_reports])
        .build()
        .unwrap();
    let ctx = Context::empty();
    assert_cases(
        &e,
        [
            (
                "iam:GetUser",
                "arn:aws:iam::111122223333:user/x",
                ctx.clone(),
                Expect::Allowed,
            ),
            // "All other actions in IAM, such as iam:CreatePolicy are implicitly denied."
            (
                "iam:CreatePolicy",
                "*",
                ctx.clone(),
                Expect::ImplicitDeny(Layer::Identity),
            ),
        ],
    );
    // "... such as iam:GetOrganizationsAccessReport" is explicitly denied.
    let report = e.evaluate(&request(
        "iam:GetOrganizationsAccessReport",
        "*",
        ctx.clone(),
    ));
    assert_eq!(sid_of(&report), Some("DenyReports"));
    // "If someone adds another policy ... such as iam:GenerateCredentialReport, report-related
    // requests are still denied because of this explicit deny."
    let generate = e.evaluate(&request("iam:GenerateCredentialReport", "*", ctx));
    assert_eq!(sid_of(&generate), Some("DenyReports"));
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
// (ShirleyRodriguez: the boundary allows S3, CloudWatch and EC2; a policy allowing
// iam:CreateUser does not let her create a user).
const SHIRLEY_BOUNDARY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "s3:*",
                "cloudwatch:*",
                "ec2:*"
            ],
            "Resource": "*"
        }
    ]
}"#;
const SHIRLEY_CREATE_USER: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:CreateUser",
    "Resource": "*"
  }
}"#;

#[test]
fn shirley_cannot_create_a_user_through_her_boundary() {
    let e = Evaluator::builder()
        .identity([policy(SHIRLEY_CREATE_USER)])
        .boundary(policy(SHIRLEY_BOUNDARY))
        .build()
        .unwrap();
    let create = e.evaluate(&request(
        "iam:CreateUser",
        "arn:aws:iam::111122223333:user/new",
        Context::empty(),
    ));
    assert_eq!(
        create,
        Decision::ImplicitDeny {
            missing: Layer::Boundary
        }
    );
    assert_eq!(
        create.to_string(),
        "implicitly denied: no statement of the permissions boundary policies allows the request"
    );
    // "... the boundary does not provide permissions on its own": S3 is not allowed either.
    assert_cases(
        &e,
        [(
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            Context::empty(),
            Expect::ImplicitDeny(Layer::Identity),
        )],
    );
    // Without the boundary, the identity policy alone allows it.
    let unbounded = Evaluator::builder()
        .identity([policy(SHIRLEY_CREATE_USER)])
        .build()
        .unwrap();
    assert_cases(
        &unbounded,
        [(
            "iam:CreateUser",
            "arn:aws:iam::111122223333:user/new",
            Context::empty(),
            Expect::Allowed,
        )],
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
// ("Delegating responsibility to others using permissions boundaries": María, Zhang, Nikhil).
const X_COMPANY_BOUNDARIES: &str = include_str!("fixtures/XCompanyBoundaries.json");
const DELEGATED_USER_BOUNDARY: &str = include_str!("fixtures/DelegatedUserBoundary.json");
const DELEGATED_USER_PERMISSIONS: &str = include_str!("fixtures/DelegatedUserPermissions.json");

#[test]
fn zhang_creates_users_only_with_the_company_boundary() {
    let zhang = Evaluator::builder()
        .identity([policy(DELEGATED_USER_PERMISSIONS)])
        .boundary(policy(DELEGATED_USER_BOUNDARY))
        .build()
        .unwrap();
    let user = "arn:aws:iam::111122223333:user/Nikhil";
    let with = |boundary: Option<&str>| {
        let mut c = complete();
        if let Some(b) = boundary {
            c = c.value("iam:PermissionsBoundary", b);
        }
        request("iam:CreateUser", user, c.build())
    };
    // "Zhang skips the Set permissions boundary section ... The operation fails."
    assert_eq!(
        zhang.evaluate(&with(None)),
        Decision::ImplicitDeny {
            missing: Layer::Boundary
        }
    );
    // "... he chooses the XCompanyBoundaries policy ... The user is created."
    let ok = zhang.evaluate(&with(Some(
        "arn:aws:iam::111122223333:policy/XCompanyBoundaries",
    )));
    assert!(ok.is_allowed(), "{ok}");
    assert!(zhang
        .evaluate(&with(Some(
            "arn:aws:iam::111122223333:policy/SomethingElse"
        )))
        .is_denied());
    // An open context that does not say which boundary: unknown, never allowed.
    let open = zhang.evaluate(&request("iam:CreateUser", user, Context::empty()));
    assert!(open.is_unknown(), "{open}");
    assert!(
        open.to_string().contains("iam:PermissionsBoundary"),
        "{open}"
    );
    // "Zhang does not have the permission to delete the permissions boundary."
    let delete = zhang.evaluate(&request(
        "iam:DeleteUserPermissionsBoundary",
        user,
        Context::empty(),
    ));
    assert_eq!(sid_of(&delete), Some("NoBoundaryUserDelete"));
    assert_cases(
        &zhang,
        [
            // "... his permissions boundary does not allow any Amazon S3 action."
            (
                "s3:ListBucket",
                "arn:aws:s3:::ZhangBucket",
                Context::empty(),
                Expect::ImplicitDeny(Layer::Boundary),
            ),
            // CloudWatch: limited by his permissions policy only.
            (
                "cloudwatch:GetDashboard",
                "*",
                Context::empty(),
                Expect::Allowed,
            ),
            (
                "cloudwatch:PutDashboard",
                "*",
                Context::empty(),
                Expect::ImplicitDeny(Layer::Identity),
            ),
        ],
    );
}

#[test]
fn nikhil_is_held_by_the_company_boundary() {
    // Nikhil: IAMFullAccess and AmazonS3ReadOnlyAccess, stood in for by their broad grants.
    let full = policy(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}"#,
    );
    let nikhil = Evaluator::builder()
        .identity([full])
        .boundary(policy(X_COMPANY_BOUNDARIES))
        .build()
        .unwrap();
    let me = || complete().value("aws:username", "Nikhil").build();
    let (himself, other) = (
        "arn:aws:iam::111122223333:user/Nikhil",
        "arn:aws:iam::111122223333:user/Other",
    );
    assert_cases(
        &nikhil,
        [
            // "he can change his own password in IAM"
            ("iam:ChangePassword", himself, me(), Expect::Allowed),
            ("iam:CreateAccessKey", himself, me(), Expect::Allowed),
            // "... but can't create another user or edit his policies"
            ("iam:CreateUser", other, me(), Expect::Denied),
            ("iam:CreateAccessKey", other, me(), Expect::Denied),
            ("iam:PutUserPolicy", himself, me(), Expect::Denied),
        ],
    );
    // "even if someone grants him ownership to the logs bucket, he cannot view it"
    let logs = nikhil.evaluate(&request("s3:GetObject", "arn:aws:s3:::logs/today", me()));
    assert_eq!(sid_of(&logs), Some("DenyS3Logs"));
    assert!(nikhil
        .evaluate(&request("s3:GetObject", "arn:aws:s3:::mine/today", me()))
        .is_allowed());
    // Without aws:username in an open context, the self-service grant is unknown.
    let anonymous = nikhil.evaluate(&request("iam:ChangePassword", himself, Context::empty()));
    assert!(
        anonymous.to_string().contains("${aws:username}"),
        "{anonymous}"
    );
}

#[test]
fn nikhil_cannot_touch_the_production_instance_even_when_granted() {
    let ec2 = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}"#,
    );
    let nikhil = Evaluator::builder()
        .identity([ec2])
        .boundary(policy(X_COMPANY_BOUNDARIES))
        .build()
        .unwrap();
    let prod = "arn:aws:ec2:us-east-1:111122223333:instance/i-1234567890abcdef0";
    let other = "arn:aws:ec2:us-east-1:111122223333:instance/i-0000000000000000a";
    assert_eq!(
        sid_of(&nikhil.evaluate(&request("ec2:StopInstances", prod, Context::empty()))),
        Some("DenyEC2Production")
    );
    assert!(nikhil
        .evaluate(&request("ec2:StopInstances", other, Context::empty()))
        .is_allowed());
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
// ("Evaluating effective permissions with boundaries", session policies: "The effective
// permissions for this set of policy types are everything that is allowed by all three types.
// An explicit deny in any of these policies overrides the allow."), with the Shirley boundary;
// the session policies here are ours (the page gives none).
#[test]
fn session_policies_intersect_with_identity_and_boundary() {
    let identity = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}}"#,
    );
    let session = policy(
        r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "iam:CreateUser"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secret/*"}]}"#,
    );
    let e = Evaluator::builder()
        .identity([identity])
        .boundary(policy(SHIRLEY_BOUNDARY))
        .session(session)
        .build()
        .unwrap();
    let ctx = Context::empty;
    assert_cases(
        &e,
        [
            ("s3:GetObject", "arn:aws:s3:::b/k", ctx(), Expect::Allowed),
            // The identity policy and the boundary allow it, the session policy does not.
            (
                "ec2:StartInstances",
                "*",
                ctx(),
                Expect::ImplicitDeny(Layer::Session),
            ),
            // The session policy allows it, the identity policy and boundary do not.
            (
                "iam:CreateUser",
                "*",
                ctx(),
                Expect::ImplicitDeny(Layer::Identity),
            ),
        ],
    );
    let denied = e.evaluate(&request("s3:GetObject", "arn:aws:s3:::secret/k", ctx()));
    assert!(
        denied
            .to_string()
            .starts_with("explicitly denied by session policy 0, statement 1"),
        "{denied}"
    );
}

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// ("Evaluating identity-based policies with Organizations SCPs": "an action must be allowed by
// both the identity-based policy and the SCP"); the policies are ours.
#[test]
fn scp_levels_must_each_allow() {
    let all = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
    );
    let no_iam = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}"#,
    );
    let e = Evaluator::builder()
        .scp_level([all.clone()])
        .scp_level([no_iam])
        .identity([all])
        .build()
        .unwrap();
    assert_cases(
        &e,
        [
            ("s3:GetObject", "*", Context::empty(), Expect::Allowed),
            (
                "iam:CreateUser",
                "*",
                Context::empty(),
                Expect::ImplicitDeny(Layer::Scp),
            ),
        ],
    );
}
