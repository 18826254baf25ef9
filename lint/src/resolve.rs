//! Intrinsic resolution without deploying: `Ref` to parameters with values (given or default), `Fn::Sub`,
//! `Fn::Join`, and `Ref`/`Fn::GetAtt` of the template's own resources (one concrete name each).
//! What stays unresolved stays an intrinsic, which rules report as UNKNOWN.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// What intrinsics can be resolved against: parameter values (given, else defaults) and the
/// template's resources.
pub(crate) struct Scope<'a> {
    pub(crate) defaults: &'a Map<String, Value>,
    pub(crate) types: &'a BTreeMap<String, String>,
}

impl<'a> Scope<'a> {
    /// Parameter values (given, else defaults) and the resources' types by logical id.
    pub(crate) fn new(
        defaults: &'a Map<String, Value>,
        types: &'a BTreeMap<String, String>,
    ) -> Self {
        Self { defaults, types }
    }
}

/// Resolves what can be resolved without deploying: `Ref` to a parameter with a default,
/// `Fn::Sub` (parameters with defaults and the substitution map; pseudo parameters and the
/// template's own resources stay `${...}`, since they are concrete names at deploy time) and
/// `Fn::Join` of resolved strings. Anything depending on a parameter without a default stays
/// an intrinsic, which the rules report as UNKNOWN.
pub(crate) fn resolve(value: &Value, scope: &Scope<'_>) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 => {
            if let Some((key, arg)) = map.iter().next() {
                let resolved = match key.as_str() {
                    "Ref" => arg.as_str().and_then(|p| scope.defaults.get(p)).cloned(),
                    "Fn::Sub" => substitute(arg, scope).map(Value::String),
                    "Fn::Join" => join(arg, scope).map(Value::String),
                    _ => None,
                };
                if let Some(resolved) = resolved {
                    return resolved;
                }
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, scope)))
                    .collect(),
            )
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, scope)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, scope)).collect()),
        other => other.clone(),
    }
}

/// A scalar as the text `Fn::Sub` and `Fn::Join` would put in.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Scope<'_> {
    /// Whether `${name}` is one concrete value at deploy time: a pseudo parameter (not
    /// `AWS::NoValue`), or a `Ref`/attribute of one of the template's resources.
    fn is_concrete(&self, name: &str) -> bool {
        (name.starts_with("AWS::") && name != "AWS::NoValue")
            || self
                .types
                .contains_key(name.split('.').next().unwrap_or_default())
    }
}

/// `Fn::Sub` with what is known; `None` when a variable depends on an unknown value.
fn substitute(arg: &Value, scope: &Scope<'_>) -> Option<String> {
    let empty = Map::new();
    let (text, vars) = match arg {
        Value::String(text) => (text.as_str(), &empty),
        Value::Array(items) => (items.first()?.as_str()?, items.get(1)?.as_object()?),
        _ => return None,
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some(var) = vars.get(name) {
            out.push_str(&scalar(&resolve(var, scope))?);
        } else if let Some(default) = scope.defaults.get(name) {
            out.push_str(&scalar(default)?);
        } else if scope.is_concrete(name) {
            out.push_str("${");
            out.push_str(name);
            out.push('}');
        } else {
            return None;
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `${...}` for a `Ref` to a pseudo parameter or to one of the template's resources, or a
/// `Fn::GetAtt` of one: concrete at deploy time, as `Fn::Sub` keeps them.
fn concrete_name(part: &Value, scope: &Scope<'_>) -> Option<String> {
    let name = match part.get("Ref").and_then(Value::as_str) {
        Some(name) => name.to_owned(),
        None => {
            let args = part.get("Fn::GetAtt")?.as_array()?;
            format!("{}.{}", args.first()?.as_str()?, args.get(1)?.as_str()?)
        }
    };
    scope.is_concrete(&name).then(|| format!("${{{name}}}"))
}

/// `Fn::Join` when every part resolves to a scalar or a concrete name.
fn join(arg: &Value, scope: &Scope<'_>) -> Option<String> {
    let items = arg.as_array()?;
    let delimiter = items.first()?.as_str()?;
    let parts = match resolve(items.get(1)?, scope) {
        Value::Array(parts) => parts,
        _ => return None,
    };
    let texts: Option<Vec<String>> = parts
        .iter()
        .map(|part| scalar(part).or_else(|| concrete_name(part, scope)))
        .collect();
    Some(texts?.join(delimiter))
}

/// A `Ref` or `Fn::GetAtt` of one of the template's resources: one concrete name or ARN.
pub(crate) fn is_concrete_reference(value: &Value, types: &BTreeMap<String, String>) -> bool {
    let target = value
        .get("Ref")
        .and_then(Value::as_str)
        .or_else(|| {
            value
                .get("Fn::GetAtt")
                .and_then(|a| a.get(0))
                .and_then(Value::as_str)
        })
        .or_else(|| {
            value
                .get("Fn::GetAtt")
                .and_then(Value::as_str)
                .and_then(|s| s.split('.').next())
        });
    target.is_some_and(|t| types.contains_key(t))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn joins_keep_pseudo_parameters_and_own_resources_as_names() {
        let defaults = Map::new();
        let types = BTreeMap::from([("Fn".to_owned(), "AWS::Lambda::Function".to_owned())]);
        let scope = Scope {
            defaults: &defaults,
            types: &types,
        };
        let joined = resolve(
            &json!({"Fn::Join": [":", ["arn:aws:lambda", {"Ref": "AWS::Region"}, {"Fn::GetAtt": ["Fn", "Arn"]}, "*"]]}),
            &scope,
        );
        assert_eq!(joined, json!("arn:aws:lambda:${AWS::Region}:${Fn.Arn}:*"));
        let unknown = json!({"Fn::Join": [":", ["a", {"Ref": "NoDefault"}]]});
        assert_eq!(resolve(&unknown, &scope), unknown);
    }
}
