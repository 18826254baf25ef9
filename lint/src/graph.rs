//! The template's resource graph as the rules walk it: which resources are functions, which
//! function a `FunctionName` or `ServiceToken` value designates (through aliases and
//! versions), and which functions serve custom resources.

use std::collections::BTreeMap;

use serde_json::Value;

/// The logical id → type map and the resolved properties of every resource.
pub(crate) struct Graph<'a> {
    pub(crate) types: &'a BTreeMap<String, String>,
    pub(crate) properties: &'a BTreeMap<String, Value>,
}

const NULL: Value = Value::Null;

/// Whether a resource type is a Lambda function (plain or SAM).
pub(crate) fn is_function(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "AWS::Lambda::Function" | "AWS::Serverless::Function"
    )
}

/// Whether a resource type is a custom resource.
pub(crate) fn is_custom_resource(resource_type: &str) -> bool {
    resource_type.starts_with("Custom::") || resource_type == "AWS::CloudFormation::CustomResource"
}

impl Graph<'_> {
    /// A resource's resolved properties (`null` when there are none).
    pub(crate) fn props(&self, id: &str) -> &Value {
        self.properties.get(id).unwrap_or(&NULL)
    }

    /// Whether `id` is a resource of type `t`.
    pub(crate) fn is(&self, id: &str, t: &str) -> bool {
        self.types.get(id).is_some_and(|x| x == t)
    }

    /// The function ids of the template.
    pub(crate) fn functions(&self) -> Vec<&String> {
        self.types
            .iter()
            .filter(|(_, t)| is_function(t))
            .map(|(id, _)| id)
            .collect()
    }

    /// The function a value (ServiceToken, FunctionName, ResourceArn) designates: `!GetAtt
    /// X.Arn`, `!Ref X`, or a resolved Sub such as `${X.Arn}:live` / `${X}`, through aliases
    /// and versions.
    pub(crate) fn function_of(&self, value: &Value) -> Option<String> {
        let from_text = value.as_str().and_then(|t| {
            let inner = t.strip_prefix("${")?;
            let end = inner.find('}')?;
            inner[..end].split('.').next()
        });
        let target = value
            .get("Fn::GetAtt")
            .and_then(|a| a.get(0))
            .and_then(Value::as_str)
            .or_else(|| value.get("Ref").and_then(Value::as_str))
            .or(from_text)?;
        match self.types.get(target).map(String::as_str) {
            Some("AWS::Lambda::Function" | "AWS::Serverless::Function") => Some(target.to_owned()),
            Some("AWS::Lambda::Alias" | "AWS::Lambda::Version") => {
                let f = &self.props(target)["FunctionName"];
                let id = f.get("Ref").and_then(Value::as_str).or_else(|| {
                    f.get("Fn::GetAtt")
                        .and_then(|a| a.get(0))
                        .and_then(Value::as_str)
                })?;
                is_function(self.types.get(id)?).then(|| id.to_owned())
            }
            _ => None,
        }
    }

    /// Custom-resource providers (function ids) and the custom resources using each.
    pub(crate) fn providers(&self) -> BTreeMap<String, Vec<String>> {
        let mut providers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, t) in self.types {
            if is_custom_resource(t) {
                if let Some(f) = self.function_of(&self.props(id)["ServiceToken"]) {
                    providers.entry(f).or_default().push(id.clone());
                }
            }
        }
        providers
    }

    /// The function a `FunctionName` value points at, when it is one of the template's
    /// functions (by `Ref`, `Fn::GetAtt`, logical id or literal function name).
    pub(crate) fn target_function(
        &self,
        value: &Value,
        names: &BTreeMap<String, String>,
    ) -> Option<String> {
        let id = match value {
            Value::String(name) => names.get(name).cloned().or_else(|| Some(name.clone())),
            other => other
                .get("Ref")
                .and_then(Value::as_str)
                .or_else(|| {
                    other
                        .get("Fn::GetAtt")
                        .and_then(|a| a.get(0))
                        .and_then(Value::as_str)
                })
                .map(str::to_owned),
        }?;
        self.types
            .get(&id)
            .is_some_and(|t| is_function(t))
            .then_some(id)
    }
}
