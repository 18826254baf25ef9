//! Signed properties through the real binary: `WARDEN_SIGNING_KEYS` makes signatures required.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use cfn_warden::verify::signed::Ed25519SigningKey;
use serde_json::json;
use warden_e2e::{bin, sign_properties, CfnEvent, Session};

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn signed_requests_pass_and_forged_ones_are_refused_generically() {
    let (key, _) = Ed25519SigningKey::generate("e2e-key").unwrap();
    let keys = serde_json::to_string(&vec![key.public_config()]).unwrap();
    let mut s = Session::start_with_env(bin("hello-resource"), &[("WARDEN_SIGNING_KEYS", &keys)])
        .await
        .unwrap();
    let props = json!({"Name": "Signed"});
    let token = sign_properties(&key, "Custom::Hello", "Greeting", &props).unwrap();

    let e = s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": "Signed", "WardenSignature": token}),
    ));
    let (x, line) = s.send(&e, LIMIT).await.unwrap();
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "SUCCESS", "{line}");
    assert_eq!(a["Data"]["Greeting"], "Hello, Signed");
    assert_eq!(line["checks"][1]["name"], "signed-properties");
    assert_eq!(line["checks"][1]["verdict"], "pass");

    for (what, props, needle) in [
        (
            "forged",
            json!({"Name": "Mallory", "WardenSignature": token}),
            "property `Name` differs",
        ),
        (
            "unsigned",
            json!({"Name": "Signed"}),
            "no WardenSignature property",
        ),
    ] {
        let e = s.prepare(CfnEvent::create("Custom::Hello", "Greeting", props));
        let (x, line) = s.send(&e, LIMIT).await.unwrap();
        let a = x.answer().unwrap();
        assert_eq!(a["Status"], "FAILED", "{what}");
        assert_eq!(a["Reason"], cfn_warden::DENIED_REASON, "{what}");
        assert_eq!(line["decision"], "deny", "{what}");
        assert!(
            line["detail"].as_str().unwrap().contains(needle),
            "{what}: {line}"
        );
    }
    // The same token on another logical id is a replay and is refused.
    let e = s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Other",
        json!({"Name": "Signed", "WardenSignature": token}),
    ));
    let (_, line) = s.send(&e, LIMIT).await.unwrap();
    assert!(
        line["detail"]
            .as_str()
            .unwrap()
            .contains("another logical id"),
        "{line}"
    );
}
