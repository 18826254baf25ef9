//! Plain scalars: what a plain (unquoted) scalar's text means, read strictly (`warden sign`,
//! `deploy`, `seal`: a scalar whose meaning differs between YAML readers is refused, naming the
//! quoting that fixes it) or as `warden lint` reads it (as CloudFormation does: text unless it
//! is unmistakably null, a boolean or a number).

use serde_json::{Number, Value};

use super::{error, TemplateError};

/// How a template's scalars and unknown tags are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reading {
    /// Refuse what YAML readers disagree on (a signed value must be the value CloudFormation
    /// sends) and unknown tags.
    Strict,
    /// `warden lint`: a scalar is text unless every reader agrees it is null, a boolean or a
    /// number; an unknown tag is kept as an opaque value the rules report as UNKNOWN.
    Lint,
}

/// A plain scalar's value. `Strict` refuses YAML 1.1/1.2 ambiguities; `Lint` reads them as text.
pub(super) fn plain(text: &str, line: usize, reading: Reading) -> Result<Value, TemplateError> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    if let Some(number) = unambiguous_number(text) {
        return Ok(number);
    }
    if reading == Reading::Lint {
        return Ok(Value::String(text.to_owned()));
    }
    match ambiguity(text) {
        Some(ambiguity) => Err(error(
            line,
            format!(
                "`{text}` {ambiguity}: quote it (write \"{}\" for the text)",
                text.replace('\\', "\\\\").replace('"', "\\\"")
            ),
        )),
        None => Ok(Value::String(text.to_owned())),
    }
}

/// A number every YAML reader reads the same: a canonical decimal integer or float.
fn unambiguous_number(text: &str) -> Option<Value> {
    if !text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return (i.to_string() == text).then(|| Value::Number(i.into()));
    }
    let f = text.parse::<f64>().ok()?;
    Number::from_f64(f)
        .filter(|n| n.to_string() == text)
        .map(Value::Number)
}

/// Why YAML readers disagree on a plain scalar, when they do.
fn ambiguity(text: &str) -> Option<&'static str> {
    if matches!(
        text,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "y"
            | "Y"
            | "n"
            | "N"
    ) {
        return Some("is a boolean in YAML 1.1 but text in YAML 1.2");
    }
    let unsigned = text.trim_start_matches(['+', '-']);
    // YAML 1.1 sexagesimal (`1:30` is 90 there, text in YAML 1.2).
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let mut parts = whole.split(':');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let sexagesimal = !rest.is_empty()
        && first.starts_with(|c: char| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '_')
        && rest
            .iter()
            .all(|p| (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
        && fraction.chars().all(|c| c.is_ascii_digit() || c == '_');
    if sexagesimal {
        return Some("is a number in YAML 1.1 but text in YAML 1.2");
    }
    let radix = |prefix: &str, digit: fn(&char) -> bool| {
        unsigned
            .strip_prefix(prefix)
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| digit(&c) || c == '_'))
    };
    let special = matches!(
        unsigned,
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
    );
    // Digits with `_`, one `.`, an exponent: a number to some reader, not canonical JSON.
    let decimal = unsigned.chars().any(|c| c.is_ascii_digit())
        && unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || "_.eE+-".contains(c))
        && unsigned.matches('.').count() <= 1;
    (radix("0x", char::is_ascii_hexdigit)
        || radix("0o", |c| ('0'..='7').contains(c))
        || radix("0b", |c| *c == '0' || *c == '1')
        || special
        || decimal)
        .then_some("could be read as different numbers by different YAML readers")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lint_reads_what_yaml_readers_disagree_on_as_text() {
        for text in [
            ".",
            ".fifo",
            "01_setupCfnHup",
            "N",
            "Yes",
            "No",
            "000400",
            "010",
            "1.10",
            "1:30",
            "0x1F",
            ".inf",
            "1_000",
        ] {
            assert_eq!(
                plain(text, 1, Reading::Lint).ok(),
                Some(json!(text)),
                "{text}"
            );
        }
        for (text, value) in [
            ("5", json!(5)),
            ("-3", json!(-3)),
            ("0.5", json!(0.5)),
            ("true", json!(true)),
            ("False", json!(false)),
            ("~", Value::Null),
            ("", Value::Null),
            ("plain text", json!("plain text")),
        ] {
            for reading in [Reading::Lint, Reading::Strict] {
                assert_eq!(plain(text, 1, reading).ok(), Some(value.clone()), "{text}");
            }
        }
    }

    #[test]
    fn strict_refuses_ambiguities_naming_the_scalar_and_its_quoted_form() {
        for (text, needle) in [
            ("010", "`010` could be read as different numbers"),
            ("1.10", "write \"1.10\" for the text"),
            ("yes", "`yes` is a boolean in YAML 1.1"),
            ("1:30", "is a number in YAML 1.1"),
            ("0b101", "quote it"),
            ("000400", "write \"000400\""),
            (".5", "different numbers"),
        ] {
            let err = plain(text, 7, Reading::Strict)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains(needle) && err.starts_with("line 7"),
                "{text}: {err}"
            );
        }
        // Text that no reader takes for anything else stays text.
        for text in [".fifo", "01_setupCfnHup", "abc", "1.2.3", "v1"] {
            assert_eq!(
                plain(text, 1, Reading::Strict).ok(),
                Some(json!(text)),
                "{text}"
            );
        }
    }
}
