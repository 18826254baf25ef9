//! A template read as the stack it would make, for `warden explain`: every resource's
//! properties with parameters applied, `Conditions` evaluated and `Fn::If` chosen, and names
//! and ARNs made concrete under stated assumptions (partition, region, account), so IAM
//! documents can be evaluated rather than pattern-matched. Custom resources, their provider
//! function, its environment, the roles it names and each role's policies and boundary.
//!
//! What cannot be decided is kept and said: a condition that depends on an unknown value
//! takes both branches in a statement list (the upper bound of what a role can do) and its
//! first branch elsewhere, with a note; a role, policy or boundary outside the template is
//! named, not guessed.
//!
//! May import: `template`, `model`, `resolve`, `graph`, `iam`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::{
    graph::{is_custom_resource, is_function, Graph},
    iam::list_of,
    model,
    resolve::{resolve, Scope},
    template::{to_json_as, Reading},
    Error, Options,
};

mod choose;

use choose::Chooser;

/// The values pseudo parameters take while explaining (there is no deployment to ask).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assumptions {
    /// `AWS::Partition`.
    pub partition: String,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account: String,
    /// `AWS::StackName`.
    pub stack_name: String,
}

impl Default for Assumptions {
    fn default() -> Self {
        Self {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "111122223333".into(),
            stack_name: "stack".into(),
        }
    }
}

/// One resource of the stack.
#[derive(Clone, Debug)]
pub struct Resource {
    /// Its type.
    pub resource_type: String,
    /// Its properties: parameters applied, conditions chosen, names concrete where known.
    pub properties: Value,
}

/// A role's or function's reference to a role, policy or boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Named {
    /// A resource of this template (its logical id).
    Here(String),
    /// Something outside the template (an ARN, or the unresolved value as JSON text).
    Elsewhere(String),
}

/// A template read as the stack it would make. See the module docs.
#[derive(Clone, Debug)]
pub struct Stack {
    resources: BTreeMap<String, Resource>,
    assumptions: Assumptions,
    notes: Vec<String>,
}

/// Reads `source` with `options` (parameter values) under `assumptions`.
pub fn read(source: &str, options: &Options, assumptions: &Assumptions) -> Result<Stack, Error> {
    let mut reindented = None;
    let template = crate::parse_leniently(source, &mut reindented)?;
    let parameters = model::parameter_values(&template, &options.parameters);
    let listed = model::resources(&template, &parameters);
    let types = model::types(&listed);
    let scope = Scope::new(&parameters, &types);
    let conditions = match template
        .section("Conditions")
        .map(|s| to_json_as(s, Reading::Lint))
    {
        Some(Ok(Value::Object(c))) => c,
        _ => Map::new(),
    };
    let mut chooser = Chooser {
        definitions: conditions
            .iter()
            .map(|(k, v)| (k.clone(), resolve(v, &scope)))
            .collect(),
        values: BTreeMap::new(),
        notes: Vec::new(),
    };
    let mut resources = BTreeMap::new();
    for r in &listed {
        if let Some(name) = &r.condition {
            match chooser.condition(name) {
                Some(true) => {}
                Some(false) => continue,
                None => chooser.notes.push(format!(
                    "{} exists only when condition {name} holds, which depends on an unknown \
                     value: counted as present",
                    r.logical_id
                )),
            }
        }
        let properties = resolve(&r.properties, &scope);
        let properties = chooser.choose(&properties);
        resources.insert(
            r.logical_id.clone(),
            Resource {
                resource_type: r.resource_type.clone(),
                properties,
            },
        );
    }
    let mut stack = Stack {
        resources,
        assumptions: assumptions.clone(),
        notes: chooser.notes,
    };
    let concrete: BTreeMap<String, Resource> = stack
        .resources
        .iter()
        .map(|(id, r)| {
            let properties = stack.concrete(&r.properties);
            (
                id.clone(),
                Resource {
                    resource_type: r.resource_type.clone(),
                    properties,
                },
            )
        })
        .collect();
    stack.resources = concrete;
    stack.notes.sort();
    stack.notes.dedup();
    Ok(stack)
}

impl Stack {
    /// Notes on what could not be decided.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The assumptions names were made concrete under.
    pub fn assumptions(&self) -> &Assumptions {
        &self.assumptions
    }

