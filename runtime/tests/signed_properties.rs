//! Signed properties through the pipeline: every way a signature can be wrong is refused with a
//! generic FAILED (detail in the decision line), and the handler never runs.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, SystemTime},
};

use cfn_warden::{
    decision::DecisionLine,
    verify::{
        signed::{
            signing_message, Algorithm, Ed25519SigningKey, KeyRing, SignatureVerifier,
            SignedEnvelope, SignedToken, VerifyingKey, PROPERTY_KEY,
        },
        VerifyLayer,
    },
    Context, Created, CustomResource, Deleted, HandlerError, Updated, DENIED_REASON,
};
use ring::signature::KeyPair as _;
use serde::Deserialize;
use serde_json::{json, Map, Value};

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:warden-fixture";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Props {
    name: String,
    #[serde(default)]
    role_arn: Option<String>,
    #[serde(default)]
    count: Option<String>,
}

struct Counting(Arc<AtomicUsize>);
impl CustomResource for Counting {
    type Properties = Props;
    async fn create(&self, p: Props, _: &Context) -> Result<Created, HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let _ = (p.role_arn, p.count);
        Ok(Created::new().data("Greeting", format!("Hello, {}", p.name)))
    }
    async fn update(
        &self,
        _: Props,
        _: Option<Props>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Updated::keep())
    }
    async fn delete(&self, _: Option<Props>, _: &Context) -> Result<Deleted, HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Deleted)
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// An envelope that matches `create.json` exactly.
fn envelope(kid: &str) -> SignedEnvelope {
    let now = SystemTime::now();
    let mut properties = Map::new();
    properties.insert("Name".into(), json!("World"));
    SignedEnvelope {
        v: 1,
        kid: kid.into(),
        alg: Algorithm::Ed25519,
        stack: "warden-demo".into(),
        logical_id: "Greeting".into(),
        resource_type: "Custom::Hello".into(),
        issued_at: rfc3339(now),
        not_after: rfc3339(now + Duration::from_secs(3600)),
        properties,
        dynamic: BTreeMap::new(),
    }
}

struct Setup {
    kit: cfn_warden_test::Harness,
    calls: Arc<AtomicUsize>,
}

fn setup(keys: Vec<VerifyingKey>, allow_expired_on_delete: bool) -> Setup {
    let calls = Arc::new(AtomicUsize::new(0));
    let verifier = SignatureVerifier::builder()
        .keys(KeyRing::new(keys).unwrap())
        .allow_expired_on_delete(allow_expired_on_delete)
        .build()
        .unwrap();
    let kit = cfn_warden_test::Harness::builder(Counting(calls.clone()))
        .function_arn(FUNCTION)
        .time_limit(Duration::from_secs(10))
        .layer(VerifyLayer::new(verifier))
        .build()
        .unwrap();
    Setup { kit, calls }
}

impl Setup {
    /// Sends `event`; returns (Status, Reason, the check's detail).
    async fn send(&self, event: &Value) -> (String, String, Option<String>) {
        let exchange = self.kit.send_json(event).await;
        (
            exchange.status().to_owned(),
            exchange.reason().unwrap_or_default().to_owned(),
            exchange.line.detail,
        )
    }

    /// The last decision line.
    fn line(&self) -> DecisionLine {
        self.kit.lines().last().cloned().unwrap()
    }
}

fn with_token(mut event: Value, token: &str) -> Value {
    event["ResourceProperties"][PROPERTY_KEY] = json!(token);
    event
}

fn key(kid: &str) -> (Ed25519SigningKey, VerifyingKey) {
    let (signing, _) = Ed25519SigningKey::generate(kid).unwrap();
    let public = signing.public_config();
    let ring = KeyRing::from_json(&serde_json::to_string(&vec![public]).unwrap()).unwrap();
    (signing, ring.get(kid).unwrap().clone())
}

#[tokio::test]
async fn a_genuine_signature_passes_and_the_property_is_reserved() {
    let (signing, verifying) = key("k1");
    let s = setup(vec![verifying], false);
    let token = signing.sign(&envelope("k1")).unwrap().encode();
    let (status, reason, _) = s.send(&with_token(fixture("create.json"), &token)).await;
    assert_eq!((status.as_str(), reason.as_str()), ("SUCCESS", ""));
    assert_eq!(s.calls.load(Ordering::SeqCst), 1);
    let line = s.line();
    assert_eq!(line.checks[1].name, "signed-properties");
    assert_eq!(line.checks[1].evidence["kid"], "k1");
}

