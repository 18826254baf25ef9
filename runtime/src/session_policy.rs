//! Declared permissions: the session policy a handler asks for, built from types and checked
//! before it reaches STS.
//!
//! A [`SessionPolicy`] is what the handler needs for one request. The credential layer passes it
//! as the `Policy` of `sts:AssumeRole` on the work role, so the handler's credentials are the
//! intersection of the work role's permissions and this declaration. The checks here make the
//! declaration itself least-privilege:
//!
//! - actions are `service:Action` with no wildcard (`*`, `?`) — never `NotAction`;
//! - resources are ARNs; a bare `*` only through [`SessionPolicyBuilder::allow_any_resource`],
//!   for the few actions that take no resource;
//! - `iam:PassRole` only through [`SessionPolicyBuilder::pass_role`]: one role ARN without
//!   wildcards, always with an `iam:PassedToService` condition;
//! - the minified JSON is at most [`MAX_POLICY_CHARS`] characters (the STS plaintext limit).
//!   STS's packed limit is only known to STS; its `PackedPolicyTooLarge` is reported by name.
//!
//! [`SessionPolicy::parse`] applies the same rules to a JSON document (used for declarations
//! that arrive as data, and by the fuzz target); there a bare `*` resource is always refused.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::Error;

mod arn;

pub use arn::ExactArn;

/// STS's limit on the plaintext of inline session policies, in characters.
pub const MAX_POLICY_CHARS: usize = 2048;

/// A policy statement has at most this many actions or resources (keeps the JSON bounded
/// before the size check).
const MAX_LIST: usize = 100;

/// One rule a declaration broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyRule {
    /// An action is not `service:Action`.
    MalformedAction,
    /// An action has a wildcard.
    WildcardAction,
    /// `NotAction`, `NotResource`, `Principal` or `NotPrincipal` was used.
    NegatedOrPrincipal,
    /// A resource is neither an ARN nor an explicitly allowed `*`.
    MalformedResource,
    /// `iam:PassRole` without one specific role ARN and an `iam:PassedToService` condition.
    UnboundedPassRole,
    /// A statement has no action or no resource, or too many.
    EmptyOrHugeStatement,
    /// The document is not a policy (wrong shape or Effect).
    NotAPolicy,
}

impl PolicyRule {
    /// A stable kebab-case name, as in the decision log.
    pub fn code(self) -> &'static str {
        match self {
            Self::MalformedAction => "malformed-action",
            Self::WildcardAction => "wildcard-action",
            Self::NegatedOrPrincipal => "negated-element-or-principal",
            Self::MalformedResource => "malformed-resource",
            Self::UnboundedPassRole => "unbounded-pass-role",
            Self::EmptyOrHugeStatement => "empty-or-huge-statement",
            Self::NotAPolicy => "not-a-policy",
        }
    }
}

impl std::fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Effect {
    /// Grants (within the work role's permissions).
    Allow,
    /// Removes (useful to carve out part of an allowed ARN pattern).
    Deny,
}

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    effect: Effect,
    action: Vec<String>,
    resource: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    condition: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Statement {
    /// The effect.
    pub fn effect(&self) -> Effect {
        self.effect
    }
    /// The actions.
    pub fn actions(&self) -> &[String] {
        &self.action
    }
    /// The resources.
    pub fn resources(&self) -> &[String] {
        &self.resource
    }
}

/// A checked session policy. Build one with [`SessionPolicy::builder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    statements: Vec<Statement>,
    json: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Document<'a> {
    version: &'static str,
    statement: &'a [Statement],
}

impl SessionPolicy {
    /// Starts a builder.
    pub fn builder() -> SessionPolicyBuilder {
        SessionPolicyBuilder::default()
    }

    /// No permissions: the handler needs no AWS credentials for this request.
    pub fn none() -> Self {
        Self {
            statements: Vec::new(),
            json: String::new(),
        }
    }

    /// Whether nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The statements.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The minified JSON sent as the `Policy` of `sts:AssumeRole` (empty when nothing is
    /// declared). Deterministic: the same declaration gives the same bytes.
    pub fn to_json(&self) -> &str {
        &self.json
    }

