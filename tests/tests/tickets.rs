//! Ticket mode end to end: `warden seal` against moto (STS, KMS, IAM), the real
//! `faulty-resource` binary in ticket mode, and a recording proxy in front of moto that shows
//! exactly which AWS calls the provider made.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use base64::Engine as _;
use cfn_warden::credentials::SessionPolicy;
use serde_json::{json, Value};
use warden_e2e::{bin, rewrite_ticket, CfnEvent, Session, TicketWorld, ACCOUNT, REGION};

#[path = "tickets/refused.rs"]
mod refused;

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

/// The role tickets are sealed for.
fn ticket_role() -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket")
}

/// An Update of the `Probe` resource of `Custom::Faulty` (physical id `id`).
fn update_probe(id: &str, new: Value, old: Value) -> CfnEvent {
    CfnEvent::update("Custom::Faulty", "Probe", id, new, old)
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
    let ticket = world.seal("Probe", &ticket_role()).await;
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
    let fresh = world.seal("Probe", &ticket_role()).await;
    world.recorder.clear();
    let (answer, line) = session
        .answer(
            update_probe(
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
            update_probe(
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
