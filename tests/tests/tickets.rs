//! Ticket mode end to end: `warden seal` against moto (STS, KMS, IAM), the real
//! `faulty-resource` binary in ticket mode, and a recording proxy in front of moto that shows
//! exactly which AWS calls the provider made.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a panic is how a test fails"
)]

use std::time::Duration;

use base64::Engine as _;
use cfn_warden::credentials::SessionPolicy;
use serde_json::{json, Value};
use warden_e2e::{bin, rewrite_ticket, CfnEvent, Session, TicketWorld, ACCOUNT, REGION};

const LIMIT: Duration = Duration::from_secs(30);
const STACK: &str = warden_e2e::TICKET_STACK;

fn declared() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["lambda:GetLayerVersion"],
        "Resource": [format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:demo:1")]
    }]})
}

fn properties(mode: &str, ticket: &str) -> Value {
    json!({"Mode": mode, "Declare": declared(), "WardenTicket": ticket})
}

/// A Create of the `Probe` resource of `Custom::Faulty` with these properties.
fn probe(properties: Value) -> CfnEvent {
    CfnEvent::create("Custom::Faulty", "Probe", properties)
}

fn check<'a>(line: &'a Value, name: &str) -> Option<&'a Value> {
    line["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
}

/// The values a response body holds between `<tag>` and `</tag>`.
fn xml_values(body: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    body.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_ticketed_request_runs_with_a_work_session_narrowed_to_the_declared_policy() {
    let world = TicketWorld::start("happy").await;
    let ticket = world
        .seal(
            "Probe",
            &format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket"),
        )
        .await;
    let mut session = world.session().await;
    let event = probe(properties("whoami", &ticket));
    let (answer, line) = session.answer(event.clone(), LIMIT).await.unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer} {line}");
    // The handler ran as the work role, in a session named after the CloudFormation request.
    let expected_session = format!(
        "arn:aws:sts::{ACCOUNT}:assumed-role/cfn-warden-work/cfn-{}",
        event.request_id()
    );
    assert_eq!(answer["Data"]["Arn"], expected_session.as_str());
    assert_eq!(line["credentials"], "ticket");
    let ticket_check = check(&line, "ticket").unwrap();
    assert_eq!(ticket_check["verdict"], "pass");
    assert_eq!(
        ticket_check["evidence"]["principal"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/cfn-warden-ticket/warden-seal-{STACK}")
            .as_str()
    );
    let session_check = check(&line, "work-session").unwrap();
    assert_eq!(session_check["verdict"], "pass");
    assert_eq!(
        session_check["evidence"]["actions"],
        json!(["lambda:GetLayerVersion"])
    );

    // Exactly these calls, in this order, and the work session carries exactly the declared
    // policy (moto ignores session policies, so the request itself is the evidence).
    let calls = world.recorder.calls();
    let operations: Vec<String> = calls.iter().map(|c| c.operation()).collect();
    assert_eq!(
        operations,
        [
            "Decrypt",
            "GetCallerIdentity",
            "AssumeRole",
            "GetCallerIdentity"
        ],
        "{calls:?}"
    );
    let decrypt: Value = serde_json::from_str(&calls[0].body).unwrap();
    assert_eq!(decrypt["KeyId"], world.key.as_str());
    assert_eq!(decrypt["EncryptionContext"]["stack-name"], STACK);
    assert_eq!(decrypt["EncryptionContext"]["logical-id"], "Probe");
    assert_eq!(
        decrypt["EncryptionContext"]["purpose"],
        "cfn-warden-ticket/1"
    );
    let assume = &calls[2];
    assert_eq!(assume.field("RoleArn").unwrap(), world.work_role);
    assert_eq!(
        assume.field("RoleSessionName").unwrap(),
        format!("cfn-{}", event.request_id())
    );
    assert_eq!(assume.field("SourceIdentity").as_deref(), Some("alice"));
    assert_eq!(assume.field("DurationSeconds").as_deref(), Some("900"));
    let expected_policy = SessionPolicy::parse(&declared()).unwrap();
    assert_eq!(assume.field("Policy").unwrap(), expected_policy.to_json());

    // No credential (the ticket's or the work session's) and no ticket in any output.
    let output = session.provider.all_output();
    let mut secrets = vec![ticket.clone()];
    for call in &calls {
        secrets.extend(xml_values(&call.response, "SecretAccessKey"));
        secrets.extend(xml_values(&call.response, "SessionToken"));
        // The ticket role's session (the deployer's) signs the provider's STS calls.
        secrets.extend(call.security_token.clone());
        // The data key KMS returned.
        if call.operation() == "Decrypt" {
            let out: Value = serde_json::from_str(&call.response).unwrap();
            secrets.push(out["Plaintext"].as_str().unwrap().to_owned());
        }
    }
    // The ticket, the work session's key and token, the ticket session's token, the data key.
    assert!(secrets.len() >= 5, "{secrets:?}");
    for secret in &secrets {
        assert!(
            !output.contains(secret.as_str()),
            "a secret reached the logs"
        );
    }

    // An Update that only refreshes the ticket: SUCCESS without the handler or any AWS call
    // beyond opening and identifying the new ticket.
    let fresh = world
        .seal(
            "Probe",
            &format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket"),
        )
        .await;
    world.recorder.clear();
    let (answer, line) = session
        .answer(
            CfnEvent::update(
                "Custom::Faulty",
                "Probe",
                answer["PhysicalResourceId"].as_str().unwrap(),
                properties("ok", &fresh),
                properties("ok", &ticket),
            ),
            LIMIT,
        )
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(line["result"], "unchanged");
    // The attributes are answered again (CloudFormation keeps only the latest answer's).
    assert_eq!(answer["Data"]["Message"], "failing on purpose");
    assert_eq!(
        check(&line, "framework-only-update").unwrap()["evidence"]["changed"],
        json!(["WardenTicket"])
    );
    let operations: Vec<String> = world
        .recorder
        .calls()
        .iter()
        .map(|c| c.operation())
        .collect();
    assert_eq!(operations, ["Decrypt", "GetCallerIdentity"]);

    // A rollback Update carries the previous properties (their ticket long expired) as new and
    // the failed deployment's fresh ticket as old: the old one is used.
    let expired = rewrite_ticket(&ticket, &|b| b["x"] = json!(1_700_000_000u64));
    let (answer, line) = session
        .answer(
            CfnEvent::update(
                "Custom::Faulty",
                "Probe",
                answer["PhysicalResourceId"].as_str().unwrap(),
                properties("ok", &expired),
                properties("ok", &fresh),
            ),
            LIMIT,
        )
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{line}");
    assert_eq!(
        check(&line, "ticket").unwrap()["evidence"]["ticket_from"],
        "old-properties"
    );

    // The provider's own credentials are out of reach of handler code.
    let (answer, _) = session
        .answer(probe(properties("provider-credentials", &fresh)), LIMIT)
        .await
        .unwrap();
    assert_eq!(
        answer["Data"]["ProviderCredentials"], "unreachable",
        "{answer}"
    );
}

#[tokio::test]
async fn bad_tickets_are_refused_before_any_work() {
    let world = TicketWorld::start("refused").await;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket");
    let ticket = world.seal("Probe", &role).await;
    let other_resource = world.seal("Other", &role).await;
    let other_account = world
        .seal("Probe", "arn:aws:iam::111111111111:role/cfn-warden-ticket")
        .await;
    let other_principal = world
        .seal(
            "Probe",
            &format!("arn:aws:iam::{ACCOUNT}:role/not-the-ticket-role"),
        )
        .await;

    // Sealed for `Other`, relabelled as `Probe`: KMS refuses the rebuilt context.
    let wrong_context = rewrite_ticket(&other_resource, &|b| b["l"] = json!("Probe"));
    let tampered = rewrite_ticket(&ticket, &|b| {
        let mut c = base64::engine::general_purpose::STANDARD
            .decode(b["c"].as_str().unwrap())
            .unwrap();
        c[0] ^= 1;
        b["c"] = json!(base64::engine::general_purpose::STANDARD.encode(c));
    });
    let expired = rewrite_ticket(&ticket, &|b| b["x"] = json!(1_700_000_000u64));

    let mut session = world.session().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "missing",
            json!({"Mode": "whoami", "Declare": declared()}),
            "no WardenTicket property",
        ),
        (
            "for another resource",
            properties("whoami", &other_resource),
            "another stack or logical id",
        ),
        (
            "wrong encryption context",
            properties("whoami", &wrong_context),
            "does not open",
        ),
        (
            "tampered ciphertext",
            properties("whoami", &tampered),
            "does not open",
        ),
        (
            "another account",
            properties("whoami", &other_account),
            "another account",
        ),
        (
            "principal not allowed",
            properties("whoami", &other_principal),
            "principal is not allowed",
        ),
        (
            "not a ticket",
            properties("whoami", "wt1.bm90IGEgdGlja2V0"),
            "WardenTicket",
        ),
    ];
    for (what, props, detail) in cases {
        world.recorder.clear();
        let (answer, line) = session.answer(probe(props), LIMIT).await.unwrap();
        assert_eq!(answer["Status"], "FAILED", "{what}");
        assert_eq!(answer["Reason"], cfn_warden::DENIED_REASON, "{what}");
        assert_eq!(line["decision"], "deny", "{what}: {line}");
        assert!(
            line["detail"].as_str().unwrap().contains(detail),
            "{what}: {line}"
        );
        assert_eq!(check(&line, "ticket").unwrap()["verdict"], "fail", "{what}");
        // The handler never got credentials: no AssumeRole happened.
        assert!(!world.assumed_a_role(), "{what}");
    }

    // Expired: a clear FAILED saying how to renew, without asking KMS.
    world.recorder.clear();
    let (answer, line) = session
        .answer(
            CfnEvent::delete(
                "Custom::Faulty",
                "Probe",
                "faulty-probe",
                properties("whoami", &expired),
            ),
            LIMIT,
        )
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    let reason = answer["Reason"].as_str().unwrap();
    assert!(
        reason.contains("expired") && reason.contains("warden refresh --stack-name warden-demo"),
        "{reason}"
    );
    assert_eq!(line["result"], "bad-input");
    assert!(world.recorder.calls().is_empty());
}

