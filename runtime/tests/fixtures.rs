//! Every CloudFormation custom-resource event shape in `tests/fixtures/events/`, good and
//! malformed, run through the parser stage by stage, exactly as the runtime does:
//!
//! 1. `serde_json::from_slice` (the bytes are JSON),
//! 2. [`Envelope::from_value`] (the fields needed to answer at all),
//! 3. [`consistency::check`] against the invoked function ARN (may the ResponseURL be used?),
//! 4. [`CfnRequest::from_value`] (every field checked against the request type).
//!
//! Each fixture is listed in exactly one table below, with the stage that must fail and a
//! precise substring of the error text. `every_fixture_is_covered` fails when a file is added to
//! the directory without being listed here.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{collections::BTreeSet, fs, path::PathBuf, time::Duration};

use cfn_warden::{
    protocol::{CfnRequest, Envelope, RequestType},
    verify::{
        consistency::{self, check, ConsistencyPolicy},
        Check, Verdict,
    },
    Error,
};
use serde_json::{json, Value};

const INVOKED_FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:warden-fixture";
const STACK_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/warden-demo/6b2bd1a0-8f1c-11ef-9c3d-0a1b2c3d4e5f";
const DERIVED_ID: &str = "warden-demo-Greeting-3f2a9c1b7d4e";

/// The stage at which a fixture is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// `serde_json::from_slice`.
    Json,
    /// `Envelope::from_value`.
    Envelope,
    /// `consistency::check`.
    Consistency,
    /// `CfnRequest::from_value`.
    Request,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events")
}

fn read(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Runs all four stages; stops at the first failure and reports its stage and Display text.
fn run(name: &str) -> Result<(CfnRequest, Check), (Stage, String)> {
    let bytes = read(name);
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|source| (Stage::Json, Error::EventNotJson { source }.to_string()))?;
    let envelope = Envelope::from_value(&value).map_err(|e| (Stage::Envelope, e.to_string()))?;
    let (record, verdict) = check(
        &envelope,
        INVOKED_FUNCTION,
        None,
        &ConsistencyPolicy::default(),
    );
    assert_eq!(record.name, consistency::CHECK_NAME, "{name}");
    if let Err(denial) = verdict {
        assert_eq!(record.verdict, Verdict::Fail, "{name}");
        assert_eq!(
            record.evidence.get("problem"),
            Some(&json!(denial.detail)),
            "{name}"
        );
        return Err((Stage::Consistency, denial.detail.into_owned()));
    }
    assert_eq!(record.verdict, Verdict::Pass, "{name}");
    let request =
        CfnRequest::from_value(&value, envelope).map_err(|e| (Stage::Request, e.to_string()))?;
    Ok((request, record))
}

/// Parses a fixture without the consistency check (for fixtures that must parse yet be refused).
fn parse_skipping_consistency(name: &str) -> Result<CfnRequest, Error> {
    let value: Value = serde_json::from_slice(&read(name)).expect(name);
    let envelope = Envelope::from_value(&value)?;
    CfnRequest::from_value(&value, envelope)
}

// ------------------------------------------------------------------------------------ good

/// What a good fixture must parse to.
struct Good {
    file: &'static str,
    request_type: RequestType,
    request_id: &'static str,
    resource_type: &'static str,
    physical_id: Option<&'static str>,
    sentinel: bool,
    has_old_properties: bool,
    service_timeout: Option<Duration>,
    unknown_fields: &'static [&'static str],
    response_host: &'static str,
    presign: &'static str,
}

const HOST: &str = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com";

const fn create(file: &'static str, request_id: &'static str) -> Good {
    Good {
        file,
        request_type: RequestType::Create,
        request_id,
        resource_type: "Custom::Hello",
        physical_id: None,
        sentinel: false,
        has_old_properties: false,
        service_timeout: None,
        unknown_fields: &[],
        response_host: HOST,
        presign: "sigv4",
    }
}

