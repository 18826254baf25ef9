//! Output formats of findings: text (optionally coloured), JSON, SARIF 2.1.0 and JUnit XML.
//! `warden scan` uses them with its own rules.

use serde_json::{json, Value};

use crate::finding::{FileError, Finding, Rule, Severity, Status};

/// Text output: one line per finding (`file:line:`, or just the location when there is no
/// line), the severity coloured when `colour`.
pub fn text(findings: &[Finding], colour: bool) -> String {
    let mut out = String::new();
    for f in findings {
        let status = if f.status == Status::Unknown {
            " (UNKNOWN)"
        } else {
            ""
        };
        let location = if f.line == 0 {
            f.file.clone()
        } else {
            format!("{}:{}", f.file, f.line)
        };
        let severity = format!("{:?}", f.severity);
        let severity = match (colour, f.severity) {
            (false, _) => severity,
            (true, Severity::High) => format!("\x1b[1;31m{severity}\x1b[0m"),
            (true, Severity::Medium) => format!("\x1b[33m{severity}\x1b[0m"),
            (true, Severity::Low) => format!("\x1b[36m{severity}\x1b[0m"),
            (true, Severity::Info) => format!("\x1b[2m{severity}\x1b[0m"),
        };
        out.push_str(&format!(
            "{location}: {severity} {} [{}] {}{status}\n",
            f.rule, f.logical_id, f.message
        ));
    }
    out.push_str(&format!("{} finding(s)\n", findings.len()));
    out
}

/// JUnit XML: one test case per rule and file, failing when the rule found something there
/// (an `info` finding is no failure: it is listed in the case's `<system-out>`). A file in
/// `errors` (not linted) is one test case with an `<error>`.
pub fn junit(
    files: &[String],
    findings: &[Finding],
    errors: &[FileError],
    rules: &[Rule],
    suite: &str,
) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut cases = String::new();
    let mut failures = 0;
    for file in files {
        for rule in rules {
            let hits: Vec<&Finding> = findings
                .iter()
                .filter(|f| &f.file == file && f.rule == rule.id)
                .collect();
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">",
                escape(file),
                rule.id
            ));
            let detail = |hits: &[&Finding]| {
                let lines: Vec<String> = hits
                    .iter()
                    .map(|f| format!("{}:{} [{}] {}", f.file, f.line, f.logical_id, f.message))
                    .collect();
                escape(&lines.join("\n"))
            };
            let (notes, failing): (Vec<&Finding>, Vec<&Finding>) =
                hits.into_iter().partition(|f| f.severity == Severity::Info);
            if !failing.is_empty() {
                failures += 1;
                cases.push_str(&format!(
                    "<failure message=\"{} finding(s)\" type=\"{:?}\">{}</failure>",
                    failing.len(),
                    rule.severity,
                    detail(&failing)
                ));
            }
            if !notes.is_empty() {
                cases.push_str(&format!("<system-out>{}</system-out>", detail(&notes)));
            }
            cases.push_str("</testcase>\n");
        }
    }
    for error in errors {
        cases.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"template\"><error message=\"not linted\">{}</error></testcase>\n",
            escape(&error.file),
            escape(&format!("{}:{}: {}", error.file, error.line, error.message))
        ));
    }
    let tests = files.len() * rules.len() + errors.len();
    let error_count = errors.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{error_count}\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

/// SARIF 2.1.0; a file in `errors` (not linted) is an error notification of the invocation,
/// which is then not successful.
pub fn sarif(findings: &[Finding], errors: &[FileError], rules: &[Rule]) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": {"text": r.description},
                "defaultConfiguration": {"level": r.severity.sarif_level()},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let unknown = if f.status == Status::Unknown { " (UNKNOWN: unresolved intrinsic)" } else { "" };
            json!({
                "ruleId": f.rule,
                "level": f.severity.sarif_level(),
                "message": {"text": format!("{}{unknown}", f.message)},
                "locations": [{
                    "physicalLocation": if f.line == 0 {
                        json!({"artifactLocation": {"uri": f.file}})
                    } else {
                        json!({"artifactLocation": {"uri": f.file}, "region": {"startLine": f.line}})
                    },
                    "logicalLocations": [{"name": f.logical_id, "kind": "resource"}],
                }],
                "properties": {"status": f.status},
            })
        })
        .collect();
    let notifications: Vec<Value> = errors
        .iter()
        .map(|e| {
            let location = if e.line == 0 {
                json!({"physicalLocation": {"artifactLocation": {"uri": e.file}}})
            } else {
                json!({"physicalLocation": {"artifactLocation": {"uri": e.file}, "region": {"startLine": e.line}}})
            };
            json!({"level": "error", "message": {"text": e.message}, "locations": [location]})
        })
        .collect();
    let invocation = json!({
        "executionSuccessful": errors.is_empty(),
        "toolExecutionNotifications": notifications,
    });
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "warden", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "invocations": [invocation], "results": results}],
    })
}

/// JSON: `{"findings": [...], "errors": [...]}`, each finding with its rule, severity, status,
/// file, logical id, line and message; each error (a template not linted) with its file, line
/// and message.
pub fn json(findings: &[Finding], errors: &[FileError]) -> Value {
    json!({ "findings": findings, "errors": errors })
}
