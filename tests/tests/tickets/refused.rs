//! What ticket mode refuses, and how it says so: bad tickets before any work, declared
//! policies that break the rules, STS refusals, and `warden refresh` on stacks it cannot
//! update.

use super::*;

#[tokio::test]
async fn bad_tickets_are_refused_before_any_work() {
    let world = TicketWorld::start("refused").await;
    let role = ticket_role();
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
    // (what, the ticket (none: no property), a part of the decision line's detail).
    let cases = [
        ("missing", None, "no WardenTicket property"),
        ("not a ticket", Some("wt1.bm90IGEgdGlja2V0"), "WardenTicket"),
        (
            "other resource",
            Some(&other_resource),
            "another stack or logical id",
        ),
        ("wrong context", Some(&wrong_context), "does not open"),
        ("tampered", Some(&tampered), "does not open"),
        ("other account", Some(&other_account), "another account"),
        (
            "principal",
            Some(&other_principal),
            "principal is not allowed",
        ),
    ];
    for (what, ticket, detail) in cases {
        let props = match ticket {
            Some(ticket) => properties("whoami", ticket),
            None => json!({"Mode": "whoami", "Declare": declared()}),
        };
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
    let ticket = world.seal("Probe", &ticket_role()).await;
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
async fn sts_refusals_fail_naming_the_cause_and_the_handler_never_runs() {
    let world = TicketWorld::start("sts-refusals").await;
    let ticket = world.seal("Probe", &ticket_role()).await;
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
async fn refresh_refuses_stacks_it_cannot_update_with_a_clear_error() {
    let world = TicketWorld::start("refresh").await;
    let role = ticket_role();
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
