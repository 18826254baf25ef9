//! `service-token-unqualified`: a ServiceToken naming the function without a version or
//! alias, or `$LATEST`: whatever code is deployed last answers.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, Rule, RuleId, Severity};
use crate::graph::{is_custom_resource, is_function};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "service-token-unqualified",
    severity: Severity::Low,
    description: "A ServiceToken names the function without a version or alias (or with $LATEST): whatever code is deployed last answers.",
};

pub(crate) fn check(resource_type: &str, p: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    if !is_custom_resource(resource_type) {
        return Vec::new();
    }
    service_token(&p["ServiceToken"], ctx.types)
        .into_iter()
        .collect()
}

fn service_token(token: &Value, types: &BTreeMap<String, String>) -> Option<Hit> {
    const RULE: RuleId = RuleId::ServiceTokenUnqualified;
    if let Some(text) = token.as_str() {
        // A resolved Sub: `${Fn.Arn}` is the unqualified function, `${Alias}` a qualified one.
        if let Some(inner) = text.strip_prefix("${") {
            let name = inner.split('}').next().unwrap_or_default();
            let (target, attribute) = name.split_once('.').unwrap_or((name, ""));
            return match types.get(target).map(String::as_str) {
                Some(t)
                    if is_function(t) && attribute == "Arn" && text == format!("${{{name}}}") =>
                {
                    Some(fail(
                        RULE,
                        format!("the ServiceToken is {target}.Arn, the unqualified function"),
                    ))
                }
                Some(_) => None,
                None => Some(unknown(
                    RULE,
                    format!("the ServiceToken `{text}` could not be resolved"),
                )),
            };
        }
        let parts: Vec<&str> = text.split(':').collect();
        if parts.first() != Some(&"arn") {
            return Some(unknown(RULE, "the ServiceToken is not an ARN"));
        }
        if parts.get(2) != Some(&"lambda") {
            // An SNS topic (or another service): no function version to pin.
            return None;
        }
        let qualifier = parts.get(7).copied();
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
        if types.get(target).is_some_and(|t| is_function(t))
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
            Some("AWS::Lambda::Version" | "AWS::Lambda::Alias" | "AWS::SNS::Topic")
        ) {
            return None;
        }
    }
    if token.is_null() {
        return None;
    }
    Some(unknown(RULE, "the ServiceToken could not be resolved"))
}
