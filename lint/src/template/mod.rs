//! Reading CloudFormation templates (YAML with short-form intrinsics, or JSON) with positions.
//!
//! Both formats are read with saphyr (JSON is YAML), keeping every node's position so findings
//! can name lines and so `warden sign` can insert one line into the original text instead of
//! re-serialising it (comments and formatting survive). Scalars are read raw, then as the
//! [`Reading`] asks: strictly (a plain scalar whose meaning could differ between YAML readers,
//! `010`, `1.10`, `yes`, is an error naming the quoting that fixes it, rather than a silent
//! guess), or as `warden lint` reads them (text unless unmistakable; unknown tags kept as opaque
//! values).

mod flow;
mod scalar;

use saphyr::{MarkedYaml, Scalar, ScalarStyle, Tag, YamlData, YamlLoader};
use saphyr_parser::Parser;
use serde_json::{Map, Number, Value};

pub use scalar::Reading;

pub(crate) use flow::reindent as reindent_flow;

use crate::Error;

/// The template errors of this module are [`Error::Template`].
pub type TemplateError = Error;

pub(crate) fn error(line: usize, message: impl Into<String>) -> TemplateError {
    Error::Template {
        line,
        message: message.into(),
    }
}

/// A parsed template.
pub struct Template<'s> {
    root: MarkedYaml<'s>,
}

/// One resource of the template.
pub struct Resource<'t, 's> {
    /// Its logical id.
    pub logical_id: String,
    /// Its `Type`.
    pub resource_type: String,
    /// The 1-based line of its logical id.
    pub line: usize,
    /// The `Properties` key and value nodes, when present.
    pub properties: Option<(&'t MarkedYaml<'s>, &'t MarkedYaml<'s>)>,
    /// The resource's whole mapping (Type, Properties, Metadata, ...).
    pub body: &'t MarkedYaml<'s>,
}

impl<'s> Template<'s> {
    /// Parses the text (first document only; duplicate keys are an error).
    pub fn parse(source: &'s str) -> Result<Self, TemplateError> {
        let mut loader: YamlLoader<'s, MarkedYaml<'s>> = YamlLoader::default();
        loader.allow_duplicate_keys(false);
        loader.early_parse(false);
        Parser::new_from_str(source)
            .load(&mut loader, false)
            .map_err(|e| error(e.marker().line(), e.info().to_owned()))?;
        if let Some(e) = loader.error() {
            return Err(error(e.marker().line(), e.info().to_owned()));
        }
        let root = loader
            .into_documents()
            .into_iter()
            .next()
            .ok_or_else(|| error(1, "the template is empty"))?;
        if !matches!(root.data, YamlData::Mapping(_)) {
            return Err(error(
                root.span.start.line(),
                "the template is not a mapping",
            ));
        }
        Ok(Self { root })
    }

    /// The resources, in template order.
    pub fn resources(&self) -> Result<Vec<Resource<'_, 's>>, TemplateError> {
        let Some((_, resources)) = entry(&self.root, "Resources") else {
            return Err(error(1, "the template has no Resources section"));
        };
        let YamlData::Mapping(map) = &resources.data else {
            return Err(error(
                resources.span.start.line(),
                "Resources is not a mapping",
            ));
        };
        let mut out = Vec::new();
        for (key, body) in map.iter() {
            let logical_id = scalar_text(key).ok_or_else(|| {
                error(key.span.start.line(), "a resource's logical id is not text")
            })?;
            if logical_id.starts_with("Fn::ForEach::") {
                return Err(error(
                    key.span.start.line(),
                    format!("{logical_id}: Fn::ForEach (the AWS::LanguageExtensions transform) is not expanded here; use the processed template"),
                ));
            }
            let resource_type = entry(body, "Type")
                .and_then(|(_, t)| scalar_text(t))
                .ok_or_else(|| {
                    error(
                        key.span.start.line(),
                        format!("resource {logical_id} has no Type"),
                    )
                })?;
            out.push(Resource {
                logical_id,
                resource_type,
                line: key.span.start.line(),
                properties: entry(body, "Properties"),
                body,
            });
        }
        Ok(out)
    }
}

impl Template<'_> {
    /// A top-level section (`Parameters`, `Conditions`, ...), when present.
    pub fn section(&self, name: &str) -> Option<&MarkedYaml<'_>> {
        entry(&self.root, name).map(|(_, v)| v)
    }
}

/// `key: value` in a mapping node.
pub fn entry<'t, 's>(
    node: &'t MarkedYaml<'s>,
    key: &str,
) -> Option<(&'t MarkedYaml<'s>, &'t MarkedYaml<'s>)> {
    match &node.data {
        YamlData::Mapping(m) => m
            .iter()
            .find(|(k, _)| scalar_text(k).as_deref() == Some(key)),
        _ => None,
    }
}

