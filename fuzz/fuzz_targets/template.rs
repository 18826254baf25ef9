//! Arbitrary text as a CloudFormation template (YAML or JSON) through the parser, the intrinsic
//! resolver and every `warden lint` rule, then read as the stack `warden explain` evaluates
//! (`inventory::read`: conditions chosen, names made concrete). Properties: nothing panics,
//! every finding names a known rule, a logical id and a line inside the text, and a template
//! lint reads is read by the inventory too.
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
        let options = warden_lint::Options::default();
        let assumptions = warden_lint::inventory::Assumptions::default();
        let stack = warden_lint::inventory::read(text, &options, &assumptions);
        assert!(stack.is_ok(), "lint read it, the inventory did not: {:?}", stack.err());
        if let Ok(stack) = stack {
            for id in stack.custom_resources() {
                let token = &stack.resources()[id].properties["ServiceToken"];
                if let Some(f) = stack.provider_of(token) {
                    let _ = (stack.role_of(&f), stack.environment(&f));
                }
            }
        }
    }
});
