//! The template as the rules read it: every resource's logical id, type, line, properties and
//! metadata as JSON read for lint ([`Reading::Lint`]), `Fn::ForEach` (the language-extensions
//! transform) expanded, and the parameters' values (defaults, then `--parameter` /
//! `--parameters`). Nothing here refuses a template: a resource without a readable type is
//! kept with an empty type (no rule applies to it), a section of the wrong shape is empty.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::template::{entry, scalar_text, to_json_as, Reading, Template};

/// One resource as the rules see it.
pub(crate) struct LintResource {
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    pub(crate) line: usize,
    /// Unresolved properties (`{}` when there are none).
    pub(crate) properties: Value,
    pub(crate) metadata: Value,
    /// The resource's `Condition`: it exists only when that condition holds.
    pub(crate) condition: Option<String>,
}

/// The template's parameters: each one's value (the given one, else its default) as `Ref`
/// would yield it (a list for `CommaDelimitedList` and `List<...>` types).
pub(crate) fn parameter_values(
    template: &Template<'_>,
    given: &BTreeMap<String, String>,
) -> Map<String, Value> {
    let declared = match template
        .section("Parameters")
        .map(|s| to_json_as(s, Reading::Lint))
    {
        Some(Ok(Value::Object(params))) => params,
        _ => Map::new(),
    };
    let mut values = Map::new();
    for (name, declaration) in &declared {
        let list = declaration["Type"]
            .as_str()
            .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"));
        let value = match given.get(name) {
            Some(v) => Value::String(v.clone()),
            None => match declaration.get("Default") {
                Some(d) => d.clone(),
                None => continue,
            },
        };
        let value = match value {
            Value::String(s) if list => Value::Array(
                s.split(',')
                    .map(|x| Value::String(x.trim().into()))
                    .collect(),
            ),
            other => other,
        };
        values.insert(name.clone(), value);
    }
    // A value given for a parameter the template does not declare is ignored, as
    // CloudFormation refuses it anyway.
    values
}

/// Each resource's type by logical id.
pub(crate) fn types(resources: &[LintResource]) -> BTreeMap<String, String> {
    resources
        .iter()
        .map(|r| (r.logical_id.clone(), r.resource_type.clone()))
        .collect()
}

/// The resources, in template order, `Fn::ForEach` expanded over `parameters`.
pub(crate) fn resources(
    template: &Template<'_>,
    parameters: &Map<String, Value>,
) -> Vec<LintResource> {
    let Some(saphyr::YamlData::Mapping(map)) = template.section("Resources").map(|r| &r.data)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, body) in map.iter() {
        let Some(logical_id) = scalar_text(key) else {
            continue;
        };
        let line = key.span.start.line();
        if logical_id.starts_with("Fn::ForEach::") {
            let Ok(value) = to_json_as(body, Reading::Lint) else {
                continue;
            };
            let mut fragment = Map::new();
            fragment.insert(logical_id, value);
            for (id, body) in expand(&fragment, parameters, 0) {
                out.push(LintResource {
                    logical_id: id,
                    resource_type: body["Type"].as_str().unwrap_or_default().to_owned(),
                    line,
                    properties: body.get("Properties").cloned().unwrap_or(Value::Null),
                    metadata: body.get("Metadata").cloned().unwrap_or(Value::Null),
                    condition: body["Condition"].as_str().map(str::to_owned),
                });
            }
            continue;
        }
        let json = |name: &str| {
            entry(body, name)
                .and_then(|(_, node)| to_json_as(node, Reading::Lint).ok())
                .unwrap_or(Value::Null)
        };
        out.push(LintResource {
            resource_type: entry(body, "Type")
                .and_then(|(_, t)| scalar_text(t))
                .unwrap_or_default(),
            logical_id,
            line,
            properties: json("Properties"),
            metadata: json("Metadata"),
            condition: json("Condition").as_str().map(str::to_owned),
        });
    }
    out
}

/// Nested loops deeper than this are not expanded (CloudFormation allows 5).
const MAX_DEPTH: usize = 5;

