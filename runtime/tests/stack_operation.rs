//! The `stack-operation` check against replayed CloudFormation responses (shaped per the API
//! reference), for the states moto cannot produce: Update and Delete in progress, completed
//! operations, stale events, other physical ids, changed or masked properties, API errors.
#![cfg(feature = "aws")]
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_cloudformation::Client;
use cfn_warden::{
    protocol::{CfnRequest, Envelope},
    verify::stack_operation::StackOperationVerifier,
};
use common::{replay_config, Responses};
use serde_json::Value;

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/warden-demo/6b2bd1a0-8f1c-11ef-9c3d-0a1b2c3d4e5f";

fn fixture(name: &str) -> CfnRequest {
    let path = format!(
        "{}/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    CfnRequest::from_value(&value, Envelope::from_value(&value).unwrap()).unwrap()
}

fn iso(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// One `member` of DescribeStackEvents.
fn event(
    logical: &str,
    physical: &str,
    status: &str,
    at: SystemTime,
    properties: Option<&str>,
) -> String {
    let props = properties
        .map(|p| format!("<ResourceProperties>{}</ResourceProperties>", xml_escape(p)))
        .unwrap_or_default();
    format!(
        "<member><StackId>{STACK}</StackId><EventId>e-{status}</EventId><StackName>warden-demo</StackName>\
         <LogicalResourceId>{logical}</LogicalResourceId><PhysicalResourceId>{physical}</PhysicalResourceId>\
         <ResourceType>Custom::Hello</ResourceType><Timestamp>{}</Timestamp><ResourceStatus>{status}</ResourceStatus>{props}</member>",
        iso(at)
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn events_body(members: &[String]) -> String {
    format!(
        "<DescribeStackEventsResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
         <DescribeStackEventsResult><StackEvents>{}</StackEvents></DescribeStackEventsResult>\
         <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStackEventsResponse>",
        members.concat()
    )
}

fn resource_body(status: &str, at: Option<SystemTime>) -> String {
    let ts = at
        .map(|t| format!("<LastUpdatedTimestamp>{}</LastUpdatedTimestamp>", iso(t)))
        .unwrap_or_default();
    format!(
        "<DescribeStackResourceResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
         <DescribeStackResourceResult><StackResourceDetail><StackName>warden-demo</StackName><StackId>{STACK}</StackId>\
         <LogicalResourceId>Greeting</LogicalResourceId><PhysicalResourceId>p</PhysicalResourceId>\
         <ResourceType>Custom::Hello</ResourceType>{ts}<ResourceStatus>{status}</ResourceStatus>\
         </StackResourceDetail></DescribeStackResourceResult></DescribeStackResourceResponse>"
    )
}

const ACCESS_DENIED: &str = "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type>\
    <Code>AccessDenied</Code><Message>not authorized</Message></Error><RequestId>r</RequestId></ErrorResponse>";

fn verifier(responses: Responses, allow_missing_timestamp: bool) -> StackOperationVerifier {
    let config = replay_config(
        "https://cloudformation.us-east-1.amazonaws.com/",
        None,
        responses,
    );
    StackOperationVerifier::builder()
        .client(Client::new(&config))
        .window(Duration::from_secs(600))
        .allow_missing_timestamp(allow_missing_timestamp)
        .build()
}

/// The update fixture's properties as CloudFormation would show them.
const UPDATE_PROPS: &str = r#"{"ServiceToken":"arn:aws:lambda:us-east-1:123456789012:function:warden-fixture","Name":"World"}"#;

async fn detail(v: &StackOperationVerifier, request: &CfnRequest) -> Result<Value, String> {
    match v.check(request, SystemTime::now()).await {
        Ok(evidence) => Ok(Value::Object(evidence)),
        Err((denial, _)) => Err(denial.detail.into_owned()),
    }
}

#[tokio::test]
async fn update_in_progress_with_equal_properties_passes() {
    let request = fixture("update.json");
    let physical = request.physical_resource_id().unwrap().as_str().to_owned();
    let now = SystemTime::now();
    let members = [
        event(
            "Greeting",
            &physical,
            "UPDATE_IN_PROGRESS",
            now - Duration::from_secs(5),
            Some(UPDATE_PROPS),
        ),
        event(
            "Greeting",
            &physical,
            "CREATE_COMPLETE",
            now - Duration::from_secs(3600),
            None,
        ),
    ];
    let v = verifier(vec![(200, events_body(&members))], false);
    let evidence = detail(&v, &request).await.unwrap();
    assert_eq!(evidence["source"], "DescribeStackEvents");
    assert_eq!(evidence["properties"], "equal");
}

#[tokio::test]
async fn operations_not_in_flight_are_refused() {
    let request = fixture("update.json");
    let physical = request.physical_resource_id().unwrap().as_str().to_owned();
    let now = SystemTime::now();
    let recent = now - Duration::from_secs(5);
    // DescribeStackEvents answering with one Greeting event.
    let one = |physical: &str, status: &str, at: SystemTime, properties: Option<&str>| {
        vec![(
            200,
            events_body(&[event("Greeting", physical, status, at, properties)]),
        )]
    };
    let changed = UPDATE_PROPS.replace("World", "Mallory");
    let in_progress = "UPDATE_IN_PROGRESS";
    let hour = Duration::from_secs(3600);
    let cases: Vec<(&str, Responses, &str)> = vec![
        (
            "completed",
            one(&physical, "UPDATE_COMPLETE", recent, Some(UPDATE_PROPS)),
            "UPDATE_COMPLETE, not UPDATE_IN_PROGRESS",
        ),
        (
            "stale",
            one(&physical, in_progress, now - hour, Some(UPDATE_PROPS)),
            "more than 600 s ago",
        ),
        (
            "future",
            one(&physical, in_progress, now + hour, Some(UPDATE_PROPS)),
            "in the future",
        ),
        (
            "other physical id",
            one("someone-else", in_progress, recent, Some(UPDATE_PROPS)),
            "another PhysicalResourceId",
        ),
        (
            "changed property",
            one(&physical, in_progress, recent, Some(&changed)),
            "property `Name` differs",
        ),
        (
            "access denied",
            vec![(403, ACCESS_DENIED.to_owned())],
            "DescribeStackEvents failed (AccessDenied)",
        ),
        (
            "no properties on an Update",
            one(&physical, in_progress, recent, None),
            "carries no ResourceProperties",
        ),
        (
            "other resource type",
            vec![(
                200,
                events_body(&[event(
                    "Greeting",
                    &physical,
                    in_progress,
                    recent,
                    Some(UPDATE_PROPS),
                )
                .replace("Custom::Hello", "Custom::Other")]),
            )],
            "another resource type",
        ),
        (
            "unknown to CloudFormation",
            vec![
                (200, events_body(&[])),
                (200, resource_body("UPDATE_COMPLETE", Some(recent))),
            ],
            "UPDATE_COMPLETE, not UPDATE_IN_PROGRESS",
        ),
    ];
    for (what, responses, needle) in cases {
        let v = verifier(responses, false);
        let err = detail(&v, &request).await.expect_err(what);
        assert!(err.contains(needle), "{what}: {err}");
    }
}

#[tokio::test]
async fn noecho_masked_values_are_tolerated_and_noted() {
    let request = fixture("update.json");
    let physical = request.physical_resource_id().unwrap().as_str().to_owned();
    // The documentation says five asterisks, real output shows four: any run is a mask.
    for mask in ["****", "*****", "***"] {
        let masked = UPDATE_PROPS.replace("\"World\"", &format!("\"{mask}\""));
        let members = [event(
            "Greeting",
            &physical,
            "UPDATE_IN_PROGRESS",
            SystemTime::now(),
            Some(&masked),
        )];
        let v = verifier(vec![(200, events_body(&members))], false);
        let evidence = detail(&v, &request).await.unwrap();
        assert_eq!(
            evidence["masked_properties"],
            serde_json::json!(["Name"]),
            "{mask}"
        );
    }
    // Anything else that differs is still a difference.
    let changed = UPDATE_PROPS.replace("\"World\"", "\"*World*\"");
    let members = [event(
        "Greeting",
        &physical,
        "UPDATE_IN_PROGRESS",
        SystemTime::now(),
        Some(&changed),
    )];
    let v = verifier(vec![(200, events_body(&members))], false);
    let err = detail(&v, &request).await.unwrap_err();
    assert!(err.contains("differs"), "{err}");
}

/// A DescribeStackEvents answer (XML, as the API sends it) holding the events of a recorded
/// CLI-form record (`StackEvents`, JSON), in its order.
fn recorded_events_body(record: &Value) -> String {
    let members: Vec<String> = record["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let fields: String = e
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("<{k}>{}</{k}>", xml_escape(v.as_str().unwrap())))
                .collect();
            format!("<member>{fields}</member>")
        })
        .collect();
    events_body(&members)
}

fn stack_events_fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/stack-events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[tokio::test]
async fn a_cleanup_delete_as_recorded_during_update_rollback_passes() {
    // A real record: during UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS the Delete events of
    // a `Custom::Authn_Grant` resource name the generic type and carry no properties.
    let record = stack_events_fixture("update-rollback-cleanup.json");
    let value = stack_events_fixture("update-rollback-cleanup.delete-request.json");
    let request = CfnRequest::from_value(&value, Envelope::from_value(&value).unwrap()).unwrap();
    // The moment CloudFormation sent the Delete: just after its DELETE_IN_PROGRESS event.
    let at = humantime::parse_rfc3339("2020-10-22T17:41:29Z").unwrap();
    // The newest AuthGrant event at that moment is DELETE_IN_PROGRESS: replay the record as
    // it stood then (the two later events left out).
    let mut then = record.clone();
    then["StackEvents"]
        .as_array_mut()
        .unwrap()
        .retain(|e| humantime::parse_rfc3339(e["Timestamp"].as_str().unwrap()).unwrap() <= at);
    let v = verifier(vec![(200, recorded_events_body(&then))], false);
    let evidence = match v.check(&request, at).await {
        Ok(evidence) => evidence,
        Err((denial, _)) => panic!("refused: {}", denial.detail),
    };
    assert_eq!(evidence["status"], "DELETE_IN_PROGRESS");
    assert_eq!(
        evidence["event_resource_type"],
        "AWS::CloudFormation::CustomResource"
    );
    assert_eq!(evidence["properties"], "not in the event");

    // Bound by the physical id and the window: another id, or the same Delete replayed an
    // hour later (after DELETE_COMPLETE), is refused.
    let mut other = value.clone();
    other["PhysicalResourceId"] = "qa-cr-authn-failures_AuthGrant_OTHER".into();
    let other = CfnRequest::from_value(&other, Envelope::from_value(&other).unwrap()).unwrap();
    let v = verifier(vec![(200, recorded_events_body(&then))], false);
    let err = v.check(&other, at).await.unwrap_err().0.detail;
    assert!(err.contains("another PhysicalResourceId"), "{err}");
    let v = verifier(vec![(200, recorded_events_body(&record))], false);
    let err = v
        .check(&request, at + Duration::from_secs(3600))
        .await
        .unwrap_err()
        .0
        .detail;
    assert!(err.contains("DELETE_COMPLETE"), "{err}");
}

#[tokio::test]
async fn the_generic_type_stands_for_custom_types_only_and_deletes_need_a_physical_id() {
    let request = fixture("delete.json");
    let physical = request.physical_resource_id().unwrap().as_str().to_owned();
    let now = SystemTime::now();
    let with_type = |physical: &str, rtype: &str| {
        event("Greeting", physical, "DELETE_IN_PROGRESS", now, None).replace(
            "<ResourceType>Custom::Hello</ResourceType>",
            &format!("<ResourceType>{rtype}</ResourceType>"),
        )
    };
    let v = verifier(
        vec![(
            200,
            events_body(&[with_type(&physical, "AWS::CloudFormation::CustomResource")]),
        )],
        false,
    );
    assert!(detail(&v, &request).await.is_ok());
    for (member, needle) in [
        (
            with_type(&physical, "Custom::Other"),
            "another resource type",
        ),
        (
            with_type(&physical, "AWS::S3::Bucket"),
            "another resource type",
        ),
        (
            with_type("", "AWS::CloudFormation::CustomResource"),
            "names no PhysicalResourceId",
        ),
    ] {
        let v = verifier(vec![(200, events_body(&[member]))], false);
        let err = detail(&v, &request).await.unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
}

#[tokio::test]
async fn delete_replayed_long_after_the_stack_operation_is_refused() {
    let request = fixture("delete.json");
    let physical = request.physical_resource_id().unwrap().as_str().to_owned();
    let months_ago = SystemTime::now() - Duration::from_secs(90 * 86_400);
    let members = [event(
        "Greeting",
        &physical,
        "DELETE_IN_PROGRESS",
        months_ago,
        None,
    )];
    let v = verifier(vec![(200, events_body(&members))], false);
    assert!(detail(&v, &request)
        .await
        .unwrap_err()
        .contains("more than 600 s ago"));
    let fresh = [event(
        "Greeting",
        &physical,
        "DELETE_IN_PROGRESS",
        SystemTime::now(),
        None,
    )];
    let v = verifier(vec![(200, events_body(&fresh))], false);
    assert_eq!(
        detail(&v, &request).await.unwrap()["properties"],
        "not in the event"
    );
}

#[tokio::test]
async fn without_resource_events_the_resource_status_decides() {
    let request = fixture("create.json");
    let stack_level = event(
        "warden-demo",
        STACK,
        "CREATE_IN_PROGRESS",
        SystemTime::now(),
        None,
    );
    let v = verifier(
        vec![
            (200, events_body(std::slice::from_ref(&stack_level))),
            (
                200,
                resource_body("CREATE_IN_PROGRESS", Some(SystemTime::now())),
            ),
        ],
        false,
    );
    let evidence = detail(&v, &request).await.unwrap();
    assert_eq!(evidence["source"], "DescribeStackResource");
    let v = verifier(
        vec![
            (200, events_body(std::slice::from_ref(&stack_level))),
            (200, resource_body("CREATE_IN_PROGRESS", None)),
        ],
        false,
    );
    let err = detail(&v, &request).await.unwrap_err();
    assert!(err.contains("no timestamp"), "{err}");
    let v = verifier(
        vec![
            (200, events_body(&[stack_level])),
            (200, resource_body("CREATE_IN_PROGRESS", None)),
        ],
        true,
    );
    assert!(detail(&v, &request).await.unwrap()["timestamp"].is_null());
}

#[tokio::test]
async fn the_resource_event_is_found_on_a_later_page() {
    let request = fixture("update.json");
    let physical = request.physical_resource_id().unwrap().as_str().to_owned();
    let now = SystemTime::now();
    let other = event("SomethingElse", "x", "UPDATE_COMPLETE", now, None);
    let first = events_body(&[other]).replace(
        "</StackEvents>",
        "</StackEvents><NextToken>page-2</NextToken>",
    );
    let second = events_body(&[event(
        "Greeting",
        &physical,
        "UPDATE_IN_PROGRESS",
        now,
        Some(UPDATE_PROPS),
    )]);
    let v = verifier(vec![(200, first), (200, second)], false);
    let evidence = detail(&v, &request).await.unwrap();
    assert_eq!(evidence["source"], "DescribeStackEvents");
}