const GOOD: &[Good] = &[
    create("create.json", "0f6a7c52-3d5b-4b8e-9a51-1c2d3e4f5a01"),
    Good {
        request_type: RequestType::Update,
        physical_id: Some(DERIVED_ID),
        has_old_properties: true,
        ..create("update.json", "1a7b8d63-4e6c-4c9f-8b62-2d3e4f5a6b02")
    },
    Good {
        request_type: RequestType::Delete,
        physical_id: Some(DERIVED_ID),
        ..create("delete.json", "2b8c9e74-5f7d-4da0-9c73-3e4f5a6b7c03")
    },
    Good {
        service_timeout: Some(Duration::from_secs(300)),
        ..create(
            "create-service-timeout-string.json",
            "3c9daf85-6a8e-4eb1-8d84-4f5a6b7c8d04",
        )
    },
    Good {
        service_timeout: Some(Duration::from_secs(600)),
        ..create(
            "create-service-timeout-in-properties.json",
            "4daeb096-7b9f-4fc2-9e95-5a6b7c8d9e05",
        )
    },
    Good {
        unknown_fields: &["ResourcePropertiesSchemaVersion"],
        ..create(
            "create-unknown-top-level-field.json",
            "5ebfc1a7-8ca0-40d3-8fa6-6b7c8d9eaf06",
        )
    },
    Good {
        request_type: RequestType::Delete,
        physical_id: Some("cfn-warden-create-failed-8c1f2e3d4a5b6c7d"),
        sentinel: true,
        ..create(
            "delete-failure-sentinel.json",
            "6fc0d2b8-9db1-41e4-a0b7-7c8d9eafb007",
        )
    },
    Good {
        resource_type: "AWS::CloudFormation::CustomResource",
        ..create(
            "create-aws-cloudformation-customresource.json",
            "70d1e3c9-aec2-42f5-b1c8-8d9eafb0c108",
        )
    },
    Good {
        presign: "legacy",
        ..create(
            "create-legacy-presign.json",
            "81e2f4da-bfd3-4306-82d9-9eafb0c1d209",
        )
    },
    Good {
        response_host: "cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com",
        ..create(
            "create-regional-host.json",
            "92f305eb-c0e4-4417-93ea-afb0c1d2e30a",
        )
    },
];

#[test]
fn good_fixtures_parse_and_pass_consistency() {
    for g in GOOD {
        let (req, record) = run(g.file).unwrap_or_else(|(stage, e)| {
            panic!("{}: refused at {stage:?}: {e}", g.file);
        });
        let f = g.file;
        assert_eq!(req.request_type(), g.request_type, "{f}");
        assert_eq!(
            req.envelope().request_type.as_deref(),
            Some(g.request_type.as_str()),
            "{f}"
        );
        assert_eq!(req.request_id(), g.request_id, "{f}");
        assert_eq!(req.logical_resource_id(), "Greeting", "{f}");
        assert_eq!(req.resource_type(), g.resource_type, "{f}");
        assert_eq!(req.service_token(), INVOKED_FUNCTION, "{f}");
        assert_eq!(req.stack().as_str(), STACK_ID, "{f}");
        assert_eq!(req.stack().partition(), "aws", "{f}");
        assert_eq!(req.stack().region(), "us-east-1", "{f}");
        assert_eq!(req.stack().account(), "123456789012", "{f}");
        assert_eq!(req.stack().name(), "warden-demo", "{f}");

        let physical = req.physical_resource_id();
        assert_eq!(physical.map(|p| p.as_str()), g.physical_id, "{f}");
        assert_eq!(physical.is_some_and(|p| p.is_sentinel()), g.sentinel, "{f}");
        assert_eq!(
            req.envelope().physical_resource_id.as_deref(),
            g.physical_id,
            "{f}"
        );

        let props = req.resource_properties();
        assert_eq!(props.get("Name"), Some(&json!("World")), "{f}");
        assert_eq!(
            props.get("ServiceToken"),
            Some(&json!(INVOKED_FUNCTION)),
            "{f}"
        );
        match req.old_resource_properties() {
            Some(old) => {
                assert!(
                    g.has_old_properties,
                    "{f}: unexpected OldResourceProperties"
                );
                assert_eq!(old.get("Name"), Some(&json!("Old World")), "{f}");
            }
            None => assert!(!g.has_old_properties, "{f}: OldResourceProperties missing"),
        }

        assert_eq!(
            req.service_timeout().map(|t| t.duration()),
            g.service_timeout,
            "{f}"
        );
        assert_eq!(req.unknown_fields(), g.unknown_fields, "{f}");

        assert_eq!(
            req.response_url().expose().host_str(),
            Some(g.response_host),
            "{f}"
        );
        // The full host is logged: it tells the host forms apart.
        assert_eq!(req.response_url().host_for_log(), g.response_host, "{f}");
        // Debug/Display of the URL never show the presigned path or query.
        let shown = format!("{:?} {}", req.response_url(), req.response_url());
        assert!(
            !shown.contains("Signature") && !shown.contains("%7C"),
            "{f}: {shown}"
        );
        assert_eq!(
            record.evidence.get("presign"),
            Some(&json!(g.presign)),
            "{f}"
        );
        assert_eq!(
            record.evidence.get("response_host"),
            Some(&json!(g.response_host)),
            "{f}"
        );
    }
}