/// A Resources fragment with its `Fn::ForEach::<name>: [Identifier, Collection, Fragment]`
/// loops expanded: each output key and value with `${Identifier}` and `&{Identifier}` replaced
/// and `{"Ref": Identifier}` the item. A collection that is not a literal list (or a list
/// parameter with a value) expands once with the identifier left in place, so values built
/// from it stay unresolved (UNKNOWN), never silently absent.
fn expand(
    fragment: &Map<String, Value>,
    parameters: &Map<String, Value>,
    depth: usize,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (key, value) in fragment {
        if !key.starts_with("Fn::ForEach::") {
            out.push((key.clone(), value.clone()));
            continue;
        }
        let (Some(identifier), Some(Value::Object(inner))) =
            (value.get(0).and_then(Value::as_str), value.get(2))
        else {
            continue;
        };
        if depth >= MAX_DEPTH {
            continue;
        }
        let collection = match value.get(1) {
            Some(Value::Array(items)) => Some(items.clone()),
            Some(v) => v
                .get("Ref")
                .and_then(Value::as_str)
                .and_then(|p| parameters.get(p))
                .and_then(Value::as_array)
                .cloned(),
            None => None,
        };
        let items: Vec<Option<String>> = match collection {
            Some(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            None => vec![None],
        };
        for item in items {
            let substituted = match &item {
                Some(item) => substitute(&Value::Object(inner.clone()), identifier, item),
                None => Value::Object(inner.clone()),
            };
            if let Value::Object(map) = substituted {
                out.extend(expand(&map, parameters, depth + 1));
            }
        }
    }
    out
}

/// `${identifier}`, `&{identifier}` and `{"Ref": identifier}` replaced by `item` in keys and
/// values.
fn substitute(value: &Value, identifier: &str, item: &str) -> Value {
    let text = |s: &str| {
        let alphanumeric: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
        s.replace(&format!("${{{identifier}}}"), item)
            .replace(&format!("&{{{identifier}}}"), &alphanumeric)
    };
    match value {
        Value::String(s) => Value::String(text(s)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, identifier, item))
                .collect(),
        ),
        Value::Object(map)
            if map.len() == 1 && map.get("Ref").and_then(Value::as_str) == Some(identifier) =>
        {
            Value::String(item.to_owned())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (text(k), substitute(v, identifier, item)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn for_each_expands_literal_and_parameter_collections_and_keeps_unknown_ones() {
        let source = r#"
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList, Default: "a,b"}
  Free: {Type: CommaDelimitedList}
Resources:
  Fn::ForEach::Tables:
    - T
    - [Points, Score-1]
    - Table${T}:
        Type: AWS::DynamoDB::Table
        Properties: {TableName: !Ref T, Alias: "&{T}"}
  Fn::ForEach::Roles:
    - N
    - !Ref Names
    - Role${N}:
        Type: AWS::IAM::Role
        Properties: {RoleName: !Sub "r-${N}"}
  Fn::ForEach::Open:
    - F
    - !Ref Free
    - Fn${F}:
        Type: AWS::Lambda::Function
        Properties: {FunctionName: !Ref F}
  Plain:
    Type: !Rain::Module m.yml
"#;
        let template = Template::parse(source).unwrap_or_else(|e| panic!("{e}"));
        let parameters = parameter_values(&template, &BTreeMap::new());
        assert_eq!(parameters["Names"], json!(["a", "b"]));
        let found: Vec<(String, String, Value)> = resources(&template, &parameters)
            .into_iter()
            .map(|r| (r.logical_id, r.resource_type, r.properties))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "TablePoints".into(),
                    "AWS::DynamoDB::Table".into(),
                    json!({"TableName": "Points", "Alias": "Points"})
                ),
                (
                    "TableScore-1".into(),
                    "AWS::DynamoDB::Table".into(),
                    json!({"TableName": "Score-1", "Alias": "Score1"})
                ),
                (
                    "Rolea".into(),
                    "AWS::IAM::Role".into(),
                    json!({"RoleName": {"Fn::Sub": "r-a"}})
                ),
                (
                    "Roleb".into(),
                    "AWS::IAM::Role".into(),
                    json!({"RoleName": {"Fn::Sub": "r-b"}})
                ),
                (
                    "Fn${F}".into(),
                    "AWS::Lambda::Function".into(),
                    json!({"FunctionName": {"Ref": "F"}})
                ),
                ("Plain".into(), String::new(), Value::Null),
            ]
        );
        let given = BTreeMap::from([("Free".to_owned(), "x, y".to_owned())]);
        let parameters = parameter_values(&template, &given);
        assert_eq!(parameters["Free"], json!(["x", "y"]));
        assert_eq!(resources(&template, &parameters).len(), 7);
    }
}