/// The text of an untagged scalar node.
pub fn scalar_text(node: &MarkedYaml<'_>) -> Option<String> {
    match &node.data {
        YamlData::Representation(text, _, None) => Some(text.to_string()),
        YamlData::Representation(text, _, Some(tag)) if non_specific(tag) => Some(text.to_string()),
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// The long form of a short-form intrinsic tag (`!Sub` → `Fn::Sub`).
fn long_form(suffix: &str) -> Option<String> {
    Some(match suffix {
        "Ref" | "Condition" => suffix.to_owned(),
        "Sub" | "GetAtt" | "If" | "Join" | "Select" | "ImportValue" | "Base64" | "Cidr"
        | "FindInMap" | "GetAZs" | "Split" | "Equals" | "And" | "Or" | "Not" | "Transform"
        | "Length" | "ToJsonString" => format!("Fn::{suffix}"),
        _ => return None,
    })
}

fn intrinsic(
    name: String,
    mut argument: Value,
    line: usize,
    reading: Reading,
) -> Result<Value, TemplateError> {
    if name == "Fn::GetAtt" {
        if let Value::String(s) = &argument {
            match s.split_once('.') {
                Some((resource, attribute)) => {
                    argument = Value::Array(vec![
                        Value::String(resource.into()),
                        Value::String(attribute.into()),
                    ]);
                }
                None if reading == Reading::Lint => {}
                None => {
                    return Err(error(
                        line,
                        format!("!GetAtt {s} is not Resource.Attribute"),
                    ))
                }
            }
        }
    }
    let mut map = Map::new();
    map.insert(name, argument);
    Ok(Value::Object(map))
}

/// The bare `!` tag: "not a specific type", a string for a scalar (YAML 1.2, PyYAML).
fn non_specific(tag: &Tag) -> bool {
    format!("{}{}", tag.handle, tag.suffix) == "!"
}

/// A tagged value: a short-form intrinsic in long form or, when reading for lint, an unknown
/// tag (`!Rain::Embed`) kept as `{"!Rain::Embed": value}`, which the rules cannot resolve.
fn tagged(tag: &Tag, value: Value, line: usize, reading: Reading) -> Result<Value, TemplateError> {
    if tag.handle == "!" {
        if let Some(name) = long_form(&tag.suffix) {
            return intrinsic(name, value, line, reading);
        }
    }
    if reading == Reading::Lint {
        let mut map = Map::new();
        map.insert(format!("{}{}", tag.handle, tag.suffix), value);
        return Ok(Value::Object(map));
    }
    Err(error(
        line,
        format!("unknown tag {}{}", tag.handle, tag.suffix),
    ))
}

/// Converts a node to JSON, short-form intrinsics to long form, reading scalars strictly.
pub fn to_json(node: &MarkedYaml<'_>) -> Result<Value, TemplateError> {
    to_json_as(node, Reading::Strict)
}

/// Converts a node to JSON, short-form intrinsics to long form, scalars read as `reading` says.
pub fn to_json_as(node: &MarkedYaml<'_>, reading: Reading) -> Result<Value, TemplateError> {
    let line = node.span.start.line();
    Ok(match &node.data {
        YamlData::Representation(text, style, tag) => match tag {
            Some(tag) if non_specific(tag) => Value::String(text.to_string()),
            Some(tag) if tag.is_yaml_core_schema() && &*tag.suffix == "str" => {
                Value::String(text.to_string())
            }
            Some(tag) if tag.is_yaml_core_schema() => scalar(text, *style, line, reading)?,
            Some(tag) => tagged(tag, Value::String(text.to_string()), line, reading)?,
            None => scalar(text, *style, line, reading)?,
        },
        YamlData::Value(value) => match value {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::Number((*i).into()),
            Scalar::FloatingPoint(f) => {
                Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
            }
            Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Sequence(items) => Value::Array(
            items
                .iter()
                .map(|item| to_json_as(item, reading))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map.iter() {
                let Some(key) = scalar_text(k) else {
                    if reading == Reading::Lint {
                        continue;
                    }
                    return Err(error(k.span.start.line(), "a mapping key is not text"));
                };
                out.insert(key, to_json_as(v, reading)?);
            }
            Value::Object(out)
        }
        YamlData::Tagged(tag, inner) if non_specific(tag) => to_json_as(inner, reading)?,
        YamlData::Tagged(tag, inner) => tagged(tag, to_json_as(inner, reading)?, line, reading)?,
        YamlData::Alias(_) | YamlData::BadValue => {
            if reading == Reading::Lint {
                return Ok(Value::Null);
            }
            return Err(error(line, "unsupported YAML (alias or bad value)"));
        }
    })
}

/// A scalar's value: quoted scalars are text, plain ones as `reading` says.
fn scalar(
    text: &str,
    style: ScalarStyle,
    line: usize,
    reading: Reading,
) -> Result<Value, TemplateError> {
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_owned()));
    }
    scalar::plain(text, line, reading)
}

