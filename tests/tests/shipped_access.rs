//! Both shipped resources in ticket mode, in process, through the test kit's ticket world
//! (moto STS/KMS/IAM/Lambda, pypiserver): every AWS call a handler makes is judged by the
//! local IAM evaluator against the session policy it declared (moto ignores session
//! policies), and what an invoker might try with the same session is shown denied.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{collections::HashMap, time::Duration};

use cfn_warden_test::{Access, CfnEvent, Harness, TicketWorld, ACCOUNT};
use serde_json::json;
use warden_e2e::package_index::PackageIndex;

const REGION: &str = "us-east-1";

async fn world() -> (TicketWorld, PackageIndex, Harness) {
    let world = TicketWorld::start().await.unwrap();
    let index = PackageIndex::start().await.unwrap();
    let env = HashMap::from([("WARDEN_PIP_INDEX_ALLOW".to_owned(), index.url().to_owned())]);
    let router = warden_resources::provider::shipped(&env).unwrap();
    let harness = world
        .harness(router)
        .time_limit(Duration::from_secs(60))
        .build()
        .unwrap();
    (world, index, harness)
}

#[tokio::test]
async fn a_layer_is_built_and_deleted_with_only_what_it_declared() {
    let (world, index, harness) = world().await;
    let props = json!({
        "LayerName": "idna-layer",
        "Requirements": ["idna"],
        "Runtime": "python3.12",
        "IndexUrl": index.url(),
        "RequireHashes": "false",
    });
    let create = CfnEvent::create("Custom::PipLayer", "Layer", props.clone());
    let created = harness.send(&world.seal(create).await.unwrap()).await;
    assert_eq!(created.status(), "SUCCESS", "{:?}", created.reason());
    assert!(created.calls.iter().any(|c| c.operation.contains("layers")));
    created.assert_known_calls_allowed();
    let layer = |name: &str| format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}");
    created.assert_denied(&Access::new("lambda:PublishLayerVersion", layer("other")));
    created.assert_denied(&Access::new(
        "lambda:DeleteLayerVersion",
        layer("idna-layer:1"),
    ));
    created.assert_denied(&Access::new(
        "lambda:CreateFunction",
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"),
    ));

    let id = created.physical_id().unwrap().to_owned();
    let delete = CfnEvent::delete("Custom::PipLayer", "Layer", &id, props);
    let deleted = harness.send(&world.seal(delete).await.unwrap()).await;
    assert_eq!(deleted.status(), "SUCCESS", "{:?}", deleted.reason());
    deleted.assert_known_calls_allowed();
    deleted.assert_denied(&Access::new(
        "lambda:DeleteLayerVersion",
        layer("idna-layer:2"),
    ));
}

#[tokio::test]
async fn a_function_passes_exactly_its_own_role_to_lambda_only() {
    let (world, index, harness) = world().await;
    let role = world.moto().create_role("fn-exec").await.unwrap();
    let props = json!({
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Role": role,
        "Files": {"app.py": "def handler(event, context):\n    return 1\n"},
        "Requirements": ["idna"],
        "IndexUrl": index.url(),
    });
    let create = CfnEvent::create("Custom::MultiFileFunction", "Fn", props.clone());
    let created = harness.send(&world.seal(create).await.unwrap()).await;
    assert_eq!(created.status(), "SUCCESS", "{:?}", created.reason());
    assert!(created.calls.iter().any(|c| c.method == "POST"));
    created.assert_known_calls_allowed();
    let other_role = format!("arn:aws:iam::{ACCOUNT}:role/admin");
    created.assert_denied(
        &Access::new("iam:PassRole", &other_role)
            .with("iam:PassedToService", "lambda.amazonaws.com"),
    );
    created.assert_denied(
        &Access::new("iam:PassRole", &role).with("iam:PassedToService", "ec2.amazonaws.com"),
    );

    let name = created.physical_id().unwrap().to_owned();
    let delete = CfnEvent::delete("Custom::MultiFileFunction", "Fn", &name, props);
    let deleted = harness.send(&world.seal(delete).await.unwrap()).await;
    assert_eq!(deleted.status(), "SUCCESS", "{:?}", deleted.reason());
    deleted.assert_known_calls_allowed();
    deleted.assert_denied(&Access::new(
        "lambda:DeleteFunction",
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:someone-else"),
    ));
}
