//! Long-running operations through the real `faulty-resource` binary: the provider re-invokes
//! itself through Lambda's `Invoke` API (served by the local Lambda, as `AWS_ENDPOINT_URL_LAMBDA`)
//! with a sealed continuation whose data key comes from KMS (moto, behind the recording proxy).
//! The in-process tests (`runtime/tests/long_running.rs`) cover the clock, the deadline and
//! forgeries; these show the path a deployed provider takes: `LambdaSelfInvoke`, KMS
//! `GenerateDataKey`/`Decrypt` with the encryption context, a poll landing in another
//! execution environment, and the ticket's work session opened again on every poll.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::{json, Value};
use warden_e2e::{
    recorder::RecordedCall, CfnEvent, InvokeCall, RuntimeResult, Session, TicketWorld,
};

const LIMIT: Duration = Duration::from_secs(30);

/// `faulty-resource` in `mode`, its continuations under the world's KMS key, its `Invoke`
/// calls served by its own local Lambda.
async fn slow_provider(world: &TicketWorld, mode: &str) -> Session {
    world
        .builder_in_mode(
            "faulty-resource",
            mode,
            &[("WARDEN_CONTINUATION_KEY", &world.key)],
        )
        .serve_invoke()
        .start()
        .await
        .unwrap()
}

fn slow(polls: u32) -> Value {
    json!({"Mode": "slow", "Polls": polls, "PollSeconds": 1})
}

/// The KMS calls the provider made, by operation.
fn kms_calls(world: &TicketWorld, operation: &str) -> Vec<RecordedCall> {
    world
        .recorder
        .calls()
        .into_iter()
        .filter(|c| c.target.as_deref() == Some(&format!("TrentService.{operation}")))
        .collect()
}

/// The encryption context of a recorded KMS call.
fn context(call: &RecordedCall) -> Value {
    serde_json::from_str::<Value>(&call.body).unwrap()["EncryptionContext"].clone()
}