#[tokio::test]
async fn declared_policies_that_break_the_rules_fail_naming_the_rule() {
    let world = TicketWorld::start("policy").await;
    let ticket = world
        .seal(
            "Probe",
            &format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket"),
        )
        .await;
    let mut session = world.session().await;
    let long: Vec<String> = (0..60)
        .map(|i| format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:a-long-layer-name-{i}:1"))
        .collect();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "arn:aws:lambda:us-east-1:123456789012:layer:x"}]}),
            "wildcard-action",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:iam::123456789012:role/x"}]}),
            "negated-element-or-principal",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"}]}),
            "unbounded-pass-role",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "lambda:GetLayerVersion", "Resource": long}]}),
            "2048-character limit",
        ),
    ];
    for (declare, expected) in cases {
        world.recorder.clear();
        let (answer, line) = session
            .answer(
                probe(json!({"Mode": "whoami", "Declare": declare, "WardenTicket": ticket})),
                LIMIT,
            )
            .await
            .unwrap();
        assert_eq!(answer["Status"], "FAILED");
        let reason = answer["Reason"].as_str().unwrap();
        assert!(reason.contains(expected), "{reason}");
        assert_eq!(line["result"], "bad-input");
        assert!(!world.assumed_a_role(), "{expected}");
    }
    // Declaring nothing: no session, and the handler is told it has no credentials.
    let (answer, _) = session
        .answer(
            probe(json!({"Mode": "whoami", "WardenTicket": ticket})),
            LIMIT,
        )
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(answer["Reason"]
        .as_str()
        .unwrap()
        .contains("declared no permissions"));
}

