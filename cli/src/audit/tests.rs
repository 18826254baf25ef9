//! Unit tests of `audit`.

#![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

use serde_json::{json, Value};

use super::*;

fn lake_client(responses: Vec<Value>) -> aws_sdk_cloudtrail::Client {
    use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
    use aws_smithy_types::body::SdkBody;
    let events = responses
        .into_iter()
        .map(|body| {
            ReplayEvent::new(
                http::Request::builder()
                    .uri("https://cloudtrail.us-east-1.amazonaws.com/")
                    .body(SdkBody::empty())
                    .unwrap(),
                http::Response::builder()
                    .status(200)
                    .header("content-type", "application/x-amz-json-1.1")
                    .body(SdkBody::from(body.to_string()))
                    .unwrap(),
            )
        })
        .collect();
    let config = aws_sdk_cloudtrail::Config::builder()
        .behavior_version(aws_sdk_cloudtrail::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudtrail::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudtrail::config::Credentials::new(
            "AKID", "SECRET", None, None, "test",
        ))
        .http_client(StaticReplayClient::new(events))
        .build();
    aws_sdk_cloudtrail::Client::from_conf(config)
}

fn lake_row(request_id: &str, principal: &str, via: Option<&str>) -> Value {
    let mut row = vec![
        json!({"eventName": "Invoke"}),
        json!({"eventSource": "lambda.amazonaws.com"}),
        json!({"requestID": request_id}),
        json!({"principalArn": principal}),
    ];
    if let Some(service) = via {
        row.push(json!({"invokedBy": service}));
        row.push(json!({"sourceIPAddress": service}));
    }
    Value::Array(row)
}

#[tokio::test]
async fn a_lake_query_joins_like_a_trail_file() {
    let client = lake_client(vec![
        json!({"QueryId": "q-1"}),
        json!({"QueryStatus": "RUNNING"}),
        json!({"QueryStatus": "FINISHED", "NextToken": "page-2",
            "QueryResultRows": [lake_row("req-cfn", "arn:aws:sts::123456789012:assumed-role/Deployer/alice", Some(CLOUDFORMATION))]}),
        json!({"QueryStatus": "FINISHED",
            "QueryResultRows": [lake_row("req-hand", "arn:aws:iam::123456789012:user/mallory", None)]}),
    ]);
    let mut report = Report::default();
    report
        .read_cloudtrail_lake(
            &client,
            "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/0123abcd-4567-89ef-0123-456789abcdef",
            std::time::SystemTime::now(),
            std::time::Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert_eq!(report.cloudtrail.as_ref().unwrap().invoke_records, 2);
    assert!(report.invokes["req-cfn"].via_cloudformation);
    assert!(!report.invokes["req-hand"].via_cloudformation);
    assert_eq!(
        report.invokes["req-hand"].principal,
        "arn:aws:iam::123456789012:user/mallory"
    );
}

#[tokio::test]
async fn a_failed_query_or_a_malformed_store_is_an_error() {
    let client = lake_client(vec![
        json!({"QueryId": "q-1"}),
        json!({"QueryStatus": "FAILED", "ErrorMessage": "bad column"}),
    ]);
    let err = Report::default()
        .read_cloudtrail_lake(
            &client,
            "0123abcd",
            std::time::SystemTime::now(),
            std::time::Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("FAILED: bad column"), "{err:#}");
    let err = Report::default()
        .read_cloudtrail_lake(
            &lake_client(vec![]),
            "x; DROP TABLE",
            std::time::SystemTime::now(),
            std::time::Duration::from_secs(5),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not an event data store"), "{err}");
}

#[test]
fn an_operation_is_one_row_with_its_polls_and_total_duration() {
    let line = |time: &str, poll: u32, result: &str, status: Option<&str>| {
        // Each poll's invocation took 2.5 s (most of it waiting for the poll to be due).
        json!({
            "schema": "cfn-warden.decision/1", "time": time, "decision": "allow",
            "durations": {"work_ms": 10.0, "response_ms": 1.0, "total_ms": 2500.0},
            "result": result, "status_sent": status, "cfn_request_id": "req-1",
            "stack_id": "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1",
            "logical_resource_id": "Slow", "request_type": "Create",
            "operation": {"poll": poll, "started_at": "2026-12-06T00:00:00.000Z",
                          "deadline": "2026-12-06T01:00:00.000Z"}
        })
        .to_string()
    };
    let mut report = Report::default();
    report.read_line(&line("2026-12-06T00:00:00.000Z", 0, "in-progress", None));
    report.read_line(&line("2026-12-06T00:00:30.000Z", 1, "in-progress", None));
    report.read_line(&line("2026-12-06T00:01:00.000Z", 2, "in-progress", None));
    report.read_line(&line(
        "2026-12-06T00:01:30.000Z",
        3,
        "success",
        Some("SUCCESS"),
    ));
    let json = serde_json::to_value(&report).unwrap();
    let ops = json["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["polls"], 3);
    // From the first receipt to the end of the last invocation.
    assert_eq!(ops[0]["total_seconds"], 92.5);
    assert_eq!(ops[0]["outcome"], "SUCCESS");
    let text = print_text(&report);
    assert!(text.contains("req-1: 3 polls, 92.5 s, SUCCESS"), "{text}");
}
