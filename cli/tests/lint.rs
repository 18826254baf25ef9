//! `warden lint`: per rule a true-positive and a false-positive template, UNKNOWN results,
//! suppressions, SARIF shape, exit codes.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::process::Command;

use serde_json::Value;

const RULES: &[&str] = &[
    "custom-resource-unsigned",
    "service-token-unqualified",
    "lambda-permission-public",
    "function-url-auth-none",
    "iam-wildcard-action",
    "iam-passrole-wildcard",
    "role-without-boundary",
    "suppression-without-reason",
    "shared-execution-role",
    "multiple-event-triggers",
    "wildcard-in-arn",
    "provider-escalation",
    "invoke-policy-overwritten",
    "secret-like-environment",
    "passrole-non-role-resource",
];

fn fixture(rule: &str, kind: &str) -> String {
    format!(
        "{}/tests/fixtures/lint/{rule}/{kind}.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn lint(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("lint")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn findings(path: &str) -> Vec<Value> {
    let (_, out, err) = lint(&[path, "--format", "json"]);
    let report: Value =
        serde_json::from_str(&out).unwrap_or_else(|_| panic!("{path}: {out} {err}"));
    report["findings"].as_array().unwrap().clone()
}

#[test]
fn every_rule_fires_on_its_true_positive_and_not_on_its_false_positive() {
    for rule in RULES {
        let tp = findings(&fixture(rule, "tp"));
        assert!(
            tp.iter()
                .any(|f| f["rule"] == *rule && f["status"] == "fail"),
            "{rule}: {tp:?}"
        );
        let fp = findings(&fixture(rule, "fp"));
        assert!(
            !fp.iter().any(|f| f["rule"] == *rule),
            "{rule} fired on its false positive: {fp:?}"
        );
    }
}

#[test]
fn parameter_defaults_are_resolved_and_unresolvable_values_are_unknown() {
    // The PassRole fixture's Resource is a Ref to a parameter whose default is a pattern.
    let tp = findings(&fixture("iam-passrole-wildcard", "tp"));
    let hit = tp
        .iter()
        .find(|f| f["rule"] == "iam-passrole-wildcard")
        .unwrap();
    assert!(hit["message"].as_str().unwrap().contains("role/*"), "{hit}");
    let dir = std::env::temp_dir().join(format!("warden-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("unknown.yaml");
    std::fs::write(&path, "Resources:\n  Open:\n    Type: AWS::Lambda::Permission\n    Properties:\n      FunctionName: p\n      Action: lambda:InvokeFunction\n      Principal: !ImportValue SharedPrincipal\n").unwrap();
    let found = findings(path.to_str().unwrap());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["status"], "unknown");
    assert_eq!(found[0]["line"], 2);
    assert_eq!(found[0]["logical_id"], "Open");
}

#[test]
fn sarif_text_and_exit_codes() {
    let tp = fixture("lambda-permission-public", "tp");
    let (code, out, _) = lint(&[&tp, "--format", "sarif"]);
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "lambda-permission-public");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["name"],
        "Open"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    // Every rule the tool knows has its TP/FP fixtures in this file's table.
    let known: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(known, RULES);

    let (code, out, _) = lint(&[&tp]);
    assert_eq!(code, 1);
    assert!(
        out.contains(":2: High lambda-permission-public [Open]"),
        "{out}"
    );
    // Exit-code table: findings below --fail-on do not fail; a clean template exits 0; a broken
    // one exits 2.
    let low = fixture("role-without-boundary", "tp");
    assert_eq!(lint(&[&low, "--fail-on", "high"]).0, 0);
    assert_eq!(lint(&[&low, "--fail-on", "low"]).0, 1);
    assert_eq!(lint(&[&fixture("role-without-boundary", "fp")]).0, 0);
    let dir = std::env::temp_dir().join(format!("warden-lint-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "Resources: [").unwrap();
    let (code, _, err) = lint(&[broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("broken.yaml: error: line") && err.contains("1 of 1 template(s)"),
        "{err}"
    );
    assert_eq!(lint(&["/nonexistent.yaml"]).0, 2);
}

#[test]
fn junit_lists_a_case_per_rule_and_file() {
    let tp = fixture("shared-execution-role", "tp");
    let (code, out, _) = lint(&[&tp, "--format", "junit"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("<?xml"), "{out}");
    assert!(
        out.contains(&format!("tests=\"{}\" failures=\"1\"", RULES.len())),
        "{out}"
    );
    assert!(
        out.contains("name=\"shared-execution-role\"><failure message=\"2 finding(s)\""),
        "{out}"
    );
    assert!(out.contains("shares its role with Second"), "{out}");
}

/// The JSON and SARIF reports for every true-positive fixture, compared with the committed
/// snapshots in `tests/fixtures/lint/snapshots/` (paths relative to the crate, so the output
/// is the same on any machine). `WARDEN_UPDATE_SNAPSHOTS=1` rewrites them after a deliberate
/// change; review the diff.
#[test]
fn json_and_sarif_reports_match_their_snapshots() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<String> = RULES
        .iter()
        .map(|rule| format!("tests/fixtures/lint/{rule}/tp.yaml"))
        .collect();
    files.sort();
    for format in ["json", "sarif"] {
        let out = Command::new(env!("CARGO_BIN_EXE_warden"))
            .current_dir(dir)
            .arg("lint")
            .args(&files)
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "findings expected");
        // Keys sorted and pretty-printed, so a snapshot diff reads line by line whatever
        // serde_json's map order in this build (workspace feature unification can turn on
        // `preserve_order`).
        let report = sorted(&serde_json::from_slice(&out.stdout).unwrap());
        let text = format!("{}\n", serde_json::to_string_pretty(&report).unwrap());
        let path = format!("{dir}/tests/fixtures/lint/snapshots/report.{format}");
        if std::env::var_os("WARDEN_UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(format!("{dir}/tests/fixtures/lint/snapshots")).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{path} is missing: run with WARDEN_UPDATE_SNAPSHOTS=1"));
        let expected: Value = serde_json::from_str(&expected).unwrap();
        assert!(
            report == expected,
            "{format} report differs from {path}; if the change is deliberate, rerun with \
             WARDEN_UPDATE_SNAPSHOTS=1 and review the diff"
        );
    }
}

/// `value` with every object's keys in sorted order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// An info finding is reported in every format but never fails the run: exit code 0, SARIF
/// level `note`, JUnit `<system-out>` instead of a failure.
#[test]
fn info_findings_never_change_the_exit_code() {
    let tp = fixture("passrole-non-role-resource", "tp");
    let (code, out, _) = lint(&[&tp]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(": Info passrole-non-role-resource [Policy]"),
        "{out}"
    );
    let (code, out, _) = lint(&[&tp, "--format", "json"]);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["severity"], "info");
    let (code, out, _) = lint(&[&tp, "--format", "sarif"]);
    assert_eq!(code, 0);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "note");
    let (code, out, _) = lint(&[&tp, "--format", "junit"]);
    assert_eq!(code, 0);
    assert!(out.contains("failures=\"0\""), "{out}");
    assert!(
        out.contains("name=\"passrole-non-role-resource\"><system-out>"),
        "{out}"
    );
    // `--fail-on` starts at low: info cannot be asked to fail the run.
    assert_eq!(lint(&[&tp, "--fail-on", "info"]).0, 2);
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("warden-lint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One unparseable template among several: its own error (JSON `errors`, SARIF notification,
/// JUnit `<error>`, a line on stderr), the others linted and reported, exit code 2 whatever
/// their findings.
#[test]
fn an_unparseable_template_does_not_stop_the_others() {
    let dir = scratch("several");
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "Resources:\n  A: [\n").unwrap();
    let tp = fixture("lambda-permission-public", "tp");
    let fp = fixture("role-without-boundary", "fp");
    let (code, out, err) = lint(&[&tp, broken.to_str().unwrap(), &fp, "--format", "json"]);
    assert_eq!(code, 2, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "lambda-permission-public"),
        "{report}"
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(errors[0]["file"], broken.to_str().unwrap());
    assert!(errors[0]["line"].as_u64().unwrap() >= 2, "{report}");
    assert!(
        err.contains("1 of 3 template(s) could not be linted"),
        "{err}"
    );
    // Without findings the exit code is still 2.
    assert_eq!(lint(&[&fp, broken.to_str().unwrap()]).0, 2);
    let (_, out, _) = lint(&[&tp, broken.to_str().unwrap(), "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["level"],
        "error"
    );
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "lambda-permission-public"
    );
    let (_, out, _) = lint(&[&tp, broken.to_str().unwrap(), "--format", "junit"]);
    assert!(
        out.contains("errors=\"1\"") && out.contains("<error message=\"not linted\">"),
        "{out}"
    );
    // A clean run reports no errors and succeeds.
    let (code, out, _) = lint(&[&fp, "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["errors"],
        serde_json::json!([])
    );
}

/// A directory argument lints every template under it, and only templates.
#[test]
fn a_directory_lints_every_template_under_it() {
    let dir = scratch("directory");
    std::fs::create_dir_all(dir.join("stack/nested")).unwrap();
    std::fs::copy(
        fixture("lambda-permission-public", "tp"),
        dir.join("stack/a.yaml"),
    )
    .unwrap();
    std::fs::copy(
        fixture("function-url-auth-none", "tp"),
        dir.join("stack/nested/b.yml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("stack/buildspec.yml"),
        "version: 0.2\nphases: {install: [}\n",
    )
    .unwrap();
    let (code, out, err) = lint(&[dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let mut files: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    files.dedup();
    assert_eq!(
        files,
        [
            dir.join("stack/a.yaml").to_str().unwrap(),
            dir.join("stack/nested/b.yml").to_str().unwrap()
        ]
    );
}

/// `--parameter K=V` and `--parameters FILE` replace defaults; `--parameter` wins.
#[test]
fn parameter_values_replace_defaults() {
    let dir = scratch("parameters");
    let template = dir.join("t.yaml");
    std::fs::write(
        &template,
        "Parameters:\n  Target: {Type: String, Default: \"arn:aws:iam::123456789012:role/app\"}\nResources:\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: p\n      PolicyDocument:\n        Statement:\n          - {Effect: Allow, Action: iam:PassRole, Resource: !Ref Target}\n",
    )
    .unwrap();
    let t = template.to_str().unwrap();
    let passrole = |args: &[&str]| {
        let (_, out, err) = lint(&[&[t, "--format", "json"], args].concat());
        let report: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "iam-passrole-wildcard")
    };
    assert!(!passrole(&[]));
    assert!(passrole(&[
        "--parameter",
        "Target=arn:aws:iam::123456789012:role/*"
    ]));
    let file = dir.join("params.json");
    std::fs::write(
        &file,
        r#"[{"ParameterKey": "Target", "ParameterValue": "arn:aws:iam::123456789012:role/*"}]"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    assert!(passrole(&["--parameters", f]));
    assert!(!passrole(&[
        "--parameters",
        f,
        "--parameter",
        "Target=arn:aws:iam::123456789012:role/app"
    ]));
    std::fs::write(&file, "{").unwrap();
    let (code, _, err) = lint(&[t, "--parameters", f]);
    assert_eq!(code, 2);
    assert!(err.contains("not JSON"), "{err}");
}
