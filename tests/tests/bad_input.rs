//! Bad input: each case gets a clear FAILED reason or a no-PUT deny, one decision line, and the
//! process keeps serving.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::{json, Value};
use warden_e2e::{bin, CfnEvent, Session, REGION};

const LIMIT: Duration = Duration::from_secs(20);

fn hello(s: &Session) -> CfnEvent {
    s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": "World"}),
    ))
}

async fn still_serves(s: &mut Session) {
    let e = hello(s);
    let (x, _) = s.send(&e, LIMIT).await.unwrap();
    assert_eq!(x.answer().unwrap()["Status"], "SUCCESS");
}

/// Sends raw bytes; expects no PUT and a deny line whose detail contains `needle`.
async fn expect_deny(s: &mut Session, body: Vec<u8>, needle: &str) -> Value {
    let before = s.lambda.puts().len();
    let (x, line) = s.send_raw(body, LIMIT).await.unwrap();
    assert!(
        x.puts.is_empty() && s.lambda.puts().len() == before,
        "a PUT was made for a denied request"
    );
    assert_eq!(line["decision"], "deny", "{line}");
    assert!(line["status_sent"].is_null());
    let detail = line["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(needle),
        "detail `{detail}` lacks `{needle}`"
    );
    assert_eq!(
        x.result,
        warden_e2e::RuntimeResult::Response(json!({"decision": "deny"}))
    );
    line
}

/// Sends an event; expects exactly one FAILED PUT whose reason contains `needle`.
async fn expect_failed(s: &mut Session, event: Value, needle: &str) -> (Value, Value) {
    let (x, line) = s
        .send_raw(serde_json::to_vec(&event).unwrap(), LIMIT)
        .await
        .unwrap();
    assert_eq!(x.puts.len(), 1, "{line}");
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    let reason = a["Reason"].as_str().unwrap();
    assert!(
        reason.contains(needle),
        "reason `{reason}` lacks `{needle}`"
    );
    assert_eq!(line["decision"], "error");
    assert_eq!(line["result"], "bad-input");
    (a, line)
}

#[tokio::test]
async fn unroutable_events_are_denied_without_a_put() {
    let mut s = Session::start(bin("hello-resource")).await.unwrap();
    let line = expect_deny(&mut s, b"this is not json".to_vec(), "event is not JSON").await;
    assert_eq!(line["result"], "unroutable");
    expect_deny(&mut s, b"[1,2,3]".to_vec(), "not a JSON object").await;
    expect_deny(&mut s, b"\xff\xfe".to_vec(), "event is not JSON").await;
    let mut no_url = hello(&s).to_value();
    no_url.as_object_mut().unwrap().remove("ResponseURL");
    expect_deny(
        &mut s,
        serde_json::to_vec(&no_url).unwrap(),
        "missing `ResponseURL`",
    )
    .await;
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    expect_deny(&mut s, nested.into_bytes(), "recursion limit").await;
    still_serves(&mut s).await;
    assert_eq!(s.provider.decisions().len(), s.sent());
}

#[tokio::test]
async fn forged_response_urls_are_never_fetched() {
    let mut s = Session::start(bin("hello-resource")).await.unwrap();
    let e = hello(&s);
    let stack_path = e.response_url().split("/cfn/").nth(1).unwrap().to_owned();
    let compact = REGION.replace('-', "");
    let host = format!("cloudformation-custom-resource-response-{compact}.s3.amazonaws.com");
    let cases = [
        (format!("http://{host}/{stack_path}"), "not https"),
        (format!("https://evil.example.com/{stack_path}"), "host is not"),
        (format!("https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/{stack_path}"), "host is not"),
        (format!("https://169.254.169.254/{stack_path}"), "IP address"),
        (format!("https://user:pw@{host}/{stack_path}"), "userinfo"),
        (format!("https://{host}:8443/{stack_path}"), "port"),
        (format!("https://{host}/other%7Cpath?X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c"), "path"),
        (format!("{}evil", s.lambda.insecure_prefix().replace("127.0.0.1", "localhost")), "not https"),
    ];
    for (url, needle) in cases {
        let event = e.clone().field("ResponseURL", json!(url));
        expect_deny(&mut s, event.to_bytes(), needle).await;
    }
    still_serves(&mut s).await;
}

