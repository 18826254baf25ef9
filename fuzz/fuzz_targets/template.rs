//! Arbitrary text as a CloudFormation template (YAML or JSON) through the parser, the intrinsic
//! resolver and every `warden lint` rule. Properties: nothing panics, and every finding names a
//! known rule, a logical id and a line inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(findings) = warden_lint::lint("fuzz.yaml", text) {
        let lines = text.lines().count().max(1);
        for finding in findings {
            assert!(warden_lint::RuleId::from_id(finding.rule).is_some(), "unknown rule {}", finding.rule);
            let line = finding.line;
            assert!(line >= 1 && line <= lines + 1, "line {line} outside 1..={lines}");
        }
    }
});
