//! Unit tests of `Custom::PipLayer`: ARNs, the declared policies, the provider's settings, the
//! description marker and the properties.

use serde_json::Value;

use super::{
    apply::{description, marker, MAX_DESCRIPTION_CHARS},
    data::python_version,
    policy::{check_layer_name, layer_in, policy},
    PipLayer, PipLayerProperties, Requirements, MAX_DIRECT_UPLOAD_BYTES,
};
use cfn_warden::protocol::RequestType;

const LAYER: &str = "arn:aws:lambda:eu-west-1:123456789012:layer:deps";

#[test]
fn a_layer_version_arn_of_this_account_and_region_names_the_layer_by_itself() {
    let stack = cfn_warden::protocol::StackArn::parse(
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/app/6b2bd1a0-8f1c-11ef-9c3d-0a1b2c3d4e5f",
    )
    .unwrap();
    assert_eq!(
        layer_in(&stack, &format!("{LAYER}:7")),
        Some(("deps".to_owned(), 7))
    );
    for other in [
        "arn:aws:lambda:eu-west-1:999999999999:layer:deps:7",
        "arn:aws:lambda:us-east-1:123456789012:layer:deps:7",
        "arn:aws:lambda:eu-west-1:123456789012:layer:deps:0",
        "arn:aws:lambda:eu-west-1:123456789012:layer:deps",
        "arn:aws:lambda:eu-west-1:123456789012:layer:de/ps:7",
        "cfn-warden-failed-abc",
    ] {
        assert_eq!(layer_in(&stack, other), None, "{other}");
    }
}

#[test]
fn each_request_declares_exactly_its_layer_actions() {
    let create: Value = serde_json::from_str(
        policy(RequestType::Create, LAYER, None, None)
            .unwrap()
            .to_json(),
    )
    .unwrap();
    assert_eq!(
        create["Statement"],
        serde_json::json!([{
            "Effect": "Allow",
            "Action": ["lambda:PublishLayerVersion", "lambda:ListLayerVersions"],
            "Resource": [LAYER],
        }, {
            "Effect": "Allow",
            "Action": ["lambda:GetLayerVersion"],
            "Resource": [format!("{LAYER}:*")],
        }])
    );
    let delete: Value = serde_json::from_str(
        policy(RequestType::Delete, LAYER, Some(7), None)
            .unwrap()
            .to_json(),
    )
    .unwrap();
    assert_eq!(
        delete["Statement"][0]["Action"],
        serde_json::json!(["lambda:DeleteLayerVersion"])
    );
    assert_eq!(
        delete["Statement"][0]["Resource"],
        serde_json::json!([format!("{LAYER}:7")])
    );
    assert!(policy(RequestType::Delete, LAYER, None, None)
        .unwrap()
        .is_empty());
}

#[test]
fn a_staging_bucket_adds_exactly_the_resources_objects() {
    let objects = "arn:aws:s3:::staging/cfn-warden/layers/deps/0123456789abcdef/*";
    let create: Value = serde_json::from_str(
        policy(RequestType::Update, LAYER, None, Some(objects))
            .unwrap()
            .to_json(),
    )
    .unwrap();
    assert_eq!(
        create["Statement"][2],
        serde_json::json!({
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            "Resource": [objects],
        })
    );
}

#[test]
fn provider_settings_are_checked_at_start() {
    let env = |pairs: &[(&str, &str)]| -> std::collections::HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let ok = PipLayer::from_env(&env(&[
        (
            "WARDEN_PIP_INDEX_ALLOW",
            "https://a.invalid/simple/, http://127.0.0.1:1/",
        ),
        ("WARDEN_PIP_INDEX_URL", "https://b.invalid/simple/"),
        ("WARDEN_LAYER_BUCKET", "my-staging.bucket"),
        ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "1000"),
    ]))
    .unwrap();
    assert_eq!(ok.index.allowed().len(), 3);
    assert_eq!(ok.staging_bucket.as_deref(), Some("my-staging.bucket"));
    assert_eq!(ok.direct_upload_limit, 1000);
    assert_eq!(
        PipLayer::from_env(&env(&[])).unwrap().direct_upload_limit,
        MAX_DIRECT_UPLOAD_BYTES
    );
    for (key, value) in [
        ("WARDEN_LAYER_BUCKET", "Not_A_Bucket"),
        ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "0"),
        ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "52428801"),
        ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "lots"),
    ] {
        let err = PipLayer::from_env(&env(&[(key, value)])).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("invalid {key}")),
            "{err}"
        );
    }
}

#[test]
fn descriptions_keep_the_hash_and_owner_within_lambdas_limit() {
    let sha = "a".repeat(64);
    assert_eq!(
        description(None, &sha, "0123456789abcdef"),
        format!("[cfn-warden sha256:{sha} owner:0123456789abcdef]")
    );
    let long = "x".repeat(400);
    let d = description(Some(&long), &sha, "0123456789abcdef");
    assert_eq!(d.chars().count(), MAX_DESCRIPTION_CHARS);
    assert!(d.ends_with(&marker(&sha, "0123456789abcdef")));
}

#[test]
fn properties_accept_cloudformations_strings_and_refuse_typos() {
    let p: PipLayerProperties = serde_json::from_value(serde_json::json!({
        "LayerName": "deps", "Requirements": "requests\n", "Runtime": "python3.12",
        "RequireHashes": "TRUE", "AllowSdist": false,
    }))
    .unwrap();
    assert!(p.require_hashes && !p.allow_sdist);
    assert_eq!(p.architecture, "x86_64");
    assert_eq!(p.reserve_unzipped_bytes, 0);
    let p: PipLayerProperties = serde_json::from_value(serde_json::json!({
        "LayerName": "deps", "Requirements": "requests\n", "Runtime": "python3.9",
        "PythonVersion": "3.9.1", "Exclude": ["boto3", "botocore"],
        "ReserveUnzippedBytes": "1048576",
    }))
    .unwrap();
    assert_eq!(p.reserve_unzipped_bytes, 1_048_576);
    assert_eq!(python_version(&p), "3.9.1");
    assert_eq!(
        p.exclude,
        Some(Requirements::List(vec!["boto3".into(), "botocore".into()]))
    );
    assert!(
        serde_json::from_value::<PipLayerProperties>(serde_json::json!({
            "LayerName": "d", "Requirements": [], "Runtime": "python3.12",
            "ReserveUnzippedBytes": "lots",
        }))
        .is_err()
    );
    assert_eq!(p.requirements, Requirements::Text("requests\n".into()));
    for bad in [
        serde_json::json!({"LayerName": "d", "Requirements": [], "Runtime": "python3.12", "RequireHashes": "yes"}),
        serde_json::json!({"LayerName": "d", "Requirements": [], "Runtime": "python3.12", "Extra": 1}),
        serde_json::json!({"LayerName": "d", "Requirements": 3, "Runtime": "python3.12"}),
    ] {
        assert!(
            serde_json::from_value::<PipLayerProperties>(bad.clone()).is_err(),
            "{bad}"
        );
    }
    assert!(check_layer_name("ok_name-1").is_ok());
    for bad in ["", "has space", "arn:aws:lambda:x", &"n".repeat(141)] {
        assert!(check_layer_name(bad).is_err(), "{bad}");
    }
}
