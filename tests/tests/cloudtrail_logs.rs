//! The `cloudtrail-invoke` check reading a trail's CloudWatch Logs group, against moto's
//! CloudWatch Logs holding CloudTrail records as a trail delivers them.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
use cfn_warden::{deadline::SystemClock, verify::cloudtrail::CloudTrailVerifier};
use serde_json::json;
use warden_e2e::moto::Moto;

const GROUP: &str = "aws-cloudtrail-logs-warden";
const DEPLOYER: &str = "arn:aws:sts::123456789012:assumed-role/Deployer/alice";

fn record(event_name: &str, request_id: &str, principal: &str, invoked_by: Option<&str>) -> String {
    let mut identity = json!({"type": "AssumedRole", "arn": principal});
    if let Some(by) = invoked_by {
        identity["invokedBy"] = json!(by);
    }
    let source = if invoked_by.is_some() {
        "cloudformation.amazonaws.com"
    } else {
        "203.0.113.7"
    };
    json!({
        "eventVersion": "1.09", "eventTime": "2026-11-22T04:00:00Z", "eventSource": "lambda.amazonaws.com",
        "eventName": event_name, "awsRegion": "us-east-1", "sourceIPAddress": source, "userAgent": source,
        "requestID": request_id, "userIdentity": identity, "eventCategory": "Data"
    })
    .to_string()
}

#[tokio::test]
async fn records_in_a_trail_log_group_are_found_and_judged() {
    let moto = Moto::start()
        .await
        .expect("moto must be installed: pip install 'moto[server]'");
    moto.json_call(
        "logs",
        "Logs_20140328.CreateLogGroup",
        &json!({"logGroupName": GROUP}),
    )
    .await
    .unwrap();
    moto.json_call(
        "logs",
        "Logs_20140328.CreateLogStream",
        &json!({"logGroupName": GROUP, "logStreamName": "123456789012_CloudTrail_us-east-1"}),
    )
    .await
    .unwrap();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let messages = [
        record(
            "InvokeExecution",
            "req-ok",
            "arn:aws:iam::123456789012:role/lambda",
            Some("lambda.amazonaws.com"),
        ),
        record(
            "Invoke",
            "req-ok",
            DEPLOYER,
            Some("cloudformation.amazonaws.com"),
        ),
        record(
            "Invoke",
            "req-foreign",
            "arn:aws:iam::123456789012:user/mallory",
            Some("cloudformation.amazonaws.com"),
        ),
        record("Invoke", "req-direct", DEPLOYER, None),
        record(
            "InvokeExecution",
            "req-execution-only",
            "arn:aws:iam::123456789012:role/lambda",
            Some("lambda.amazonaws.com"),
        ),
    ];
    let events: Vec<_> = messages
        .iter()
        .map(|m| json!({"timestamp": now_ms, "message": m}))
        .collect();
    moto.json_call(
        "logs",
        "Logs_20140328.PutLogEvents",
        &json!({"logGroupName": GROUP, "logStreamName": "123456789012_CloudTrail_us-east-1", "logEvents": events}),
    )
    .await
    .unwrap();

    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto.endpoint())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .http_client(cfn_warden::aws::https_client())
        .build();
    let verifier = CloudTrailVerifier::builder()
        .logs_client(aws_sdk_cloudwatchlogs::Client::from_conf(config))
        .log_group(GROUP)
        .principals(["arn:aws:sts::123456789012:assumed-role/Deployer/*"])
        .budget(Duration::from_millis(600))
        .poll_delays(Duration::from_millis(100), Duration::from_millis(100))
        .build()
        .unwrap();
    let check = |id: &'static str| {
        let verifier = &verifier;
        async move {
            let now = SystemTime::now();
            verifier
                .check(id, now, now + Duration::from_secs(10), &SystemClock)
                .await
                .map_err(|(d, _)| d.detail.into_owned())
        }
    };
    let evidence = check("req-ok").await.unwrap();
    assert_eq!(evidence["source"], "cloudwatch-logs");
    assert_eq!(evidence["principal"], DEPLOYER);
    assert!(check("req-foreign")
        .await
        .unwrap_err()
        .contains("principal outside the allow-list"));
    assert!(check("req-direct")
        .await
        .unwrap_err()
        .contains("(invokedBy)"));
    assert!(check("req-execution-only")
        .await
        .unwrap_err()
        .starts_with("no Invoke record"));
    assert!(check("req-missing")
        .await
        .unwrap_err()
        .starts_with("no Invoke record"));
}
