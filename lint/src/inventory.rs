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
    let types: BTreeMap<String, String> = listed
        .iter()
        .map(|r| (r.logical_id.clone(), r.resource_type.clone()))
        .collect();
    let scope = Scope {
        defaults: &parameters,
        types: &types,
    };
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

/// Evaluates `Conditions` and chooses `Fn::If` branches.
struct Chooser {
    definitions: Map<String, Value>,
    values: BTreeMap<String, Option<bool>>,
    notes: Vec<String>,
}

impl Chooser {
    /// The value of condition `name`, `None` when it depends on something unknown.
    fn condition(&mut self, name: &str) -> Option<bool> {
        if let Some(v) = self.values.get(name) {
            return *v;
        }
        // Guard against a cycle: a condition being evaluated reads as unknown.
        self.values.insert(name.to_owned(), None);
        let definition = self.definitions.get(name).cloned();
        let value = definition.and_then(|d| self.evaluate(&d));
        self.values.insert(name.to_owned(), value);
        value
    }

    fn evaluate(&mut self, expression: &Value) -> Option<bool> {
        let (function, argument) = expression.as_object()?.iter().next()?;
        let items = argument.as_array();
        match function.as_str() {
            "Condition" => self.condition(argument.as_str()?),
            "Fn::Not" => self.evaluate(items?.first()?).map(|b| !b),
            "Fn::And" => {
                let mut all = Some(true);
                for item in items? {
                    match self.evaluate(item) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            "Fn::Or" => {
                let mut any = Some(false);
                for item in items? {
                    match self.evaluate(item) {
                        Some(true) => return Some(true),
                        None => any = None,
                        Some(false) => {}
                    }
                }
                any
            }
            "Fn::Equals" => {
                let items = items?;
                let (a, b) = (items.first()?, items.get(1)?);
                let known = |v: &Value| !matches!(v, Value::Object(_));
                (known(a) && known(b)).then(|| text(a) == text(b))
            }
            _ => None,
        }
    }

    /// `value` with every `Fn::If` chosen and `AWS::NoValue` removed.
    fn choose(&mut self, value: &Value) -> Value {
        match value {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match self.branches(item) {
                        Some(branches) => out.extend(branches),
                        None => {
                            let chosen = self.choose(item);
                            if !is_no_value(&chosen) {
                                out.push(chosen);
                            }
                        }
                    }
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                if let Some(args) = map.get("Fn::If").filter(|_| map.len() == 1) {
                    return self.if_first(args);
                }
                let mut out = Map::new();
                for (k, v) in map {
                    let chosen = self.choose(v);
                    if !is_no_value(&chosen) {
                        out.insert(k.clone(), chosen);
                    }
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    /// In a list: an `Fn::If` whose condition is unknown contributes both branches.
    fn branches(&mut self, item: &Value) -> Option<Vec<Value>> {
        let args = item.get("Fn::If")?.as_array()?;
        let name = args.first()?.as_str()?;
        if self.condition(name).is_some() {
            return None;
        }
        self.notes.push(format!(
            "condition {name} depends on an unknown value: both branches counted in lists"
        ));
        Some(
            args.iter()
                .skip(1)
                .map(|b| self.choose(b))
                .filter(|b| !is_no_value(b))
                .collect(),
        )
    }

    fn if_first(&mut self, args: &Value) -> Value {
        let Some(args) = args.as_array() else {
            return Value::Null;
        };
        let name = args.first().and_then(Value::as_str).unwrap_or_default();
        let branch = match self.condition(name) {
            Some(true) => args.get(1),
            Some(false) => args.get(2),
            None => {
                self.notes.push(format!(
                    "condition {name} depends on an unknown value: its first branch read"
                ));
                args.get(1)
            }
        };
        branch.map(|b| self.choose(b)).unwrap_or(Value::Null)
    }
}

fn is_no_value(value: &Value) -> bool {
    value.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue")
}

/// A scalar's text (what `Fn::Equals` compares), or the JSON of anything else.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
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
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Extra:
    Type: CommaDelimitedList
    Default: ""
  Mode:
    Type: String
Conditions:
  HasExtra: !Not [!Equals [!Join ["", !Ref Extra], ""]]
  Unknown: !Equals [!Ref Mode, "x"]
Resources:
  Work:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${AWS::StackName}-work"
      PermissionsBoundary: !Ref Ceiling
      AssumeRolePolicyDocument: {}
      ManagedPolicyArns: [!Ref Policy, "arn:aws:iam::aws:policy/ReadOnlyAccess"]
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: lambda:GetFunction
            Resource: !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:app-*"
          - !If [HasExtra, {Effect: Allow, Action: !Ref Extra, Resource: "*"}, !Ref AWS::NoValue]
          - !If [Unknown, {Effect: Allow, Action: "s3:GetObject", Resource: "*"}, {Effect: Allow, Action: "s3:PutObject", Resource: "*"}]
  OnlyWithExtra:
    Type: AWS::IAM::Policy
    Condition: HasExtra
    Properties:
      Roles: [!Ref Work]
      PolicyDocument: {Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]}
  Ceiling:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Work.Arn
      Environment:
        Variables:
          WORK: !GetAtt Work.Arn
"#;

    #[test]
    fn conditions_choose_branches_and_names_become_concrete() {
        let stack = read(TEMPLATE, &Options::default(), &Assumptions::default()).unwrap();
        assert_eq!(stack.role_of("Fn"), Some(Named::Here("Work".into())));
        assert_eq!(
            stack.environment("Fn")["WORK"],
            "arn:aws:iam::111122223333:role/stack-work"
        );
        assert_eq!(stack.boundary("Work"), Some(Named::Here("Ceiling".into())));
        assert_eq!(
            stack.managed_policies("Work")[1],
            Named::Elsewhere("arn:aws:iam::aws:policy/ReadOnlyAccess".into())
        );
        let documents = stack.role_documents("Work");
        assert_eq!(documents.len(), 1, "{documents:?}");
        let statements = documents[0].1["Statement"].as_array().unwrap();
        // HasExtra is false (default ""), Unknown depends on Mode: both branches.
        assert_eq!(statements.len(), 3, "{statements:?}");
        assert_eq!(
            statements[0]["Resource"],
            "arn:aws:lambda:us-east-1:111122223333:function:app-*"
        );
        assert!(stack.notes().iter().any(|n| n.contains("Unknown")));

        let given = Options::with_parameters(BTreeMap::from([
            ("Extra".to_owned(), "ssm:GetParameter".to_owned()),
            ("Mode".to_owned(), "x".to_owned()),
        ]));
        let stack = read(TEMPLATE, &given, &Assumptions::default()).unwrap();
        let documents = stack.role_documents("Work");
        assert_eq!(documents.len(), 2, "HasExtra holds: {documents:?}");
        assert_eq!(documents[1].0, "OnlyWithExtra");
        let statements = documents[0].1["Statement"].clone();
        assert_eq!(statements.as_array().unwrap().len(), 3, "{statements}");
        assert_eq!(
            statements[1]["Action"],
            serde_json::json!(["ssm:GetParameter"])
        );
        assert_eq!(statements[2]["Action"], "s3:GetObject");
        assert!(stack.notes().is_empty(), "{:?}", stack.notes());
    }
}
