//! `cfn/provider.yaml` as a user provider's template: clean by default, and the extension
//! point (`ExtraWorkActions`/`ExtraWorkResources`) judged like any statement.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::process::Command;

fn lint(parameters: &[&str]) -> (i32, serde_json::Value) {
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../cfn/provider.yaml");
    let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
    command.args(["lint", template, "--format", "json"]);
    for p in parameters {
        command.args(["--parameter", p]);
    }
    let out = command.output().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap(), report)
}

fn rules(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("rule"), text("logical_id"))
        })
        .collect()
}

#[test]
fn the_provider_template_is_clean_without_and_with_scoped_extra_work() {
    let (code, report) = lint(&[]);
    assert_eq!(code, 0, "{report}");
    let (code, report) = lint(&[
        "ExtraWorkActions=ssm:PutParameter,ssm:DeleteParameter",
        "ExtraWorkResources=arn:aws:ssm:us-east-1:123456789012:parameter/app/x",
    ]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn extra_work_that_widens_the_work_role_is_found_in_policy_and_boundary() {
    let (code, report) = lint(&[
        "ExtraWorkActions=iam:*",
        "ExtraWorkResources=arn:aws:iam::123456789012:role/app-*",
    ]);
    assert_eq!(code, 1, "{report}");
    let found = rules(&report);
    let wildcard: Vec<_> = found
        .iter()
        .filter(|(code, _)| code == "iam-wildcard-action")
        .collect();
    assert_eq!(wildcard.len(), 2, "{found:?}");
    assert!(wildcard.iter().any(|(_, f)| f == "WorkPolicy"));
    assert!(wildcard.iter().any(|(_, f)| f == "WorkBoundary"));
}