#[tokio::test]
async fn service_token_and_stack_mismatches_are_denied() {
    let mut s = Session::start(bin("hello-resource")).await.unwrap();
    let other = "arn:aws:lambda:us-east-1:123456789012:function:someone-else";
    let e = hello(&s).service_token(other);
    expect_deny(&mut s, e.to_bytes(), "ServiceToken does not equal").await;
    let e = hello(&s).field(
        "ServiceToken",
        json!("arn:aws:lambda:us-east-1:123456789012:function:x"),
    );
    expect_deny(&mut s, e.to_bytes(), "ServiceToken differs").await;
    let stack = warden_e2e::STACK_ID.replace("123456789012", "999999999999");
    let e = s.prepare(
        CfnEvent::create("Custom::Hello", "Greeting", json!({"Name": "W"}))
            .field("StackId", json!(stack)),
    );
    expect_deny(&mut s, e.to_bytes(), "account differs").await;
    let stack = warden_e2e::STACK_ID.replace("us-east-1", "eu-west-1");
    let e = s.prepare(
        CfnEvent::create("Custom::Hello", "Greeting", json!({"Name": "W"}))
            .field("StackId", json!(stack)),
    );
    expect_deny(&mut s, e.to_bytes(), "region differs").await;
    still_serves(&mut s).await;
}

