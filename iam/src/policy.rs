//! The policy model and its parser: `Version`, `Id`, `Statement` (one object or a list), and
//! per statement `Sid`, `Effect`, `Action`/`NotAction`, `Resource`/`NotResource`,
//! `Principal`/`NotPrincipal` and `Condition`. Malformed input is an [`Error`] naming the
//! statement and element; nothing here panics.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::condition::{self, Condition};
use crate::pattern::{self, Tok};
use crate::variables::Template;
use crate::Error;

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17`, or no `Version`: `${...}` is literal text.
    V2008_10_17,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants when it matches.
    Allow,
    /// Denies when it matches, whatever allows it elsewhere.
    Deny,
}

/// Which of a pair of elements a statement uses (`Action` or `NotAction`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    /// `Action`, `Resource`, `Principal`: matches what is listed.
    Listed,
    /// `NotAction`, `NotResource`, `NotPrincipal`: matches everything else.
    Not,
}

/// A principal element: `"*"`, or principals by type (`AWS`, `Service`, `Federated`,
/// `CanonicalUser`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    /// `"*"` (or `{"AWS": "*"}` keeps its type and is [`Principals::ByType`]).
    Anyone,
    /// Principals by type, each a list.
    ByType(BTreeMap<String, Vec<String>>),
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    index: usize,
    sid: Option<String>,
    effect: Effect,
    action_polarity: Polarity,
    actions: Vec<String>,
    action_patterns: Vec<Vec<Tok>>,
    resource_polarity: Polarity,
    resources: Option<Vec<String>>,
    resource_templates: Vec<Template>,
    principal: Option<(Polarity, Principals)>,
    conditions: Vec<Condition>,
}

impl Statement {
    /// Its index in the policy's `Statement` list.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Its `Sid`, if any.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// Its effect.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// `Action` or `NotAction`, and the actions listed.
    pub fn actions(&self) -> (Polarity, &[String]) {
        (self.action_polarity, &self.actions)
    }

    /// `Resource` or `NotResource` and the resources listed; `None` when the statement has
    /// neither (resource-based policies).
    pub fn resources(&self) -> Option<(Polarity, &[String])> {
        self.resources
            .as_deref()
            .map(|r| (self.resource_polarity, r))
    }

    /// `Principal` or `NotPrincipal`, if any.
    pub fn principal(&self) -> Option<(Polarity, &Principals)> {
        self.principal.as_ref().map(|(p, who)| (*p, who))
    }

    /// Its conditions, one per operator and key.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Whether the statement's action element matches an action (case-insensitive).
    pub fn matches_action(&self, action: &str) -> bool {
        let listed = self
            .action_patterns
            .iter()
            .any(|p| pattern::matches(p, action, true));
        listed == (self.action_polarity == Polarity::Listed)
    }

    /// Whether some action matching `pattern` (itself a wildcard pattern, such as `iam:*`)
    /// could match the statement's action element. Exact for `Action`; for `NotAction` an
    /// exclusion is honoured only where it certainly covers the whole pattern.
    pub fn could_match_action(&self, pattern_text: &str) -> bool {
        let probe = pattern::compile(pattern_text);
        match self.action_polarity {
            Polarity::Listed => self
                .action_patterns
                .iter()
                .any(|p| pattern::overlap(p, &probe, true)),
            Polarity::Not => !self
                .action_patterns
                .iter()
                .any(|p| pattern::covers(p, &probe, true)),
        }
    }

    pub(crate) fn resource_templates(&self) -> Option<(Polarity, &[Template])> {
        self.resources
            .as_ref()
            .map(|_| (self.resource_polarity, self.resource_templates.as_slice()))
    }

    /// `Sid "X"` or `statement N`, for explanations.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("statement {} (Sid {sid:?})", self.index),
            _ => format!("statement {}", self.index),
        }
    }
}

/// A parsed IAM policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
}

impl Policy {
    /// Parses a policy document.
    pub fn parse(document: &Value) -> Result<Policy, Error> {
        let doc = document.as_object().ok_or(Error::NotAnObject)?;
        for key in doc.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(Error::UnknownPolicyElement {
                    element: key.clone(),
                });
            }
        }
        let version = match doc.get("Version") {
            None => Version::V2008_10_17,
            Some(Value::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
            Some(Value::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
            Some(other) => {
                return Err(Error::UnsupportedVersion {
                    version: other
                        .as_str()
                        .map_or_else(|| other.to_string(), str::to_owned),
                })
            }
        };
        let id = doc.get("Id").and_then(Value::as_str).map(str::to_owned);
        let raw: Vec<&Value> = match doc.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => {
                return Err(Error::WrongType {
                    statement: 0,
                    element: "Statement",
                    expected: "an object or a list of objects",
                })
            }
            None => return Err(Error::MissingStatement),
        };
        if raw.is_empty() {
            return Err(Error::MissingStatement);
        }
        let statements = raw
            .into_iter()
            .enumerate()
            .map(|(i, s)| parse_statement(i, s, version == Version::V2012_10_17))
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            version,
            id,
            statements,
        })
    }

    /// The language version (`2008-10-17` when the document has none).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The `Id` element, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The `Allow` statements whose action element could match some action matching `action`
    /// (a name or a pattern), conditions and resources not considered: the starting point of
    /// "who may do X" questions. See [`Policy::grants`] for resources and conditions.
    pub fn statements_allowing(&self, action: &str) -> Vec<&Statement> {
        self.statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && s.could_match_action(action))
            .collect()
    }
}

impl FromStr for Policy {
    type Err = Error;

    fn from_str(text: &str) -> Result<Policy, Error> {
        let value: Value = serde_json::from_str(text).map_err(|source| Error::Json { source })?;
        Policy::parse(&value)
    }
}

const ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

fn parse_statement(index: usize, value: &Value, variables: bool) -> Result<Statement, Error> {
    let obj = value.as_object().ok_or(Error::WrongType {
        statement: index,
        element: "Statement",
        expected: "an object or a list of objects",
    })?;
    if let Some(unknown) = obj.keys().find(|k| !ELEMENTS.contains(&k.as_str())) {
        return Err(Error::UnknownElement {
            statement: index,
            element: unknown.clone(),
        });
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(Error::WrongType {
                statement: index,
                element: "Sid",
                expected: "a string",
            })
        }
    };
    let effect = match obj.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(Value::String(e)) => {
            return Err(Error::InvalidEffect {
                statement: index,
                effect: e.clone(),
            })
        }
        Some(_) => {
            return Err(Error::WrongType {
                statement: index,
                element: "Effect",
                expected: "\"Allow\" or \"Deny\"",
            })
        }
        None => {
            return Err(Error::MissingElement {
                statement: index,
                element: "Effect",
            })
        }
    };
    let (action_polarity, actions) =
        pair(obj, index, "Action", "NotAction")?.ok_or(Error::MissingElement {
            statement: index,
            element: "Action or NotAction",
        })?;
    for action in &actions {
        if !pattern::is_well_formed_action(action) {
            return Err(Error::MalformedAction {
                statement: index,
                action: action.clone(),
            });
        }
    }
    let resources = pair(obj, index, "Resource", "NotResource")?;
    let principal = parse_principal(obj, index)?;
    let conditions = match obj.get("Condition") {
        Some(block) => condition::parse_block(index, block, variables)?,
        None => Vec::new(),
    };
    let (resource_polarity, resources) = match resources {
        Some((p, r)) => (p, Some(r)),
        None => (Polarity::Listed, None),
    };
    Ok(Statement {
        index,
        sid,
        effect,
        action_patterns: actions.iter().map(|a| pattern::compile(a)).collect(),
        action_polarity,
        actions,
        resource_polarity,
        resource_templates: resources
            .iter()
            .flatten()
            .map(|r| Template::parse(r, variables))
            .collect(),
        resources,
        principal,
        conditions,
    })
}

/// Reads `Action`/`NotAction` or `Resource`/`NotResource`: one of them, a string or a
/// non-empty list of strings.
fn pair(
    obj: &Map<String, Value>,
    statement: usize,
    listed: &'static str,
    not: &'static str,
) -> Result<Option<(Polarity, Vec<String>)>, Error> {
    let (polarity, element, value) = match (obj.get(listed), obj.get(not)) {
        (Some(_), Some(_)) => {
            return Err(Error::ConflictingElements {
                statement,
                first: listed,
                second: not,
            })
        }
        (Some(v), None) => (Polarity::Listed, listed, v),
        (None, Some(v)) => (Polarity::Not, not, v),
        (None, None) => return Ok(None),
    };
    let list = strings(value).ok_or(Error::WrongType {
        statement,
        element,
        expected: "a string or a list of strings",
    })?;
    if list.is_empty() {
        return Err(Error::MissingElement { statement, element });
    }
    Ok(Some((polarity, list)))
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn parse_principal(
    obj: &Map<String, Value>,
    statement: usize,
) -> Result<Option<(Polarity, Principals)>, Error> {
    let (polarity, element, value) = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(Error::ConflictingElements {
                statement,
                first: "Principal",
                second: "NotPrincipal",
            })
        }
        (Some(v), None) => (Polarity::Listed, "Principal", v),
        (None, Some(v)) => (Polarity::Not, "NotPrincipal", v),
        (None, None) => return Ok(None),
    };
    let malformed = Error::MalformedPrincipal { statement, element };
    let principals = match value {
        Value::String(s) if s == "*" => Principals::Anyone,
        Value::Object(types) => {
            let mut map = BTreeMap::new();
            for (kind, list) in types {
                match strings(list) {
                    Some(l) if !l.is_empty() => {
                        map.insert(kind.clone(), l);
                    }
                    _ => return Err(malformed),
                }
            }
            if map.is_empty() {
                return Err(malformed);
            }
            Principals::ByType(map)
        }
        _ => return Err(malformed),
    };
    Ok(Some((polarity, principals)))
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
