//! The continuation wire format's fixtures (`tests/fixtures/continuations/`): the good shape
//! parses and writes back to the same event; each malformed one is refused with its reason.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{fs, path::PathBuf};

use cfn_warden::continuation::{token::is_continuation, SealedContinuation};
use serde_json::Value;

fn read(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/continuations");
    fs::read(dir.join(name)).unwrap()
}

#[test]
fn the_good_shape_round_trips() {
    let bytes = read("good.json");
    assert!(is_continuation(&bytes));
    let sealed = SealedContinuation::parse(&bytes).unwrap();
    assert_eq!(sealed.header().attempt, 2);
    let again: Value = serde_json::from_slice(&sealed.to_event()).unwrap();
    let original: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(again, original);
    assert_eq!(
        SealedContinuation::parse(&sealed.to_event()).unwrap(),
        sealed
    );
}

#[test]
fn malformed_shapes_are_refused_with_their_reason() {
    let cases = [
        ("malformed-version.json", "another version"),
        ("malformed-nonce.json", "unreadable nonce"),
        (
            "malformed-missing-request-id.json",
            "does not hold its fields",
        ),
        ("malformed-empty-body.json", "empty body"),
        (
            "malformed-ends-before-it-starts.json",
            "ends before it starts",
        ),
        ("malformed-empty-id.json", "empty or overlong id"),
        (
            "malformed-data-key-not-base64.json",
            "does not hold its fields",
        ),
        ("malformed-not-an-object.json", "does not hold its fields"),
    ];
    let listed: Vec<_> = cases.iter().map(|(n, _)| *n).collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/continuations");
    for entry in fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "good.json" || listed.contains(&name.as_str()),
            "{name} is not listed"
        );
    }
    for (name, reason) in cases {
        let error = SealedContinuation::parse(&read(name))
            .unwrap_err()
            .to_string();
        assert!(error.contains(reason), "{name}: {error}");
    }
    assert!(!is_continuation(br#"{"RequestType": "Create"}"#));
}
