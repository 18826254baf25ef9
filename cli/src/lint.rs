//! `warden lint`: rules over CloudFormation templates (YAML or JSON, SAM included) for the
//! misconfigurations that make custom resources and Lambda functions dangerous.
//!
//! Every finding has a stable kebab-case rule id, a severity, the resource's logical id and line,
//! and a status: `fail`, or `unknown` when a value the rule needs is an intrinsic that could not
//! be resolved (never a silent pass). `Ref`s to parameters with defaults are resolved. `Deny`
//! statements never trigger a finding. A resource can suppress a rule in its Metadata, with a
//! mandatory reason:
//!
//! ```yaml
//! Metadata:
//!   cfn-warden:
//!     Suppress:
//!       - Rule: role-without-boundary
//!         Reason: legacy role, tracked in TICKET-12
//! ```

use std::collections::BTreeMap;

use clap::ValueEnum;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::template::{is_intrinsic, to_json, Template, TemplateError};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Worth knowing.
    Low,
    /// Should be fixed.
    Medium,
    /// A path to privilege escalation or public exposure.
    High,
}

impl Severity {
    fn sarif_level(self) -> &'static str {
        match self {
            Self::Low => "note",
            Self::Medium => "warning",
            Self::High => "error",
        }
    }
}

/// Whether the rule failed, or could not decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// The rule's condition holds.
    Fail,
    /// A needed value is an unresolved intrinsic.
    Unknown,
}

/// A rule's identity.
pub(crate) struct Rule {
    pub(crate) id: &'static str,
    pub(crate) severity: Severity,
    pub(crate) description: &'static str,
}

/// Every rule, in a stable order.
pub(crate) const RULES: &[Rule] = &[
    Rule { id: "custom-resource-unsigned", severity: Severity::Medium, description: "A custom resource carries no WardenSignature: any invoker can choose its properties." },
    Rule { id: "service-token-unqualified", severity: Severity::Low, description: "A ServiceToken names the function without a version or alias (or with $LATEST): whatever code is deployed last answers." },
    Rule { id: "lambda-permission-public", severity: Severity::High, description: "A Lambda permission grants Principal * without SourceArn, SourceAccount or PrincipalOrgID." },
    Rule { id: "function-url-auth-none", severity: Severity::High, description: "A function URL has AuthType NONE: anyone on the internet can invoke it." },
    Rule { id: "iam-wildcard-action", severity: Severity::Medium, description: "An Allow statement grants * or service:* actions, or uses NotAction." },
    Rule { id: "iam-passrole-wildcard", severity: Severity::High, description: "An Allow statement grants iam:PassRole on * or on an ARN pattern." },
    Rule { id: "role-without-boundary", severity: Severity::Low, description: "An IAM role has no permissions boundary." },
    Rule { id: "suppression-without-reason", severity: Severity::Medium, description: "A suppression in Metadata has no Reason." },
    Rule { id: "shared-execution-role", severity: Severity::Medium, description: "Several functions share one execution role: each gets the others' permissions." },
    Rule { id: "multiple-event-triggers", severity: Severity::Low, description: "A function has several event triggers: one role serves several purposes." },
    Rule { id: "wildcard-in-arn", severity: Severity::Medium, description: "An Allow statement (or a SAM policy template) names resources by an ARN containing `*`." },
    Rule { id: "provider-escalation", severity: Severity::High, description: "A custom-resource provider can be invoked through a wildcard, an ARN pattern or the whole account while its role can pass roles, create or update functions, or write IAM." },
    Rule { id: "invoke-policy-overwritten", severity: Severity::High, description: "A custom-resource provider has both an AWS::Lambda::Permission and an AWS::Lambda::ResourcePolicy: AddPermission and PutResourcePolicy overwrite each other, so one of the two invoke policies is silently lost." },
];

fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Finding {
    pub(crate) rule: &'static str,
    pub(crate) severity: Severity,
    pub(crate) status: Status,
    pub(crate) file: String,
    pub(crate) logical_id: String,
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// What a rule says about one resource.
struct Hit {
    rule: &'static str,
    status: Status,
    message: String,
}

fn fail(rule: &'static str, message: impl Into<String>) -> Hit {
    Hit {
        rule,
        status: Status::Fail,
        message: message.into(),
    }
}

fn unknown(rule: &'static str, message: impl Into<String>) -> Hit {
    Hit {
        rule,
        status: Status::Unknown,
        message: message.into(),
    }
}

/// Lints one template's text.
pub(crate) fn lint(file: &str, source: &str) -> Result<Vec<Finding>, TemplateError> {
    let template = Template::parse(source)?;
    let defaults = parameter_defaults(&template)?;
    let resources = template.resources()?;
    let types: BTreeMap<String, String> = resources
        .iter()
        .map(|r| (r.logical_id.clone(), r.resource_type.clone()))
        .collect();
    let scope = Scope {
        defaults: &defaults,
        types: &types,
    };
    let mut all_properties = BTreeMap::new();
    for resource in &resources {
        let properties = match resource.properties {
            Some((_, node)) => resolve(&to_json(node)?, &scope),
            None => Value::Object(Map::new()),
        };
        all_properties.insert(resource.logical_id.clone(), properties);
    }
    let sam_global_boundary = template
        .section("Globals")
        .map(to_json)
        .transpose()?
        .is_some_and(|g| g["Function"].get("PermissionsBoundary").is_some());
    let ctx = Ctx {
        types: &types,
        sam_global_boundary,
    };
    let mut cross = cross_resource(&types, &all_properties);
    for (id, hits) in provider_escalation(&types, &all_properties) {
        cross.entry(id).or_default().extend(hits);
    }
    let mut findings = Vec::new();
    for resource in &resources {
        let properties = all_properties
            .remove(&resource.logical_id)
            .unwrap_or(Value::Null);
        let metadata = match crate::template::entry(resource.body, "Metadata") {
            Some((_, node)) => to_json(node)?,
            None => Value::Null,
        };
        let (suppressed, mut hits) = suppressions(&metadata);
        hits.extend(check(&resource.resource_type, &properties, &ctx));
        hits.extend(cross.remove(&resource.logical_id).unwrap_or_default());
        for hit in hits {
            if suppressed.iter().any(|s| s == hit.rule) {
                continue;
            }
            let r = rule(hit.rule);
            findings.push(Finding {
                rule: r.id,
                severity: r.severity,
                status: hit.status,
                file: file.to_owned(),
                logical_id: resource.logical_id.clone(),
                line: resource.line,
                message: hit.message,
            });
        }
    }
    Ok(findings)
}

fn parameter_defaults(template: &Template<'_>) -> Result<Map<String, Value>, TemplateError> {
    let Some(section) = template.section("Parameters") else {
        return Ok(Map::new());
    };
    let Value::Object(params) = to_json(section)? else {
        return Ok(Map::new());
    };
    Ok(params
        .into_iter()
        .filter_map(|(k, v)| v.get("Default").cloned().map(|d| (k, d)))
        .collect())
}

/// What intrinsics can be resolved against: parameter defaults and the template's resources.
struct Scope<'a> {
    defaults: &'a Map<String, Value>,
    types: &'a BTreeMap<String, String>,
}

/// Resolves what can be resolved without deploying: `Ref` to a parameter with a default,
/// `Fn::Sub` (parameters with defaults and the substitution map; pseudo parameters and the
/// template's own resources stay `${...}`, since they are concrete names at deploy time) and
/// `Fn::Join` of resolved strings. Anything depending on a parameter without a default stays
/// an intrinsic, which the rules report as UNKNOWN.
fn resolve(value: &Value, scope: &Scope<'_>) -> Value {
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

/// Rules suppressed by the resource's Metadata, and findings about bad suppressions.
fn suppressions(metadata: &Value) -> (Vec<String>, Vec<Hit>) {
    let mut suppressed = Vec::new();
    let mut hits = Vec::new();
    for entry in metadata["cfn-warden"]["Suppress"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let rule = entry["Rule"].as_str().unwrap_or_default();
        let reason = entry["Reason"].as_str().map(str::trim).unwrap_or_default();
        if reason.is_empty() {
            hits.push(fail(
                "suppression-without-reason",
                format!("suppression of `{rule}` has no Reason; it is ignored"),
            ));
        } else {
            suppressed.push(rule.to_owned());
        }
    }
    (suppressed, hits)
}

fn is_function(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "AWS::Lambda::Function" | "AWS::Serverless::Function"
    )
}

/// The function a `FunctionName` value points at, when it is one of the template's functions.
fn target_function(
    value: &Value,
    types: &BTreeMap<String, String>,
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
    types.get(&id).is_some_and(|t| is_function(t)).then_some(id)
}

