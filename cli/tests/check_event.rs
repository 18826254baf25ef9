//! `warden check-event`: outcomes, output formats and exit codes, on the runtime's fixtures.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use common::{event_fixture, warden, warden_env, FUNCTION};

/// `warden check-event` on this event file for this function, with extra arguments and
/// environment: (exit code, stdout, stderr).
fn check_event(
    path: &str,
    function: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let mut args = vec!["check-event", path, "--function-arn", function];
    args.extend_from_slice(extra);
    warden_env(args, env)
}

/// `warden check-event` on a runtime fixture for the fixtures' function, with extra arguments.
fn check(fixture: &str, extra: &[&str]) -> (i32, String, String) {
    check_event(&event_fixture(fixture), FUNCTION, extra, &[])
}

#[test]
fn a_genuine_event_is_accepted_with_exit_0() {
    let (code, out, _) = check("create.json", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("accepted: Create Greeting (Custom::Hello)"),
        "{out}"
    );
}

#[test]
fn a_forged_url_is_denied_with_exit_1_and_json_output() {
    let (code, out, _) = check("response-url-ip-literal.json", &["--format", "json"]);
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
    for (fixture, start) in [
        (
            "service-timeout-zero.json",
            "failed [bad-input]: ServiceTimeout must be between 1 and 3600",
        ),
        (
            "not-json.txt",
            "unroutable [no-envelope]: event is not JSON",
        ),
    ] {
        let (code, out, _) = check(fixture, &[]);
        assert_eq!(code, 1, "{fixture}: {out}");
        assert!(out.starts_with(start), "{fixture}: {out}");
    }
}

#[test]
fn the_wrong_function_is_denied() {
    let other = "arn:aws:lambda:us-east-1:123456789012:function:other";
    let (code, out, _) = check_event(&event_fixture("create.json"), other, &[], &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("ServiceToken does not equal the invoked function ARN"),
        "{out}"
    );
}

#[test]
fn tool_errors_are_exit_2() {
    let (code, _, err) = check_event("/nonexistent/event.json", FUNCTION, &[], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("reading /nonexistent/event.json"), "{err}");
    let (code, _, err) = check(
        "create.json",
        &["--insecure-response-url-prefix", "http://10.0.0.1/"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("loopback"), "{err}");
    let (code, _, _) = warden(["no-such-command"]);
    assert_eq!(code, 2, "clap's usage errors are exit 2 too");
}

#[test]
fn the_provider_settings_from_the_environment_apply() {
    let (code, stdout, _) = check_event(
        &event_fixture("create.json"),
        FUNCTION,
        &[],
        &[("WARDEN_MAX_EVENT_BYTES", "100")],
    );
    assert_eq!(code, 1);
    assert!(stdout.contains("over the 100-byte limit"), "{stdout}");
}
