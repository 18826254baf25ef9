//! Verification overhead without network: parse a CloudFormation event whose properties are
//! about 3 KB, canonicalise them and verify a signature over them, for both key types.
//! Run: `cargo bench -p cfn-warden --bench verify`. Criterion prints the estimates; the p99 is
//! read from `target/criterion/<name>/new/sample.json` by `bench/verify-p99.py`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "benchmark code"
)]

use std::{collections::BTreeMap, time::SystemTime};

use cfn_warden::{
    protocol::{CfnRequest, Envelope},
    verify::signed::{
        cfn_normalise, signing_message, Algorithm, Ed25519SigningKey, KeyRing, SignatureVerifier,
        SignedEnvelope, SignedToken, VerifyingKey, PROPERTY_KEY,
    },
};
use criterion::{criterion_group, criterion_main, Criterion};
use ring::signature::KeyPair as _;
use serde_json::{json, Map, Value};

/// About 3 KB of properties: 40 keys of mixed shapes.
fn properties() -> Map<String, Value> {
    let mut map = Map::new();
    for i in 0..40 {
        let value = match i % 4 {
            0 => json!(format!("value-{i}-{}", "x".repeat(120))),
            1 => json!([
                "alpha",
                "beta",
                format!("gamma-{i}"),
                "déjà vu 😀",
                "x".repeat(30)
            ]),
            2 => json!({"Nested": {"Key": format!("k{i}"), "N": i}}),
            _ => json!(i * 1000),
        };
        map.insert(format!("Property{i:02}"), cfn_normalise(&value));
    }
    map
}

fn envelope(kid: &str, alg: Algorithm) -> SignedEnvelope {
    let now = SystemTime::now();
    SignedEnvelope {
        v: 1,
        kid: kid.into(),
        alg,
        stack: "warden-demo".into(),
        logical_id: "Greeting".into(),
        resource_type: "Custom::Hello".into(),
        issued_at: cfn_warden::decision::format_time(now),
        not_after: cfn_warden::decision::format_time(now + std::time::Duration::from_secs(3600)),
        properties: properties(),
        dynamic: BTreeMap::new(),
    }
}

fn event(token: &str) -> Vec<u8> {
    let mut props = properties();
    props.insert(
        "ServiceToken".into(),
        json!("arn:aws:lambda:us-east-1:123456789012:function:p"),
    );
    props.insert(PROPERTY_KEY.into(), json!(token));
    let value = json!({
        "RequestType": "Create",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=s",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/warden-demo/6b2bd1a0-8f1c-11ef",
        "RequestId": "5d5c1e3a-2b6f-4a8e-9c1d-0e2f3a4b5c6d",
        "ResourceType": "Custom::Hello",
        "LogicalResourceId": "Greeting",
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
        "ResourceProperties": props,
    });
    serde_json::to_vec(&value).unwrap()
}

fn parse(bytes: &[u8]) -> CfnRequest {
    let value: Value = serde_json::from_slice(bytes).unwrap();
    CfnRequest::from_value(&value, Envelope::from_value(&value).unwrap()).unwrap()
}

fn bench(c: &mut Criterion) {
    let (ed, _) = Ed25519SigningKey::generate("ed").unwrap();
    let ed_token = ed
        .sign(&envelope("ed", Algorithm::Ed25519))
        .unwrap()
        .encode();
    let ed_ring =
        KeyRing::from_json(&serde_json::to_string(&vec![ed.public_config()]).unwrap()).unwrap();

    let rng = ring::rand::SystemRandom::new();
    let alg = &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING;
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
    let payload = envelope("kms", Algorithm::EcdsaP256Sha256)
        .payload()
        .unwrap();
    let signature = pair.sign(&rng, &signing_message(&payload)).unwrap();
    let ec_token = SignedToken::new(payload, signature.as_ref().to_vec()).encode();
    let ec_ring = KeyRing::new(vec![VerifyingKey::ecdsa_p256(
        "kms",
        pair.public_key().as_ref(),
    )
    .unwrap()])
    .unwrap();

    for (name, token, keys) in [
        ("verify_3kb_ed25519", ed_token, ed_ring),
        ("verify_3kb_ecdsa_p256", ec_token, ec_ring),
    ] {
        let bytes = event(&token);
        assert!((2500..4500).contains(&serde_json::to_vec(&properties()).unwrap().len()));
        let verifier = SignatureVerifier::builder().keys(keys).build().unwrap();
        assert!(verifier.check(&parse(&bytes), SystemTime::now()).is_ok());
        c.bench_function(name, |b| {
            b.iter(|| {
                let request = parse(std::hint::black_box(&bytes));
                verifier.check(&request, SystemTime::now()).unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
