//! Evaluating a template's `Conditions` and choosing `Fn::If` branches for the inventory: what
//! cannot be decided is a note. Imports nothing of the crate.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Evaluates `Conditions` and chooses `Fn::If` branches.
pub(super) struct Chooser {
    pub(super) definitions: Map<String, Value>,
    pub(super) values: BTreeMap<String, Option<bool>>,
    pub(super) notes: Vec<String>,
}

impl Chooser {
    /// The value of condition `name`, `None` when it depends on something unknown.
    pub(super) fn condition(&mut self, name: &str) -> Option<bool> {
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
    pub(super) fn choose(&mut self, value: &Value) -> Value {
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
