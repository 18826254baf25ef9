//! `Custom::SsmParameter` under the kit: what CloudFormation receives, what the handler
//! declared, and every SSM call judged against that declaration.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use cfn_warden_test::{Access, Aws, CfnEvent, Harness};
use serde_json::json;
use ssm_parameter_resource::{SsmParameter, RESOURCE_TYPE};

const ARN: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/app/url";

fn tags(event: &CfnEvent) -> serde_json::Value {
    json!({"TagList": [{"Key": "cfn-warden:owner", "Value": event.owner_digest()}]})
}

/// Every call acts on the one parameter.
fn on_the_parameter(call: &cfn_warden_test::AwsCall) -> Access {
    Access::new(call.action(), ARN)
}

#[tokio::test]
async fn create_update_and_delete_do_only_what_they_declare() {
    let props = json!({"Name": "/app/url", "Value": "https://example.test"});
    let create = CfnEvent::create(RESOURCE_TYPE, "Url", props.clone());
    let aws = Aws::replay()
        .reply(
            "PutParameter",
            200,
            json!({"Version": 1, "Tier": "Standard"}),
        )
        .reply("ListTagsForResource", 200, tags(&create))
        .reply("DeleteParameter", 200, json!({}));
    let harness = Harness::builder(SsmParameter).aws(aws).build().unwrap();

    let created = harness.send(&create).await;
    assert_eq!(created.status(), "SUCCESS", "{:?}", created.reason());
    assert_eq!(created.physical_id(), Some("/app/url"));
    assert_eq!(created.data("Arn").unwrap(), ARN);
    assert_eq!(
        created.calls[0].json().unwrap()["Tags"][0]["Key"],
        "cfn-warden:owner"
    );
    created.assert_calls_allowed(on_the_parameter);
    created.assert_denied(&Access::new("ssm:DeleteParameter", ARN));
    created.assert_denied(&Access::new(
        "ssm:PutParameter",
        "arn:aws:ssm:us-east-1:123456789012:parameter/other",
    ));

    let changed = json!({"Name": "/app/url", "Value": "https://new.example.test"});
    let update = CfnEvent::update(RESOURCE_TYPE, "Url", "/app/url", changed, props.clone());
    let updated = harness.send(&update).await;
    assert_eq!(updated.status(), "SUCCESS", "{:?}", updated.reason());
    assert_eq!(updated.physical_id(), Some("/app/url"));
    updated.assert_calls_allowed(on_the_parameter);

    // A Delete of properties written by an older schema still works from the physical id.
    let delete = CfnEvent::delete(RESOURCE_TYPE, "Url", "/app/url", json!({"Old": 1}));
    let deleted = harness.send(&delete).await;
    assert_eq!(deleted.status(), "SUCCESS", "{:?}", deleted.reason());
    assert_eq!(
        deleted
            .calls
            .iter()
            .map(|c| c.operation.as_str())
            .collect::<Vec<_>>(),
        ["ListTagsForResource", "DeleteParameter"]
    );
    deleted.assert_calls_allowed(on_the_parameter);
}

#[tokio::test]
async fn a_parameter_it_does_not_own_is_never_changed_or_deleted() {
    let props = json!({"Name": "/app/url", "Value": "v2"});
    let update = CfnEvent::update(
        RESOURCE_TYPE,
        "Url",
        "/app/url",
        props.clone(),
        props.clone(),
    );
    let aws = Aws::replay().reply("ListTagsForResource", 200, json!({"TagList": []}));
    let harness = Harness::builder(SsmParameter).aws(aws).build().unwrap();
    let updated = harness.send(&update).await;
    assert_eq!(updated.status(), "FAILED");
    assert!(updated
        .reason()
        .unwrap()
        .contains("not created by this resource"));
    assert!(updated.calls.iter().all(|c| c.operation != "PutParameter"));
    let deleted = harness
        .send(&CfnEvent::delete(RESOURCE_TYPE, "Url", "/app/url", props))
        .await;
    assert_eq!(deleted.status(), "SUCCESS");
    assert!(deleted
        .calls
        .iter()
        .all(|c| c.operation != "DeleteParameter"));
}

#[tokio::test]
async fn a_wildcard_name_is_refused_before_any_call() {
    let harness = Harness::builder(SsmParameter).build().unwrap();
    let exchange = harness
        .send(&CfnEvent::create(
            RESOURCE_TYPE,
            "Url",
            json!({"Name": "/app/*", "Value": "v"}),
        ))
        .await;
    assert_eq!(exchange.status(), "FAILED");
    assert!(exchange.granted.is_empty() && exchange.calls.is_empty());
}

#[tokio::test]
async fn an_existing_parameter_is_not_taken_over() {
    let aws = Aws::replay().reply(
        "PutParameter",
        400,
        json!({"__type": "ParameterAlreadyExists", "message": "The parameter already exists."}),
    );
    let harness = Harness::builder(SsmParameter).aws(aws).build().unwrap();
    let exchange = harness
        .send(&CfnEvent::create(
            RESOURCE_TYPE,
            "Url",
            json!({"Name": "/app/url", "Value": "v"}),
        ))
        .await;
    assert_eq!(exchange.status(), "FAILED");
    assert_eq!(
        exchange.reason().unwrap(),
        "PutParameter failed: ParameterAlreadyExists: The parameter already exists."
    );
    // The failed Create recorded no id: its Delete will not touch the existing parameter.
    assert!(exchange
        .physical_id()
        .unwrap()
        .starts_with("cfn-warden-create-failed-"));
}
