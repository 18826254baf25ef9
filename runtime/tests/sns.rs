//! SNS-backed custom resources, screened as the runtime screens them: real notifications
//! (published by others, see each fixture's `_source`) are accepted when their topic is on
//! `WARDEN_SNS_TOPICS` and refused otherwise; forged wrappings are refused without a PUT.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use cfn_warden::{
    verify::{consistency::ConsistencyPolicy, screen, Screening},
    Config,
};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/sns/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn topics(list: &[&str]) -> ConsistencyPolicy {
    Config::builder()
        .sns_topics(list.iter().copied())
        .build()
        .unwrap()
        .consistency()
        .clone()
}

/// The outcome of screening: `Ok(stack id)` or `Err(denial or unroutable error)`.
fn outcome(event: &Value, function: &str, policy: &ConsistencyPolicy) -> Result<String, String> {
    let bytes = serde_json::to_vec(event).unwrap();
    match screen(&bytes, function, policy, 1 << 20) {
        Screening::Accepted { request, check } => {
            assert_eq!(check.evidence["delivery"], "sns");
            Ok(request.stack().as_str().to_owned())
        }
        Screening::Denied { denial, .. } => Err(denial.detail.into_owned()),
        Screening::Unroutable(e) => Err(e.to_string()),
        other => panic!("unexpected {other:?}"),
    }
}

/// (fixture, the topic that delivered it, a function in the topic's account and region)
const REAL: [(&str, &str, &str); 3] = [
    (
        "opsee-create-us-west-2.json",
        "arn:aws:sns:us-west-2:933693344490:opsee-cfn-callback",
        "arn:aws:lambda:us-west-2:933693344490:function:cfn-callback",
    ),
    (
        "empire-create-us-east-1.json",
        "arn:aws:sns:us-east-1:066251891493:empire-e01a8fac-CustomResourcesTopic-9KHPNW7WFKBD",
        "arn:aws:lambda:us-east-1:066251891493:function:empire-custom-resources",
    ),
    (
        "cn-north-1-create.json",
        "arn:aws-cn:sns:cn-north-1:296259413523:gp2-topic",
        "arn:aws-cn:lambda:cn-north-1:296259413523:function:gp2",
    ),
];

#[test]
fn real_sns_deliveries_are_accepted_when_their_topic_is_allowed() {
    for (file, topic, function) in REAL {
        let event = fixture(file);
        let stack =
            outcome(&event, function, &topics(&[topic])).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(stack.contains(":stack/"), "{file}");
    }
}

#[test]
fn sns_delivery_is_off_by_default_and_limited_to_the_listed_topics() {
    for (file, topic, function) in REAL {
        let event = fixture(file);
        let err = outcome(&event, function, &ConsistencyPolicy::default()).unwrap_err();
        assert!(
            err.contains("WARDEN_SNS_TOPICS is not set"),
            "{file}: {err}"
        );
        let other = topic.rsplit_once(':').unwrap().0.to_owned() + ":another-topic";
        let err = outcome(&event, function, &topics(&[&other])).unwrap_err();
        assert!(err.contains("not on WARDEN_SNS_TOPICS"), "{file}: {err}");
    }
}

#[test]
fn forged_wrappings_are_refused() {
    let (file, topic, function) = REAL[0];
    let event = fixture(file);
    let allowed = topics(&[topic, "arn:aws:sns:us-west-2:933693344490:second"]);

    // The envelope names another allowed topic than the request's ServiceToken.
    let mut swapped = event.clone();
    swapped["Records"][0]["Sns"]["TopicArn"] = "arn:aws:sns:us-west-2:933693344490:second".into();
    let err = outcome(&swapped, function, &allowed).unwrap_err();
    assert!(
        err.contains("ServiceToken does not equal the SNS topic"),
        "{err}"
    );

    // The request unwrapped and invoked directly: its ServiceToken is not the function.
    let request: Value =
        serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    let err = outcome(&request, function, &allowed).unwrap_err();
    assert!(
        err.contains("ServiceToken does not equal the invoked function ARN"),
        "{err}"
    );

    // A stack in another region than the topic, or in another account (not allowed).
    let message = event["Records"][0]["Sns"]["Message"].as_str().unwrap();
    for (from, to, needle) in [
        (
            "us-west-2:933693344490:stack",
            "us-east-1:933693344490:stack",
            "region differs from the SNS topic's",
        ),
        (
            "us-west-2:933693344490:stack",
            "us-west-2:111122223333:stack",
            "account differs",
        ),
    ] {
        let mut moved = event.clone();
        moved["Records"][0]["Sns"]["Message"] = message.replace(from, to).into();
        let err = outcome(&moved, function, &allowed).unwrap_err();
        assert!(err.contains(needle), "{needle}: {err}");
    }

    // Malformed notifications: nothing can be answered.
    for (path, value, needle) in [
        ("EventSource", Value::from("aws:sqs"), "EventSource"),
        ("Sns", Value::from("x"), "no Sns object"),
    ] {
        let mut bad = event.clone();
        bad["Records"][0][path] = value;
        let err = outcome(&bad, function, &allowed).unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
    let mut not_json = event.clone();
    not_json["Records"][0]["Sns"]["Message"] = "{not json".into();
    let err = outcome(&not_json, function, &allowed).unwrap_err();
    assert!(err.contains("Sns.Message is not JSON"), "{err}");
}