/// Each case: a way to break the request, and the detail the decision line must carry.
#[tokio::test]
async fn every_forgery_is_refused_without_calling_the_handler() {
    let (signing, verifying) = key("k1");
    let (stranger, _) = key("k9");
    let s = setup(vec![verifying], false);
    let good = |f: &dyn Fn(&mut SignedEnvelope)| {
        let mut e = envelope("k1");
        f(&mut e);
        signing.sign(&e).unwrap().encode()
    };
    let base = fixture("create.json");
    let genuine = good(&|_| {});
    let mut cases: Vec<(&str, Value, &str)> = Vec::new();

    let mut tampered = with_token(base.clone(), &genuine);
    tampered["ResourceProperties"]["Name"] = json!("Mallory");
    cases.push((
        "tampered value",
        tampered,
        "property `Name` differs from its signed value",
    ));

    let mut added = with_token(base.clone(), &genuine);
    added["ResourceProperties"]["RoleArn"] = json!("arn:aws:iam::123456789012:role/admin");
    cases.push((
        "added key",
        added,
        "property `RoleArn` is not covered by the signature",
    ));

    let removed_token = good(&|e| {
        e.properties.insert("Count".into(), json!("5"));
    });
    cases.push((
        "removed key",
        with_token(base.clone(), &removed_token),
        "signed property `Count` is missing",
    ));

    cases.push((
        "wrong logical id",
        with_token(base.clone(), &good(&|e| e.logical_id = "Other".into())),
        "another logical id",
    ));
    cases.push((
        "wrong stack",
        with_token(base.clone(), &good(&|e| e.stack = "prod-*".into())),
        "another stack",
    ));
    cases.push((
        "wrong type",
        with_token(
            base.clone(),
            &good(&|e| e.resource_type = "Custom::Other".into()),
        ),
        "another resource type",
    ));
    let expired = good(&|e| e.not_after = rfc3339(SystemTime::now() - Duration::from_secs(1)));
    cases.push(("expired", with_token(base.clone(), &expired), "expired"));

    let mut foreign = envelope("k9");
    foreign.kid = "k9".into();
    cases.push((
        "unknown key id",
        with_token(base.clone(), &stranger.sign(&foreign).unwrap().encode()),
        "key id is not configured",
    ));

    // A genuine payload with another key's signature.
    let payload = envelope("k1").payload().unwrap();
    let k9_sig = stranger.sign(&foreign).unwrap();
    let forged = SignedToken::new(payload, k9_sig.signature().to_vec()).encode();
    cases.push((
        "signature by the wrong key",
        with_token(base.clone(), &forged),
        "does not verify",
    ));

    let mut flipped = genuine.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    cases.push((
        "flipped signature byte",
        with_token(base.clone(), &String::from_utf8(flipped).unwrap()),
        "does not verify",
    ));
    cases.push((
        "malformed",
        with_token(base.clone(), "warden-sig-v1.not-base64!.x"),
        "payload is not base64url",
    ));
    cases.push(("no signature", base.clone(), "no WardenSignature property"));
    let mut numeric = base.clone();
    numeric["ResourceProperties"][PROPERTY_KEY] = json!(7);
    cases.push(("not a string", numeric, "is not a string"));

    let dynamic = good(&|e| {
        e.dynamic.insert(
            "RoleArn".into(),
            Some(r"arn:aws:iam::\d{12}:role/app-.*".into()),
        );
    });
    let mut violating = with_token(base.clone(), &dynamic);
    violating["ResourceProperties"]["RoleArn"] = json!("arn:aws:iam::123456789012:role/admin");
    cases.push((
        "dynamic key violating its regex",
        violating,
        "dynamic property `RoleArn` does not match its signed pattern",
    ));
    let mut suffix = with_token(base.clone(), &dynamic);
    suffix["ResourceProperties"]["RoleArn"] = json!("arn:aws:iam::123456789012:role/app-x\nadmin");
    cases.push(("regex is anchored", suffix, "does not match"));

    for (what, event, needle) in cases {
        let before = s.calls.load(Ordering::SeqCst);
        let (status, reason, detail) = s.send(&event).await;
        assert_eq!(status, "FAILED", "{what}");
        assert_eq!(reason, DENIED_REASON, "{what}: the caller learns nothing");
        let detail = detail.unwrap_or_default();
        assert!(
            detail.contains(needle),
            "{what}: detail `{detail}` lacks `{needle}`"
        );
        assert_eq!(
            s.calls.load(Ordering::SeqCst),
            before,
            "{what}: the handler ran"
        );
    }

    // The dynamic key with a matching value passes.
    let mut ok = with_token(base, &dynamic);
    ok["ResourceProperties"]["RoleArn"] = json!("arn:aws:iam::123456789012:role/app-web");
    assert_eq!(s.send(&ok).await.0, "SUCCESS");
}

