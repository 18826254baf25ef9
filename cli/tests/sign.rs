//! `warden keygen` + `warden sign`, checked by the provider's own verifier on the event that
//! CloudFormation would send for the signed template.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

use cfn_warden::{
    protocol::{CfnRequest, Envelope},
    verify::signed::{KeyRing, SignatureVerifier},
};
use common::{warden, warden_env, UNREACHABLE_AWS};
use serde_json::{json, Value};

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/prod-app/6b2bd1a0-8f1c-11ef-9c3d-0a1b2c3d4e5f";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("warden-sign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `warden keygen --kid deploy-1` into this directory.
fn run_keygen(dir: &Path) -> (i32, String, String) {
    warden([
        "keygen",
        "--kid",
        "deploy-1",
        "--dir",
        dir.to_str().unwrap(),
    ])
}

fn keygen(dir: &Path) -> (PathBuf, KeyRing) {
    let (code, out, err) = run_keygen(dir);
    assert_eq!(code, 0, "{err}");
    (
        dir.join("deploy-1.pk8"),
        KeyRing::from_json(out.trim()).unwrap(),
    )
}

/// `warden sign` of this template (a path, or any argument) with this key for these stacks,
/// with extra arguments: (exit code, stdout, stderr).
fn sign(
    template: impl AsRef<Path>,
    key: &Path,
    stack: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let mut args = vec![
        "sign",
        template.as_ref().to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        stack,
    ];
    args.extend_from_slice(extra);
    warden(args)
}

fn verifier(ring: KeyRing) -> SignatureVerifier {
    SignatureVerifier::builder().keys(ring).build().unwrap()
}

/// The properties CloudFormation delivers for a `Greeting` named `World` signed with `token`.
fn delivered(token: &str) -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
        "Name": "World",
        "WardenSignature": token,
    })
}

/// Whether the verifier accepts the event delivering these properties now.
fn accepts(verifier: &SignatureVerifier, properties: Value) -> bool {
    verifier
        .check(&event(properties), SystemTime::now())
        .is_ok()
}

/// The event CloudFormation would send for `Greeting` with these resolved properties.
fn event(properties: Value) -> CfnRequest {
    let value = json!({
        "RequestType": "Create",
        "ResponseURL": "https://example.invalid/x",
        "StackId": STACK,
        "RequestId": "5d5c1e3a-2b6f-4a8e-9c1d-0e2f3a4b5c6d",
        "ResourceType": "Custom::Hello",
        "LogicalResourceId": "Greeting",
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
        "ResourceProperties": properties,
    });
    CfnRequest::from_value(&value, Envelope::from_value(&value).unwrap()).unwrap()
}

fn token_of(signed: &str) -> String {
    let line = signed
        .lines()
        .find(|l| l.contains("WardenSignature"))
        .unwrap();
    line.split('"')
        .find(|p| p.starts_with("warden-sig-v1."))
        .unwrap()
        .to_owned()
}

const YAML: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  # The greeting, signed.
  Greeting:
    Type: Custom::Hello
    Properties:
      ServiceToken: !GetAtt Provider.Arn
      Name: World   # trailing comment
      Count: 5
      RoleArn: !GetAtt AppRole.Arn
  Bucket:
    Type: AWS::S3::Bucket
"#;