#[tokio::test]
async fn routable_bad_input_is_failed_with_a_precise_reason() {
    let mut s = Session::start(bin("hello-resource")).await.unwrap();
    let base = hello(&s).to_value();
    let with = |k: &str, v: Value| {
        let mut e = base.clone();
        e[k] = v;
        e
    };
    let without = |k: &str| {
        let mut e = base.clone();
        e.as_object_mut().unwrap().remove(k);
        e
    };
    let (a, _) = expect_failed(
        &mut s,
        with("RequestType", json!("Destroy")),
        "unknown RequestType `Destroy`",
    )
    .await;
    assert!(a["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .starts_with("cfn-warden-create-failed-"));
    expect_failed(
        &mut s,
        with("RequestType", json!(7)),
        "`RequestType` is not a string",
    )
    .await;
    expect_failed(&mut s, without("ResourceType"), "missing `ResourceType`").await;
    expect_failed(
        &mut s,
        with("ResourceType", json!("AWS::S3::Bucket")),
        "ResourceType is neither",
    )
    .await;
    expect_failed(
        &mut s,
        with("ResourceProperties", json!("Name=World")),
        "`ResourceProperties` is not an object",
    )
    .await;
    expect_failed(
        &mut s,
        with("PhysicalResourceId", json!("x")),
        "Create request must not carry `PhysicalResourceId`",
    )
    .await;
    expect_failed(
        &mut s,
        with("ServiceTimeout", json!("0")),
        "between 1 and 3600 seconds, got 0",
    )
    .await;
    expect_failed(&mut s, with("ServiceTimeout", json!(3601)), "got 3601").await;
    expect_failed(
        &mut s,
        with("ServiceTimeout", json!("soon")),
        "ServiceTimeout is not a whole number",
    )
    .await;

    // Properties failing the handler's schema.
    let mut e = base.clone();
    e["ResourceProperties"]
        .as_object_mut()
        .unwrap()
        .remove("Name");
    expect_failed(&mut s, e, "missing field `Name`").await;
    let mut e = base.clone();
    e["ResourceProperties"]["Nmae"] = json!("typo");
    expect_failed(&mut s, e, "unknown properties: Nmae").await;
    let mut e = base.clone();
    e["ResourceProperties"]["Name"] = json!(["a", "list"]);
    expect_failed(
        &mut s,
        e,
        "invalid property at `Name`: invalid type: a sequence, expected a string",
    )
    .await;

    // Update without a PhysicalResourceId.
    let update = s.prepare(CfnEvent::update(
        "Custom::Hello",
        "Greeting",
        "id-1",
        json!({"Name": "A"}),
        json!({"Name": "B"}),
    ));
    let mut e = update.to_value();
    e.as_object_mut().unwrap().remove("PhysicalResourceId");
    expect_failed(&mut s, e, "Update request is missing `PhysicalResourceId`").await;
    let mut e = update.to_value();
    e.as_object_mut().unwrap().remove("OldResourceProperties");
    let (a, _) = expect_failed(
        &mut s,
        e,
        "Update request is missing `OldResourceProperties`",
    )
    .await;
    assert_eq!(
        a["PhysicalResourceId"], "id-1",
        "a failed Update answers with the event's id"
    );
    still_serves(&mut s).await;
}

#[tokio::test]
async fn a_six_megabyte_event_is_failed_naming_the_size() {
    let mut s = Session::start(bin("hello-resource")).await.unwrap();
    let mut e = hello(&s).to_value();
    e["ResourceProperties"]["Padding"] = json!("p".repeat(6 * 1024 * 1024));
    let size = serde_json::to_vec(&e).unwrap().len();
    let (_, line) = expect_failed(
        &mut s,
        e,
        &format!("event is {size} bytes, over the 1048576-byte limit"),
    )
    .await;
    assert_eq!(line["event_bytes"], size);
    still_serves(&mut s).await;
}

#[tokio::test]
async fn unknown_top_level_fields_are_tolerated_and_reported() {
    let mut s = Session::start(bin("hello-resource")).await.unwrap();
    let e = hello(&s).field("FutureField", json!({"x": 1}));
    let (x, line) = s.send(&e, LIMIT).await.unwrap();
    assert_eq!(x.answer().unwrap()["Status"], "SUCCESS");
    assert_eq!(line["unknown_fields"], json!(["FutureField"]));
}

#[tokio::test]
async fn a_binary_without_lambda_environment_fails_clearly() {
    let path = warden_e2e::binary_path("hello-resource").unwrap();
    let out = tokio::process::Command::new(path)
        .env_clear()
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AWS_LAMBDA_RUNTIME_API"), "{stderr}");
}

#[tokio::test]
async fn an_insecure_prefix_off_loopback_is_refused_at_start() {
    let lambda = warden_e2e::LocalLambda::start().await.unwrap();
    let path = warden_e2e::binary_path("hello-resource").unwrap();
    let out = tokio::process::Command::new(path)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", lambda.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "hello")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env(
            "WARDEN_INSECURE_RESPONSE_URL_PREFIX",
            "https://attacker.example/",
        )
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("loopback"), "{stderr}");
    assert_eq!(lambda.polls(), 0, "it must refuse before serving anything");
}

#[tokio::test]
async fn the_delete_after_an_invalid_create_succeeds_without_the_handler() {
    // A Create refused as invalid gets the failure sentinel; CloudFormation's following Delete
    // carries the same invalid fields and must still succeed, or the stack gets stuck.
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let props = json!({"Mode": "error", "Padding": "p".repeat(2 * 1024 * 1024)});
    let create = s.prepare(CfnEvent::create("Custom::Faulty", "Thing", props.clone()));
    let (x, _) = s.send(&create, LIMIT).await.unwrap();
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    assert!(a["Reason"].as_str().unwrap().contains("-byte limit"), "{a}");
    let sentinel = a["PhysicalResourceId"].as_str().unwrap().to_owned();
    let delete = s
        .prepare(CfnEvent::delete(
            "Custom::Faulty",
            "Thing",
            &sentinel,
            props,
        ))
        .field("ServiceTimeout", json!("0"));
    let (x, line) = s.send(&delete, LIMIT).await.unwrap();
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "SUCCESS", "{a}");
    assert_eq!(a["PhysicalResourceId"], sentinel.as_str());
    assert_eq!(line["result"], "sentinel-delete");
}
