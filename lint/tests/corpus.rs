//! The real-template corpus (tests/corpus/, built by scripts/corpus-build.py from pinned
//! commits of public repositories): no template crashes the linter, every template that
//! cfn-lint 1.58.0 parses (recorded in the manifest) is read, and the findings equal the
//! reviewed snapshot (tests/corpus/findings.snapshot; `WARDEN_UPDATE_SNAPSHOTS=1` rewrites it,
//! to be reviewed in the diff).
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    path::PathBuf,
};

use serde_json::Value;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

#[test]
fn the_corpus_is_read_as_cfn_lint_reads_it_and_its_findings_are_the_reviewed_ones() {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus().join("manifest.json")).unwrap())
            .unwrap();
    let entries = manifest["templates"].as_array().unwrap();
    assert!(entries.len() >= 300, "{} templates", entries.len());
    let mut crashes = Vec::new();
    let mut refused = Vec::new();
    let mut read = 0;
    let mut lines = Vec::new();
    for entry in entries {
        let file = entry["file"].as_str().unwrap();
        let parses = entry["cfn_lint_parses"].as_bool().unwrap();
        let bytes = std::fs::read(corpus().join(file)).unwrap();
        let source = String::from_utf8_lossy(&bytes);
        match catch_unwind(AssertUnwindSafe(|| warden_lint::lint(file, &source))) {
            Err(_) => crashes.push(file.to_owned()),
            Ok(Err(e)) => {
                if parses {
                    refused.push(format!("{file}: {e}"));
                }
            }
            Ok(Ok(findings)) => {
                read += 1;
                for f in findings {
                    lines.push(format!(
                        "{file}:{} {} {} {:?}",
                        f.line, f.rule, f.logical_id, f.status
                    ));
                }
            }
        }
    }
    let parsable = entries
        .iter()
        .filter(|e| e["cfn_lint_parses"] == true)
        .count();
    eprintln!(
        "corpus: {} templates, {parsable} parsed by cfn-lint, {read} read by warden lint, {} refused, {} crashes",
        entries.len(),
        refused.len(),
        crashes.len()
    );
    assert!(crashes.is_empty(), "crashed on {crashes:#?}");
    assert!(
        refused.is_empty(),
        "{} templates that cfn-lint parses were refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
    let actual = lines.join("\n") + "\n";
    let snapshot = corpus().join("findings.snapshot");
    if std::env::var_os("WARDEN_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    if actual != expected {
        let missing: Vec<&str> = expected
            .lines()
            .filter(|l| !actual.lines().any(|a| a == *l))
            .take(20)
            .collect();
        let extra: Vec<&str> = actual
            .lines()
            .filter(|l| !expected.lines().any(|e| e == *l))
            .take(20)
            .collect();
        panic!(
            "the findings differ from {} (review, then WARDEN_UPDATE_SNAPSHOTS=1):\nno longer found: {missing:#?}\nnewly found: {extra:#?}",
            snapshot.display()
        );
    }
}
