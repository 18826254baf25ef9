//! Lints every template of a corpus manifest (tests/corpus/manifest.json) in one process and
//! prints how many were read, refused and found, and the wall time: the measurement
//! scripts/bench-corpus.sh compares with cfn-lint's.
//!
//!     cargo run --release -p warden-lint --example corpus -- tests/corpus/manifest.json
#![allow(clippy::print_stdout, reason = "the report is the output")]

use std::{path::Path, time::Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = std::env::args().nth(1).ok_or("usage: corpus MANIFEST")?;
    let root = Path::new(&manifest)
        .parent()
        .ok_or("the manifest has no directory")?;
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&manifest)?)?;
    let entries = manifest["templates"].as_array().ok_or("no templates")?;
    let start = Instant::now();
    let (mut read, mut refused, mut findings) = (0, 0, 0);
    for entry in entries {
        let file = entry["file"].as_str().ok_or("an entry has no file")?;
        let text = String::from_utf8_lossy(&std::fs::read(root.join(file))?).into_owned();
        match warden_lint::lint(file, &text) {
            Ok(found) => {
                read += 1;
                findings += found.len();
            }
            Err(_) => refused += 1,
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"templates\": {}, \"read\": {read}, \"refused\": {refused}, \"findings\": {findings}, \"seconds\": {seconds:.4}}}",
        entries.len()
    );
    Ok(())
}