    /// A resource by logical id.
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.get(id)
    }

    /// Every resource by logical id.
    pub fn resources(&self) -> &BTreeMap<String, Resource> {
        &self.resources
    }

    /// The custom resources' logical ids.
    pub fn custom_resources(&self) -> Vec<&str> {
        self.ids(is_custom_resource)
    }

    /// The functions' logical ids.
    pub fn functions(&self) -> Vec<&str> {
        self.ids(is_function)
    }

    fn ids(&self, kind: fn(&str) -> bool) -> Vec<&str> {
        self.resources
            .iter()
            .filter(|(_, r)| kind(&r.resource_type))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// The function of this template a ServiceToken designates (through aliases and
    /// versions, by reference or by its concrete ARN).
    pub fn provider_of(&self, service_token: &Value) -> Option<String> {
        let types: BTreeMap<String, String> = self
            .resources
            .iter()
            .map(|(id, r)| (id.clone(), r.resource_type.clone()))
            .collect();
        let properties: BTreeMap<String, Value> = self
            .resources
            .iter()
            .map(|(id, r)| (id.clone(), r.properties.clone()))
            .collect();
        let graph = Graph {
            types: &types,
            properties: &properties,
        };
        if let Some(f) = graph.function_of(service_token) {
            return Some(f);
        }
        let arn = service_token.as_str()?;
        self.functions().into_iter().map(str::to_owned).find(|f| {
            let function = self.function_arn(f);
            arn == function
                || arn
                    .strip_prefix(&function)
                    .is_some_and(|q| q.starts_with(':'))
        })
    }

    /// A function's environment variables (concrete where known).
    pub fn environment(&self, function: &str) -> Map<String, Value> {
        self.resource(function)
            .and_then(|r| {
                r.properties["Environment"]["Variables"]
                    .as_object()
                    .cloned()
            })
            .unwrap_or_default()
    }

    /// The role a function runs as.
    pub fn role_of(&self, function: &str) -> Option<Named> {
        let role = &self.resource(function)?.properties["Role"];
        Some(self.named(role, "AWS::IAM::Role"))
    }

    /// The role of this template whose ARN (or name) is `value`, else `Elsewhere`.
    pub fn named(&self, value: &Value, resource_type: &str) -> Named {
        let text = match value {
            Value::String(s) => s.clone(),
            other => return Named::Elsewhere(other.to_string()),
        };
        self.resources
            .iter()
            .filter(|(_, r)| r.resource_type == resource_type)
            .find(|(id, _)| self.arn(id).as_deref() == Some(text.as_str()) || self.name(id) == text)
            .map_or(Named::Elsewhere(text), |(id, _)| Named::Here(id.clone()))
    }

    /// The policy documents that apply to role `role`: its inline policies, its template
    /// managed policies, and template policies attaching themselves to it.
    pub fn role_documents(&self, role: &str) -> Vec<(String, Value)> {
        let Some(r) = self.resource(role) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Value)> = list_of(&r.properties["Policies"])
            .iter()
            .map(|p| {
                let name = p["PolicyName"].as_str().unwrap_or("inline").to_owned();
                (format!("{role}/{name}"), p["PolicyDocument"].clone())
            })
            .collect();
        for managed in self.managed_policies(role) {
            if let Named::Here(id) = managed {
                if let Some(p) = self.resource(&id) {
                    out.push((id, p.properties["PolicyDocument"].clone()));
                }
            }
        }
        let role_name = self.name(role);
        for (id, p) in &self.resources {
            if !matches!(
                p.resource_type.as_str(),
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy"
            ) {
                continue;
            }
            let attached = list_of(&p.properties["Roles"])
                .iter()
                .chain(std::iter::once(&p.properties["RoleName"]))
                .any(|r| r.as_str() == Some(role_name.as_str()));
            if attached && !out.iter().any(|(n, _)| n == id) {
                out.push((id.clone(), p.properties["PolicyDocument"].clone()));
            }
        }
        out
    }

    /// The managed policies a role lists (`ManagedPolicyArns`).
    pub fn managed_policies(&self, role: &str) -> Vec<Named> {
        self.resource(role)
            .map(|r| {
                list_of(&r.properties["ManagedPolicyArns"])
                    .iter()
                    .map(|m| self.named(m, "AWS::IAM::ManagedPolicy"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A role's permissions boundary, if it has one.
    pub fn boundary(&self, role: &str) -> Option<Named> {
        let b = &self.resource(role)?.properties["PermissionsBoundary"];
        (!b.is_null()).then(|| self.named(b, "AWS::IAM::ManagedPolicy"))
    }

    /// A function's ARN.
    pub fn function_arn(&self, function: &str) -> String {
        let a = &self.assumptions;
        format!(
            "arn:{}:lambda:{}:{}:function:{}",
            a.partition,
            a.region,
            a.account,
            self.name(function)
        )
    }

    /// The physical name a resource gets: its name property, else its logical id.
    pub fn name(&self, id: &str) -> String {
        let key = match self.resources.get(id).map(|r| r.resource_type.as_str()) {
            Some("AWS::IAM::Role") => "RoleName",
            Some("AWS::IAM::ManagedPolicy") => "ManagedPolicyName",
            Some("AWS::Lambda::Function") => "FunctionName",
            Some("AWS::Serverless::Function") => "FunctionName",
            Some("AWS::S3::Bucket") => "BucketName",
            Some("AWS::Logs::LogGroup") => "LogGroupName",
            _ => "",
        };
        let name = self
            .resources
            .get(id)
            .and_then(|r| r.properties.get(key))
            .and_then(Value::as_str)
            .unwrap_or(id);
        // Pseudo parameters only: a name built from another resource's name stays as written.
        let a = &self.assumptions;
        name.replace("${AWS::Partition}", &a.partition)
            .replace("${AWS::Region}", &a.region)
            .replace("${AWS::AccountId}", &a.account)
            .replace("${AWS::StackName}", &a.stack_name)
    }

    /// A resource's ARN when its type's ARN is known.
    pub fn arn(&self, id: &str) -> Option<String> {
        let a = &self.assumptions;
        let name = self.name(id);
        Some(match self.resources.get(id)?.resource_type.as_str() {
            "AWS::IAM::Role" => format!("arn:{}:iam::{}:role/{name}", a.partition, a.account),
            "AWS::IAM::ManagedPolicy" => {
                format!("arn:{}:iam::{}:policy/{name}", a.partition, a.account)
            }
            "AWS::Lambda::Function" | "AWS::Serverless::Function" => self.function_arn(id),
            "AWS::KMS::Key" => format!(
                "arn:{}:kms:{}:{}:key/{id}",
                a.partition, a.region, a.account
            ),
            "AWS::S3::Bucket" => format!("arn:{}:s3:::{name}", a.partition),
            // What `Fn::GetAtt LogGroup.Arn` gives: the group's streams included.
            "AWS::Logs::LogGroup" => format!(
                "arn:{}:logs:{}:{}:log-group:{name}:*",
                a.partition, a.region, a.account
            ),
            _ => return None,
        })
    }

    /// What `Ref` of a resource gives.
    fn reference(&self, id: &str) -> String {
        match self.resources.get(id).map(|r| r.resource_type.as_str()) {
            Some("AWS::IAM::ManagedPolicy") => self.arn(id).unwrap_or_else(|| id.to_owned()),
            _ => self.name(id),
        }
    }

    /// `value` with pseudo parameters, `Ref`s and `Arn` attributes of this template's
    /// resources made concrete (in objects and in `${...}` of strings).
    fn concrete(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.concrete_text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.concrete(v)).collect()),
            Value::Object(map) if map.len() == 1 => {
                if let Some(name) = map.get("Ref").and_then(Value::as_str) {
                    if let Some(v) = self.variable(name) {
                        return Value::String(v);
                    }
                }
                if let Some(args) = map.get("Fn::GetAtt").and_then(Value::as_array) {
                    let path = args
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(".");
                    if let Some(v) = self.variable(&path) {
                        return Value::String(v);
                    }
                }
                Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), self.concrete(v)))
                        .collect(),
                )
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.concrete(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn concrete_text(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            match self.variable(name) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A pseudo parameter, a resource's `Ref`, or its `Arn` attribute.
    fn variable(&self, name: &str) -> Option<String> {
        let a = &self.assumptions;
        match name {
            "AWS::Partition" => return Some(a.partition.clone()),
            "AWS::Region" => return Some(a.region.clone()),
            "AWS::AccountId" => return Some(a.account.clone()),
            "AWS::StackName" => return Some(a.stack_name.clone()),
            "AWS::URLSuffix" => return Some("amazonaws.com".into()),
            _ => {}
        }
        match name.split_once('.') {
            None => self
                .resources
                .contains_key(name)
                .then(|| self.reference(name)),
            Some((id, "Arn")) => self.arn(id),
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests;
