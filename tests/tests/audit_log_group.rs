//! `warden audit --log-group`: decision lines written by the real provider, put into a
//! CloudWatch Logs group on moto next to other log lines, read back through FilterLogEvents.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::{json, Value};
use warden_e2e::{bin, binary_path, moto::Moto, CfnEvent, Session};

#[tokio::test]
async fn decision_lines_are_read_from_a_log_group() {
    let moto = Moto::start().await.unwrap();
    let mut session = Session::start(bin("hello-resource")).await.unwrap();
    let ok = session.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": "World"}),
    ));
    session.send(&ok, Duration::from_secs(20)).await.unwrap();
    // A forged event (its ResponseURL points elsewhere): denied.
    let forged = session
        .prepare(CfnEvent::create(
            "Custom::Hello",
            "Greeting",
            json!({"Name": "x"}),
        ))
        .field(
            "ResponseURL",
            json!("https://attacker.example.com/collect?X-Amz-Signature=x"),
        );
    session
        .send(&forged, Duration::from_secs(20))
        .await
        .unwrap();
    let decisions = session.provider.decisions();
    assert_eq!(decisions.len(), 2);

    let group = "/aws/lambda/hello-resource";
    moto.json_call(
        "logs",
        "Logs_20140328.CreateLogGroup",
        &json!({"logGroupName": group}),
    )
    .await
    .unwrap();
    moto.json_call(
        "logs",
        "Logs_20140328.CreateLogStream",
        &json!({"logGroupName": group, "logStreamName": "2026/12/01/[$LATEST]abc"}),
    )
    .await
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut events: Vec<Value> =
        vec![json!({"timestamp": now, "message": "START RequestId: lambda-req-1"})];
    for line in &decisions {
        events.push(json!({"timestamp": now, "message": line.to_string()}));
    }
    events.push(json!({"timestamp": now, "message": "END RequestId: lambda-req-2"}));
    moto.json_call(
        "logs",
        "Logs_20140328.PutLogEvents",
        &json!({"logGroupName": group, "logStreamName": "2026/12/01/[$LATEST]abc", "logEvents": events}),
    )
    .await
    .unwrap();

    let output = std::process::Command::new(binary_path("warden").unwrap())
        .args([
            "audit",
            "--log-group",
            group,
            "--since",
            "1h",
            "--format",
            "json",
        ])
        .envs(moto.sdk_env())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{stderr}"));
    assert_eq!(report["decision_lines"], 2, "{report}");
    assert_eq!(report["skipped_lines"], 2, "{report}");
    assert_eq!(report["denies"].as_array().unwrap().len(), 1, "{report}");
    // Decisions under the test-only response prefix are an anomaly: exit 1.
    assert_eq!(output.status.code(), Some(1), "{report}");

    // A group that does not exist: a tool failure (exit 2) naming it.
    let output = std::process::Command::new(binary_path("warden").unwrap())
        .args(["audit", "--log-group", "/aws/lambda/nope"])
        .envs(moto.sdk_env())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/aws/lambda/nope"));
}