    /// Every action declared, sorted and deduplicated (for the decision log).
    pub fn actions(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .statements
            .iter()
            .flat_map(|s| s.action.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Checks a policy document given as JSON with the same rules as the builder.
    pub fn parse(document: &Value) -> Result<Self, Error> {
        let not_policy = |detail: &'static str| Error::PolicyRefused {
            rule: PolicyRule::NotAPolicy,
            detail: detail.into(),
        };
        let object = document
            .as_object()
            .ok_or_else(|| not_policy("the document is not a JSON object"))?;
        for key in object.keys() {
            if key != "Version" && key != "Statement" {
                return Err(not_policy(
                    "only Version and Statement are allowed at the top",
                ));
            }
        }
        if let Some(version) = object.get("Version") {
            if version != "2012-10-17" {
                return Err(not_policy("Version must be 2012-10-17"));
            }
        }
        let statements = match object.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(single @ Value::Object(_)) => vec![single],
            _ => return Err(not_policy("Statement must be an object or an array")),
        };
        let mut builder = SessionPolicyBuilder::default();
        for statement in statements {
            let Some(statement) = statement.as_object() else {
                return Err(not_policy("a statement is not an object"));
            };
            for key in statement.keys() {
                match key.as_str() {
                    "Effect" | "Action" | "Resource" | "Condition" | "Sid" => {}
                    "NotAction" | "NotResource" | "Principal" | "NotPrincipal" => {
                        return Err(Error::PolicyRefused {
                            rule: PolicyRule::NegatedOrPrincipal,
                            detail: format!("`{key}` is not allowed in a declared policy"),
                        })
                    }
                    _ => return Err(not_policy("a statement has an unknown element")),
                }
            }
            let effect = match statement.get("Effect").and_then(Value::as_str) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                _ => return Err(not_policy("Effect must be Allow or Deny")),
            };
            let strings = |name: &'static str| -> Result<Vec<String>, Error> {
                match statement.get(name) {
                    Some(Value::String(s)) => Ok(vec![s.clone()]),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| not_policy("Action and Resource must hold strings")),
                    _ => Err(not_policy("Action and Resource are required")),
                }
            };
            let condition = match statement.get("Condition") {
                None => BTreeMap::new(),
                Some(c) => parse_condition(c)
                    .ok_or_else(|| not_policy("Condition must map operators to keys to strings"))?,
            };
            let resource = strings("Resource")?;
            if effect == Effect::Allow && resource.iter().any(|r| r == "*") {
                return Err(refused(
                    PolicyRule::MalformedResource,
                    "a bare `*` resource is only accepted from code (allow_any_resource)"
                        .to_owned(),
                ));
            }
            builder.push(Statement {
                effect,
                action: strings("Action")?,
                resource,
                condition,
            });
        }
        builder.build()
    }

    fn check(statements: Vec<Statement>) -> Result<Self, Error> {
        for statement in &statements {
            check_statement(statement)?;
        }
        if statements.is_empty() {
            return Ok(Self::none());
        }
        let json = serde_json::to_string(&Document {
            version: "2012-10-17",
            statement: &statements,
        })
        .map_err(|source| Error::Canonicalisation { source })?;
        let chars = json.chars().count();
        if chars > MAX_POLICY_CHARS {
            return Err(Error::PolicyTooLarge {
                chars,
                limit: MAX_POLICY_CHARS,
            });
        }
        Ok(Self { statements, json })
    }
}

fn parse_condition(value: &Value) -> Option<BTreeMap<String, BTreeMap<String, Vec<String>>>> {
    let mut out = BTreeMap::new();
    for (operator, keys) in value.as_object()? {
        let mut inner = BTreeMap::new();
        for (key, values) in keys.as_object()? {
            let list = match values {
                Value::String(s) => vec![s.clone()],
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()?,
                _ => return None,
            };
            inner.insert(key.clone(), list);
        }
        out.insert(operator.clone(), inner);
    }
    Some(out)
}

fn refused(rule: PolicyRule, detail: String) -> Error {
    Error::PolicyRefused { rule, detail }
}

fn check_action(action: &str) -> Result<(), Error> {
    let shown = crate::protocol::truncate_for_message(action);
    let Some((service, name)) = action.split_once(':') else {
        return Err(refused(
            PolicyRule::MalformedAction,
            format!("action `{shown}` is not service:Action"),
        ));
    };
    if action.contains(['*', '?']) {
        return Err(refused(
            PolicyRule::WildcardAction,
            format!("action `{shown}` has a wildcard; name each action"),
        ));
    }
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric());
    if !service_ok || !name_ok {
        return Err(refused(
            PolicyRule::MalformedAction,
            format!("action `{shown}` is not service:Action"),
        ));
    }
    Ok(())
}

fn is_pass_role(action: &str) -> bool {
    action.eq_ignore_ascii_case("iam:PassRole")
}

fn check_resource(resource: &str) -> Result<(), Error> {
    if resource == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let wild = |part: &str| part.contains(['*', '?']);
    // A wildcard partition or service, or a resource part that is nothing but wildcards, is a
    // bare `*` in disguise.
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !wild(parts[1])
        && !wild(parts[2])
        && parts[5]
            .chars()
            .any(|c| !matches!(c, '*' | '?' | '/' | ':'))
        && resource.len() <= 2048
        && !resource.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(refused(
            PolicyRule::MalformedResource,
            format!(
                "resource `{}` is not an ARN",
                crate::protocol::truncate_for_message(resource)
            ),
        ))
    }
}