#[tokio::test]
async fn scalars_are_compared_as_cloudformation_delivers_them() {
    let (signing, verifying) = key("k1");
    let s = setup(vec![verifying], false);
    let mut e = envelope("k1");
    e.properties.insert("Count".into(), json!("5")); // the signer normalised `Count: 5`
    let mut event = with_token(fixture("create.json"), &signing.sign(&e).unwrap().encode());
    event["ResourceProperties"]["Count"] = json!("5");
    assert_eq!(s.send(&event).await.0, "SUCCESS");
    event["ResourceProperties"]["Count"] = json!("05");
    assert_eq!(s.send(&event).await.0, "FAILED");
}

#[tokio::test]
async fn rotation_and_retirement() {
    let (old, old_public) = key("old");
    let (new, new_public) = key("new");
    let retired = old_public
        .clone()
        .retired_after(SystemTime::now() - Duration::from_secs(60));
    let base = fixture("create.json");
    let old_token = old.sign(&envelope("old")).unwrap().encode();
    let new_token = new.sign(&envelope("new")).unwrap().encode();

    // During rotation both keys verify.
    let both = setup(vec![old_public, new_public.clone()], false);
    assert_eq!(
        both.send(&with_token(base.clone(), &old_token)).await.0,
        "SUCCESS"
    );
    assert_eq!(
        both.send(&with_token(base.clone(), &new_token)).await.0,
        "SUCCESS"
    );

    // Once the old key is retired, its signatures are refused.
    let after = setup(vec![retired, new_public], false);
    let (status, _, detail) = after.send(&with_token(base.clone(), &old_token)).await;
    assert_eq!(status, "FAILED");
    assert!(detail.unwrap().contains("retired"));
    assert_eq!(after.send(&with_token(base, &new_token)).await.0, "SUCCESS");
}

#[tokio::test]
async fn expired_signatures_on_delete_follow_the_policy() {
    let (signing, verifying) = key("k1");
    let mut e = envelope("k1");
    e.not_after = rfc3339(SystemTime::now() - Duration::from_secs(86_400));
    let token = signing.sign(&e).unwrap().encode();
    let delete = with_token(fixture("delete.json"), &token);
    let strict = setup(vec![verifying.clone()], false);
    assert_eq!(strict.send(&delete).await.0, "FAILED");
    let lenient = setup(vec![verifying], true);
    assert_eq!(lenient.send(&delete).await.0, "SUCCESS");
    let line = lenient.line();
    assert_eq!(line.checks[1].evidence["expired_accepted_on_delete"], true);
    // Only Delete: a Create with the same expired token is still refused.
    let create = with_token(fixture("create.json"), &token);
    assert_eq!(lenient.send(&create).await.0, "FAILED");
}

