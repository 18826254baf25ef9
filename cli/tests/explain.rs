//! `warden explain` on the shipped templates (cfn/) and on a classic provider: what each
//! principal may do, decided by the local IAM evaluator.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use common::warden;
use serde_json::Value;

fn repo(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn explain(args: &[&str]) -> Value {
    let mut all = vec!["explain".to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    all.extend(["--format".to_owned(), "json".to_owned()]);
    let (code, out, err) = warden(&all);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn principal<'a>(provider: &'a Value, kind: &str) -> &'a Value {
    provider["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {provider:#}"))
}

fn check<'a>(principal: &'a Value, action: &str, resource_part: &str) -> &'a Value {
    principal["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == action && c["resource"].as_str().unwrap().contains(resource_part))
        .unwrap_or_else(|| panic!("no check {action} {resource_part} in {principal:#}"))
}

fn probes_allowed(principal: &Value) -> Vec<String> {
    principal["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["probe"] == true && c["decision"] == "allowed")
        .map(|c| format!("{} {}", c["action"], c["resource"]))
        .collect()
}

#[test]
fn every_template_in_cfn_is_explained() {
    let mut templates = Vec::new();
    for dir in ["cfn", "cfn/examples"] {
        for entry in std::fs::read_dir(repo(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                templates.push(path.display().to_string());
            }
        }
    }
    assert!(templates.len() >= 4, "{templates:?}");
    let provider = repo("cfn/provider.yaml");
    for t in &templates {
        let alone = explain(&[t]);
        assert_eq!(alone["template"], t.as_str());
        let with = explain(&[t, "--provider", &provider]);
        let explained = with["resources"].as_array().unwrap().len()
            + with["providers"].as_array().unwrap().len();
        assert!(explained > 0, "{t}: {with:#}");
        let (code, text, err) = warden(["explain", t.as_str(), "--provider", &provider]);
        assert_eq!(code, 0, "{err}");
        assert!(text.contains("provider role: ProviderRole"), "{text}");
    }
}

#[test]
fn a_shipped_resource_in_ticket_mode_gets_exactly_its_declaration() {
    let e = explain(&[
        &repo("cfn/examples/multi-file-function.yaml"),
        "--provider",
        &repo("cfn/provider.yaml"),
    ]);
    let resource = &e["resources"][0];
    assert_eq!(resource["resource_type"], "Custom::MultiFileFunction");
    assert!(
        resource["note"].as_str().unwrap().contains("deploy time"),
        "{resource:#}"
    );
    let provider = &resource["provider"];
    assert_eq!(provider["credentials"], "ticket");
    let kinds: Vec<&str> = provider["principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["provider role", "ticket role", "work session"]);

    let own = principal(provider, "provider role");
    assert_eq!(probes_allowed(own), Vec::<String>::new());
    let decrypt = check(own, "kms:Decrypt", "key/TicketKey");
    assert_eq!(decrypt["decision"], "unknown");
    assert!(decrypt["why"]
        .as_str()
        .unwrap()
        .contains("kms:EncryptionContext:purpose"));

    let ticket = principal(provider, "ticket role");
    assert_eq!(
        check(ticket, "sts:AssumeRole", "role/cfn-warden-provider-work")["decision"],
        "allowed"
    );
    assert_eq!(probes_allowed(ticket), Vec::<String>::new());

    let work = principal(provider, "work session");
    assert_eq!(work["boundary"], "WorkBoundary");
    let declared = work["session_policy"].to_string();
    assert!(declared.contains("function:app-hello"), "{declared}");
    for c in work["checks"].as_array().unwrap() {
        let expected = if c["probe"] == true {
            "denied"
        } else {
            "allowed"
        };
        assert_eq!(c["decision"], expected, "{c:#}");
    }
    let pass = check(work, "iam:PassRole", "role/app-hello-function");
    assert_eq!(
        pass["context"]["iam:PassedToService"],
        "lambda.amazonaws.com"
    );
    let itself = check(
        work,
        "lambda:UpdateFunctionCode",
        "function:cfn-warden-provider",
    );
    assert!(
        itself["why"]
            .as_str()
            .unwrap()
            .contains("NeverTheProviderItself"),
        "{itself:#}"
    );
}

#[test]
fn a_layer_declares_its_layer_only() {
    let e = explain(&[
        &repo("cfn/examples/pip-layer.yaml"),
        "--provider",
        &repo("cfn/provider.yaml"),
    ]);
    for resource in e["resources"].as_array().unwrap() {
        let work = principal(&resource["provider"], "work session");
        let c = check(work, "lambda:PublishLayerVersion", ":layer:");
        assert_eq!(c["decision"], "allowed", "{c:#}");
        assert_eq!(probes_allowed(work), Vec::<String>::new());
    }
}

#[test]
fn the_provider_template_alone_shows_the_ceiling_and_its_extension_point() {
    let provider = repo("cfn/provider.yaml");
    let e = explain(&[&provider]);
    let p = &e["providers"][0];
    let work = principal(p, "work session");
    assert!(work["session_policy"].is_null());
    assert_eq!(
        check(work, "lambda:CreateFunction", "function:app-x")["decision"],
        "allowed"
    );
    assert!(!work["checks"].to_string().contains("ssm:PutParameter"));

    let e = explain(&[
        &provider,
        "--parameter",
        "ExtraWorkActions=ssm:PutParameter",
        "--parameter",
        "ExtraWorkResources=arn:aws:ssm:us-east-1:111122223333:parameter/app/*",
        "--account",
        "111122223333",
    ]);
    let work = principal(&e["providers"][0], "work session");
    assert_eq!(
        check(work, "ssm:PutParameter", "parameter/app/x")["decision"],
        "allowed"
    );
}

#[test]
fn a_classic_provider_shows_what_any_invoker_gets() {
    let e = explain(&[&repo("cli/tests/fixtures/explain/classic-provider.yaml")]);
    let provider = &e["resources"][0]["provider"];
    assert_eq!(provider["credentials"], "provider-role");
    let own = principal(provider, "provider role");
    let allowed = probes_allowed(own);
    for expected in [
        "iam:PassRole",
        "lambda:CreateFunction",
        "lambda:UpdateFunctionCode",
    ] {
        assert!(allowed.iter().any(|a| a.contains(expected)), "{allowed:?}");
    }
    // A managed policy from outside the template: what it might allow is unknown, not denied.
    let create_role = check(own, "iam:CreateRole", "role/any-role");
    assert_eq!(create_role["decision"], "unknown");
    assert!(create_role["why"].as_str().unwrap().contains("team-extra"));
    assert!(own["notes"].to_string().contains("provider-role"));
}

#[test]
fn an_unknown_provider_is_said_and_a_bad_template_exits_2() {
    let e = explain(&[&repo("cfn/examples/pip-layer.yaml")]);
    let note = e["resources"][0]["note"].as_str().unwrap();
    assert!(note.contains("--provider"), "{note}");
    assert!(e["resources"][0]["provider"].is_null());

    let provider = repo("cfn/provider.yaml");
    let (code, _, err) = warden([
        "explain",
        provider.as_str(),
        "--provider",
        provider.as_str(),
        "--provider-parameter",
        "no-equals-sign",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-equals-sign"), "{err}");
    let (code, _, err) = warden([
        "explain",
        provider.as_str(),
        "--provider",
        "no/such/provider.yaml",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no/such/provider.yaml"), "{err}");
    let (code, _, err) = warden(["explain", "no/such/template.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no/such/template.yaml"), "{err}");
    let bad = std::env::temp_dir().join(format!("explain-bad-{}.yaml", std::process::id()));
    std::fs::write(&bad, "Resources: [unclosed").unwrap();
    let (code, _, err) = warden(["explain", bad.to_str().unwrap()]);
    std::fs::remove_file(&bad).unwrap();
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_sam_provider_is_judged_by_the_role_sam_makes() {
    let e = explain(&[&repo("cli/tests/fixtures/explain/sam-provider.yaml")]);
    let provider = &e["resources"][0]["provider"];
    let own = principal(provider, "provider role");
    assert_eq!(own["role"], "ProviderRole");
    assert_eq!(own["boundary"], "Boundary");
    let policies = own["policies"].to_string();
    assert!(
        policies.contains("AWSLambdaBasicExecutionRole"),
        "{policies}"
    );
    assert!(policies.contains("AWSLambda_FullAccess"), "{policies}");
    assert!(own["notes"].to_string().contains("S3ReadPolicy"));
    assert_eq!(
        check(own, "ssm:GetParameter", "parameter/app/x")["decision"],
        "allowed"
    );
    assert_eq!(
        check(own, "lambda:CreateFunction", "function:any-function")["decision"],
        "allowed"
    );
    // AWSLambda_FullAccess passes roles; the boundary does not let it.
    let pass = check(own, "iam:PassRole", "role/any-role");
    assert_eq!(pass["decision"], "denied", "{pass:#}");
    assert!(
        pass["why"].as_str().unwrap().contains("boundary"),
        "{pass:#}"
    );
}
