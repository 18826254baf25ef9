//! Replaying a Delete outside an in-flight operation: with `WARDEN_VERIFY_STACK_OPERATION`, a
//! request is only accepted while CloudFormation shows that resource's operation in progress.
//! moto's stack keeps the custom resource in CREATE_IN_PROGRESS (nothing answers it), so a
//! Create is in flight and a Delete is not.

use std::time::{Duration, SystemTime};

use serde_json::json;
use warden_e2e::{CfnEvent, TICKET_STACK};

use crate::arena::{function_arn, Arena, LOGICAL_ID, TYPE};

#[tokio::test]
async fn a_replayed_delete_outside_an_operation_is_refused() {
    let mut arena = Arena::start(
        "replay",
        &[
            ("WARDEN_VERIFY_STACK_OPERATION", "true"),
            // moto's DescribeStackResource has no timestamp (FACTS §3).
            ("WARDEN_STACK_OPERATION_ALLOW_MISSING_TIMESTAMP", "true"),
        ],
    )
    .await;
    // The stack the tickets and signatures name, with the resource in CREATE_IN_PROGRESS.
    arena
        .world
        .moto
        .create_function("warden-provider")
        .await
        .unwrap();
    let stack_id = arena
        .world
        .moto
        .create_stack(
            TICKET_STACK,
            &json!({"Resources": {LOGICAL_ID: {"Type": TYPE, "Properties": {
                "ServiceToken": function_arn("warden-provider")}}}}),
        )
        .await
        .unwrap();

    // The legitimate Create, during the stack's creation: accepted, the function is made.
    let legit = "legit-replay";
    let now = SystemTime::now();
    let signed = arena.signed(
        &arena.key,
        &arena.properties(legit),
        TICKET_STACK,
        LOGICAL_ID,
        (now, now + Duration::from_secs(3600)),
    );
    let create = arena
        .session
        .prepare(CfnEvent::create(TYPE, LOGICAL_ID, signed.clone()))
        .field("StackId", json!(stack_id));
    let (exchange, line) = arena.send(create.to_bytes()).await;
    assert_eq!(exchange.answer().unwrap()["Status"], "SUCCESS", "{line}");
    assert!(arena.function(legit).await.is_some());

    // The same signed properties and ticket, replayed as a Delete: CloudFormation is not
    // deleting anything, so it is refused and the function survives.
    let delete = arena
        .session
        .prepare(CfnEvent::delete(TYPE, LOGICAL_ID, legit, signed))
        .field("StackId", json!(stack_id));
    let secret = delete.signature().to_owned();
    let (exchange, line) = arena.send(delete.to_bytes()).await;
    assert_eq!(line["decision"], "deny", "{line}");
    arena
        .assert_refused(
            "replay of a Delete outside an operation",
            &exchange,
            &line,
            "stack-operation",
            &[&secret],
        )
        .await;
    assert!(
        arena.function(legit).await.is_some(),
        "the replayed Delete removed the function"
    );
}
