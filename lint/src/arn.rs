//! ARNs as the rules read them before deployment: a value (a string, `Ref`, `Fn::GetAtt`, an
//! unresolved `Fn::Sub` or `Fn::Join`) as ARN text with `${Name}` for every reference, its
//! fields split on `:` outside `${...}` (`${AWS::Region}` is one name), and the resource a
//! reference names.

use serde_json::Value;

/// A value as ARN text, each reference written `${Name}` or `${Name.Attribute}` as `Fn::Sub`
/// writes it: a string as it is; `Ref`; `Fn::GetAtt`; `Fn::Sub` (its text, its variables'
/// values put in); `Fn::Join` of parts that are all text. `None` for anything else (an
/// import, a condition, a part that is not text).
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next()?;
            match key.as_str() {
                "Ref" => Some(format!("${{{}}}", arg.as_str()?)),
                "Fn::GetAtt" => match arg {
                    Value::String(s) => Some(format!("${{{s}}}")),
                    Value::Array(a) => Some(format!(
                        "${{{}.{}}}",
                        a.first()?.as_str()?,
                        a.get(1)?.as_str()?
                    )),
                    _ => None,
                },
                "Fn::Sub" => match arg {
                    Value::String(s) => Some(s.clone()),
                    Value::Array(a) => {
                        let mut out = a.first()?.as_str()?.to_owned();
                        for (name, v) in a.get(1)?.as_object()? {
                            out = out.replace(&format!("${{{name}}}"), &text(v)?);
                        }
                        Some(out)
                    }
                    _ => None,
                },
                "Fn::Join" => {
                    let a = arg.as_array()?;
                    let delimiter = a.first()?.as_str()?;
                    let parts: Option<Vec<String>> =
                        a.get(1)?.as_array()?.iter().map(text).collect();
                    Some(parts?.join(delimiter))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The `:`-separated fields of ARN text; a `${...}` is never split.
pub(crate) fn fields(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut depth) = (0, 0usize);
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// The name a text that is exactly one reference names: `X` for `${X}` and `${X.Arn}`.
pub(crate) fn reference(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    if inner.contains(['$', '{', '}']) || inner.starts_with('!') {
        return None;
    }
    // `${AWS::Region}` is a pseudo parameter; `${X.Arn}` is X's attribute.
    if inner.starts_with("AWS::") {
        return Some(inner);
    }
    inner.split('.').next()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_become_text_with_references_and_fields_keep_them_whole() {
        assert_eq!(text(&json!({"Ref": "Api"})).as_deref(), Some("${Api}"));
        assert_eq!(
            text(&json!({"Fn::GetAtt": ["Q", "Arn"]})).as_deref(),
            Some("${Q.Arn}")
        );
        assert_eq!(
            text(&json!({"Fn::Sub": ["arn:aws:execute-api:${AWS::Region}:1:${A}/*", {"A": {"Ref": "Api"}}]}))
                .as_deref(),
            Some("arn:aws:execute-api:${AWS::Region}:1:${Api}/*")
        );
        assert_eq!(
            text(&json!({"Fn::Join": ["", ["arn:aws:execute-api:", {"Ref": "AWS::Region"}, ":1:", {"Ref": "Api"}, "/*"]]}))
                .as_deref(),
            Some("arn:aws:execute-api:${AWS::Region}:1:${Api}/*")
        );
        assert_eq!(text(&json!({"Fn::ImportValue": "x"})), None);
        assert_eq!(
            fields(
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*/GET/"
            ),
            [
                "arn",
                "${AWS::Partition}",
                "execute-api",
                "${AWS::Region}",
                "${AWS::AccountId}",
                "${Api}/*/GET/"
            ]
        );
        assert_eq!(reference("${Q.Arn}"), Some("Q"));
        assert_eq!(reference("${AWS::AccountId}"), Some("AWS::AccountId"));
        assert_eq!(reference("${Api}/*"), None);
        assert_eq!(reference("x"), None);
    }
}
