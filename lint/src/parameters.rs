//! Parameter values for a lint run from a file (`warden lint --parameters FILE`), in the shapes
//! the AWS tools write: `{"Key": "Value"}`, CodePipeline's template configuration
//! `{"Parameters": {"Key": "Value"}}`, or the CLI's
//! `[{"ParameterKey": "Key", "ParameterValue": "Value"}]`. Lists are joined with commas, as
//! CloudFormation takes a `CommaDelimitedList`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Error;

/// The parameter values in a parameters file's text.
pub fn parse_parameters(text: &str) -> Result<BTreeMap<String, String>, Error> {
    let json: Value =
        serde_json::from_str(text).map_err(|source| Error::ParametersJson { source })?;
    let shape = |what: &str| Error::ParametersShape { what: what.into() };
    let mut out = BTreeMap::new();
    match &json {
        Value::Array(items) => {
            for item in items {
                let key = item["ParameterKey"]
                    .as_str()
                    .ok_or_else(|| shape("an entry has no ParameterKey text"))?;
                let value = text_of(&item["ParameterValue"])
                    .ok_or_else(|| shape("an entry's ParameterValue is not a value"))?;
                out.insert(key.to_owned(), value);
            }
        }
        Value::Object(map) => {
            let map = match map.get("Parameters") {
                Some(Value::Object(inner)) => inner,
                Some(_) => return Err(shape("Parameters is not an object")),
                None => map,
            };
            for (key, value) in map {
                let value = text_of(value)
                    .ok_or_else(|| shape(&format!("the value of {key} is not a value")))?;
                out.insert(key.clone(), value);
            }
        }
        _ => return Err(shape("neither an object nor a list")),
    }
    Ok(out)
}

/// A parameter value as CloudFormation receives it: text (lists comma-joined).
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items
            .iter()
            .map(text_of)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_shapes_read_and_others_are_refused() {
        let want = BTreeMap::from([
            ("Env".to_owned(), "prod".to_owned()),
            ("Ids".to_owned(), "a,b".to_owned()),
            ("N".to_owned(), "3".to_owned()),
        ]);
        for text in [
            r#"{"Env": "prod", "Ids": ["a", "b"], "N": 3}"#,
            r#"{"Parameters": {"Env": "prod", "Ids": "a,b", "N": "3"}}"#,
            r#"[{"ParameterKey": "Env", "ParameterValue": "prod"}, {"ParameterKey": "Ids", "ParameterValue": "a,b"}, {"ParameterKey": "N", "ParameterValue": 3}]"#,
        ] {
            assert_eq!(parse_parameters(text).ok(), Some(want.clone()), "{text}");
        }
        for (text, needle) in [
            ("{", "not JSON"),
            ("3", "neither an object nor a list"),
            (r#"[{"ParameterValue": "x"}]"#, "no ParameterKey"),
            (r#"{"Env": {"a": 1}}"#, "the value of Env"),
            (r#"{"Parameters": []}"#, "Parameters is not an object"),
        ] {
            let err = parse_parameters(text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
