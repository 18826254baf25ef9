//! `Custom::PipLayer` through the real `warden-provider` binary: built from a local pypiserver,
//! published to moto's Lambda, updated (same content keeps the version, new content publishes
//! a new one) and deleted, with the declared permissions on every decision line.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::{json, Value};
use warden_e2e::{
    declared_actions, moto::Moto, package_index::PackageIndex, recorder::RecordedCall, CfnEvent,
    Session, TicketWorld, ACCOUNT, REGION,
};

const LIMIT: Duration = Duration::from_secs(60);
const TYPE: &str = "Custom::PipLayer";

async fn world() -> (Moto, PackageIndex, Session) {
    world_with(&[]).await
}

async fn world_with(extra: &[(&str, &str)]) -> (Moto, PackageIndex, Session) {
    let moto = Moto::start().await.unwrap();
    let index = PackageIndex::start().await.unwrap();
    let session = provider(&moto, &index, extra).await;
    (moto, index, session)
}

/// A provider process (one execution environment) on `moto` and `index`.
async fn provider(moto: &Moto, index: &PackageIndex, extra: &[(&str, &str)]) -> Session {
    warden_e2e::provider_on(moto, index.url(), extra)
        .await
        .unwrap()
}

fn props(index: &PackageIndex, requirements: Value) -> Value {
    json!({
        "LayerName": "requests-layer",
        "Requirements": requirements,
        "Runtime": "python3.12",
        "Architecture": "arm64",
        "IndexUrl": index.url(),
        "RequireHashes": "false",
        "Description": "HTTP for humans",
    })
}

