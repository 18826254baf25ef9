//! The `cloudtrail-invoke` check against replayed CloudTrail Lake responses (moto has no
//! CloudTrail): found; not found; found with a foreign principal; InvokeExecution only; query
//! failed; throttled; still running.
#![cfg(feature = "aws")]
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_cloudtrail::Client;
use cfn_warden::{
    deadline::SystemClock,
    verify::cloudtrail::{CloudTrailVerifier, NotFound},
};
use common::{replay_config, Responses};
use serde_json::{json, Value};

const REQUEST_ID: &str = "8f9e5c2a-3b1d-4e6f-9a7b-0c1d2e3f4a5b";
const DEPLOYER: &str = "arn:aws:sts::123456789012:assumed-role/Deployer/alice";

fn client(responses: Responses) -> Client {
    Client::new(&replay_config(
        "https://cloudtrail.us-east-1.amazonaws.com/",
        Some("application/x-amz-json-1.1"),
        responses,
    ))
}

fn started() -> (u16, String) {
    (200, json!({"QueryId": "q-1"}).to_string())
}

fn row(event_name: &str, principal: &str, invoked_by: Option<&str>, source_ip: &str) -> Value {
    let mut cells = vec![
        json!({"eventTime": "2026-11-22 04:00:00.000"}),
        json!({"eventName": event_name}),
        json!({"eventSource": "lambda.amazonaws.com"}),
        json!({"requestID": REQUEST_ID}),
        json!({"principalArn": principal}),
        json!({"sourceIPAddress": source_ip}),
        json!({"userAgent": source_ip}),
    ];
    if let Some(by) = invoked_by {
        cells.push(json!({"invokedBy": by}));
    }
    Value::Array(cells)
}

fn finished(rows: Vec<Value>) -> (u16, String) {
    (
        200,
        json!({"QueryStatus": "FINISHED", "QueryResultRows": rows}).to_string(),
    )
}

fn by_cloudformation() -> Value {
    row(
        "Invoke",
        DEPLOYER,
        Some("cloudformation.amazonaws.com"),
        "cloudformation.amazonaws.com",
    )
}

fn verifier(responses: Responses, not_found: NotFound) -> CloudTrailVerifier {
    CloudTrailVerifier::builder()
        .client(client(responses))
        .event_data_store("arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/eds-0123456789")
        .principals(["arn:aws:sts::123456789012:assumed-role/Deployer/*"])
        .budget(Duration::from_millis(400))
        .poll_delays(Duration::from_millis(50), Duration::from_millis(50))
        .not_found(not_found)
        .build()
        .unwrap()
}

async fn check(v: &CloudTrailVerifier) -> Result<Value, String> {
    let now = SystemTime::now();
    match v
        .check(REQUEST_ID, now, now + Duration::from_secs(10), &SystemClock)
        .await
    {
        Ok(evidence) => Ok(Value::Object(evidence)),
        Err((denial, _)) => Err(denial.detail.into_owned()),
    }
}

/// Enough rounds of "nothing yet" for any budget used here.
fn never_found(rows: Vec<Value>) -> Responses {
    (0..40)
        .flat_map(|_| [started(), finished(rows.clone())])
        .collect()
}

#[tokio::test]
async fn an_invoke_by_cloudformation_for_an_allowed_principal_passes() {
    let v = verifier(
        vec![started(), finished(vec![by_cloudformation()])],
        NotFound::Deny,
    );
    let evidence = check(&v).await.unwrap();
    assert_eq!(evidence["principal"], DEPLOYER);
    assert_eq!(evidence["invoked_by"], "cloudformation.amazonaws.com");
    assert_eq!(evidence["rounds"], 1);
}

#[tokio::test]
async fn a_record_found_after_a_running_query_and_a_throttled_round_passes() {
    let responses = vec![
        (
            400,
            json!({"__type": "MaxConcurrentQueriesException", "message": "too many"}).to_string(),
        ),
        started(),
        (200, json!({"QueryStatus": "RUNNING"}).to_string()),
        finished(vec![by_cloudformation()]),
    ];
    let evidence = check(&verifier(responses, NotFound::Deny)).await.unwrap();
    assert_eq!(evidence["rounds"], 2);
    assert!(evidence["last_transient_error"]
        .as_str()
        .unwrap()
        .contains("MaxConcurrentQueriesException"));
}

#[tokio::test]
async fn invokes_not_made_by_cloudformation_or_by_others_are_refused() {
    let cases = [
        (
            row(
                "Invoke",
                "arn:aws:iam::123456789012:user/mallory",
                Some("cloudformation.amazonaws.com"),
                "cloudformation.amazonaws.com",
            ),
            "principal outside the allow-list",
        ),
        (
            row("Invoke", DEPLOYER, None, "203.0.113.7"),
            "not made through CloudFormation (invokedBy)",
        ),
        (
            row(
                "Invoke",
                DEPLOYER,
                Some("cloudformation.amazonaws.com"),
                "203.0.113.7",
            ),
            "(sourceIPAddress)",
        ),
    ];
    for (record, needle) in cases {
        let err = check(&verifier(
            vec![started(), finished(vec![record])],
            NotFound::Deny,
        ))
        .await
        .unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
}

#[tokio::test]
async fn not_found_in_time_follows_the_policy() {
    // Only Lambda's own InvokeExecution record: the caller's Invoke is not (yet) there.
    let execution_only = vec![row(
        "InvokeExecution",
        "arn:aws:iam::123456789012:role/x",
        Some("lambda.amazonaws.com"),
        "lambda.amazonaws.com",
    )];
    let err = check(&verifier(
        never_found(execution_only.clone()),
        NotFound::Deny,
    ))
    .await
    .unwrap_err();
    assert!(
        err.starts_with("no Invoke record for this request in CloudTrail after"),
        "{err}"
    );
    let evidence = check(&verifier(
        never_found(execution_only),
        NotFound::AllowWithAlert,
    ))
    .await
    .unwrap();
    assert_eq!(evidence["alert"], "not-found-in-time");
    assert!(
        evidence["rounds"].as_u64().unwrap() >= 2,
        "it polled: {evidence}"
    );
}

#[tokio::test]
async fn failed_queries_and_access_denied_are_refused_at_once() {
    let failed = vec![
        started(),
        (
            200,
            json!({"QueryStatus": "FAILED", "ErrorMessage": "bad SQL"}).to_string(),
        ),
    ];
    let err = check(&verifier(failed, NotFound::AllowWithAlert))
        .await
        .unwrap_err();
    assert!(err.contains("query ended FAILED: bad SQL"), "{err}");
    let denied = vec![(
        400,
        json!({"__type": "AccessDeniedException", "message": "no"}).to_string(),
    )];
    let err = check(&verifier(denied, NotFound::AllowWithAlert))
        .await
        .unwrap_err();
    assert!(
        err.contains("StartQuery failed (AccessDeniedException)"),
        "{err}"
    );
}

#[test]
fn configuration_errors_are_clear() {
    let err = CloudTrailVerifier::builder()
        .principals(["*"])
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("WARDEN_CLOUDTRAIL_EVENT_DATA_STORE"), "{err}");
    let err = CloudTrailVerifier::builder()
        .event_data_store("eds; DROP")
        .principals(["*"])
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an event data store"), "{err}");
    let err = CloudTrailVerifier::builder()
        .event_data_store("eds-1")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("WARDEN_CLOUDTRAIL_PRINCIPALS"), "{err}");
}