// ------------------------------------------------------------------------------- malformed

/// Fixtures the parser must refuse: (file, failing stage, substring of the error text).
const MALFORMED: &[(&str, Stage, &str)] = &[
    (
        "not-json.txt",
        Stage::Json,
        "event is not JSON: expected value at line 1 column 1",
    ),
    ("array.json", Stage::Envelope, "event is not a JSON object"),
    (
        "missing-response-url.json",
        Stage::Envelope,
        "event is missing `ResponseURL`",
    ),
    (
        "response-url-not-string.json",
        Stage::Envelope,
        "`ResponseURL` is not a string",
    ),
    (
        "missing-stack-id.json",
        Stage::Envelope,
        "event is missing `StackId`",
    ),
    (
        "empty-request-id.json",
        Stage::Envelope,
        "`RequestId` is empty",
    ),
    // The ServiceToken problems are found by the consistency check, which runs first; the
    // request parser would report the same text (see `service_token_problems_...` below).
    (
        "service-token-conflict.json",
        Stage::Consistency,
        "ServiceToken differs between the event and its ResourceProperties",
    ),
    (
        "missing-service-token.json",
        Stage::Consistency,
        "ServiceToken is missing",
    ),
    // The consistency check parses the StackId too (to compare account and region), so a
    // malformed StackId is refused there, before any PUT could go out.
    (
        "stack-id-malformed.json",
        Stage::Consistency,
        "StackId is invalid: resource part is not stack/<name>/<id>",
    ),
    (
        "unknown-request-type.json",
        Stage::Request,
        "unknown RequestType `Rollback` (expected Create, Update or Delete)",
    ),
    (
        "missing-request-type.json",
        Stage::Request,
        "event is missing `RequestType`",
    ),
    (
        "create-with-physical-id.json",
        Stage::Request,
        "Create request must not carry `PhysicalResourceId`",
    ),
    (
        "update-missing-physical-id.json",
        Stage::Request,
        "Update request is missing `PhysicalResourceId`",
    ),
    (
        "update-missing-old-properties.json",
        Stage::Request,
        "Update request is missing `OldResourceProperties`",
    ),
    (
        "delete-with-old-properties.json",
        Stage::Request,
        "Delete request must not carry `OldResourceProperties`",
    ),
    (
        "properties-not-object.json",
        Stage::Request,
        "`ResourceProperties` is not an object",
    ),
    (
        "missing-resource-properties.json",
        Stage::Request,
        "Create request is missing `ResourceProperties`",
    ),
    (
        "service-timeout-zero.json",
        Stage::Request,
        "ServiceTimeout must be between 1 and 3600 seconds, got 0",
    ),
    (
        "service-timeout-too-large.json",
        Stage::Request,
        "ServiceTimeout must be between 1 and 3600 seconds, got 3601",
    ),
    (
        "service-timeout-not-number.json",
        Stage::Request,
        "ServiceTimeout is not a whole number of seconds",
    ),
    (
        "resource-type-too-long.json",
        Stage::Request,
        "`ResourceType` is longer than 60 characters",
    ),
    (
        "resource-type-not-custom.json",
        Stage::Request,
        "ResourceType is neither Custom::<Name> nor AWS::CloudFormation::CustomResource",
    ),
    (
        "logical-id-invalid.json",
        // The consistency check bounds the ids before anything is sent: no PUT.
        Stage::Consistency,
        "LogicalResourceId is not 1-255 letters and digits",
    ),
    (
        "physical-id-too-long.json",
        Stage::Request,
        "PhysicalResourceId is longer than 1024 bytes",
    ),
    // A Delete with an unusable id is answered FAILED naming the problem, never taken for a
    // failure sentinel (the runtime's pipeline tests check the answer).
    (
        "delete-missing-physical-id.json",
        Stage::Request,
        "PhysicalResourceId",
    ),
    (
        "delete-physical-id-too-long.json",
        Stage::Request,
        "PhysicalResourceId is longer than 1024 bytes",
    ),
    (
        "delete-physical-id-control-chars.json",
        Stage::Request,
        "PhysicalResourceId contains control characters",
    ),
    (
        "delete-physical-id-empty.json",
        Stage::Request,
        "PhysicalResourceId is empty",
    ),
];

