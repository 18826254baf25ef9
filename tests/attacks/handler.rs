//! Attacks from inside a handler (the `faulty-resource` fixture, ticket mode): reaching for the
//! provider's own credentials, and declaring policies that would widen the work session.

use std::time::Duration;

use serde_json::{json, Value};
use warden_e2e::{CfnEvent, TicketWorld, ACCOUNT};

const LIMIT: Duration = Duration::from_secs(30);

fn check_no_secret(world: &TicketWorld, output: &str, ticket: &str, attack: &str) {
    assert!(
        !output.contains(ticket),
        "{attack}: the ticket reached a log"
    );
    for call in world.recorder.calls() {
        if let Some(token) = &call.security_token {
            assert!(
                !output.contains(token.as_str()),
                "{attack}: a session token reached a log"
            );
        }
    }
}

#[tokio::test]
async fn a_handler_cannot_reach_the_provider_s_own_credentials() {
    let world = TicketWorld::start("attack-own-credentials").await;
    let ticket = world.seal("Probe", &world.ticket_role()).await;
    let mut session = world.session().await;
    world.recorder.clear();
    let event = session.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Probe",
        json!({"Mode": "provider-credentials", "WardenTicket": ticket}),
    ));
    let (exchange, line) = session.send(&event, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(
        answer["Data"]["ProviderCredentials"], "unreachable",
        "{answer} {line}"
    );
    // Every call the process made was the framework's, and none was signed with the
    // provider's long-term credentials (a call without a session token) by the handler.
    for call in world.recorder.calls() {
        let op = call.operation();
        assert!(
            ["GetCallerIdentity", "Decrypt"].contains(&op.as_str()),
            "unexpected call {op}"
        );
        if op == "GetCallerIdentity" {
            assert!(
                call.security_token.is_some(),
                "GetCallerIdentity with the provider's own keys"
            );
        }
    }
    check_no_secret(
        &world,
        &session.provider.all_output(),
        &ticket,
        "own credentials",
    );
}

#[tokio::test]
async fn declared_policies_that_would_widen_the_session_are_refused() {
    let world = TicketWorld::start("attack-policies").await;
    let ticket = world.seal("Probe", &world.ticket_role()).await;
    let mut session = world.session().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "wildcard action",
            json!({"Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:x")}]}),
            "wildcard-action",
        ),
        (
            "everything on everything",
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            "declared permissions refused",
        ),
        (
            "NotAction",
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/x")}]}),
            "negated-element-or-principal",
        ),
        (
            "PassRole on *",
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}),
            "declared permissions refused",
        ),
        (
            "PassRole on every role",
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/*")}]}),
            "unbounded-pass-role",
        ),
    ];
    for (attack, declare, rule) in cases {
        world.recorder.clear();
        let properties = json!({"Mode": "whoami", "Declare": declare, "WardenTicket": ticket});
        let event = CfnEvent::create("Custom::Faulty", "Probe", properties);
        let (answer, line) = session.answer(event, LIMIT).await.unwrap();
        assert_eq!(answer["Status"], "FAILED", "{attack}");
        assert!(answer.get("Data").is_none(), "{attack}");
        let reason = answer["Reason"].as_str().unwrap();
        assert!(reason.contains(rule), "{attack}: {reason}");
        assert_eq!(line["result"], "bad-input", "{attack}: {line}");
        // No work session was made, so the handler never ran with credentials.
        assert!(!world.assumed_a_role(), "{attack}");
        check_no_secret(&world, &session.provider.all_output(), &ticket, attack);
    }
}
