//! Canonical JSON (RFC 8785) and CloudFormation's value normalisation.

use serde_json::Value;

use crate::Error;

/// CloudFormation hands every scalar property value to a custom resource as a string: `5` in the
/// template arrives as `"5"`, `true` as `"true"`. Signer and verifier both normalise this way,
/// so a signature over the template matches the event.
pub fn cfn_normalise(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(cfn_normalise).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), cfn_normalise(v)))
                .collect(),
        ),
        Value::String(_) | Value::Null => value.clone(),
    }
}

/// The RFC 8785 canonical form: sorted keys, no insignificant whitespace, ECMAScript number
/// formatting, minimal string escapes.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, Error> {
    serde_json_canonicalizer::to_vec(value).map_err(|source| Error::Canonicalisation { source })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn canon(v: Value) -> String {
        String::from_utf8(canonical_json(&v).unwrap()).unwrap()
    }

    #[test]
    fn rfc_8785_key_order_nesting_and_whitespace() {
        assert_eq!(
            canon(json!({"b": 1, "a": {"d": [3, {"z": 1, "y": 2}], "c": null}})),
            r#"{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}"#
        );
        // Keys sort by UTF-16 code units: "\u{e9}" (é) before "\u{1f600}" (😀) and after "z".
        assert_eq!(
            canon(json!({"😀": 1, "é": 2, "z": 3})),
            r#"{"z":3,"é":2,"😀":1}"#
        );
    }

    #[test]
    fn rfc_8785_numbers() {
        // ECMAScript Number::toString forms (RFC 8785 §3.2.2.3).
        assert_eq!(
            canon(json!([
                1.0,
                1e21,
                1e-7,
                0.000001,
                123456789012345680000.0,
                -0.0
            ])),
            "[1,1e+21,1e-7,0.000001,123456789012345680000,0]"
        );
    }

    #[test]
    fn rfc_8785_string_escapes() {
        // Only ", \ and control characters are escaped; \u escapes in input become characters.
        let v: Value =
            serde_json::from_str(r#"["\u0041\u00e9\ud83d\ude00", "tab\t", "\u001f", "/"]"#)
                .unwrap();
        assert_eq!(canon(v), "[\"Aé😀\",\"tab\\t\",\"\\u001f\",\"/\"]");
    }

    #[test]
    fn normalisation_matches_what_cloudformation_delivers() {
        let template = json!({"Count": 5, "Ratio": 0.5, "On": true, "List": [1, "x", false], "Nested": {"N": 7}, "Nothing": null});
        let delivered = json!({"Count": "5", "Ratio": "0.5", "On": "true", "List": ["1", "x", "false"], "Nested": {"N": "7"}, "Nothing": null});
        assert_eq!(cfn_normalise(&template), delivered);
        assert_eq!(cfn_normalise(&delivered), delivered, "idempotent");
    }
}
