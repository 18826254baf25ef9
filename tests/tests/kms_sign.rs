//! `warden sign --kms-key` against moto's KMS: the private key never leaves KMS, the provider
//! verifies offline with the public key `warden public-key` prints.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::SystemTime;

use cfn_warden::{
    protocol::{CfnRequest, Envelope},
    verify::signed::{KeyRing, SignatureVerifier},
};
use serde_json::{json, Value};
use warden_e2e::{moto::Moto, STACK_ID};

async fn warden(moto: &Moto, args: &[&str]) -> (i32, String, String) {
    moto.warden(args, &[]).await.unwrap()
}

#[tokio::test]
async fn kms_signed_templates_verify_offline() {
    let moto = Moto::start()
        .await
        .expect("moto must be installed: pip install 'moto[server]'");
    let key_id = moto.create_signing_key().await.unwrap();

    let (code, public, err) = warden(
        &moto,
        &["public-key", "--kms-key", &key_id, "--kid", "kms-deploy"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let ring = KeyRing::from_json(public.trim()).unwrap();
    assert!(public.contains("ecdsa-p256-sha256"), "{public}");

    let dir = std::env::temp_dir().join(format!("warden-kms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("t.yaml");
    std::fs::write(&template, "Resources:\n  Greeting:\n    Type: Custom::Hello\n    Properties:\n      ServiceToken: !GetAtt P.Arn\n      Name: Kms\n").unwrap();
    let (code, signed, err) = warden(
        &moto,
        &[
            "sign",
            template.to_str().unwrap(),
            "--kms-key",
            &key_id,
            "--kid",
            "kms-deploy",
            "--stack-name",
            "warden-demo",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let token = signed
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("WardenSignature: \"")
                .map(|t| t.trim_end_matches('"').to_owned())
        })
        .unwrap();

    let event = |name: &str| {
        let value: Value = json!({
            "RequestType": "Create", "ResponseURL": "https://example.invalid/x", "StackId": STACK_ID,
            "RequestId": "5d5c1e3a-2b6f-4a8e-9c1d-0e2f3a4b5c6d", "ResourceType": "Custom::Hello",
            "LogicalResourceId": "Greeting", "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
            "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", "Name": name, "WardenSignature": token},
        });
        CfnRequest::from_value(&value, Envelope::from_value(&value).unwrap()).unwrap()
    };
    let verifier = SignatureVerifier::builder().keys(ring).build().unwrap();
    assert!(verifier.check(&event("Kms"), SystemTime::now()).is_ok());
    assert!(verifier
        .check(&event("Mallory"), SystemTime::now())
        .is_err());

    // A key that cannot sign this way is a clear error.
    let (code, _, err) = warden(&moto, &["public-key", "--kms-key", "alias/does-not-exist"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("KMS GetPublicKey"), "{err}");
}
