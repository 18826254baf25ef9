//! Exactly one answer, always, before the deadline — through faulty-resource's modes.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::json;
use warden_e2e::{bin, CfnBehaviour, CfnEvent, Session};

const LIMIT: Duration = Duration::from_secs(20);

/// After anything, the process still serves the next event correctly.
async fn still_serves(s: &mut Session) {
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "After",
        json!({"Mode": "ok", "Message": "still here"}),
    ));
    let (x, _) = s.send(&e, LIMIT).await.unwrap();
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(a["Data"]["Message"], "still here");
    assert!(s.provider.is_running());
}

#[tokio::test]
async fn handler_error_is_failed_with_its_reason() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "error", "Message": "quota exceeded"}),
    ));
    let (x, line) = s.send(&e, LIMIT).await.unwrap();
    assert_eq!(x.puts.len(), 1);
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    assert_eq!(a["Reason"], "quota exceeded");
    assert_eq!(line["result"], "handler-error");
    assert_eq!(line["reason"], "quota exceeded");
    still_serves(&mut s).await;
}

#[tokio::test]
async fn panic_is_failed_without_the_payload_anywhere() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let payload = "panic-payload-7f3a9c";
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "panic", "Message": payload}),
    ));
    let (x, line) = s.send(&e, LIMIT).await.unwrap();
    assert_eq!(x.puts.len(), 1);
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    assert_eq!(a["Reason"], "handler panicked");
    assert!(a["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .starts_with("cfn-warden-create-failed-"));
    assert_eq!(line["result"], "handler-panic");
    still_serves(&mut s).await;
    let output = s.provider.all_output();
    assert!(
        output.contains("handler panicked (payload withheld)"),
        "{output}"
    );
    assert!(!output.contains(payload), "panic payload leaked: {output}");
}

#[tokio::test]
async fn hang_is_failed_timed_out_before_the_deadline() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "hang"}),
    ));
    let limit = Duration::from_secs(3);
    let (x, line) = s.send(&e, limit).await.unwrap();
    assert_eq!(x.puts.len(), 1);
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    assert!(
        a["Reason"].as_str().unwrap().starts_with("timed out after"),
        "{a}"
    );
    assert!(
        x.puts[0].at < x.deadline,
        "the answer arrived after the Lambda deadline"
    );
    assert_eq!(line["result"], "timeout");
    still_serves(&mut s).await;
}

#[tokio::test]
async fn service_timeout_shorter_than_lambda_bounds_the_work() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let e = s
        .prepare(CfnEvent::create(
            "Custom::Faulty",
            "Thing",
            json!({"Mode": "hang"}),
        ))
        .field("ServiceTimeout", json!("2"));
    let (x, _) = s.send(&e, Duration::from_secs(30)).await.unwrap();
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    let took = x.puts[0].at.duration_since(x.sent_at).unwrap();
    assert!(
        took < Duration::from_secs(2),
        "answered after {took:?}, past ServiceTimeout"
    );
}

#[tokio::test]
async fn big_data_is_failed_naming_the_size() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "big-data"}),
    ));
    let (x, line) = s.send(&e, LIMIT).await.unwrap();
    assert_eq!(x.puts.len(), 1);
    assert!(x.puts[0].body.len() <= 4096);
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    let reason = a["Reason"].as_str().unwrap();
    assert!(
        reason.contains("5014 bytes") && reason.contains("4096"),
        "{reason}"
    );
    assert!(a.get("Data").is_none());
    assert!(
        !a["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("cfn-warden-create-failed-"),
        "the created resource's id is kept so the following Delete can clean up"
    );
    assert_eq!(line["response"]["adjustment"]["kind"], "data-too-large");
    still_serves(&mut s).await;
}

#[tokio::test]
async fn the_put_is_byte_exact_with_empty_content_type() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let message = "héllo — ünïcödé 😀";
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "ok", "Message": message}),
    ));
    let (x, _) = s.send(&e, LIMIT).await.unwrap();
    let put = &x.puts[0];
    assert_eq!(
        put.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b""[..])
    );
    let length: usize = put.headers["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(length, put.body.len());
    assert_eq!(x.answer().unwrap()["Data"]["Message"], message);
    assert!(
        put.path_and_query
            .contains(&format!("X-Amz-Signature={}", e.signature())),
        "the URL is used verbatim"
    );
}

#[tokio::test]
async fn endpoint_failing_three_times_then_succeeding_is_retried() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    s.lambda.script_cfn(&[
        CfnBehaviour::Status(500),
        CfnBehaviour::Status(500),
        CfnBehaviour::Status(500),
    ]);
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "ok"}),
    ));
    let (x, line) = s.send(&e, LIMIT).await.unwrap();
    assert_eq!(x.puts.len(), 4);
    assert!(
        x.puts.iter().all(|p| p.body == x.puts[0].body),
        "every attempt sends the same body"
    );
    let attempts = line["response"]["delivery"]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4);
    assert_eq!(
        attempts[0]["outcome"],
        json!({"kind": "status", "status": 500})
    );
    assert_eq!(
        attempts[3]["outcome"],
        json!({"kind": "status", "status": 200})
    );
    assert_eq!(line["response"]["delivery"]["delivered"], true);
}

#[tokio::test]
async fn endpoint_never_answering_gives_up_before_the_deadline() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    s.lambda.script_cfn(&[CfnBehaviour::Hang; 10]);
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "ok"}),
    ));
    let limit = Duration::from_secs(3);
    let (x, line) = s.send(&e, limit).await.unwrap();
    assert!(!x.puts.is_empty());
    assert_eq!(line["response"]["delivery"]["delivered"], false);
    assert_eq!(line["response"]["delivery"]["gave_up"], "deadline-reached");
    assert!(
        x.result_at < x.deadline,
        "the Runtime API result came after the Lambda deadline"
    );
    assert_eq!(
        x.result,
        warden_e2e::RuntimeResult::Response(
            json!({"decision": "allow", "status": "SUCCESS", "delivered": false})
        )
    );
    s.lambda.script_cfn(&[]);
    still_serves(&mut s).await;
}

#[tokio::test]
async fn a_handler_blocking_its_thread_is_answered_then_the_process_is_replaced() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "block"}),
    ));
    let (x, line) = s.send(&e, Duration::from_secs(3)).await.unwrap();
    assert_eq!(x.puts.len(), 1);
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    assert!(
        a["Reason"].as_str().unwrap().starts_with("timed out"),
        "{a}"
    );
    assert!(x.puts[0].at < x.deadline);
    assert_eq!(line["result"], "timeout");
    assert_eq!(line["abandoned_work"], true);
    assert_eq!(
        x.result,
        warden_e2e::RuntimeResult::Response(
            json!({"decision": "allow", "status": "FAILED", "delivered": true, "abandoned_work": true})
        )
    );
    // The stuck worker would starve later invocations: the process exits so Lambda replaces it.
    for _ in 0..100 {
        if !s.provider.is_running() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!s.provider.is_running(), "the process should have exited");
}

#[tokio::test]
async fn an_awaiting_hang_is_aborted_without_replacing_the_process() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Thing",
        json!({"Mode": "hang"}),
    ));
    let (_, line) = s.send(&e, Duration::from_secs(3)).await.unwrap();
    assert!(line.get("abandoned_work").is_none(), "{line}");
    still_serves(&mut s).await;
}
