//! `secret-like-environment`: a function's environment variable (`Environment.Variables`, SAM
//! `Globals` not included) holding a literal that looks like a secret, by the variable's name or
//! by the value's shape; the same judgement as `warden scan`'s rule of this id. Values are never
//! printed.

use serde_json::Value;

use super::{fail, Ctx, Hit, Rule, RuleId, Severity};
use crate::{graph::is_function, secrets::secret_like};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "secret-like-environment",
    severity: Severity::Medium,
    description: "A function's environment variable holds a literal that looks like a secret, by its name or its value (values are never printed).",
};

pub(crate) fn check(resource_type: &str, p: &Value, _: &Ctx<'_>) -> Vec<Hit> {
    if !is_function(resource_type) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for (name, value) in p["Environment"]["Variables"]
        .as_object()
        .into_iter()
        .flatten()
    {
        // Only literals: a Ref or dynamic reference is where a secret should come from.
        let Some(text) = value.as_str() else {
            continue;
        };
        if secret_like(name, text) {
            hits.push(fail(
                RuleId::SecretLikeEnvironment,
                format!("environment variable {name} looks like a secret; keep secrets in Secrets Manager or SSM and pass their names"),
            ));
        }
    }
    hits
}