/// Findings that need the whole template: shared roles and triggers per function.
fn cross_resource(
    types: &BTreeMap<String, String>,
    properties: &BTreeMap<String, Value>,
) -> BTreeMap<String, Vec<Hit>> {
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    let null = Value::Null;
    let props = |id: &str| properties.get(id).unwrap_or(&null);
    let functions: Vec<&String> = types
        .iter()
        .filter(|(_, t)| is_function(t))
        .map(|(id, _)| id)
        .collect();
    // Functions by their role (compared as resolved JSON; a SAM function without Role gets its own).
    let mut by_role: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for id in &functions {
        let role = &props(id)["Role"];
        if !role.is_null() {
            by_role.entry(role.to_string()).or_default().push(id);
        }
    }
    for sharing in by_role.values().filter(|ids| ids.len() > 1) {
        for id in sharing {
            let others: Vec<&str> = sharing
                .iter()
                .filter(|o| o != &id)
                .map(|o| o.as_str())
                .collect();
            hits.entry((*id).clone()).or_default().push(fail(
                "shared-execution-role",
                format!("shares its role with {}", others.join(", ")),
            ));
        }
    }
    // Triggers: SAM Events, event source mappings and service permissions pointing at the function.
    let names: BTreeMap<String, String> = functions
        .iter()
        .filter_map(|id| {
            props(id)["FunctionName"]
                .as_str()
                .map(|n| (n.to_owned(), (*id).clone()))
        })
        .collect();
    let mut triggers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in &functions {
        for event in props(id)["Events"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            triggers
                .entry((*id).clone())
                .or_default()
                .push(format!("event {event}"));
        }
    }
    for (id, t) in types {
        let p = &props(id);
        let is_trigger = t == "AWS::Lambda::EventSourceMapping"
            || (t == "AWS::Lambda::Permission"
                && p["Principal"]
                    .as_str()
                    .is_some_and(|s| s.ends_with(".amazonaws.com")));
        if is_trigger {
            if let Some(target) = target_function(&p["FunctionName"], types, &names) {
                triggers.entry(target).or_default().push(id.clone());
            }
        }
    }
    for (id, sources) in triggers.into_iter().filter(|(_, s)| s.len() > 1) {
        hits.entry(id).or_default().push(fail(
            "multiple-event-triggers",
            format!("{} triggers: {}", sources.len(), sources.join(", ")),
        ));
    }
    hits
}

/// What per-resource rules need from the rest of the template.
struct Ctx<'a> {
    types: &'a BTreeMap<String, String>,
    /// `Globals.Function.PermissionsBoundary` is set (SAM).
    sam_global_boundary: bool,
}

/// AWS managed policies that grant wildcard actions, as SAM `Policies` entries name them.
const BROAD_MANAGED_POLICIES: &[&str] = &[
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "AWSLambda_FullAccess",
    "AWSLambdaFullAccess",
    "AmazonS3FullAccess",
    "AmazonDynamoDBFullAccess",
];

fn check(resource_type: &str, p: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    let types = ctx.types;
    let mut hits = Vec::new();
    match resource_type {
        t if t.starts_with("Custom::") || t == "AWS::CloudFormation::CustomResource" => {
            if p.get("WardenSignature").is_none() {
                hits.push(fail(
                    "custom-resource-unsigned",
                    "no WardenSignature property (sign with `warden sign`)",
                ));
            }
            hits.extend(service_token(&p["ServiceToken"], types));
        }
        "AWS::Lambda::Permission" => hits.extend(public_permission(p)),
        "AWS::Lambda::Url" => hits.extend(url_auth(&p["AuthType"])),
        "AWS::Serverless::Function" => {
            if let Some(config) = p.get("FunctionUrlConfig") {
                hits.extend(url_auth(&config["AuthType"]));
            }
            if p.get("Role").is_none()
                && p.get("PermissionsBoundary").is_none()
                && !ctx.sam_global_boundary
            {
                hits.push(fail(
                    "role-without-boundary",
                    "SAM creates this function's role without a PermissionsBoundary",
                ));
            }
            hits.extend(sam_policies(&p["Policies"], types));
        }
        "AWS::IAM::Role" => {
            if p.get("PermissionsBoundary").is_none() {
                hits.push(fail("role-without-boundary", "no PermissionsBoundary"));
            }
            for policy in p["Policies"].as_array().into_iter().flatten() {
                hits.extend(statements(&policy["PolicyDocument"], types));
            }
        }
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            hits.extend(statements(&p["PolicyDocument"], types))
        }
        _ => {}
    }
    hits
}