/// Whether a JSON value contains an intrinsic function anywhere.
pub fn has_intrinsic(value: &Value) -> bool {
    match value {
        Value::Object(map) => is_intrinsic(value) || map.values().any(has_intrinsic),
        Value::Array(items) => items.iter().any(has_intrinsic),
        _ => false,
    }
}

/// Whether a JSON value is itself an intrinsic function (`{"Ref": ...}`, `{"Fn::...": ...}`,
/// `{"Condition": ...}`), or an unknown tag read for lint (`{"!Rain::Embed": ...}`): a value
/// known only at deploy time.
pub fn is_intrinsic(value: &Value) -> bool {
    value.as_object().is_some_and(|m| {
        m.len() == 1
            && m.keys().all(|k| {
                k == "Ref" || k == "Condition" || k.starts_with("Fn::") || k.starts_with('!')
            })
    })
}

/// Byte offset of a character index.
pub fn byte_offset(source: &str, char_index: usize) -> usize {
    source
        .char_indices()
        .nth(char_index)
        .map_or(source.len(), |(i, _)| i)
}

/// Byte offset where 1-based `line` starts.
pub fn line_start(source: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    source
        .match_indices('\n')
        .nth(line - 2)
        .map_or(source.len(), |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const YAML: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  # a comment
  Greeting:
    Type: Custom::Hello
    Properties:
      ServiceToken: !GetAtt Provider.Arn
      Name: !Sub "hello-${Env}"
      Count: 5
      Ratio: 0.5
      Enabled: true
      Quoted: "010"
      Tags:
        - !Ref Env
        - literal
      Nested: !If [IsProd, !GetAtt R.Arn, !Ref "AWS::NoValue"]
"#;

    #[test]
    fn yaml_with_short_forms_converts_to_long_forms() {
        let t = Template::parse(YAML).unwrap();
        let resources = t.resources().unwrap();
        assert_eq!(resources.len(), 1);
        let r = &resources[0];
        assert_eq!(
            (r.logical_id.as_str(), r.resource_type.as_str(), r.line),
            ("Greeting", "Custom::Hello", 4)
        );
        let props = to_json(r.properties.unwrap().1).unwrap();
        assert_eq!(
            props,
            json!({
                "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]},
                "Name": {"Fn::Sub": "hello-${Env}"},
                "Count": 5, "Ratio": 0.5, "Enabled": true, "Quoted": "010",
                "Tags": [{"Ref": "Env"}, "literal"],
                "Nested": {"Fn::If": ["IsProd", {"Fn::GetAtt": ["R", "Arn"]}, {"Ref": "AWS::NoValue"}]}
            })
        );
        assert!(has_intrinsic(&props["Tags"]) && !has_intrinsic(&props["Count"]));
    }

    #[test]
    fn json_templates_parse_too() {
        let src = r#"{"Resources": {"G": {"Type": "Custom::Hello", "Properties": {"Name": "W", "N": 5}}}}"#;
        let t = Template::parse(src).unwrap();
        let r = t.resources().unwrap();
        assert_eq!(
            to_json(r[0].properties.unwrap().1).unwrap(),
            json!({"Name": "W", "N": 5})
        );
    }

    #[test]
    fn ambiguous_scalars_and_bad_templates_are_clear_errors() {
        for (src, needle) in [
            (
                "Resources:\n  A:\n    Type: T\n    Properties:\n      V: 010\n",
                "line 5: `010`",
            ),
            (
                "Resources:\n  A:\n    Type: T\n    Properties:\n      V: 1.10\n",
                "quote it",
            ),
            (
                "Resources:\n  A:\n    Type: T\n    Properties:\n      V: yes\n",
                "YAML 1.1",
            ),
            (
                "Resources:\n  A:\n    Type: T\n    Properties:\n      V: 1:30\n",
                "YAML 1.1",
            ),
            (
                "Resources:\n  A:\n    Type: T\n    Properties:\n      V: 0b101\n",
                "quote it",
            ),
            (
                "Resources:\n  A:\n    Type: T\n    Properties:\n      V: !Bogus x\n",
                "unknown tag !Bogus",
            ),
            ("Resources:\n  A:\n    Type: T\n  A:\n    Type: U\n", "line"),
            ("Resources: [1]\n", "not a mapping"),
            ("Parameters: {}\n", "no Resources"),
            ("- 1\n", "not a mapping"),
            ("Resources:\n  A:\n    Properties: {}\n", "has no Type"),
        ] {
            let result = Template::parse(src).and_then(|t| {
                let resources = t.resources()?;
                for r in resources {
                    if let Some((_, p)) = r.properties {
                        to_json(p)?;
                    }
                }
                Ok(())
            });
            let err = result.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(needle), "{src:?}: `{err}`");
        }
    }
}
