//! `warden audit` on decision lines produced by the runtime itself, mixed with other log lines.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use cfn_warden::Config;
use serde_json::Value;

use common::{event_fixture, warden, warden_env, FUNCTION, UNREACHABLE_AWS};

/// Real decision lines for these fixture events, in order.
fn decision_lines(fixtures: &[&str]) -> Vec<String> {
    let harness = cfn_warden_test::Harness::builder(cfn_warden_test::AcceptAll)
        .function_arn(FUNCTION)
        .config(Config::builder().build().unwrap())
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for name in fixtures {
        let body = std::fs::read(event_fixture(name)).unwrap();
        runtime.block_on(harness.send_bytes(&body));
    }
    harness
        .lines()
        .iter()
        .map(|l| serde_json::to_string(l).unwrap())
        .collect()
}

fn audit(file_contents: &str, format: &str) -> (i32, String, String) {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("warden-audit-{}-{n}.jsonl", std::process::id()));
    std::fs::write(&path, file_contents).unwrap();
    warden(["audit", path.to_str().unwrap(), "--format", format])
}

/// The codes of a JSON report's anomalies, in order.
fn anomaly_codes(report: &Value) -> Vec<&str> {
    report["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect()
}

#[test]
fn decisions_denies_and_anomalies_are_reported() {
    // create.json twice: the same RequestId allowed twice. Then a forged URL and a non-JSON event.
    let lines = decision_lines(&[
        "create.json",
        "create.json",
        "response-url-ip-literal.json",
        "not-json.txt",
    ]);
    assert_eq!(lines.len(), 4);
    let log = format!(
        "{{\"level\":\"INFO\",\"fields\":{{\"message\":\"unrelated\"}}}}\nnot json at all\n2026-11-22T04:00:00.000Z\t{}\n{}\n{}\n{}\n",
        lines[0], lines[1], lines[2], lines[3]
    );
    let (code, out, err) = audit(&log, "json");
    assert_eq!(code, 1, "anomalies give exit 1: {err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["lines_read"], 6);
    assert_eq!(report["decision_lines"], 4);
    assert_eq!(report["skipped_lines"], 2);
    assert_eq!(report["by_stack"]["warden-demo"]["allow"], 2);
    assert_eq!(report["by_stack"]["warden-demo"]["deny"], 1);
    assert_eq!(report["by_caller"]["(unknown)"]["allow"], 2);
    assert_eq!(report["denies_total"], 2);
    assert!(report["denies"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("IP address"));
    let codes = anomaly_codes(&report);
    assert_eq!(codes, ["request-allowed-twice", "unroutable-event"]);

    let (code, text, _) = audit(&log, "text");
    assert_eq!(code, 1);
    assert!(
        text.contains("[request-allowed-twice]") && text.contains("denies: 2"),
        "{text}"
    );
}

#[test]
fn a_clean_log_exits_0_and_a_missing_file_exits_2() {
    let lines = decision_lines(&["create.json", "update.json", "delete.json"]);
    let (code, out, _) = audit(&(lines.join("\n") + "\n"), "json");
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["anomalies_total"], 0);
    assert_eq!(report["by_resource_type"]["Custom::Hello"]["allow"], 3);
    // --since needs a source that has times; a bad Lake store id is refused before any call.
    for (args, needle) in [
        (
            &["audit", "/nonexistent.jsonl"][..],
            "opening /nonexistent.jsonl",
        ),
        (
            &["audit", "/nonexistent.jsonl", "--since", "1h"],
            "--since applies to --log-group and --cloudtrail-lake",
        ),
        (
            &["audit", "-", "--cloudtrail-lake", "eds'; DROP"],
            "not an event data store",
        ),
    ] {
        let (code, _, err) = warden_env(args, &UNREACHABLE_AWS);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn provider_role_mode_and_tickets_near_expiry_are_anomalies() {
    let line: Value = serde_json::from_str(&decision_lines(&["create.json"])[0]).unwrap();
    assert_eq!(line["credentials"], "none");
    let mut classic = line.clone();
    classic["credentials"] = "provider-role".into();
    let mut ticketed = line.clone();
    ticketed["credentials"] = "ticket".into();
    ticketed["cfn_request_id"] = "another-request".into();
    ticketed["time"] = "2026-11-22T10:00:00.000Z".into();
    let ticket_check = |not_after: &str| {
        serde_json::json!({"name": "ticket", "verdict": "pass", "latency_us": 1,
            "evidence": {"not_after": not_after, "principal": "arn:aws:sts::123456789012:assumed-role/t/s"}})
    };
    ticketed["checks"]
        .as_array_mut()
        .unwrap()
        .push(ticket_check("2026-11-22T10:05:00.000Z"));
    let mut comfortable = ticketed.clone();
    comfortable["cfn_request_id"] = "a-third-request".into();
    comfortable["checks"][1] = ticket_check("2026-11-22T10:50:00.000Z");
    let file = [classic, ticketed, comfortable]
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let (code, out, err) = audit(&file, "json");
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let codes = anomaly_codes(&report);
    assert_eq!(
        codes,
        ["provider-role-credentials", "ticket-near-expiry"],
        "{out}"
    );
}

/// Decision lines joined with CloudTrail `Invoke` records (a log file's `{"Records": [...]}`):
/// an invoke not made through CloudFormation is flagged; lines without a record are counted.
#[test]
fn cloudtrail_records_flag_invokes_not_made_by_cloudformation() {
    let dir = std::env::temp_dir().join(format!("warden-audit-trail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let line = |request: &str, cfn: &str| {
        serde_json::json!({
            "schema": "cfn-warden.decision/1", "decision": "allow", "result": "success",
            "time": "2026-12-01T00:00:00Z", "stack_id": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1",
            "logical_resource_id": "Fn", "request_type": "Create", "resource_type": "Custom::X",
            "cfn_request_id": cfn, "lambda_request_id": request, "checks": [],
        })
        .to_string()
    };
    let logs = dir.join("decisions.jsonl");
    std::fs::write(
        &logs,
        [
            line("req-cfn", "c1"),
            line("req-user", "c2"),
            line("req-none", "c3"),
        ]
        .join("\n"),
    )
    .unwrap();
    let trail = serde_json::json!({"Records": [
        {"eventSource": "lambda.amazonaws.com", "eventName": "Invoke", "requestID": "req-cfn",
         "sourceIPAddress": "cloudformation.amazonaws.com",
         "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/deployer/alice",
                          "invokedBy": "cloudformation.amazonaws.com"}},
        {"eventSource": "lambda.amazonaws.com", "eventName": "Invoke", "requestID": "req-user",
         "sourceIPAddress": "203.0.113.9",
         "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/mallory"}},
        {"eventSource": "lambda.amazonaws.com", "eventName": "InvokeExecution", "requestID": "req-none",
         "sourceIPAddress": "lambda.amazonaws.com", "userIdentity": {"invokedBy": "lambda.amazonaws.com"}},
    ]});
    let trail_path = dir.join("trail.json");
    std::fs::write(&trail_path, trail.to_string()).unwrap();
    let (trail_arg, logs_arg) = (trail_path.to_str().unwrap(), logs.to_str().unwrap());
    let (code, out, _) = warden([
        "audit",
        "--format",
        "json",
        "--cloudtrail",
        trail_arg,
        logs_arg,
    ]);
    assert_eq!(code, 1, "an anomaly means exit 1");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["cloudtrail"],
        serde_json::json!({"invoke_records": 2, "matched": 2, "unmatched": 1})
    );
    let anomalies = report["anomalies"].as_array().unwrap();
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert_eq!(anomalies[0]["code"], "invoked-not-by-cloudformation");
    assert!(anomalies[0]["message"]
        .as_str()
        .unwrap()
        .contains("arn:aws:iam::123456789012:user/mallory"));
    // Not CloudTrail: a tool failure.
    std::fs::write(&trail_path, "not json").unwrap();
    let (code, _, _) = warden(["audit", "--cloudtrail", trail_arg, logs_arg]);
    assert_eq!(code, 2);
    let _ = std::fs::remove_dir_all(&dir);
}