fn check_statement(statement: &Statement) -> Result<(), Error> {
    if statement.action.is_empty()
        || statement.resource.is_empty()
        || statement.action.len() > MAX_LIST
        || statement.resource.len() > MAX_LIST
    {
        return Err(refused(
            PolicyRule::EmptyOrHugeStatement,
            format!("a statement needs 1 to {MAX_LIST} actions and resources"),
        ));
    }
    for action in &statement.action {
        check_action(action)?;
    }
    for resource in &statement.resource {
        check_resource(resource)?;
    }
    if statement.effect == Effect::Deny {
        return Ok(());
    }
    if statement.action.iter().any(|a| is_pass_role(a)) {
        let single_role = statement.action.len() == 1
            && statement.resource.len() == 1
            && !statement.resource[0].contains(['*', '?'])
            && statement.resource[0].split(':').nth(2) == Some("iam")
            && statement.resource[0]
                .split(':')
                .nth(5)
                .is_some_and(|r| r.starts_with("role/"));
        let to_service = statement
            .condition
            .get("StringEquals")
            .and_then(|keys| keys.get("iam:PassedToService"))
            .is_some_and(|services| {
                !services.is_empty() && services.iter().all(|s| !s.contains(['*', '?']))
            });
        if !single_role || !to_service {
            return Err(refused(
                PolicyRule::UnboundedPassRole,
                "iam:PassRole needs its own statement with one role ARN (no wildcard) and a \
                 StringEquals iam:PassedToService condition"
                    .to_owned(),
            ));
        }
    }
    Ok(())
}

/// Builds a [`SessionPolicy`]. Errors are kept until [`SessionPolicyBuilder::build`].
#[derive(Debug, Default)]
pub struct SessionPolicyBuilder {
    statements: Vec<Statement>,
    any_resource_refused: Option<String>,
}

impl SessionPolicyBuilder {
    fn push(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    fn statement<I, J, A, R>(effect: Effect, actions: I, resources: J) -> Statement
    where
        I: IntoIterator<Item = A>,
        J: IntoIterator<Item = R>,
        A: Into<String>,
        R: Into<String>,
    {
        Statement {
            effect,
            action: actions.into_iter().map(Into::into).collect(),
            resource: resources.into_iter().map(Into::into).collect(),
            condition: BTreeMap::new(),
        }
    }

    /// Allows `actions` on `resources` (ARNs; wildcards inside an ARN are allowed, a bare `*`
    /// is not — see [`Self::allow_any_resource`]).
    pub fn allow(
        mut self,
        actions: impl IntoIterator<Item = impl Into<String>>,
        resources: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let statement = Self::statement(Effect::Allow, actions, resources);
        if statement.resource.iter().any(|r| r == "*") && self.any_resource_refused.is_none() {
            self.any_resource_refused = Some(
                "a bare `*` resource needs allow_any_resource (for actions without resources)"
                    .to_owned(),
            );
        }
        self.push(statement);
        self
    }

    /// Allows `actions` on any resource, for actions that take none (e.g.
    /// `lambda:ListLayers`). Shows up as `*` in the decision log's action list.
    pub fn allow_any_resource<I, A>(mut self, actions: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        self.push(Self::statement(Effect::Allow, actions, ["*"]));
        self
    }

    /// Denies `actions` on `resources` (narrows an allowed pattern).
    pub fn deny(
        mut self,
        actions: impl IntoIterator<Item = impl Into<String>>,
        resources: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.push(Self::statement(Effect::Deny, actions, resources));
        self
    }

    /// Allows passing exactly `role_arn` to `service` (e.g. `lambda.amazonaws.com`).
    pub fn pass_role(mut self, role_arn: impl Into<String>, service: impl Into<String>) -> Self {
        let mut statement = Self::statement(Effect::Allow, ["iam:PassRole"], [role_arn]);
        statement.condition.insert(
            "StringEquals".to_owned(),
            BTreeMap::from([("iam:PassedToService".to_owned(), vec![service.into()])]),
        );
        self.push(statement);
        self
    }

    /// Checks every rule and renders the JSON.
    pub fn build(self) -> Result<SessionPolicy, Error> {
        if let Some(detail) = self.any_resource_refused {
            return Err(refused(PolicyRule::MalformedResource, detail));
        }
        SessionPolicy::check(self.statements)
    }
}

#[cfg(test)]
mod tests;