#[test]
fn malformed_fixtures_fail_at_the_expected_stage() {
    for &(file, stage, expected) in MALFORMED {
        match run(file) {
            Ok((req, _)) => panic!("{file}: accepted as {req:?}, expected {stage:?} failure"),
            Err((got_stage, message)) => {
                assert_eq!(
                    got_stage, stage,
                    "{file}: failed at the wrong stage: {message}"
                );
                assert!(
                    message.contains(expected),
                    "{file}: error {message:?} does not contain {expected:?}"
                );
            }
        }
    }
}

#[test]
fn service_token_problems_are_also_refused_by_the_request_parser() {
    for (file, expected) in [
        (
            "service-token-conflict.json",
            "ServiceToken differs between the event and its ResourceProperties",
        ),
        ("missing-service-token.json", "ServiceToken is missing"),
        (
            "stack-id-malformed.json",
            "StackId is invalid: resource part is not stack/<name>/<id>",
        ),
    ] {
        let err = parse_skipping_consistency(file)
            .expect_err(file)
            .to_string();
        assert!(
            err.contains(expected),
            "{file}: {err:?} does not contain {expected:?}"
        );
    }
}

// ----------------------------------------------------------------------------- consistency

/// Fixtures that parse fine but must be refused by the consistency check (no PUT at all):
/// (file, substring of the denial detail).
const INCONSISTENT: &[(&str, &str)] = &[
    ("response-url-http.json", "ResponseURL is not https"),
    (
        "response-url-other-region-host.json",
        "ResponseURL host is not the CloudFormation response bucket of the stack's region",
    ),
    (
        "response-url-ip-literal.json",
        "ResponseURL host is an IP address",
    ),
    ("response-url-userinfo.json", "ResponseURL carries userinfo"),
    ("response-url-port.json", "ResponseURL port is not 443"),
    (
        "response-url-wrong-path.json",
        "ResponseURL path is not <StackId>|<LogicalResourceId>|<RequestId>",
    ),
    (
        "response-url-no-presign.json",
        "ResponseURL has no presigned query",
    ),
    (
        "service-token-mismatch.json",
        "ServiceToken does not equal the invoked function ARN",
    ),
    (
        "stack-other-account.json",
        "StackId account differs from the function's",
    ),
];

#[test]
fn inconsistent_fixtures_parse_but_fail_the_consistency_check() {
    for &(file, expected) in INCONSISTENT {
        match run(file) {
            Ok((req, _)) => panic!("{file}: passed the consistency check as {req:?}"),
            Err((stage, message)) => {
                assert_eq!(
                    stage,
                    Stage::Consistency,
                    "{file}: failed at the wrong stage: {message}"
                );
                assert!(
                    message.contains(expected),
                    "{file}: denial {message:?} does not contain {expected:?}"
                );
            }
        }
        // Well-formed otherwise: the request parser alone accepts it.
        let req = parse_skipping_consistency(file)
            .unwrap_or_else(|e| panic!("{file}: request parser refused it: {e}"));
        assert_eq!(req.request_type(), RequestType::Create, "{file}");
        assert_eq!(req.logical_resource_id(), "Greeting", "{file}");
    }
}

// -------------------------------------------------------------------------------- coverage

#[test]
fn every_fixture_is_covered() {
    let mut listed = BTreeSet::new();
    let all = GOOD
        .iter()
        .map(|g| g.file)
        .chain(MALFORMED.iter().map(|m| m.0))
        .chain(INCONSISTENT.iter().map(|c| c.0));
    for file in all {
        assert!(listed.insert(file.to_owned()), "{file} is listed twice");
    }
    let on_disk: BTreeSet<String> = fs::read_dir(fixture_dir())
        .expect("fixture directory")
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .filter(|name| name != "README.md")
        .collect();
    let unlisted: Vec<_> = on_disk.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&on_disk).collect();
    assert!(
        unlisted.is_empty(),
        "fixtures not covered by any table: {unlisted:?}"
    );
    assert!(
        missing.is_empty(),
        "tables list fixtures that do not exist: {missing:?}"
    );

    // The README describes every fixture too.
    let readme = fs::read_to_string(fixture_dir().join("README.md")).expect("README.md");
    for file in &on_disk {
        assert!(
            readme.contains(&format!("`{file}`")),
            "README.md does not describe {file}"
        );
    }
}
