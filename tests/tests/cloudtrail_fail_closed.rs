//! The `cloudtrail-invoke` check through the real binary: when CloudTrail cannot answer (here
//! moto, which does not implement CloudTrail Lake), the request is refused, not waved through.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::json;
use warden_e2e::{bin, moto::Moto, CfnEvent, Session};

#[tokio::test]
async fn an_unanswerable_cloudtrail_lookup_fails_closed() {
    let moto = Moto::start()
        .await
        .expect("moto must be installed: pip install 'moto[server]'");
    let mut env: Vec<(&str, String)> = moto.sdk_env();
    env.push((
        "WARDEN_CLOUDTRAIL_EVENT_DATA_STORE",
        "eds-0123456789".to_owned(),
    ));
    env.push((
        "WARDEN_CLOUDTRAIL_PRINCIPALS",
        "arn:aws:sts::123456789012:assumed-role/Deployer/*".to_owned(),
    ));
    env.push(("WARDEN_CLOUDTRAIL_BUDGET_SECONDS", "2".to_owned()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut s = Session::start_with_env(bin("hello-resource"), &env)
        .await
        .unwrap();
    let e = s.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": "W"}),
    ));
    let (x, line) = s.send(&e, Duration::from_secs(20)).await.unwrap();
    let a = x.answer().unwrap();
    assert_eq!(a["Status"], "FAILED");
    assert_eq!(a["Reason"], cfn_warden::DENIED_REASON);
    assert_eq!(line["checks"][1]["name"], "cloudtrail-invoke");
    assert_eq!(line["checks"][1]["verdict"], "fail");
    assert!(
        line["detail"]
            .as_str()
            .unwrap()
            .starts_with("cloudtrail-invoke: "),
        "{line}"
    );
}
