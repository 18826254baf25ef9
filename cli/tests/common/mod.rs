//! What the CLI's integration tests share: running the `warden` binary and finding fixtures.
#![allow(dead_code, reason = "each test file uses only some of these helpers")]

use std::{ffi::OsStr, process::Command};

/// The function ARN the runtime's fixture events were written for.
pub(crate) const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:warden-fixture";

/// An AWS environment whose endpoint nothing listens on: a command that reached AWS would fail
/// differently from one that refused its arguments first.
pub(crate) const UNREACHABLE_AWS: [(&str, &str); 5] = [
    ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// Runs `warden` with these arguments and extra environment: (exit code, stdout, stderr).
pub(crate) fn warden_env<I, S>(args: I, env: &[(&str, &str)]) -> (i32, String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `warden` with these arguments: (exit code, stdout, stderr).
pub(crate) fn warden<I, S>(args: I) -> (i32, String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    warden_env(args, &[])
}

/// The path of one of the runtime's fixture events.
pub(crate) fn event_fixture(name: &str) -> String {
    format!(
        "{}/../runtime/tests/fixtures/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}