#[tokio::test]
async fn a_ticket_passed_as_a_parameter_is_sealed_into_the_parameter_value() {
    let world = TicketWorld::start("parameter").await;
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t.yaml");
    let source = format!(
        "Parameters:\n  ProbeTicket:\n    Type: String\n    NoEcho: true\nResources:\n  Probe:\n    Type: Custom::Faulty\n    Properties:\n      ServiceToken: arn:aws:lambda:{REGION}:{ACCOUNT}:function:faulty-resource\n      Mode: whoami\n      WardenTicket: !Ref ProbeTicket\n"
    );
    std::fs::write(&template, &source).unwrap();
    let out = dir.path().join("sealed.yaml");
    let values = dir.path().join("parameters.json");
    let role = world.ticket_role();
    let args = |extra: &[&str]| {
        let mut a = vec![
            "seal".to_owned(),
            template.display().to_string(),
            "--stack-name".into(),
            STACK.into(),
            "--ticket-role".into(),
            role.clone(),
            "--key".into(),
            world.key.clone(),
            "--duration".into(),
            "15m".into(),
            "-o".into(),
            out.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    // Without somewhere to put the values, nothing is written.
    let a = args(&[]);
    let (code, _, err) = world
        .warden(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ProbeTicket take their tickets from parameters; pass --parameters-out"),
        "{err}"
    );
    assert!(!out.exists());

    let a = args(&["--parameters-out", values.to_str().unwrap()]);
    let (code, _, err) = world
        .warden(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        source,
        "the template keeps its !Ref"
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&values).unwrap()).unwrap();
    assert_eq!(written[0]["ParameterKey"], "ProbeTicket");
    let ticket = written[0]["ParameterValue"].as_str().unwrap().to_owned();
    assert!(ticket.starts_with("wt1."), "{ticket}");

    // CloudFormation resolves the Ref: the provider gets the value, bound to Probe.
    let mut session = world.session().await;
    let (answer, line) = session
        .answer(probe(properties("whoami", &ticket)), LIMIT)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{line}");
    assert_eq!(check(&line, "ticket").unwrap()["verdict"], "pass");

    // One parameter cannot carry the tickets of two resources.
    std::fs::write(
        &template,
        format!("{source}  Other:\n    Type: Custom::Faulty\n    Properties:\n      ServiceToken: x\n      WardenTicket: !Ref ProbeTicket\n"),
    )
    .unwrap();
    let (code, _, err) = world
        .warden(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("already carries another resource's WardenTicket"),
        "{err}"
    );
}

#[tokio::test]
async fn sts_refusals_fail_naming_the_cause_and_the_handler_never_runs() {
    let world = TicketWorld::start("sts-refusals").await;
    let ticket = world
        .seal(
            "Probe",
            &format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket"),
        )
        .await;
    let mut session = world.session().await;
    // (operation, injected STS error, expected Status/Reason text, result)
    let cases = [
        (
            "AssumeRole",
            "PackedPolicyTooLarge",
            "packed size limit of STS session policies (PackedPolicyTooLarge)",
            "bad-input",
        ),
        (
            "AssumeRole",
            "MalformedPolicyDocument",
            "MalformedPolicyDocument",
            "bad-input",
        ),
        (
            "AssumeRole",
            "ExpiredToken",
            "warden refresh --stack-name",
            "bad-input",
        ),
        (
            "GetCallerIdentity",
            "ExpiredToken",
            "warden refresh --stack-name",
            "bad-input",
        ),
        (
            "AssumeRole",
            "AccessDenied",
            cfn_warden::DENIED_REASON,
            "denied",
        ),
    ];
    for (operation, code, expected, result) in cases {
        world.recorder.clear();
        world.recorder.fail_next(
            operation,
            400,
            warden_e2e::recorder::query_error(code, "injected by the test"),
        );
        let (answer, line) = session
            .answer(probe(properties("whoami", &ticket)), LIMIT)
            .await
            .unwrap();
        let answer = answer;
        assert_eq!(answer["Status"], "FAILED", "{code}");
        let reason = answer["Reason"].as_str().unwrap();
        assert!(reason.contains(expected), "{code}: {reason}");
        assert_eq!(line["result"], result, "{code}: {line}");
        let calls = world.recorder.calls();
        let operations: Vec<String> = calls.iter().map(|c| c.operation()).collect();
        assert_eq!(
            operations.last().map(String::as_str),
            Some(operation),
            "{code}: nothing after the refused call (the handler never ran): {operations:?}"
        );
        assert!(
            calls.iter().all(
                |c| c.response.contains("injected by the test") == (c.operation() == operation)
            ),
            "{code}: exactly the one injected answer"
        );
    }
    // The same request without an injected error succeeds: the failures above were the cause.
    world.recorder.clear();
    let (answer, _) = session
        .answer(probe(properties("whoami", &ticket)), LIMIT)
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS");
}

#[tokio::test]
async fn provider_role_mode_is_explicit_and_flagged_on_every_line() {
    let world = TicketWorld::start("classic").await;
    // The provider's own credentials: gone before any handler runs in the default mode,
    // `none`; in reach only in the classic mode.
    let mut sessions = Vec::new();
    for (mode, reach) in [("none", "unreachable"), ("provider-role", "reachable")] {
        let mut env: Vec<(&str, String)> = world.moto.sdk_env();
        if mode != "none" {
            env.push(("WARDEN_CREDENTIALS", mode.into()));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut session = Session::start_with_env(bin("faulty-resource"), &env)
            .await
            .unwrap();
        let (answer, line) = session
            .answer(probe(json!({"Mode": "provider-credentials"})), LIMIT)
            .await
            .unwrap();
        assert_eq!(answer["Data"]["ProviderCredentials"], reach, "{mode}");
        assert_eq!(line["credentials"], mode);
        sessions.push(session);
    }
    let mut session = sessions.pop().unwrap();
    // The declared policy is checked and logged, though not enforced.
    let (answer, line) = session
        .answer(
            probe(json!({"Mode": "whoami", "Declare": declared()})),
            LIMIT,
        )
        .await
        .unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(line["credentials"], "provider-role");
    let skipped = check(&line, "provider-role-credentials").unwrap();
    assert_eq!(skipped["verdict"], "skip");
    assert_eq!(
        skipped["evidence"]["actions"],
        json!(["lambda:GetLayerVersion"])
    );
}

#[tokio::test]
async fn refresh_refuses_stacks_it_cannot_update_with_a_clear_error() {
    let world = TicketWorld::start("refresh").await;
    let role = format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket");
    let function = world.moto.create_function("faulty-resource").await.unwrap();
    let template = json!({"Resources": {"Probe": {"Type": "Custom::Faulty",
        "Properties": {"ServiceToken": function, "Mode": "ok", "WardenTicket": "wt1.old"}}}});
    world
        .moto
        .create_stack("refresh-me", &template)
        .await
        .unwrap();
    let args = |stack: &'static str| {
        vec![
            "refresh".to_owned(),
            "--stack-name".to_owned(),
            stack.to_owned(),
            "--ticket-role".to_owned(),
            role.clone(),
            "--key".to_owned(),
            world.key.clone(),
            "--wait".to_owned(),
            "5s".to_owned(),
        ]
    };
    // moto keeps a stack with a custom resource CREATE_IN_PROGRESS (nobody answers it here).
    let a = args("refresh-me");
    let (code, _, err) = world
        .warden(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("CREATE_IN_PROGRESS: it cannot be updated now"),
        "{err}"
    );
    // Bad arguments: a clear error, exit 2.
    for (bad, expected) in [
        (
            vec!["refresh", "--stack-name", "refresh-me"],
            "nothing to refresh in refresh-me",
        ),
        (
            vec![
                "refresh",
                "--stack-name",
                "refresh-me",
                "--resource",
                "Probe",
            ],
            "--resource selects tickets to re-seal: it needs --ticket-role and --key",
        ),
    ] {
        let (code, _, err) = world.warden(&bad).await;
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(expected), "{err}");
    }
    let a = args("no-such-stack");
    let (code, _, err) = world
        .warden(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("DescribeStacks no-such-stack"), "{err}");
}