#[tokio::test]
async fn kms_style_ecdsa_p256_signatures_verify() {
    // The shape KMS produces: ASN.1 DER ECDSA over the signing message, public key as SPKI DER.
    let rng = ring::rand::SystemRandom::new();
    let alg = &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING;
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
    let verifying = VerifyingKey::ecdsa_p256("kms-1", pair.public_key().as_ref()).unwrap();
    let s = setup(vec![verifying], false);
    let mut e = envelope("kms-1");
    e.alg = Algorithm::EcdsaP256Sha256;
    let payload = e.payload().unwrap();
    let signature = pair.sign(&rng, &signing_message(&payload)).unwrap();
    let token = SignedToken::new(payload, signature.as_ref().to_vec()).encode();
    assert_eq!(
        s.send(&with_token(fixture("create.json"), &token)).await.0,
        "SUCCESS"
    );
    // An Ed25519 envelope claiming the ECDSA key id is refused.
    let mut wrong = envelope("kms-1");
    wrong.alg = Algorithm::Ed25519;
    let payload = wrong.payload().unwrap();
    let signature = pair.sign(&rng, &signing_message(&payload)).unwrap();
    let token = SignedToken::new(payload, signature.as_ref().to_vec()).encode();
    let (status, _, detail) = s.send(&with_token(fixture("create.json"), &token)).await;
    assert_eq!(status, "FAILED");
    assert!(detail.unwrap().contains("algorithm"));
}

#[tokio::test]
async fn updates_need_authentic_old_properties_too() {
    let (signing, verifying) = key("k1");
    let s = setup(vec![verifying], false);
    let new_token = signing.sign(&envelope("k1")).unwrap().encode();
    let update = |old: Value| {
        let mut event = fixture("update.json");
        event["ResourceProperties"][PROPERTY_KEY] = json!(new_token);
        event["OldResourceProperties"] = old;
        event
    };
    // Old properties signed at an earlier deployment, long expired: accepted, noted.
    let mut old_envelope = envelope("k1");
    old_envelope.not_after = rfc3339(SystemTime::now() - Duration::from_secs(90 * 86_400));
    let old_token = signing.sign(&old_envelope).unwrap().encode();
    let old = json!({"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:warden-fixture", "Name": "World", PROPERTY_KEY: old_token});
    let (status, _, _) = s.send(&update(old.clone())).await;
    assert_eq!(status, "SUCCESS");
    let line = s.line();
    assert_eq!(line.checks[1].evidence["old_properties"]["expired"], true);

    // Unsigned or tampered old properties are refused: the handler would act on them.
    let mut tampered = old.clone();
    tampered["Name"] = json!("someone-elses-resource");
    let mut unsigned = old;
    unsigned.as_object_mut().unwrap().remove(PROPERTY_KEY);
    for (what, old, needle) in [
        (
            "tampered",
            tampered,
            "OldResourceProperties: property `Name` differs",
        ),
        (
            "unsigned",
            unsigned,
            "OldResourceProperties: no WardenSignature property",
        ),
    ] {
        let before = s.calls.load(Ordering::SeqCst);
        let (status, _, detail) = s.send(&update(old)).await;
        assert_eq!(status, "FAILED", "{what}");
        assert!(detail.unwrap().contains(needle), "{what}");
        assert_eq!(
            s.calls.load(Ordering::SeqCst),
            before,
            "{what}: the handler ran"
        );
    }
}

#[tokio::test]
async fn a_dynamic_property_removed_by_novalue_is_accepted_and_noted() {
    let (signing, verifying) = key("k1");
    let s = setup(vec![verifying], false);
    let mut e = envelope("k1");
    e.dynamic.insert(
        "RoleArn".into(),
        Some("arn:aws:iam::\\d{12}:role/app-.*".into()),
    );
    let token = signing.sign(&e).unwrap().encode();
    let (status, _, _) = s.send(&with_token(fixture("create.json"), &token)).await;
    assert_eq!(status, "SUCCESS");
    let line = s.line();
    assert_eq!(
        line.checks[1].evidence["absent_dynamic_properties"],
        json!(["RoleArn"])
    );
}

#[tokio::test]
async fn a_pattern_cannot_escape_its_anchors() {
    let (signing, verifying) = key("k1");
    let s = setup(vec![verifying], false);
    let mut e = envelope("k1");
    e.dynamic.insert("RoleArn".into(), Some("x)|(.*".into()));
    let mut event = with_token(fixture("create.json"), &signing.sign(&e).unwrap().encode());
    event["ResourceProperties"]["RoleArn"] = json!("arn:aws:iam::123456789012:role/admin");
    let (status, _, detail) = s.send(&event).await;
    assert_eq!(status, "FAILED");
    assert!(detail.unwrap().contains("is not a valid regex"));
}
