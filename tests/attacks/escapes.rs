//! The two escape classes found by trying real and adversarial shapes:
//! - a Delete posing as the Delete of a failed Create (missing, empty, oversize or
//!   control-character PhysicalResourceId), which was answered SUCCESS on a sentinel computed in
//!   its place with no verification and no handler;
//! - a `Custom::PipLayer` `IndexUrl` under the allowed index prefix that leaves it once a server
//!   decodes or normalises the path (`..%2f`, `%2e%2e`, `..;/`, `%5c`, double encoding).

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, SystemTime},
};

use serde_json::json;
use warden_e2e::{sign_properties_for, CfnEvent, TICKET_STACK};

use crate::arena::{Arena, LOGICAL_ID, TYPE};

#[tokio::test]
async fn a_delete_with_an_unusable_id_is_never_taken_for_a_failure_sentinel() {
    let mut arena = Arena::start("sentinel", &[]).await;
    arena.accept_legitimate("legit-sentinel-1").await;
    let now = SystemTime::now();
    let props = arena.signed(
        &arena.key,
        &arena.properties("legit-sentinel-1"),
        TICKET_STACK,
        LOGICAL_ID,
        (now, now + Duration::from_secs(3600)),
    );
    for (what, id, problem) in [
        ("no id", None, "missing `PhysicalResourceId`"),
        ("empty id", Some(json!("")), "PhysicalResourceId is empty"),
        (
            "oversize sentinel-prefixed id",
            Some(json!(format!(
                "{}{}",
                cfn_warden::protocol::SENTINEL_PREFIX,
                "0".repeat(1100)
            ))),
            "longer than 1024 bytes",
        ),
        (
            "control characters",
            Some(json!("legit-sentinel-1\u{7}")),
            "control characters",
        ),
    ] {
        let mut event = arena
            .session
            .prepare(CfnEvent::delete(
                TYPE,
                LOGICAL_ID,
                "placeholder",
                props.clone(),
            ))
            .to_value();
        match id {
            Some(id) => event["PhysicalResourceId"] = id,
            None => {
                event.as_object_mut().unwrap().remove("PhysicalResourceId");
            }
        }
        let (exchange, line) = arena.send(serde_json::to_vec(&event).unwrap()).await;
        let answer = exchange
            .answer()
            .unwrap_or_else(|| panic!("{what}: no answer"));
        assert_eq!(answer["Status"], "FAILED", "{what}: {answer}");
        assert!(
            answer["Reason"]
                .as_str()
                .unwrap_or_default()
                .contains(problem),
            "{what}: {answer}"
        );
        assert_ne!(line["result"], "sentinel-delete", "{what}: {line}");
        arena
            .assert_refused(what, &exchange, &line, problem, &[])
            .await;
        // The function the legitimate request made is untouched.
        assert!(arena.function("legit-sentinel-1").await.is_some(), "{what}");
    }
}

/// A loopback "index" that counts the connections it receives (and answers none).
async fn counting_index() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

#[tokio::test]
async fn an_index_url_that_leaves_the_allowed_prefix_once_decoded_is_never_fetched() {
    let (port, connections) = counting_index().await;
    let allowed = format!("http://127.0.0.1:{port}/team-a/simple/");
    let mut arena = Arena::start("index-escape", &[("WARDEN_PIP_INDEX_ALLOW", &allowed)]).await;
    arena.accept_legitimate("legit-index-1").await;

    // A PipLayer request as a deployer allowed to use team-a's index would send, signed and
    // ticketed like any legitimate one: only IndexUrl differs.
    let layer = |arena: &Arena, index_url: &str| -> Vec<u8> {
        let now = SystemTime::now();
        let mut props = json!({
            "LayerName": "app-escape",
            "Requirements": ["six==1.16.0"],
            "Runtime": "python3.12",
            "IndexUrl": index_url,
        });
        let token = sign_properties_for(
            &arena.key,
            "Custom::PipLayer",
            LOGICAL_ID,
            &props,
            TICKET_STACK,
            (now, now + Duration::from_secs(3600)),
        )
        .unwrap();
        props["WardenSignature"] = json!(token);
        props["WardenTicket"] = json!(arena.ticket);
        arena
            .session
            .prepare(CfnEvent::create("Custom::PipLayer", LOGICAL_ID, props))
            .to_bytes()
    };

    // The canary works: an IndexUrl inside the prefix is fetched (and fails: nothing answers).
    let (exchange, line) = arena.send(layer(&arena, &format!("{allowed}sub/"))).await;
    assert_eq!(exchange.answer().unwrap()["Status"], "FAILED", "{line}");
    assert!(
        connections.load(Ordering::SeqCst) > 0,
        "the index was never contacted: {line}"
    );
    let before = connections.load(Ordering::SeqCst);

    let base = format!("http://127.0.0.1:{port}/team-a/simple");
    for (escape, problem) in [
        ("/..%2f..%2fteam-b/simple/", "encoded slash"),
        ("/..%5c..%5cteam-b/simple/", "encoded slash or backslash"),
        ("/%2e%2e/%2e%2e/team-b/simple/", "dot segment"),
        ("/..;/..;/team-b/simple/", "path parameter"),
        ("/%252e%252e/team-b/simple/", "percent-encoded twice"),
        ("/../../team-b/simple/", "dot segment"),
    ] {
        let url = format!("{base}{escape}");
        let (exchange, line) = arena.send(layer(&arena, &url)).await;
        let answer = exchange
            .answer()
            .unwrap_or_else(|| panic!("{escape}: no answer"));
        assert_eq!(answer["Status"], "FAILED", "{escape}: {answer}");
        let reason = answer["Reason"].as_str().unwrap_or_default();
        assert!(reason.contains(problem), "{escape}: {reason}");
        assert!(answer.get("Data").is_none(), "{escape}: {answer}");
        // Verification passed (the deployer may use the provider); the resource refused.
        assert_eq!(line["result"], "handler-error", "{escape}: {line}");
        // Nothing was fetched, and no layer was published.
        assert_eq!(
            connections.load(Ordering::SeqCst),
            before,
            "{escape}: the index was contacted"
        );
        for call in arena.world.recorder.calls() {
            let op = call.operation();
            assert!(!op.contains("Layer"), "{escape}: the provider called {op}");
        }
    }
}
