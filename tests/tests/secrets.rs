//! No secret reaches a log: every secret the test injects is searched for in everything the
//! provider printed, at the most verbose log level.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::json;
use warden_e2e::{bin, CfnBehaviour, CfnEvent, Session};

const LIMIT: Duration = Duration::from_secs(20);

fn assert_absent(output: &str, secrets: &[String]) {
    assert!(
        !output.is_empty(),
        "nothing was captured; the test would prove nothing"
    );
    for secret in secrets {
        assert!(
            !output.contains(secret.as_str()),
            "secret `{secret}` leaked into the logs:\n{output}"
        );
    }
}

#[tokio::test]
async fn hello_never_logs_urls_signatures_or_property_values() {
    let mut s = Session::start_with_env(bin("hello-resource"), &[("WARDEN_LOG", "trace")])
        .await
        .unwrap();
    let mut secrets = Vec::new();

    // A normal Create whose Name is a NoEcho parameter in the template.
    let name = "noecho-name-51d2e8";
    let e = s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": name}),
    ));
    secrets.extend([e.signature().to_owned(), e.response_url(), name.to_owned()]);
    let (x, _) = s.send(&e, LIMIT).await.unwrap();
    assert_eq!(
        x.answer().unwrap()["Data"]["Greeting"],
        format!("Hello, {name}"),
        "the secret did reach CloudFormation"
    );

    // A retried PUT (500 then 200): the URL is used twice and logged never.
    s.lambda.script_cfn(&[CfnBehaviour::Status(500)]);
    let e = s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": "retry"}),
    ));
    secrets.extend([e.signature().to_owned(), e.response_url()]);
    s.send(&e, LIMIT).await.unwrap();

    // A property of the wrong type whose value is secret: the reason names the path only.
    let value = "noecho-wrong-type-77ac";
    let e = s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": {"Nested": value}}),
    ));
    secrets.push(value.to_owned());
    let (x, _) = s.send(&e, LIMIT).await.unwrap();
    let reason = x.answer().unwrap()["Reason"].as_str().unwrap().to_owned();
    assert!(!reason.contains(value), "{reason}");

    // A forged event: denied, and its URL is not echoed either.
    let forged = e.clone().field(
        "ResponseURL",
        json!("https://evil.example.com/steal?X-Amz-Signature=forged-sig-0c1d"),
    );
    secrets.push("forged-sig-0c1d".to_owned());
    s.send_raw(forged.to_bytes(), LIMIT).await.unwrap();

    assert_absent(&s.provider.all_output(), &secrets);
}

#[tokio::test]
async fn faulty_never_logs_panic_payloads_or_enum_values() {
    let mut s = Session::start_with_env(bin("faulty-resource"), &[("WARDEN_LOG", "trace")])
        .await
        .unwrap();
    let secrets = vec![
        "panic-secret-9e0f".to_owned(),
        "mode-secret-3b4c".to_owned(),
        "data-secret-61af".to_owned(),
    ];
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "T",
        json!({"Mode": "panic", "Message": secrets[0]}),
    ));
    s.send(&e, LIMIT).await.unwrap();
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "T",
        json!({"Mode": secrets[1]}),
    ));
    let (x, _) = s.send(&e, LIMIT).await.unwrap();
    let reason = x.answer().unwrap()["Reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("unknown variant, expected one of"),
        "{reason}"
    );
    assert!(!reason.contains(&secrets[1]), "{reason}");
    // Secret Data reaches CloudFormation with NoEcho, and nothing else.
    let e = s.prepare(CfnEvent::create(
        "Custom::Faulty",
        "T",
        json!({"Mode": "secret-data", "Message": secrets[2]}),
    ));
    let (x, _) = s.send(&e, LIMIT).await.unwrap();
    let a = x.answer().unwrap();
    assert_eq!(a["NoEcho"], true);
    assert_eq!(a["Data"]["Message"], secrets[2].as_str());
    assert_absent(&s.provider.all_output(), &secrets);
}