#[test]
fn yaml_is_signed_in_place_and_verifies_on_the_delivered_event() {
    let dir = scratch("yaml");
    let (key, ring) = keygen(&dir);
    let template = dir.join("t.yaml");
    std::fs::write(&template, YAML).unwrap();
    let (code, signed, err) = sign(
        &template,
        &key,
        "prod-*",
        &["--pattern", r"RoleArn=arn:aws:iam::\d{12}:role/app-.*"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("signed Greeting: 2 literal, 1 dynamic properties"),
        "{err}"
    );
    // Only one line was added, at the properties' indentation; comments and the rest stay.
    assert_eq!(signed.lines().count(), YAML.lines().count() + 1);
    assert!(
        signed.contains("    Properties:\n      WardenSignature: \"warden-sig-v1."),
        "{signed}"
    );
    assert!(
        signed.contains("Name: World   # trailing comment")
            && signed.contains("# The greeting, signed.")
    );

    let verifier = verifier(ring);
    let mut delivered = delivered(&token_of(&signed));
    delivered["Count"] = json!("5");
    delivered["RoleArn"] = json!("arn:aws:iam::123456789012:role/app-web");
    assert!(accepts(&verifier, delivered.clone()));
    let mut tampered = delivered.clone();
    tampered["Count"] = json!("6");
    assert!(!accepts(&verifier, tampered));
    let mut escalated = delivered;
    escalated["RoleArn"] = json!("arn:aws:iam::123456789012:role/admin");
    assert!(!accepts(&verifier, escalated));

    // Signing again needs --resign, which replaces the line.
    let signed_path = dir.join("signed.yaml");
    std::fs::write(&signed_path, &signed).unwrap();
    let (code, _, err) = sign(&signed_path, &key, "prod-*", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("already signed; pass --resign"), "{err}");
    let (code, resigned, err) = sign(&signed_path, &key, "prod-app", &["--resign"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(resigned.lines().count(), signed.lines().count());
    assert!(err.contains("warning: dynamic without --pattern"), "{err}");
}

#[test]
fn json_is_signed_too() {
    let dir = scratch("json");
    let (key, ring) = keygen(&dir);
    let template = dir.join("t.json");
    let json_template = "{\n  \"Resources\": {\n    \"Greeting\": {\n      \"Type\": \"Custom::Hello\",\n      \"Properties\": {\n        \"ServiceToken\": {\"Fn::GetAtt\": [\"P\", \"Arn\"]},\n        \"Name\": \"World\"\n      }\n    }\n  }\n}\n";
    std::fs::write(&template, json_template).unwrap();
    let (code, signed, err) = sign(&template, &key, "prod-app", &[]);
    assert_eq!(code, 0, "{err}");
    let parsed: Value = serde_json::from_str(&signed).expect("the output is still JSON");
    let token = parsed["Resources"]["Greeting"]["Properties"]["WardenSignature"]
        .as_str()
        .unwrap()
        .to_owned();
    let verifier = verifier(ring);
    assert!(accepts(&verifier, delivered(&token)));

    // Signing the signed JSON again replaces the token in place (JSON is flow style).
    std::fs::write(&template, &signed).unwrap();
    let (code, resigned, err) = sign(
        &template,
        &key,
        "prod-app",
        &["--valid-for", "2d", "--resign"],
    );
    assert_eq!(code, 0, "{err}");
    let again: Value = serde_json::from_str(&resigned).expect("still JSON");
    let new_token = again["Resources"]["Greeting"]["Properties"]["WardenSignature"]
        .as_str()
        .unwrap();
    assert_ne!(new_token, token);
    assert_eq!(
        resigned.replace(new_token, &token),
        signed,
        "only the token changed"
    );
    assert!(accepts(&verifier, delivered(new_token)));
}

#[test]
fn unsignable_input_is_a_clear_error_that_writes_nothing() {
    let dir = scratch("bad");
    let (key, _) = keygen(&dir);
    for (src, needle) in [
        (
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n",
            "no custom resource to sign",
        ),
        (
            "Resources:\n  G:\n    Type: Custom::Hello\n    Properties:\n      V: 1.10\n",
            "line 5: `1.10` could be read as different numbers by different YAML readers: quote it (write \"1.10\" for the text)",
        ),
        (
            "Resources:\n  G:\n    Type: Custom::Hello\n",
            "has no Properties",
        ),
        ("Resources: [", "line"),
    ] {
        let template = dir.join("t.yaml");
        std::fs::write(&template, src).unwrap();
        let out = dir.join("out.yaml");
        let (code, _, err) = sign(&template, &key, "s", &["-o", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{src}");
        assert!(err.contains(needle), "{src}: {err}");
        assert!(!out.exists(), "nothing is written on error");
    }
    let (code, _, err) = sign("x.yaml", &key, "s", &["--pattern", "Name=("]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid regex"), "{err}");
    let (code, _, err) = run_keygen(&dir);
    assert_eq!(code, 2, "an existing key is never overwritten");
    assert!(err.contains("must not exist yet"), "{err}");
}

#[test]
fn dynamic_references_are_signed_as_dynamic_not_literal() {
    let dir = scratch("resolve");
    let (key, _) = keygen(&dir);
    let template = dir.join("t.yaml");
    std::fs::write(&template, "Resources:\n  G:\n    Type: Custom::Hello\n    Properties:\n      Name: W\n      Secret: '{{resolve:ssm:/app/name}}'\n").unwrap();
    let (code, _, err) = sign(&template, &key, "s", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("signed G: 1 literal, 1 dynamic properties"),
        "{err}"
    );
    let (code, _, err) = sign(&template, &key, "s", &["--pattern", "Secret=x)|(.*"]);
    assert_eq!(code, 2, "a pattern that escapes its anchors is refused");
    assert!(err.contains("invalid regex"), "{err}");
}

#[test]
fn flow_style_and_crlf_templates_are_signed_correctly() {
    let dir = scratch("styles");
    let (key, ring) = keygen(&dir);
    let verifier = verifier(ring);
    for (name, src) in [
        ("flow.yaml", "Resources:\n  Greeting:\n    Type: Custom::Hello\n    Properties: {ServiceToken: !GetAtt P.Arn, Name: World}\n"),
        ("crlf.yaml", "Resources:\r\n  Greeting:\r\n    Type: Custom::Hello\r\n    Properties:\r\n      ServiceToken: !GetAtt P.Arn\r\n      Name: World\r\n"),
        ("unicode.yaml", "# déjà vu 😀\nResources:\n  Greeting:\n    Type: Custom::Hello\n    Properties:\n      ServiceToken: !GetAtt P.Arn\n      Name: World\n"),
    ] {
        let template = dir.join(name);
        std::fs::write(&template, src).unwrap();
        let (code, signed, err) = sign(&template, &key, "prod-app", &[]);
        assert_eq!(code, 0, "{name}: {err}");
        if name == "crlf.yaml" {
            assert!(!signed.replace("\r\n", "").contains('\n'), "{name}: line endings kept");
        }
        let token = signed.split('"').find(|p| p.starts_with("warden-sig-v1.")).unwrap().to_owned();
        assert!(accepts(&verifier, delivered(&token)), "{name}");
    }
}

/// `warden seal` refuses bad arguments before any AWS call (no endpoint is reachable here).
#[test]
fn seal_refuses_bad_arguments_before_calling_aws() {
    let dir = scratch("seal-args");
    let template = dir.join("t.yaml");
    std::fs::write(
        &template,
        "Resources:\n  A:\n    Type: Custom::A\n    Properties:\n      ServiceToken: arn\n",
    )
    .unwrap();
    let plain = dir.join("plain.yaml");
    std::fs::write(&plain, "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n").unwrap();
    let base = |template: &Path, extra: &[&str]| {
        let mut args = vec![
            "seal".to_owned(),
            template.to_str().unwrap().to_owned(),
            "--ticket-role".to_owned(),
            "arn:aws:iam::123456789012:role/t".to_owned(),
            "--key".to_owned(),
            "alias/t".to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    for (template, extra, needle) in [
        (
            &template,
            vec!["--stack-name", "app", "--duration", "2h"],
            "between 15m and 1h",
        ),
        (
            &template,
            vec!["--stack-name", "app", "--duration", "5m"],
            "between 15m and 1h",
        ),
        (
            &template,
            vec!["--stack-name", "prod-*"],
            "one exact stack name",
        ),
        (
            &template,
            vec!["--stack-name", "app", "--source-identity", "!"],
            "source identity",
        ),
        (&plain, vec!["--stack-name", "app"], "no custom resource"),
    ] {
        let args = base(template, &extra);
        // An endpoint nothing listens on: reaching AWS would fail differently.
        let (code, _, err) = warden_env(&args, &UNREACHABLE_AWS);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
}
