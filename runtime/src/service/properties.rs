//! Typed properties: deserialising `ResourceProperties` into the handler's own struct, with
//! unknown keys rejected and error messages that name the path but never echo a value.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{protocol::truncate_for_message, Error};

/// Deserialises properties into `P` after removing `reserved` keys.
///
/// Unknown keys (anywhere in the structure) are an error unless `allow_unknown`. Error messages
/// carry the path (`Items[2].Name`) and the expected type, never the offending value: property
/// values may be NoEcho parameters.
pub fn parse_properties<P: DeserializeOwned>(
    properties: &Map<String, Value>,
    reserved: &[String],
    allow_unknown: bool,
) -> Result<P, Error> {
    let mut map = properties.clone();
    for key in reserved {
        map.remove(key);
    }
    let mut unknown = Vec::new();
    let mut on_ignored = |path: serde_ignored::Path<'_>| {
        unknown.push(truncate_for_message(&path_text(&path)));
    };
    let deserializer = serde_ignored::Deserializer::new(Value::Object(map), &mut on_ignored);
    let parsed: P =
        serde_path_to_error::deserialize(deserializer).map_err(|e| Error::InvalidProperties {
            path: truncate_for_message(&e.path().to_string()),
            message: sanitize_serde_message(&e.into_inner().to_string()),
        })?;
    if !allow_unknown && !unknown.is_empty() {
        return Err(Error::UnknownProperties { keys: unknown });
    }
    Ok(parsed)
}

/// Formats a path like `serde_path_to_error` does: `Items[0].Colour`.
fn path_text(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", path_text(parent)),
        Path::Map { parent, key } => match path_text(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => path_text(parent),
    }
}

/// Removes values echoed by serde's standard messages ("invalid type: string \"...\"").
pub(crate) fn sanitize_serde_message(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            return match rest.rfind(", expected ") {
                Some(i) => format!("{prefix}{}{}", kind_of(&rest[..i]), &rest[i..]),
                None => format!("{prefix}(value withheld)"),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        return match rest.find("`, expected") {
            Some(i) => format!("unknown variant{}", &rest[i + 1..]),
            None => "unknown variant".to_owned(),
        };
    }
    let mut bounded = message.to_owned();
    if bounded.len() > 300 {
        let mut end = 300;
        while !bounded.is_char_boundary(end) {
            end -= 1;
        }
        bounded.truncate(end);
        bounded.push('…');
    }
    bounded
}

fn kind_of(unexpected: &str) -> &'static str {
    let kinds = [
        ("string", "a string"),
        ("integer", "an integer"),
        ("floating point", "a number"),
        ("boolean", "a boolean"),
        ("character", "a character"),
        ("map", "a map"),
        ("sequence", "a sequence"),
        ("null", "null"),
        ("unit", "null"),
    ];
    kinds
        .iter()
        .find(|(prefix, _)| unexpected.starts_with(prefix))
        .map(|(_, kind)| *kind)
        .unwrap_or("a value")
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Props {
        name: String,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Item {
        size: u32,
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn reserved() -> Vec<String> {
        vec!["ServiceToken".into()]
    }

    #[test]
    fn reserved_keys_are_removed() {
        let p: Props = parse_properties(
            &map(json!({"ServiceToken": "arn", "Name": "a"})),
            &reserved(),
            false,
        )
        .unwrap();
        assert_eq!(p.name, "a");
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_paths_unless_allowed() {
        let m = map(json!({"Name": "a", "Extra": 1, "Items": [{"Size": 1, "Colour": "red"}]}));
        let err = parse_properties::<Props>(&m, &reserved(), false).unwrap_err();
        let Error::UnknownProperties { keys } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(keys, &["Extra".to_owned(), "Items[0].Colour".to_owned()]);
        assert!(parse_properties::<Props>(&m, &reserved(), true).is_ok());
    }

    #[test]
    fn type_errors_name_the_path_and_never_the_value() {
        let m = map(json!({"Name": "a", "Items": [{"Size": 1}, {"Size": "hunter2-secret"}]}));
        let err = parse_properties::<Props>(&m, &reserved(), false).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Items[1].Size"), "{text}");
        assert!(text.contains("a string"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse_properties::<Props>(&map(json!({})), &reserved(), false).unwrap_err();
        assert!(err.to_string().contains("missing field `Name`"), "{err}");
    }

    #[test]
    fn unknown_variant_value_is_withheld() {
        assert_eq!(
            sanitize_serde_message("unknown variant `s3cret`, expected `ok` or `error`"),
            "unknown variant, expected `ok` or `error`"
        );
        assert_eq!(
            sanitize_serde_message("invalid value: integer `1234`, expected a port"),
            "invalid value: an integer, expected a port"
        );
    }
}
