//! `service-token-unqualified`: a ServiceToken naming the function without a version or
//! alias, or `$LATEST`: whatever code is deployed last answers.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, RuleId};
use crate::{
    finding::{Rule, Severity},
    graph::is_custom_resource,
};

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