/// The decision lines of CloudFormation request `request_id`, in order, once there are `n`
/// (the last line is written just after the answer is PUT).
async fn lines_of(session: &Session, request_id: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let lines: Vec<Value> = session
            .provider
            .decisions()
            .into_iter()
            .filter(|d| d["cfn_request_id"] == request_id)
            .collect();
        if lines.len() >= n {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("fewer than {n} decision lines for {request_id}")
}

/// Every asynchronous self-invocation was of the invoked ARN, carried a continuation without the
/// ResponseURL in clear, and ended with a runtime response.
fn assert_self_invocations(calls: &[InvokeCall], arn: &str, event: &CfnEvent) {
    for call in calls {
        assert_eq!(call.invocation_type, "Event");
        assert_eq!(
            call.function_name, arn,
            "the provider invokes exactly itself"
        );
        let payload = String::from_utf8_lossy(&call.payload);
        assert!(payload.contains("WardenContinuation"), "{payload}");
        assert!(
            !payload.contains(&event.response_url()) && !payload.contains(event.signature()),
            "the ResponseURL is sealed, never in clear: {payload}"
        );
    }
}

#[tokio::test]
async fn a_slow_create_is_polled_through_self_invocations_and_answered_once() {
    let world = TicketWorld::start("long-running").await;
    let mut session = slow_provider(&world, "none").await;
    let event = session.prepare(CfnEvent::create("Custom::Faulty", "Slow", slow(3)));
    let request_id = event.request_id().to_owned();
    let (first, line) = session.send(&event, LIMIT).await.unwrap();
    assert!(first.puts.is_empty(), "no answer while in progress");
    assert_eq!(line["result"], "in-progress", "{line}");
    assert_eq!(line["operation"]["poll"], 0, "{line}");
    assert!(line["operation"]["next_poll_at"].is_string(), "{line}");

    let puts = session.lambda.wait_for_puts(1, LIMIT).await.unwrap();
    let answer = puts[0].json();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Data"]["Message"], "done after 3 polls");
    assert_eq!(answer["RequestId"], request_id.as_str());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(session.lambda.puts().len(), 1, "exactly one answer");

    let calls = session.lambda.invoke_calls();
    assert_eq!(calls.len(), 3, "one self-invocation per poll: {calls:?}");
    assert_self_invocations(&calls, session.provider.function_arn(), &event);

    let lines = lines_of(&session, &request_id, 4).await;
    let polls: Vec<Value> = lines
        .iter()
        .map(|l| l["operation"]["poll"].clone())
        .collect();
    assert_eq!(polls, [json!(0), json!(1), json!(2), json!(3)], "{lines:?}");
    let results: Vec<&str> = lines
        .iter()
        .map(|l| l["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        ["in-progress", "in-progress", "in-progress", "success"]
    );
    for poll in &lines[1..] {
        let check = poll["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "continuation")
            .unwrap_or_else(|| panic!("a continuation check: {poll}"));
        assert_eq!(check["verdict"], "pass", "{poll}");
    }

    // One data key for the operation, bound to it; the warm environment never decrypts it.
    let generated = kms_calls(&world, "GenerateDataKey");
    assert_eq!(generated.len(), 1, "one data key per operation");
    assert_eq!(
        context(&generated[0]),
        json!({"purpose": "cfn-warden-continuation/1", "request-id": request_id})
    );
    assert!(kms_calls(&world, "Decrypt").is_empty());

    // A continuation delivered again (a replay by anyone who saw it) is refused: no PUT.
    let replay = calls[0].payload.to_vec();
    let (exchange, line) = session.send_raw(replay, LIMIT).await.unwrap();
    assert!(exchange.puts.is_empty(), "{:?}", exchange.puts);
    assert_eq!(line["decision"], "deny", "{line}");
    assert_eq!(session.lambda.puts().len(), 1);
}

#[tokio::test]
async fn a_poll_delivered_to_another_environment_opens_the_continuation_with_kms() {
    let world = TicketWorld::start("long-running-cold").await;
    let mut session = slow_provider(&world, "none").await;
    session.lambda.hold_event_invocations(true);
    let event = session.prepare(CfnEvent::create("Custom::Faulty", "Cold", slow(2)));
    let request_id = event.request_id().to_owned();
    let (first, _) = session.send(&event, LIMIT).await.unwrap();
    assert!(first.puts.is_empty());
    assert_eq!(session.lambda.held(), 1, "the first continuation is held");

    // The first environment goes away; a new one (no cached key) gets the continuation.
    let first_pid = session.provider.pid();
    session.restart_provider().await.unwrap();
    assert_ne!(session.provider.pid(), first_pid);
    assert_eq!(session.lambda.release_held(), 1);

    let puts = session.lambda.wait_for_puts(1, LIMIT).await.unwrap();
    let answer = puts[0].json();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Data"]["Message"], "done after 2 polls");

    let decrypted = kms_calls(&world, "Decrypt");
    assert_eq!(
        decrypted.len(),
        1,
        "the new environment decrypts the data key once, then keeps it"
    );
    assert_eq!(
        context(&decrypted[0]),
        json!({"purpose": "cfn-warden-continuation/1", "request-id": request_id})
    );
    let lines = lines_of(&session, &request_id, 2).await;
    assert_eq!(
        lines.len(),
        2,
        "the new environment's polls 1 and 2: {lines:?}"
    );
    assert_eq!(lines[1]["result"], "success");
    // The runtime reports its result just after writing the decision line.
    let mut results = Vec::new();
    for _ in 0..200 {
        results = session
            .lambda
            .invoke_calls()
            .into_iter()
            .filter_map(|c| c.result)
            .collect::<Vec<RuntimeResult>>();
        if results.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(results.len(), 2, "both self-invocations ran to a result");
}

#[tokio::test]
async fn a_ticketed_operation_opens_the_ticket_and_assumes_the_work_role_on_every_poll() {
    let world = TicketWorld::start("long-running-ticket").await;
    let ticket = world.seal("Probe", &world.ticket_role()).await;
    let mut session = slow_provider(&world, "ticket").await;
    world.recorder.clear();
    let declare = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["lambda:GetLayerVersion"],
        "Resource": [format!("arn:aws:lambda:{}:{}:layer:demo:1", warden_e2e::REGION, warden_e2e::ACCOUNT)]}]});
    let mut properties = slow(2);
    properties["Declare"] = declare;
    properties["WardenTicket"] = json!(ticket);
    // The ticket lives 15 minutes: the operation's deadline must end before it does.
    properties["ServiceTimeout"] = json!("600");
    let event = session.prepare(CfnEvent::create("Custom::Faulty", "Probe", properties));
    let (first, line) = session.send(&event, LIMIT).await.unwrap();
    assert!(first.puts.is_empty(), "{line}");
    let puts = session.lambda.wait_for_puts(1, LIMIT).await.unwrap();
    assert_eq!(puts[0].json()["Status"], "SUCCESS", "{}", puts[0].json());

    let assumed: Vec<RecordedCall> = world
        .recorder
        .calls()
        .into_iter()
        .filter(|c| c.operation() == "AssumeRole")
        .collect();
    assert_eq!(assumed.len(), 3, "the request and each of its 2 polls");
    for call in &assumed {
        assert_eq!(
            call.field("RoleArn").as_deref(),
            Some(world.work_role.as_str())
        );
    }
    let ticket_opens = kms_calls(&world, "Decrypt")
        .into_iter()
        .filter(|c| context(c)["purpose"] != "cfn-warden-continuation/1")
        .count();
    assert_eq!(ticket_opens, 3, "the ticket is opened again on every poll");
}
