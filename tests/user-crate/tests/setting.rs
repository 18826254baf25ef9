//! `Custom::Setting` tested with the kit: in process, on moto in ticket mode, and as a binary.
use std::time::Duration;

use cfn_warden_test::{process::Session, Access, Aws, AwsCall, CfnEvent, Harness, TicketWorld};
use serde_json::json;
use setting_resource::Setting;

const PARAMETERS: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/";

fn props() -> serde_json::Value {
    json!({"Name": "greeting", "Value": "hello"})
}

/// The access a recorded SSM call needs: its action on the parameter it names.
fn access(call: &AwsCall) -> Access {
    let name = call.json().unwrap()["Name"].as_str().unwrap().to_owned();
    Access::new(call.action(), format!("{PARAMETERS}{name}"))
}

#[tokio::test]
async fn in_process_with_canned_replies() {
    let aws = Aws::replay().reply("PutParameter", 200, json!({"Version": 1}));
    let harness = Harness::builder(Setting).aws(aws).build().unwrap();
    let created = harness
        .send(&CfnEvent::create("Custom::Setting", "Greeting", props()))
        .await;
    assert_eq!(created.status(), "SUCCESS", "{:?}", created.reason());
    assert_eq!(created.physical_id(), Some("greeting"));
    created.assert_calls_allowed(access);
    created.assert_denied(&Access::new(
        "ssm:PutParameter",
        format!("{PARAMETERS}other"),
    ));
}

#[tokio::test]
async fn on_moto_in_ticket_mode() {
    let world = TicketWorld::start().await.unwrap();
    let harness = world.harness(Setting).build().unwrap();
    let get = json!({"Name": "greeting"});

    let create = world
        .seal(CfnEvent::create("Custom::Setting", "Greeting", props()))
        .await;
    let created = harness.send(&create.unwrap()).await;
    assert_eq!(created.status(), "SUCCESS", "{:?}", created.reason());
    created.assert_calls_allowed(access);
    let read = world
        .moto()
        .json_call("ssm", "AmazonSSM.GetParameter", &get)
        .await;
    assert_eq!(read.unwrap()["Parameter"]["Value"], "hello");

    let delete = CfnEvent::delete("Custom::Setting", "Greeting", "greeting", props());
    let deleted = harness.send(&world.seal(delete).await.unwrap()).await;
    assert_eq!(deleted.status(), "SUCCESS", "{:?}", deleted.reason());
    deleted.assert_calls_allowed(access);
    assert!(world
        .moto()
        .json_call("ssm", "AmazonSSM.GetParameter", &get)
        .await
        .is_err());
}

#[tokio::test]
async fn the_binary_refuses_a_malformed_request() {
    let binary = env!("CARGO_BIN_EXE_setting-resource");
    let mut session = Session::start(binary).await.unwrap();
    let event = CfnEvent::create("Custom::Setting", "Greeting", json!({"Name": "greeting"}));
    let (answer, line) = session
        .answer(event, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        answer["Reason"].as_str().unwrap().contains("Value"),
        "{answer}"
    );
    assert_eq!(line["result"], "bad-input");
}
