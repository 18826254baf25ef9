//! `warden keygen` + `warden sign`, checked by the provider's own verifier on the event that
//! CloudFormation would send for the signed template.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a panic is how a test fails"
)]

use std::{path::PathBuf, process::Command, time::SystemTime};

use cfn_warden::{
    protocol::{CfnRequest, Envelope},
    verify::signed::{KeyRing, SignatureVerifier},
};
use serde_json::{json, Value};

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/prod-app/6b2bd1a0-8f1c-11ef-9c3d-0a1b2c3d4e5f";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("warden-sign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
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

fn keygen(dir: &std::path::Path) -> (PathBuf, KeyRing) {
    let (code, out, err) = warden(&[
        "keygen",
        "--kid",
        "deploy-1",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    (
        dir.join("deploy-1.pk8"),
        KeyRing::from_json(out.trim()).unwrap(),
    )
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
    let (code, signed, err) = warden(&[
        "sign",
        template.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        "prod-*",
        "--pattern",
        r"RoleArn=arn:aws:iam::\d{12}:role/app-.*",
    ]);
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

    let verifier = SignatureVerifier::builder().keys(ring).build().unwrap();
    let token = token_of(&signed);
    let delivered = json!({
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
        "Name": "World", "Count": "5",
        "RoleArn": "arn:aws:iam::123456789012:role/app-web",
        "WardenSignature": token,
    });
    assert!(verifier
        .check(&event(delivered.clone()), SystemTime::now())
        .is_ok());
    let mut tampered = delivered.clone();
    tampered["Count"] = json!("6");
    assert!(verifier.check(&event(tampered), SystemTime::now()).is_err());
    let mut escalated = delivered;
    escalated["RoleArn"] = json!("arn:aws:iam::123456789012:role/admin");
    assert!(verifier
        .check(&event(escalated), SystemTime::now())
        .is_err());

    // Signing again needs --resign, which replaces the line.
    let signed_path = dir.join("signed.yaml");
    std::fs::write(&signed_path, &signed).unwrap();
    let (code, _, err) = warden(&[
        "sign",
        signed_path.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        "prod-*",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("already signed; pass --resign"), "{err}");
    let (code, resigned, err) = warden(&[
        "sign",
        signed_path.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        "prod-app",
        "--resign",
    ]);
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
    let (code, signed, err) = warden(&[
        "sign",
        template.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        "prod-app",
    ]);
    assert_eq!(code, 0, "{err}");
    let parsed: Value = serde_json::from_str(&signed).expect("the output is still JSON");
    let token = parsed["Resources"]["Greeting"]["Properties"]["WardenSignature"]
        .as_str()
        .unwrap()
        .to_owned();
    let verifier = SignatureVerifier::builder().keys(ring).build().unwrap();
    let delivered = json!({"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", "Name": "World", "WardenSignature": token});
    assert!(verifier.check(&event(delivered), SystemTime::now()).is_ok());

    // Signing the signed JSON again replaces the token in place (JSON is flow style).
    std::fs::write(&template, &signed).unwrap();
    let (code, resigned, err) = warden(&[
        "sign",
        template.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        "prod-app",
        "--valid-for",
        "2d",
        "--resign",
    ]);
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
    let delivered = json!({"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", "Name": "World", "WardenSignature": new_token});
    assert!(verifier.check(&event(delivered), SystemTime::now()).is_ok());
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
        let (code, _, err) = warden(&[
            "sign",
            template.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--stack-name",
            "s",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{src}");
        assert!(err.contains(needle), "{src}: {err}");
        assert!(!out.exists(), "nothing is written on error");
    }
    let (code, _, err) = warden(&[
        "sign",
        "x.yaml",
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        "s",
        "--pattern",
        "Name=(",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid regex"), "{err}");
    let (code, _, err) = warden(&[
        "keygen",
        "--kid",
        "deploy-1",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "an existing key is never overwritten");
    assert!(err.contains("must not exist yet"), "{err}");
}

#[test]
fn dynamic_references_are_signed_as_dynamic_not_literal() {
    let dir = scratch("resolve");
    let (key, _) = keygen(&dir);
    let template = dir.join("t.yaml");
    std::fs::write(&template, "Resources:\n  G:\n    Type: Custom::Hello\n    Properties:\n      Name: W\n      Secret: '{{resolve:ssm:/app/name}}'\n").unwrap();
    let (code, _, err) = warden(&[
        "sign",
        template.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        "s",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("signed G: 1 literal, 1 dynamic properties"),
        "{err}"
    );
    let (code, _, err) = warden(&[
        "sign",
        template.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--stack-name",
        "s",
        "--pattern",
        "Secret=x)|(.*",
    ]);
    assert_eq!(code, 2, "a pattern that escapes its anchors is refused");
    assert!(err.contains("invalid regex"), "{err}");
}

#[test]
fn flow_style_and_crlf_templates_are_signed_correctly() {
    let dir = scratch("styles");
    let (key, ring) = keygen(&dir);
    let verifier = SignatureVerifier::builder().keys(ring).build().unwrap();
    for (name, src) in [
        ("flow.yaml", "Resources:\n  Greeting:\n    Type: Custom::Hello\n    Properties: {ServiceToken: !GetAtt P.Arn, Name: World}\n"),
        ("crlf.yaml", "Resources:\r\n  Greeting:\r\n    Type: Custom::Hello\r\n    Properties:\r\n      ServiceToken: !GetAtt P.Arn\r\n      Name: World\r\n"),
        ("unicode.yaml", "# déjà vu 😀\nResources:\n  Greeting:\n    Type: Custom::Hello\n    Properties:\n      ServiceToken: !GetAtt P.Arn\n      Name: World\n"),
    ] {
        let template = dir.join(name);
        std::fs::write(&template, src).unwrap();
        let (code, signed, err) = warden(&["sign", template.to_str().unwrap(), "--key", key.to_str().unwrap(), "--stack-name", "prod-app"]);
        assert_eq!(code, 0, "{name}: {err}");
        if name == "crlf.yaml" {
            assert!(!signed.replace("\r\n", "").contains('\n'), "{name}: line endings kept");
        }
        let token = signed.split('"').find(|p| p.starts_with("warden-sig-v1.")).unwrap().to_owned();
        let delivered = json!({"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", "Name": "World", "WardenSignature": token});
        assert!(verifier.check(&event(delivered), SystemTime::now()).is_ok(), "{name}");
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
    let base = |template: &std::path::Path, extra: &[&str]| {
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
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
        // An endpoint nothing listens on: reaching AWS would fail differently.
        command
            .args(&refs)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        let out = command.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
}
