//! Create → Update → Delete and rollback sequences through the real binaries.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::{json, Value};
use warden_e2e::{bin, CfnEvent, RuntimeResult, Session};

const LIMIT: Duration = Duration::from_secs(20);

fn answer_of(exchange: &warden_e2e::Exchange) -> Value {
    assert_eq!(
        exchange.puts.len(),
        1,
        "exactly one PUT expected: {:?}",
        exchange.puts
    );
    exchange.answer().unwrap()
}

#[tokio::test]
async fn hello_create_update_delete() {
    let mut s = Session::start(bin("hello-resource")).await.unwrap();

    let create = s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": "World"}),
    ));
    let (x, line) = s.send(&create, LIMIT).await.unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(a["Data"]["Greeting"], "Hello, World");
    assert_eq!(a["RequestId"], create.request_id());
    assert_eq!(a["LogicalResourceId"], "Greeting");
    let id = a["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("warden-demo-Greeting-"), "{id}");
    assert_eq!(line["decision"], "allow");
    assert_eq!(line["result"], "success");
    assert_eq!(line["status_sent"], "SUCCESS");
    assert_eq!(line["physical_resource_id"], id.as_str());
    assert_eq!(line["checks"][0]["name"], "request-consistency");
    assert_eq!(line["checks"][0]["verdict"], "pass");
    assert!(line["insecure_response_url_prefix"].is_string());
    assert_eq!(
        x.result,
        RuntimeResult::Response(
            json!({"decision": "allow", "status": "SUCCESS", "delivered": true})
        )
    );

    let update = s.prepare(CfnEvent::update(
        "Custom::Hello",
        "Greeting",
        &id,
        json!({"Name": "Warden"}),
        json!({"Name": "World"}),
    ));
    let (x, _) = s.send(&update, LIMIT).await.unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(a["PhysicalResourceId"], id.as_str(), "Update keeps the id");
    assert_eq!(a["Data"]["Greeting"], "Hello, Warden");

    let delete = s.prepare(CfnEvent::delete(
        "Custom::Hello",
        "Greeting",
        &id,
        json!({"Name": "Warden"}),
    ));
    let (x, line) = s.send(&delete, LIMIT).await.unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(
        a["PhysicalResourceId"],
        id.as_str(),
        "Delete cannot change the id"
    );
    assert!(a.get("Data").is_none());
    assert_eq!(line["request_type"], "Delete");

    // The same Create again yields the same derived id.
    let again = s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": "World"}),
    ));
    let (x, _) = s.send(&again, LIMIT).await.unwrap();
    assert_eq!(answer_of(&x)["PhysicalResourceId"], id.as_str());
    assert_eq!(
        s.provider.decisions().len(),
        4,
        "one decision line per invocation"
    );
}

#[tokio::test]
async fn failed_update_then_rollback_update_then_delete() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let ok = json!({"Mode": "ok", "Message": "v1"});
    let bad = json!({"Mode": "error", "Message": "update refused"});

    let (x, _) = s
        .send(
            &s.prepare(CfnEvent::create("Custom::Faulty", "Thing", ok.clone())),
            LIMIT,
        )
        .await
        .unwrap();
    let id = answer_of(&x)["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .to_owned();

    let (x, line) = s
        .send(
            &s.prepare(CfnEvent::update(
                "Custom::Faulty",
                "Thing",
                &id,
                bad.clone(),
                ok.clone(),
            )),
            LIMIT,
        )
        .await
        .unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "FAILED");
    assert_eq!(a["Reason"], "update refused");
    assert_eq!(
        a["PhysicalResourceId"],
        id.as_str(),
        "a failed Update keeps the id"
    );
    assert_eq!(line["decision"], "allow");
    assert_eq!(line["result"], "handler-error");

    // CloudFormation rolls back with old and new swapped.
    let (x, _) = s
        .send(
            &s.prepare(CfnEvent::update(
                "Custom::Faulty",
                "Thing",
                &id,
                ok.clone(),
                bad,
            )),
            LIMIT,
        )
        .await
        .unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(a["PhysicalResourceId"], id.as_str());

    let (x, _) = s
        .send(
            &s.prepare(CfnEvent::delete("Custom::Faulty", "Thing", &id, ok)),
            LIMIT,
        )
        .await
        .unwrap();
    assert_eq!(answer_of(&x)["Status"], "SUCCESS");
}

#[tokio::test]
async fn failed_create_gets_a_sentinel_whose_delete_skips_the_handler() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let props = json!({"Mode": "error", "Message": "create refused"});
    let (x, _) = s
        .send(
            &s.prepare(CfnEvent::create("Custom::Faulty", "Thing", props.clone())),
            LIMIT,
        )
        .await
        .unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "FAILED");
    let sentinel = a["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(
        sentinel.starts_with("cfn-warden-create-failed-"),
        "{sentinel}"
    );

    // The Delete carries Mode=error too: had the handler run, it would have failed.
    let (x, line) = s
        .send(
            &s.prepare(CfnEvent::delete(
                "Custom::Faulty",
                "Thing",
                &sentinel,
                props,
            )),
            LIMIT,
        )
        .await
        .unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(a["PhysicalResourceId"], sentinel.as_str());
    assert_eq!(line["result"], "sentinel-delete");
}

#[tokio::test]
async fn replacement_then_delete_of_the_old_id() {
    let mut s = Session::start(bin("faulty-resource")).await.unwrap();
    let v1 = json!({"Mode": "ok", "Generation": "1"});
    let v2 = json!({"Mode": "ok", "Generation": "2"});
    let (x, _) = s
        .send(
            &s.prepare(CfnEvent::create("Custom::Faulty", "Thing", v1.clone())),
            LIMIT,
        )
        .await
        .unwrap();
    assert_eq!(answer_of(&x)["PhysicalResourceId"], "faulty-gen-1");

    // A changed Generation replaces: the Update answers with the new id...
    let (x, _) = s
        .send(
            &s.prepare(CfnEvent::update(
                "Custom::Faulty",
                "Thing",
                "faulty-gen-1",
                v2.clone(),
                v1.clone(),
            )),
            LIMIT,
        )
        .await
        .unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(a["PhysicalResourceId"], "faulty-gen-2");

    // ...and CloudFormation deletes the old one during cleanup, with the old properties.
    let (x, line) = s
        .send(
            &s.prepare(CfnEvent::delete(
                "Custom::Faulty",
                "Thing",
                "faulty-gen-1",
                v1,
            )),
            LIMIT,
        )
        .await
        .unwrap();
    let a = answer_of(&x);
    assert_eq!(a["Status"], "SUCCESS");
    assert_eq!(a["PhysicalResourceId"], "faulty-gen-1");
    assert_eq!(line["result"], "success");

    // An Update that keeps the Generation keeps the id.
    let v2b = json!({"Mode": "ok", "Generation": "2", "Message": "tweak"});
    let (x, _) = s
        .send(
            &s.prepare(CfnEvent::update(
                "Custom::Faulty",
                "Thing",
                "faulty-gen-2",
                v2b,
                v2,
            )),
            LIMIT,
        )
        .await
        .unwrap();
    assert_eq!(answer_of(&x)["PhysicalResourceId"], "faulty-gen-2");
}
