//! `warden scan` against a moto account filled by `tests/fixtures/scan_account.py`: every rule
//! fires on the function built to trip it and on no other, the function made by CloudFormation
//! is clean, secret values are never printed, and the output formats and exit codes hold.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::collections::BTreeSet;

use serde_json::Value;
use warden_e2e::{binary_path, moto::Moto};

async fn scan(moto: &Moto, args: &[&str]) -> (i32, String, String) {
    let args: Vec<&str> = std::iter::once("scan")
        .chain(args.iter().copied())
        .collect();
    moto.warden(&args, &[("AWS_MAX_ATTEMPTS", "1")])
        .await
        .unwrap()
}

/// (function name, rule) of every finding.
fn hits(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["logical_id"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn scan_finds_each_problem_where_it_is_and_nowhere_else() {
    let moto = Moto::start().await.expect("moto must be installed");
    let python = std::env::var("WARDEN_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let setup = tokio::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/scan_account.py"
        ))
        .arg(moto.endpoint())
        .output()
        .await
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );

    let (code, out, err) = scan(&moto, &["--format", "json"]).await;
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["functions"].as_array().unwrap().len(), 5, "{out}");
    let expected: BTreeSet<(String, String)> = [
        ("shared-a", "function-not-from-cloudformation"),
        ("shared-b", "function-not-from-cloudformation"),
        ("wild-fn", "function-not-from-cloudformation"),
        ("public-fn", "function-not-from-cloudformation"),
        ("shared-a", "shared-execution-role"),
        ("shared-b", "shared-execution-role"),
        ("wild-fn", "iam-wildcard-action"),
        ("public-fn", "lambda-permission-public"),
        ("public-fn", "function-url-auth-none"),
        ("public-fn", "secret-like-environment"),
        ("public-fn", "event-source-latest"),
        ("public-fn", "multiple-event-triggers"),
    ]
    .iter()
    .map(|(f, r)| ((*f).to_owned(), (*r).to_owned()))
    .collect();
    assert_eq!(hits(&report), expected);
    assert!(
        !out.contains("scan-canary-value-7d41"),
        "a secret value was printed"
    );

    // --require-vpc adds exactly one finding per function, the clean one included.
    let (_, out, _) = scan(&moto, &["--format", "json", "--require-vpc"]).await;
    let with_vpc = hits(&serde_json::from_str(&out).unwrap());
    let added: Vec<_> = with_vpc.difference(&expected).collect();
    assert_eq!(added.len(), 5, "{added:?}");
    assert!(added.iter().all(|(_, r)| r == "function-outside-vpc"));
    assert!(with_vpc.contains(&("clean-fn".to_owned(), "function-outside-vpc".to_owned())));

    // SARIF 2.1.0 with the scan's rules; locations are function ARNs without a line.
    let (_, out, _) = scan(&moto, &["--format", "sarif"]).await;
    let sarif: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 9);
    let result = &sarif["runs"][0]["results"][0];
    assert!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:lambda:")
    );
    assert!(result["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());

    // JUnit: one case per rule and function.
    let (_, out, _) = scan(&moto, &["--format", "junit"]).await;
    assert!(
        out.contains("<testsuite name=\"warden scan\" tests=\"45\""),
        "{out}"
    );

    // Text, and the exit-code table: 1 at or above --fail-on, 0 below it, 2 on failure.
    let (code, out, _) = scan(&moto, &[]).await;
    assert_eq!(code, 1);
    assert!(
        out.contains("public-fn: High function-url-auth-none"),
        "{out}"
    );
    assert!(out.ends_with("12 finding(s)\n"), "{out}");
    let (code, _, _) = scan(&moto, &["--fail-on", "high"]).await;
    assert_eq!(code, 1, "there are High findings");
    let clean = Moto::start().await.unwrap();
    let (code, out, err) = scan(&clean, &[]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("0 finding(s)\n"));
    drop(clean);
    let mut command = tokio::process::Command::new(binary_path("warden").unwrap());
    let out = command
        .args(["scan"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lambda:ListFunctions"));
}
