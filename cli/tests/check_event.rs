//! `warden check-event`: outcomes, output formats and exit codes, on the runtime's fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a panic is how a test fails"
)]

use std::process::Command;

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:warden-fixture";

fn fixture(name: &str) -> String {
    format!(
        "{}/../runtime/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn warden(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_genuine_event_is_accepted_with_exit_0() {
    let (code, out, _) = warden(&[
        "check-event",
        &fixture("create.json"),
        "--function-arn",
        FUNCTION,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("accepted: Create Greeting (Custom::Hello)"),
        "{out}"
    );
}

#[test]
fn a_forged_url_is_denied_with_exit_1_and_json_output() {
    let (code, out, _) = warden(&[
        "check-event",
        &fixture("response-url-ip-literal.json"),
        "--function-arn",
        FUNCTION,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outcome"], "denied");
    assert_eq!(v["code"], "request-consistency");
    assert!(v["message"].as_str().unwrap().contains("IP address"));
    assert!(
        !out.contains("Signature"),
        "the report must not echo the presigned URL: {out}"
    );
}

#[test]
fn bad_input_and_unroutable_are_exit_1() {
    let (code, out, _) = warden(&[
        "check-event",
        &fixture("service-timeout-zero.json"),
        "--function-arn",
        FUNCTION,
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("failed [bad-input]: ServiceTimeout must be between 1 and 3600"),
        "{out}"
    );
    let (code, out, _) = warden(&[
        "check-event",
        &fixture("not-json.txt"),
        "--function-arn",
        FUNCTION,
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("unroutable [no-envelope]: event is not JSON"),
        "{out}"
    );
}

#[test]
fn the_wrong_function_is_denied() {
    let other = "arn:aws:lambda:us-east-1:123456789012:function:other";
    let (code, out, _) = warden(&[
        "check-event",
        &fixture("create.json"),
        "--function-arn",
        other,
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("ServiceToken does not equal the invoked function ARN"),
        "{out}"
    );
}

#[test]
fn tool_errors_are_exit_2() {
    let (code, _, err) = warden(&[
        "check-event",
        "/nonexistent/event.json",
        "--function-arn",
        FUNCTION,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("reading /nonexistent/event.json"), "{err}");
    let (code, _, err) = warden(&[
        "check-event",
        &fixture("create.json"),
        "--function-arn",
        FUNCTION,
        "--insecure-response-url-prefix",
        "http://10.0.0.1/",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("loopback"), "{err}");
    let (code, _, _) = warden(&["no-such-command"]);
    assert_eq!(code, 2, "clap's usage errors are exit 2 too");
}

#[test]
fn the_provider_settings_from_the_environment_apply() {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "check-event",
            &fixture("create.json"),
            "--function-arn",
            FUNCTION,
        ])
        .env("WARDEN_MAX_EVENT_BYTES", "100")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("over the 100-byte limit"), "{stdout}");
}