/// SAM `Policies`: a managed policy name or ARN, a policy document, or a policy template
/// (`{TemplateName: {Parameter: value}}`), alone or in a list.
fn sam_policies(policies: &Value, types: &BTreeMap<String, String>) -> Vec<Hit> {
    let list = match policies {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    let mut hits = Vec::new();
    for policy in list {
        match &policy {
            Value::String(name) => {
                let short = name.rsplit('/').next().unwrap_or(name);
                if BROAD_MANAGED_POLICIES.contains(&short) {
                    hits.push(fail(
                        "iam-wildcard-action",
                        format!("SAM Policies attaches the managed policy {short}"),
                    ));
                }
            }
            Value::Object(map) if map.contains_key("Statement") => {
                hits.extend(statements(&policy, types));
            }
            Value::Object(map) if is_intrinsic(&policy) => {
                let _ = map;
                hits.push(unknown(
                    "iam-wildcard-action",
                    "a SAM Policies entry could not be resolved",
                ));
            }
            Value::Object(map) => {
                for (template, parameters) in map {
                    for (name, value) in parameters.as_object().into_iter().flatten() {
                        match value {
                            Value::String(v) if v.contains('*') => hits.push(fail(
                                "wildcard-in-arn",
                                format!("policy template {template} with {name} `{v}`"),
                            )),
                            Value::String(_) => {}
                            other if is_concrete_reference(other, types) => {}
                            _ => hits.push(unknown(
                                "wildcard-in-arn",
                                format!("policy template {template}: {name} could not be resolved"),
                            )),
                        }
                    }
                }
            }
            _ => {}
        }
    }
    hits
}

/// A `Ref` or `Fn::GetAtt` of one of the template's resources: one concrete name or ARN.
fn is_concrete_reference(value: &Value, types: &BTreeMap<String, String>) -> bool {
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

fn service_token(token: &Value, types: &BTreeMap<String, String>) -> Option<Hit> {
    const RULE: &str = "service-token-unqualified";
    if let Some(arn) = token.as_str() {
        let qualifier = arn.split(':').nth(7);
        return match qualifier {
            None => Some(fail(
                RULE,
                "the ServiceToken is an unqualified function ARN",
            )),
            Some("$LATEST") => Some(fail(RULE, "the ServiceToken names $LATEST")),
            Some(_) => None,
        };
    }
    if let Some(args) = token.get("Fn::GetAtt").and_then(Value::as_array) {
        let target = args.first().and_then(Value::as_str).unwrap_or_default();
        if types.get(target).map(String::as_str) == Some("AWS::Lambda::Function")
            && args.get(1).and_then(Value::as_str) == Some("Arn")
        {
            return Some(fail(
                RULE,
                format!("the ServiceToken is {target}.Arn, the unqualified function"),
            ));
        }
    }
    if let Some(target) = token.get("Ref").and_then(Value::as_str) {
        if matches!(
            types.get(target).map(String::as_str),
            Some("AWS::Lambda::Version" | "AWS::Lambda::Alias")
        ) {
            return None;
        }
    }
    if token.is_null() {
        return None;
    }
    Some(unknown(RULE, "the ServiceToken could not be resolved"))
}

fn public_permission(p: &Value) -> Option<Hit> {
    const RULE: &str = "lambda-permission-public";
    let principal = &p["Principal"];
    if is_intrinsic(principal) {
        return Some(unknown(RULE, "the Principal could not be resolved"));
    }
    let scoped = ["SourceArn", "SourceAccount", "PrincipalOrgID"]
        .iter()
        .any(|k| p.get(*k).is_some());
    (principal.as_str() == Some("*") && !scoped).then(|| {
        fail(
            RULE,
            "Principal * without SourceArn, SourceAccount or PrincipalOrgID",
        )
    })
}

fn url_auth(auth: &Value) -> Option<Hit> {
    const RULE: &str = "function-url-auth-none";
    if is_intrinsic(auth) {
        return Some(unknown(RULE, "the AuthType could not be resolved"));
    }
    (auth.as_str() == Some("NONE")).then(|| fail(RULE, "AuthType NONE"))
}

/// The statements of a policy document.
fn statement_list(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![document["Statement"].clone()],
        _ => Vec::new(),
    }
}

/// One value or a list of them, as a list.
fn list_of(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// Findings for the Allow statements of one policy document.
fn statements(document: &Value, types: &BTreeMap<String, String>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for statement in statement_list(document) {
        if statement["Effect"] != json!("Allow") {
            continue; // Deny statements never trigger a finding.
        }
        if statement.get("NotAction").is_some() {
            hits.push(fail(
                "iam-wildcard-action",
                "an Allow statement uses NotAction",
            ));
        }
        let actions = list_of(&statement["Action"]);
        let wildcard = |a: &str| a == "*" || a.ends_with(":*");
        if actions.iter().filter_map(Value::as_str).any(wildcard) {
            hits.push(fail(
                "iam-wildcard-action",
                "an Allow statement grants wildcard actions",
            ));
        }
        let passes_role = actions
            .iter()
            .filter_map(Value::as_str)
            .any(|a| action_matches(a, "iam:PassRole"));
        for resource in list_of(&statement["Resource"]) {
            match resource.as_str() {
                Some(r) if passes_role && r.contains('*') => {
                    hits.push(fail(
                        "iam-passrole-wildcard",
                        format!("iam:PassRole on `{r}`"),
                    ));
                }
                // A trailing `:*` after a name (a log group's streams, a layer's versions)
                // stays within one named resource.
                Some(r) if r.starts_with("arn:") && r.contains('*') && !one_named_resource(r) => {
                    hits.push(fail(
                        "wildcard-in-arn",
                        format!("`{r}` matches every resource of its pattern"),
                    ));
                }
                Some(_) => {}
                None if is_concrete_reference(&resource, types) => {}
                None if passes_role => hits.push(unknown(
                    "iam-passrole-wildcard",
                    "an iam:PassRole Resource could not be resolved",
                )),
                None => hits.push(unknown(
                    "wildcard-in-arn",
                    "a Resource could not be resolved",
                )),
            }
        }
    }
    hits
}

/// Whether an ARN ending in `:*` stays within one named resource: `<type>:<name>:*` (a log
/// group's streams, a layer's versions), not `function:*` or `arn:aws:s3:::*`.
fn one_named_resource(arn: &str) -> bool {
    let Some(base) = arn.strip_suffix(":*") else {
        return false;
    };
    // `${AWS::Region}` and the like are single names; they must not count as separators.
    let mut base = base.to_owned();
    while let Some(start) = base.find("${") {
        let Some(len) = base[start..].find('}') else {
            break;
        };
        base.replace_range(start..=start + len, "v");
    }
    let segments: Vec<&str> = base.split(':').collect();
    segments.len() >= 7 && !base.contains('*') && segments.iter().skip(5).all(|s| !s.is_empty())
}

/// Whether IAM action pattern `pattern` (with `*` and `?`) matches `action`, ignoring case.
/// Iterative with one remembered star: no exponential backtracking on patterns like `****Q`.
fn action_matches(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.as_bytes(), action.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < a.len() {
        if i < p.len() && (p[i] == b'?' || p[i].eq_ignore_ascii_case(&a[j])) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == b'*')
}

/// Actions through which a provider's role escalates: passing roles, making or changing code,
/// writing IAM.
const ESCALATING_ACTIONS: &[&str] = &[
    "iam:PassRole",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:PutUserPolicy",
    "iam:AttachUserPolicy",
];

/// An AWS managed policy with wildcard actions (by name or ARN), as the document it amounts to.
fn broad_managed_policy(reference: &Value) -> Option<Value> {
    let name = reference.as_str()?;
    let short = name.rsplit('/').next().unwrap_or(name);
    BROAD_MANAGED_POLICIES
        .contains(&short)
        .then(|| json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
}

/// Allowed actions of `documents` that escalate.
fn escalating(documents: &[Value]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for document in documents {
        for statement in statement_list(document) {
            if statement["Effect"] != json!("Allow") {
                continue;
            }
            if statement.get("NotAction").is_some() {
                // Everything but the listed actions: assume the escalating ones are in.
                for action in ESCALATING_ACTIONS {
                    if !out.contains(action) {
                        out.push(*action);
                    }
                }
            }
            for pattern in list_of(&statement["Action"]) {
                let Some(pattern) = pattern.as_str() else {
                    continue;
                };
                for action in ESCALATING_ACTIONS {
                    if action_matches(pattern, action) && !out.contains(action) {
                        out.push(*action);
                    }
                }
            }
        }
    }
    out
}

/// Custom-resource providers that a broad set of principals may invoke while their role can
/// escalate, found through the template's resource graph (ServiceToken → alias or version →
/// function → role → inline, attached and separate policies; invoke grants from Lambda
/// permissions and from IAM policies with patterns).
fn provider_escalation(
    types: &BTreeMap<String, String>,
    properties: &BTreeMap<String, Value>,
) -> BTreeMap<String, Vec<Hit>> {
    const RULE: &str = "provider-escalation";
    let null = Value::Null;
    let props = |id: &str| properties.get(id).unwrap_or(&null);
    let of_type = |id: &str, t: &str| types.get(id).is_some_and(|x| x == t);
    // The function a value (ServiceToken, FunctionName) designates, through aliases and versions.
    let function_of = |value: &Value| -> Option<String> {
        // `!GetAtt X.Arn`, `!Ref X`, or a resolved Sub such as `${X.Arn}:live` / `${X}`.
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
        match types.get(target).map(String::as_str) {
            Some("AWS::Lambda::Function" | "AWS::Serverless::Function") => Some(target.to_owned()),
            Some("AWS::Lambda::Alias" | "AWS::Lambda::Version") => {
                let f = &props(target)["FunctionName"];
                let id = f.get("Ref").and_then(Value::as_str).or_else(|| {
                    f.get("Fn::GetAtt")
                        .and_then(|a| a.get(0))
                        .and_then(Value::as_str)
                })?;
                is_function(types.get(id)?).then(|| id.to_owned())
            }
            _ => None,
        }
    };
    // Providers and the custom resources using them.
    let mut providers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, t) in types {
        if t.starts_with("Custom::") || t == "AWS::CloudFormation::CustomResource" {
            if let Some(f) = function_of(&props(id)["ServiceToken"]) {
                providers.entry(f).or_default().push(id.clone());
            }
        }
    }
    // AddPermission and PutResourcePolicy overwrite each other (Lambda API reference): a
    // provider must have one or the other, never both.
    let mut resource_policies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, t) in types {
        if t == "AWS::Lambda::ResourcePolicy" {
            if let Some(f) = function_of(&props(id)["ResourceArn"]) {
                resource_policies.entry(f).or_default().push(id.clone());
            }
        }
    }
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for (id, t) in types {
        if t != "AWS::Lambda::Permission" {
            continue;
        }
        let Some(function) = function_of(&props(id)["FunctionName"]) else {
            continue;
        };
        if let (Some(users), Some(policies)) =
            (providers.get(&function), resource_policies.get(&function))
        {
            hits.entry(id.clone()).or_default().push(fail(
                "invoke-policy-overwritten",
                format!(
                    "permission on the provider of {} (function {function}), which also has the resource policy {}: AddPermission and PutResourcePolicy overwrite each other; keep one",
                    users.join(", "),
                    policies.join(", ")
                ),
            ));
        }
    }
    // Invoke grants to broad principals: Lambda permissions, and IAM statements on patterns.
    // `*`, a pattern, an account root, or an account (id, `${AWS::AccountId}`, its Ref).
    let broad_principal = |p: &Value| match p.as_str() {
        Some(s) => {
            s.contains('*')
                || s.ends_with(":root")
                || s.contains("${AWS::AccountId}")
                || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        }
        None => p.get("Ref").and_then(Value::as_str) == Some("AWS::AccountId"),
    };
    // One pass over the template: broad Lambda permissions per function, IAM statements that
    // let their holders invoke every function (they apply to every provider), and the
    // separate policies attached to each role.
    let mut permission_grants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut pattern_grants: Vec<String> = Vec::new();
    let mut attached: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if !providers.is_empty() {
        for (id, t) in types {
            let p = props(id);
            if t == "AWS::Lambda::Permission" && broad_principal(&p["Principal"]) {
                if let Some(f) = function_of(&p["FunctionName"]) {
                    permission_grants.entry(f).or_default().push(format!(
                        "{id} (Principal {})",
                        p["Principal"].as_str().unwrap_or("?")
                    ));
                }
            }
            let documents: Vec<&Value> = match t.as_str() {
                "AWS::IAM::Role" => p["Policies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| &x["PolicyDocument"])
                    .collect(),
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => vec![&p["PolicyDocument"]],
                _ => Vec::new(),
            };
            if matches!(t.as_str(), "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") {
                for role in list_of(&p["Roles"]) {
                    if let Some(r) = role.get("Ref").and_then(Value::as_str) {
                        attached
                            .entry(r.to_owned())
                            .or_default()
                            .push(p["PolicyDocument"].clone());
                    }
                }
            }
            for document in documents {
                for statement in statement_list(document) {
                    let invokes = statement["Effect"] == json!("Allow")
                        && list_of(&statement["Action"])
                            .iter()
                            .filter_map(Value::as_str)
                            .any(|a| action_matches(a, "lambda:InvokeFunction"));
                    // `*`, or a Lambda ARN pattern (`function:*`, `arn:aws:lambda:*:*:*`,
                    // `function:app-*`): each may cover the provider.
                    let pattern = list_of(&statement["Resource"]).into_iter().find_map(|r| {
                        let r = r.as_str()?.to_owned();
                        let lambda = r.starts_with("arn:")
                            && r.split(':')
                                .nth(2)
                                .is_some_and(|x| x == "lambda" || x.contains('*'));
                        (r == "*" || (lambda && r.contains('*'))).then_some(r)
                    });
                    if let (true, Some(pattern)) = (invokes, pattern) {
                        pattern_grants.push(format!("{id} (lambda:InvokeFunction on `{pattern}`)"));
                    }
                }
            }
        }
    }
    for (function, users) in &providers {
        let mut grants = permission_grants.remove(function).unwrap_or_default();
        grants.extend(pattern_grants.iter().cloned());
        if grants.len() > 3 {
            let more = grants.len() - 3;
            grants.truncate(3);
            grants.push(format!("{more} more"));
        }
        if grants.is_empty() {
            continue;
        }
        let f = props(function);
        let mut documents: Vec<Value> = Vec::new();
        let role = f["Role"]
            .get("Fn::GetAtt")
            .and_then(|a| a.get(0))
            .and_then(Value::as_str)
            .filter(|r| of_type(r, "AWS::IAM::Role"))
            .map(str::to_owned);
        match (&role, types.get(function).map(String::as_str)) {
            (Some(r), _) => {
                let rp = props(r);
                documents.extend(
                    list_of(&rp["Policies"])
                        .iter()
                        .map(|x| x["PolicyDocument"].clone()),
                );
                for arn in list_of(&rp["ManagedPolicyArns"]) {
                    if let Some(m) = arn.get("Ref").and_then(Value::as_str) {
                        if of_type(m, "AWS::IAM::ManagedPolicy") {
                            documents.push(props(m)["PolicyDocument"].clone());
                        }
                    }
                    documents.extend(broad_managed_policy(&arn));
                }
                documents.extend(attached.get(r).into_iter().flatten().cloned());
            }
            (None, Some("AWS::Serverless::Function")) if f.get("Role").is_none() => {
                documents.extend(
                    list_of(&f["Policies"])
                        .iter()
                        .filter_map(broad_managed_policy),
                );
                documents.extend(
                    list_of(&f["Policies"])
                        .into_iter()
                        .filter(|x| x.get("Statement").is_some()),
                );
            }
            _ => {
                hits.entry(function.clone()).or_default().push(unknown(
                    RULE,
                    format!(
                        "provider of {} may be invoked through {}; its role is not in the template",
                        users.join(", "),
                        grants.join(", ")
                    ),
                ));
                continue;
            }
        }
        let actions = escalating(&documents);
        if !actions.is_empty() {
            hits.entry(function.clone()).or_default().push(fail(
                RULE,
                format!(
                    "provider of {} may be invoked through {} while its role can {}",
                    users.join(", "),
                    grants.join(", "),
                    actions.join(", ")
                ),
            ));
        }
    }
    hits
}

/// Text output: one line per finding (`file:line:`, or just the location when there is no
/// line), the severity coloured when `colour`.
pub(crate) fn text(findings: &[Finding], colour: bool) -> String {
    let mut out = String::new();
    for f in findings {
        let status = if f.status == Status::Unknown {
            " (UNKNOWN)"
        } else {
            ""
        };
        let location = if f.line == 0 {
            f.file.clone()
        } else {
            format!("{}:{}", f.file, f.line)
        };
        let severity = format!("{:?}", f.severity);
        let severity = match (colour, f.severity) {
            (false, _) => severity,
            (true, Severity::High) => format!("\x1b[1;31m{severity}\x1b[0m"),
            (true, Severity::Medium) => format!("\x1b[33m{severity}\x1b[0m"),
            (true, Severity::Low) => format!("\x1b[36m{severity}\x1b[0m"),
        };
        out.push_str(&format!(
            "{location}: {severity} {} [{}] {}{status}\n",
            f.rule, f.logical_id, f.message
        ));
    }
    out.push_str(&format!("{} finding(s)\n", findings.len()));
    out
}

/// JUnit XML: one test case per rule and file, failing when the rule found something there.
pub(crate) fn junit(files: &[String], findings: &[Finding], rules: &[Rule], suite: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut cases = String::new();
    let mut failures = 0;
    for file in files {
        for rule in rules {
            let hits: Vec<&Finding> = findings
                .iter()
                .filter(|f| &f.file == file && f.rule == rule.id)
                .collect();
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">",
                escape(file),
                rule.id
            ));
            if !hits.is_empty() {
                failures += 1;
                let detail: Vec<String> = hits
                    .iter()
                    .map(|f| format!("{}:{} [{}] {}", f.file, f.line, f.logical_id, f.message))
                    .collect();
                cases.push_str(&format!(
                    "<failure message=\"{} finding(s)\" type=\"{:?}\">{}</failure>",
                    hits.len(),
                    rule.severity,
                    escape(&detail.join("\n"))
                ));
            }
            cases.push_str("</testcase>\n");
        }
    }
    let tests = files.len() * rules.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

/// SARIF 2.1.0.
pub(crate) fn sarif(findings: &[Finding], rules: &[Rule]) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": {"text": r.description},
                "defaultConfiguration": {"level": r.severity.sarif_level()},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let unknown = if f.status == Status::Unknown { " (UNKNOWN: unresolved intrinsic)" } else { "" };
            json!({
                "ruleId": f.rule,
                "level": f.severity.sarif_level(),
                "message": {"text": format!("{}{unknown}", f.message)},
                "locations": [{
                    "physicalLocation": if f.line == 0 {
                        json!({"artifactLocation": {"uri": f.file}})
                    } else {
                        json!({"artifactLocation": {"uri": f.file}, "region": {"startLine": f.line}})
                    },
                    "logicalLocations": [{"name": f.logical_id, "kind": "resource"}],
                }],
                "properties": {"status": f.status},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "warden", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}],
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    use super::*;

    #[test]
    fn action_patterns_match_without_backtracking_blowup() {
        assert!(action_matches("iam:Pass*", "iam:PassRole"));
        assert!(action_matches("iam:*Role", "iam:PassRole"));
        assert!(action_matches("IAM:p?ssrole", "iam:PassRole"));
        assert!(action_matches("*", "lambda:InvokeFunction"));
        assert!(!action_matches("iam:Get*", "iam:PassRole"));
        assert!(!action_matches("lambda:Invoke", "lambda:InvokeFunction"));
        // 60 stars and a mismatch: exponential for a naive matcher, instant here.
        let pattern = format!("{}Q", "*".repeat(60));
        assert!(!action_matches(
            &pattern,
            "iam:PassRoleWithAVeryLongNameEndingInX"
        ));
    }

    #[test]
    fn a_trailing_star_is_one_resource_only_after_a_name() {
        assert!(one_named_resource(
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*"
        ));
        assert!(one_named_resource(
            "arn:aws:lambda:us-east-1:123456789012:layer:deps:*"
        ));
        assert!(one_named_resource(
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/x:*"
        ));
        for broad in [
            "arn:aws:lambda:us-east-1:123456789012:function:*",
            "arn:aws:s3:::*",
            "arn:aws:sqs:us-east-1:123456789012:*",
            "arn:aws:lambda:*:*:function:x:*",
        ] {
            assert!(!one_named_resource(broad), "{broad}");
        }
    }

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

    #[test]
    fn a_provider_linked_by_sub_and_invokable_by_the_account_escalates() {
        let source = r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: b
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
  Provider:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Open:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Sub "${Provider.Arn}:live", Principal: !Ref AWS::AccountId, Action: lambda:InvokeFunction}
  Thing:
    Type: Custom::Thing
    Properties: {ServiceToken: !Sub "${Provider.Arn}:live", WardenSignature: s}
"#;
        let findings = lint("t.yaml", source).unwrap();
        let hit = findings
            .iter()
            .find(|f| f.rule == "provider-escalation")
            .unwrap_or_else(|| panic!("{findings:?}"));
        assert_eq!(hit.logical_id, "Provider");
        assert!(hit.message.contains("iam:PassRole"), "{}", hit.message);
    }
}