async fn versions(moto: &Moto) -> Vec<Value> {
    moto.lambda_get("/2018-10-31/layers/requests-layer/versions")
        .await
        .unwrap()["LayerVersions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn create_update_and_delete_a_layer_on_moto() {
    let (moto, index, mut session) = world().await;
    let layer_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:requests-layer");

    let create = session.prepare(CfnEvent::create(
        TYPE,
        "Layer",
        props(&index, json!(["requests"])),
    ));
    let (exchange, line) = session.send(&create, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert_eq!(id, format!("{layer_arn}:1"));
    let data = &answer["Data"];
    assert_eq!(data["LayerVersionArn"], id.as_str());
    assert_eq!(data["LayerArn"], layer_arn.as_str());
    assert_eq!(data["Version"], "1");
    assert_eq!(
        data["Packages"],
        "certifi==2024.8.30,charset-normalizer==3.4.0,idna==3.10,requests==2.32.3,urllib3==2.2.3"
    );
    let sha = data["ContentSha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);
    assert_eq!(data["PythonVersion"], "3.12.11");
    let unzipped: u64 = data["UnzippedBytes"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        data["UnzippedHeadroomBytes"],
        (250 * 1024 * 1024 - unzipped).to_string().as_str()
    );
    assert!(data.get("Warnings").is_none() && data.get("Excluded").is_none());
    // The declared policy (its resources are unit-tested): publish and list.
    assert_eq!(
        declared_actions(&line),
        [
            "lambda:GetLayerVersion",
            "lambda:ListLayerVersions",
            "lambda:PublishLayerVersion"
        ]
    );
    let published = versions(&moto).await;
    assert_eq!(published.len(), 1);
    let description = published[0]["Description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("HTTP for humans [cfn-warden sha256:{sha} owner:")),
        "{description}"
    );
    assert_eq!(published[0]["CompatibleRuntimes"], json!(["python3.12"]));
    assert_eq!(published[0]["CompatibleArchitectures"], json!(["arm64"]));

    // Same requirements written differently: same content, same version, no new publish.
    let same = session.prepare(CfnEvent::update(
        TYPE,
        "Layer",
        &id,
        props(&index, json!("requests  # the only one\n")),
        props(&index, json!(["requests"])),
    ));
    let (exchange, _) = session.send(&same, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], id.as_str());
    assert_eq!(answer["Data"]["ContentSha256"], sha.as_str());
    assert_eq!(versions(&moto).await.len(), 1);

    // New content: a new version and a new physical id.
    let changed = session.prepare(CfnEvent::update(
        TYPE,
        "Layer",
        &id,
        props(&index, json!(["requests[socks]"])),
        props(&index, json!(["requests"])),
    ));
    let (exchange, _) = session.send(&changed, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let new_id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert_eq!(new_id, format!("{layer_arn}:2"));
    assert!(answer["Data"]["Packages"]
        .as_str()
        .unwrap()
        .contains("pysocks==1.7.1"));
    assert_eq!(versions(&moto).await.len(), 2);

    // A rollback (old properties, the new id): the version this resource had is reused.
    let rollback = session.prepare(CfnEvent::update(
        TYPE,
        "Layer",
        &new_id,
        props(&index, json!(["requests"])),
        props(&index, json!(["requests[socks]"])),
    ));
    let (exchange, _) = session.send(&rollback, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["PhysicalResourceId"], id.as_str(), "{answer}");
    assert_eq!(versions(&moto).await.len(), 2);

    // Another resource with the same layer name and content gets its own version: deleting
    // one resource never removes the version the other answers with.
    let other = session.prepare(CfnEvent::create(
        TYPE,
        "OtherLayer",
        props(&index, json!(["requests"])),
    ));
    let (exchange, _) = session.send(&other, LIMIT).await.unwrap();
    let other_id = exchange.answer().unwrap()["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(other_id, format!("{layer_arn}:3"));

    // CloudFormation deletes the old version, then (on stack delete) the new one; twice is fine.
    for target in [&id, &new_id, &new_id, &other_id] {
        let delete = session.prepare(CfnEvent::delete(
            TYPE,
            "Layer",
            target,
            props(&index, json!(["requests"])),
        ));
        let (exchange, line) = session.send(&delete, LIMIT).await.unwrap();
        assert_eq!(exchange.answer().unwrap()["Status"], "SUCCESS", "{line}");
        assert_eq!(declared_actions(&line), ["lambda:DeleteLayerVersion"]);
    }
    assert!(versions(&moto).await.is_empty());
}

#[tokio::test]
async fn bad_layers_fail_with_a_clear_reason_and_publish_nothing() {
    let (moto, index, mut session) = world().await;
    let cases = [
        (
            json!({"LayerName": "bad name!"}),
            "LayerName `bad name!` must be",
        ),
        (
            json!({"Requirements": ["nosuchpackage"]}),
            "package `nosuchpackage` is not on the index",
        ),
        (
            json!({"IndexUrl": "https://elsewhere.invalid/simple/"}),
            "is not on the provider's index allow-list",
        ),
        (
            json!({"Runtime": "python2.7"}),
            "unsupported Runtime `python2.7`",
        ),
        (
            json!({"RequireHashes": "true"}),
            "is not pinned with ==, and RequireHashes is on",
        ),
        (json!({"AllowSdist": true}), "AllowSdist"),
        (
            json!({"PythonVersion": "3.13.1"}),
            "PythonVersion `3.13.1` is not a 3.X.Y release of python3.12's Python",
        ),
        (
            json!({"Exclude": "boto3,not/a-name"}),
            "Exclude: `not/a-name` is not a package name",
        ),
        (
            json!({"ReserveUnzippedBytes": "262144000"}),
            "ReserveUnzippedBytes reserves 262144000 for the function and its other layers",
        ),
        (
            json!({"Requirements": "requests\n-r other.txt\n"}),
            "requirement line 2",
        ),
        (json!({"Colour": "blue"}), "Colour"),
    ];
    for (change, needle) in cases {
        let mut p = props(&index, json!(["requests"]));
        for (k, v) in change.as_object().unwrap() {
            p[k] = v.clone();
        }
        let create = session.prepare(CfnEvent::create(TYPE, "Layer", p));
        let (exchange, _) = session.send(&create, LIMIT).await.unwrap();
        let answer = exchange.answer().unwrap();
        assert_eq!(answer["Status"], "FAILED", "{change}");
        let reason = answer["Reason"].as_str().unwrap();
        assert!(reason.contains(needle), "{change}: {reason}");
    }
    // Another resource type is not served.
    let other = session.prepare(CfnEvent::create("Custom::Other", "X", json!({})));
    let (exchange, _) = session.send(&other, LIMIT).await.unwrap();
    assert_eq!(exchange.answer().unwrap()["Status"], "FAILED");
    assert!(versions(&moto).await.is_empty());
}

#[tokio::test]
async fn in_ticket_mode_the_layer_is_published_by_a_session_narrowed_to_this_layer() {
    let world = TicketWorld::start("piplayer").await;
    let index = PackageIndex::start().await.unwrap();
    let (ticket, mut session) = world
        .provider("Layer", &[("WARDEN_PIP_INDEX_ALLOW", index.url())])
        .await;
    let mut p = props(&index, json!(["idna"]));
    p["WardenTicket"] = json!(ticket);
    let create = session.prepare(CfnEvent::create(TYPE, "Layer", p.clone()));
    let (exchange, line) = session.send(&create, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer} {line}");
    assert_eq!(line["credentials"], "ticket");
    assert_eq!(answer["Data"]["Packages"], "idna==3.10");

    let calls = world.recorder.calls();
    let (assume, policy) = world.work_session().expect("the work session was assumed");
    let layer = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:requests-layer");
    assert_eq!(
        policy["Statement"],
        json!([{
            "Effect": "Allow",
            "Action": ["lambda:PublishLayerVersion", "lambda:ListLayerVersions"],
            "Resource": [layer],
        }, {
            "Effect": "Allow",
            "Action": ["lambda:GetLayerVersion"],
            "Resource": [format!("{layer}:*")],
        }])
    );
    // Lambda was called with the work session's credentials, not the provider's.
    let publish: Vec<_> = calls
        .iter()
        .filter(|c| c.request_line.contains("/layers/requests-layer/versions"))
        .collect();
    assert!(
        publish.iter().any(|c| c.request_line.starts_with("POST ")),
        "{:?}",
        calls
            .iter()
            .map(RecordedCall::operation)
            .collect::<Vec<_>>()
    );
    for call in publish {
        assert!(
            TicketWorld::made_by_work_session(call, &assume),
            "{}",
            call.request_line
        );
    }

    // Without a ticket: denied, nothing published.
    p.as_object_mut().unwrap().remove("WardenTicket");
    let before = world.recorder.calls().len();
    let create = session.prepare(CfnEvent::create(TYPE, "Layer", p));
    let (exchange, _) = session.send(&create, LIMIT).await.unwrap();
    assert_eq!(exchange.answer().unwrap()["Status"], "FAILED");
    assert!(world.recorder.calls()[before..]
        .iter()
        .all(|c| !c.request_line.contains("/layers/")));
}

#[tokio::test]
async fn layers_over_the_direct_upload_limit_are_staged_through_s3() {
    // A tiny limit stands in for Lambda's 50 MB.
    let limit = [
        ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "1000"),
        ("WARDEN_LAYER_BUCKET", "layer-staging"),
    ];
    let (moto, index, mut session) = world_with(&limit).await;
    moto.create_bucket("layer-staging").await.unwrap();
    let create = session.prepare(CfnEvent::create(
        TYPE,
        "Layer",
        props(&index, json!(["idna"])),
    ));
    let (exchange, line) = session.send(&create, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let published = versions(&moto).await;
    assert_eq!(published.len(), 1);
    // Lambda's CodeSha256 of the staged object is the zip's SHA-256.
    let code = published[0]["Content"]["CodeSha256"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!code.is_empty());
    // The staging object is gone again, and S3 rights were declared for this resource only.
    assert!(moto.list_keys("layer-staging").await.unwrap().is_empty());
    assert!(declared_actions(&line).contains(&"s3:PutObject".to_owned()));

    // Without a bucket, the same layer fails naming the limit and the setting.
    let (_moto, index, mut session) =
        world_with(&[("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "1000")]).await;
    let create = session.prepare(CfnEvent::create(
        TYPE,
        "Layer",
        props(&index, json!(["idna"])),
    ));
    let (exchange, _) = session.send(&create, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "FAILED");
    let reason = answer["Reason"].as_str().unwrap();
    assert!(
        reason.contains("over the 1000-byte limit") && reason.contains("WARDEN_LAYER_BUCKET"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_duplicated_create_and_delete_each_publish_and_delete_once() {
    let (moto, index, mut session) = world().await;
    let create = session.prepare(CfnEvent::create(
        TYPE,
        "Layer",
        props(&index, json!(["idna"])),
    ));
    // Twice to the same environment: the same answer again, no work.
    let first = warden_e2e::send_twice(&mut session, &create, LIMIT)
        .await
        .unwrap();
    // Another environment: the identical version is found, nothing is published again.
    let mut other = provider(&moto, &index, &[]).await;
    let create = other.prepare(CfnEvent::create(
        TYPE,
        "Layer",
        props(&index, json!(["idna"])),
    ));
    let (adopted, _) = other.send(&create, LIMIT).await.unwrap();
    let adopted = adopted.answer().unwrap();
    assert_eq!(
        adopted["PhysicalResourceId"], first["PhysicalResourceId"],
        "{adopted}"
    );
    assert_eq!(versions(&moto).await.len(), 1, "published once");
    let id = first["PhysicalResourceId"].as_str().unwrap();
    for session in [&mut session, &mut other] {
        let delete = session.prepare(CfnEvent::delete(
            TYPE,
            "Layer",
            id,
            props(&index, json!(["idna"])),
        ));
        let (deleted, _) = session.send(&delete, LIMIT).await.unwrap();
        assert_eq!(deleted.answer().unwrap()["Status"], "SUCCESS");
    }
    assert!(versions(&moto).await.is_empty());
}
