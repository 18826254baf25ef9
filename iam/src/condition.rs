//! The `Condition` element: operators (with `ForAllValues:` / `ForAnyValue:` and `...IfExists`),
//! their typed values, and three-valued evaluation against a request context.

use std::fmt;

use ipnet::IpNet;
use serde_json::Value;

use crate::context::Context;
use crate::pattern;
use crate::values;
use crate::variables::{Template, Unresolved};
use crate::Error;

/// The comparison a condition operator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OperatorKind {
    /// `StringEquals`.
    StringEquals,
    /// `StringNotEquals`.
    StringNotEquals,
    /// `StringEqualsIgnoreCase`.
    StringEqualsIgnoreCase,
    /// `StringNotEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// `StringLike`.
    StringLike,
    /// `StringNotLike`.
    StringNotLike,
    /// `NumericEquals`.
    NumericEquals,
    /// `NumericNotEquals`.
    NumericNotEquals,
    /// `NumericLessThan`.
    NumericLessThan,
    /// `NumericLessThanEquals`.
    NumericLessThanEquals,
    /// `NumericGreaterThan`.
    NumericGreaterThan,
    /// `NumericGreaterThanEquals`.
    NumericGreaterThanEquals,
    /// `DateEquals`.
    DateEquals,
    /// `DateNotEquals`.
    DateNotEquals,
    /// `DateLessThan`.
    DateLessThan,
    /// `DateLessThanEquals`.
    DateLessThanEquals,
    /// `DateGreaterThan`.
    DateGreaterThan,
    /// `DateGreaterThanEquals`.
    DateGreaterThanEquals,
    /// `Bool`.
    Bool,
    /// `BinaryEquals` (base64 text compared as written).
    BinaryEquals,
    /// `IpAddress`.
    IpAddress,
    /// `NotIpAddress`.
    NotIpAddress,
    /// `ArnEquals` (IAM matches it like `ArnLike`).
    ArnEquals,
    /// `ArnLike`.
    ArnLike,
    /// `ArnNotEquals`.
    ArnNotEquals,
    /// `ArnNotLike`.
    ArnNotLike,
    /// `Null`: whether the key is absent.
    Null,
}

use OperatorKind as K;

const KINDS: &[(&str, OperatorKind)] = &[
    ("StringEquals", K::StringEquals),
    ("StringNotEquals", K::StringNotEquals),
    ("StringEqualsIgnoreCase", K::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", K::StringNotEqualsIgnoreCase),
    ("StringLike", K::StringLike),
    ("StringNotLike", K::StringNotLike),
    ("NumericEquals", K::NumericEquals),
    ("NumericNotEquals", K::NumericNotEquals),
    ("NumericLessThan", K::NumericLessThan),
    ("NumericLessThanEquals", K::NumericLessThanEquals),
    ("NumericGreaterThan", K::NumericGreaterThan),
    ("NumericGreaterThanEquals", K::NumericGreaterThanEquals),
    ("DateEquals", K::DateEquals),
    ("DateNotEquals", K::DateNotEquals),
    ("DateLessThan", K::DateLessThan),
    ("DateLessThanEquals", K::DateLessThanEquals),
    ("DateGreaterThan", K::DateGreaterThan),
    ("DateGreaterThanEquals", K::DateGreaterThanEquals),
    ("Bool", K::Bool),
    ("BinaryEquals", K::BinaryEquals),
    ("IpAddress", K::IpAddress),
    ("NotIpAddress", K::NotIpAddress),
    ("ArnEquals", K::ArnEquals),
    ("ArnLike", K::ArnLike),
    ("ArnNotEquals", K::ArnNotEquals),
    ("ArnNotLike", K::ArnNotLike),
    ("Null", K::Null),
];

impl OperatorKind {
    /// Whether the operator is a negation (true when no value matches).
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            K::StringNotEquals
                | K::StringNotEqualsIgnoreCase
                | K::StringNotLike
                | K::NumericNotEquals
                | K::DateNotEquals
                | K::NotIpAddress
                | K::ArnNotEquals
                | K::ArnNotLike
        )
    }

    /// Whether policy variables are substituted in its values (string, ARN and Bool).
    fn takes_variables(self) -> bool {
        matches!(
            self,
            K::StringEquals
                | K::StringNotEquals
                | K::StringEqualsIgnoreCase
                | K::StringNotEqualsIgnoreCase
                | K::StringLike
                | K::StringNotLike
                | K::ArnEquals
                | K::ArnLike
                | K::ArnNotEquals
                | K::ArnNotLike
                | K::Bool
        )
    }
}

/// A set qualifier for multi-valued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// `ForAllValues:` — every request value must match (true for an empty set).
    ForAllValues,
    /// `ForAnyValue:` — at least one request value must match (false for an empty set).
    ForAnyValue,
}

/// A condition operator as written: qualifier, comparison and `IfExists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    set: Option<SetQualifier>,
    kind: OperatorKind,
    if_exists: bool,
    text: String,
}

impl Operator {
    /// Parses `ForAnyValue:StringLikeIfExists` and the like; `None` if IAM would not know it.
    pub fn parse(text: &str) -> Option<Operator> {
        let (set, rest) = match text.split_once(':') {
            Some(("ForAllValues", r)) => (Some(SetQualifier::ForAllValues), r),
            Some(("ForAnyValue", r)) => (Some(SetQualifier::ForAnyValue), r),
            Some(_) => return None,
            None => (None, text),
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let kind = KINDS.iter().find(|(n, _)| *n == base).map(|(_, k)| *k)?;
        if kind == K::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Operator {
            set,
            kind,
            if_exists,
            text: text.to_owned(),
        })
    }

    /// The comparison.
    pub fn kind(&self) -> OperatorKind {
        self.kind
    }

    /// The set qualifier, if any.
    pub fn set(&self) -> Option<SetQualifier> {
        self.set
    }

    /// Whether `IfExists` was appended.
    pub fn if_exists(&self) -> bool {
        self.if_exists
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A typed value of a condition.
#[derive(Debug, Clone, PartialEq)]
enum PolicyValue {
    Text(Template),
    Number(f64),
    Date(f64),
    Ip(IpNet),
    Flag(bool),
}

/// One operator applied to one key: `"StringEquals": {"aws:SourceAccount": ["1", "2"]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    operator: Operator,
    key: String,
    values: Vec<String>,
    typed: Vec<PolicyValue>,
}

impl Condition {
    /// The operator.
    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    /// The condition key as written.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The values as written (numbers and booleans as JSON text).
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

/// Parses a statement's `Condition` block.
pub(crate) fn parse_block(
    statement: usize,
    block: &Value,
    variables: bool,
) -> Result<Vec<Condition>, Error> {
    let wrong = || Error::WrongType {
        statement,
        element: "Condition",
        expected: "an object of operators, each an object of keys",
    };
    let ops = block.as_object().ok_or_else(wrong)?;
    let mut out = Vec::new();
    for (op_text, keys) in ops {
        let operator = Operator::parse(op_text).ok_or_else(|| Error::UnknownConditionOperator {
            statement,
            operator: op_text.clone(),
        })?;
        let keys = keys.as_object().ok_or_else(wrong)?;
        for (key, raw) in keys {
            let items: Vec<&Value> = match raw {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            let mut values = Vec::new();
            let mut typed = Vec::new();
            for item in items {
                let text = match item {
                    Value::String(s) => s.clone(),
                    Value::Number(_) | Value::Bool(_) => item.to_string(),
                    other => {
                        return Err(invalid(
                            statement,
                            op_text,
                            key,
                            &other.to_string(),
                            "a string, number or boolean",
                        ))
                    }
                };
                typed.push(typed_value(&operator, &text, variables).ok_or_else(|| {
                    invalid(statement, op_text, key, &text, expected(operator.kind))
                })?);
                values.push(text);
            }
            out.push(Condition {
                operator: operator.clone(),
                key: key.clone(),
                values,
                typed,
            });
        }
    }
    Ok(out)
}

fn invalid(statement: usize, op: &str, key: &str, value: &str, expected: &'static str) -> Error {
    Error::InvalidConditionValue {
        statement,
        operator: op.to_owned(),
        key: key.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

fn expected(kind: OperatorKind) -> &'static str {
    match kind {
        K::NumericEquals
        | K::NumericNotEquals
        | K::NumericLessThan
        | K::NumericLessThanEquals
        | K::NumericGreaterThan
        | K::NumericGreaterThanEquals => "a number",
        K::DateEquals
        | K::DateNotEquals
        | K::DateLessThan
        | K::DateLessThanEquals
        | K::DateGreaterThan
        | K::DateGreaterThanEquals => "an ISO 8601 date or epoch seconds",
        K::IpAddress | K::NotIpAddress => "an IP address or CIDR range",
        K::Null => "true or false",
        _ => "a string",
    }
}

fn typed_value(op: &Operator, text: &str, variables: bool) -> Option<PolicyValue> {
    Some(match expected(op.kind) {
        "a number" => PolicyValue::Number(values::number(text)?),
        "an ISO 8601 date or epoch seconds" => PolicyValue::Date(values::date(text)?),
        "an IP address or CIDR range" => PolicyValue::Ip(values::ip_range(text)?),
        "true or false" => PolicyValue::Flag(parse_bool(text)?),
        _ => PolicyValue::Text(Template::parse(
            text,
            variables && op.kind.takes_variables(),
        )),
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truth {
    Yes,
    No,
    Unknown,
}

impl Truth {
    pub(crate) fn from_bool(b: bool) -> Truth {
        if b {
            Truth::Yes
        } else {
            Truth::No
        }
    }

    pub(crate) fn not(self) -> Truth {
        match self {
            Truth::Yes => Truth::No,
            Truth::No => Truth::Yes,
            Truth::Unknown => Truth::Unknown,
        }
    }

    pub(crate) fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::No, _) | (_, Truth::No) => Truth::No,
            (Truth::Yes, Truth::Yes) => Truth::Yes,
            _ => Truth::Unknown,
        }
    }

    pub(crate) fn or(self, other: Truth) -> Truth {
        self.not().and(other.not()).not()
    }
}

/// Why a condition could not be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Missing {
    /// The open context lacks the key.
    Key { operator: String, key: String },
    /// A policy variable's key is absent (or multi-valued) in the context.
    Variable(String),
}

impl Condition {
    /// Evaluates the condition; `missing` collects why it is unknown.
    pub(crate) fn evaluate(&self, ctx: &Context, missing: &mut Vec<Missing>) -> Truth {
        let kind = self.operator.kind;
        let present = ctx.get(&self.key);
        if kind == K::Null {
            return match present {
                None if !ctx.is_complete() => {
                    missing.push(self.missing_key());
                    Truth::Unknown
                }
                _ => Truth::from_bool(self.typed.iter().any(
                    |v| matches!(v, PolicyValue::Flag(absent) if *absent == present.is_none()),
                )),
            };
        }
        let Some(request) = present else {
            if !ctx.is_complete() {
                missing.push(self.missing_key());
                return Truth::Unknown;
            }
            return Truth::from_bool(
                self.operator.if_exists
                    || self.operator.set == Some(SetQualifier::ForAllValues)
                    || (self.operator.set.is_none() && kind.is_negated()),
            );
        };
        let negated = kind.is_negated();
        // Whether one request value matches any policy value (the positive comparison).
        let mut matches_any = |v: &str| {
            self.typed.iter().fold(Truth::No, |acc, p| {
                acc.or(match compare(kind, v, p, ctx) {
                    Ok(b) => Truth::from_bool(b),
                    Err(Unresolved(var)) => {
                        missing.push(Missing::Variable(var));
                        Truth::Unknown
                    }
                })
            })
        };
        match self.operator.set {
            None => {
                let any = request
                    .iter()
                    .fold(Truth::No, |acc, v| acc.or(matches_any(v)));
                if negated {
                    any.not()
                } else {
                    any
                }
            }
            Some(SetQualifier::ForAnyValue) => request.iter().fold(Truth::No, |acc, v| {
                let m = matches_any(v);
                acc.or(if negated { m.not() } else { m })
            }),
            Some(SetQualifier::ForAllValues) => request.iter().fold(Truth::Yes, |acc, v| {
                let m = matches_any(v);
                acc.and(if negated { m.not() } else { m })
            }),
        }
    }

    fn missing_key(&self) -> Missing {
        Missing::Key {
            operator: self.operator.text.clone(),
            key: self.key.clone(),
        }
    }

    /// The keys of the policy variables its values use (none before `2012-10-17`).
    pub fn variables(&self) -> Vec<&str> {
        self.typed
            .iter()
            .flat_map(|v| match v {
                PolicyValue::Text(t) => t.variables().collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect()
    }
}

/// The positive comparison of one request value with one policy value (negation is applied by
/// the caller).
fn compare(
    kind: OperatorKind,
    v: &str,
    p: &PolicyValue,
    ctx: &Context,
) -> Result<bool, Unresolved> {
    Ok(match (kind, p) {
        (K::StringEquals | K::StringNotEquals | K::BinaryEquals, PolicyValue::Text(t)) => {
            t.text(ctx)? == v
        }
        (K::StringEqualsIgnoreCase | K::StringNotEqualsIgnoreCase, PolicyValue::Text(t)) => {
            t.text(ctx)?.to_lowercase() == v.to_lowercase()
        }
        (K::StringLike | K::StringNotLike, PolicyValue::Text(t)) => {
            pattern::matches(&t.pattern(ctx)?, v, false)
        }
        (K::ArnEquals | K::ArnLike | K::ArnNotEquals | K::ArnNotLike, PolicyValue::Text(t)) => {
            pattern::arn_matches(&t.pattern(ctx)?, v)
        }
        (K::Bool, PolicyValue::Text(t)) => t.text(ctx)?.eq_ignore_ascii_case(v.trim()),
        (_, PolicyValue::Number(n)) => values::number(v).is_some_and(|x| match kind {
            K::NumericEquals | K::NumericNotEquals => x == *n,
            K::NumericLessThan => x < *n,
            K::NumericLessThanEquals => x <= *n,
            K::NumericGreaterThan => x > *n,
            _ => x >= *n,
        }),
        (_, PolicyValue::Date(d)) => values::date(v).is_some_and(|x| match kind {
            K::DateEquals | K::DateNotEquals => x == *d,
            K::DateLessThan => x < *d,
            K::DateLessThanEquals => x <= *d,
            K::DateGreaterThan => x > *d,
            _ => x >= *d,
        }),
        (_, PolicyValue::Ip(net)) => values::ip_address(v).is_some_and(|a| net.contains(&a)),
        _ => false,
    })
}

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;
