//! `wildcard-in-arn`: an Allow statement (not a PassRole one: `iam-passrole-wildcard` judges
//! those) naming resources by an ARN with `*` (a trailing `:*` after a name — a log group's
//! streams, a layer's versions — is one resource), or a SAM policy template given `*`.

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, Rule, RuleId, Severity};
use crate::{iam, resolve::is_concrete_reference, template::is_intrinsic};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "wildcard-in-arn",
    severity: Severity::Medium,
    description:
        "An Allow statement (or a SAM policy template) names resources by an ARN containing `*`.",
};

const ID: RuleId = RuleId::WildcardInArn;

pub(crate) fn check(resource_type: &str, p: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    let mut hits: Vec<Hit> = super::policy_statements(resource_type, p)
        .iter()
        .flat_map(|s| statement(s, ctx))
        .collect();
    if resource_type == "AWS::Serverless::Function" {
        for entry in iam::sam_policy_entries(&p["Policies"]) {
            let Value::Object(map) = &entry else {
                continue;
            };
            if map.contains_key("Statement") || is_intrinsic(&entry) {
                continue;
            }
            // A policy template: `{TemplateName: {Parameter: value}}`.
            for (template, parameters) in map {
                for (name, value) in parameters.as_object().into_iter().flatten() {
                    match value {
                        Value::String(v) if v.contains('*') => hits.push(fail(
                            ID,
                            format!("policy template {template} with {name} `{v}`"),
                        )),
                        Value::String(_) => {}
                        other if is_concrete_reference(other, ctx.types) => {}
                        _ => hits.push(unknown(
                            ID,
                            format!("policy template {template}: {name} could not be resolved"),
                        )),
                    }
                }
            }
        }
    }
    hits
}

/// One Allow statement.
fn statement(statement: &Value, ctx: &Ctx<'_>) -> Vec<Hit> {
    if iam::passes_role(statement) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for resource in iam::list_of(&statement["Resource"]) {
        match resource.as_str() {
            Some(r) if r.starts_with("arn:") && r.contains('*') && !one_named_resource(r) => {
                hits.push(fail(
                    ID,
                    format!("`{r}` matches every resource of its pattern"),
                ));
            }
            Some(_) => {}
            None if is_concrete_reference(&resource, ctx.types) => {}
            None => hits.push(unknown(ID, "a Resource could not be resolved")),
        }
    }
    hits
}

/// Whether an ARN ending in `:*` or `/*` stays within one named resource: `<type>:<name>:*` (a
/// log group's streams, a layer's versions), `<bucket>/*` (a bucket's objects), `<type>/<name>/*`
/// (a table's indexes and streams), `<api-id>/*` (an API's stages and routes); not
/// `function:*`, `role/*` or `arn:aws:s3:::*`.
fn one_named_resource(arn: &str) -> bool {
    if let Some(base) = arn.strip_suffix("/*") {
        let base = iam::without_variables(base);
        let parts: Vec<&str> = base.splitn(6, ':').collect();
        let [_, _, service, _, _, resource] = parts[..] else {
            return false;
        };
        let named =
            !resource.is_empty() && !base.contains('*') && !resource.split('/').any(str::is_empty);
        // S3 and API Gateway name the resource first; elsewhere a type comes before the name.
        return named && (matches!(service, "s3" | "execute-api") || resource.contains('/'));
    }
    let Some(base) = arn.strip_suffix(":*") else {
        return false;
    };
    let base = iam::without_variables(base);
    let segments: Vec<&str> = base.split(':').collect();
    segments.len() >= 7 && !base.contains('*') && segments.iter().skip(5).all(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for scoped in [
            "arn:aws:s3:::my-bucket/*",
            "arn:${AWS::Partition}:s3:::${Bucket}/*",
            "arn:aws:dynamodb:us-east-1:123456789012:table/T/*",
            "arn:aws:execute-api:us-east-1:123456789012:abc123/*",
        ] {
            assert!(one_named_resource(scoped), "{scoped}");
        }
        for broad in [
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:s3:::*/*",
            "arn:aws:dynamodb:us-east-1:123456789012:table/*",
            "arn:aws:execute-api:us-east-1:123456789012:*/*",
        ] {
            assert!(!one_named_resource(broad), "{broad}");
        }
        for broad in [
            "arn:aws:lambda:us-east-1:123456789012:function:*",
            "arn:aws:s3:::*",
            "arn:aws:sqs:us-east-1:123456789012:*",
            "arn:aws:lambda:*:*:function:x:*",
        ] {
            assert!(!one_named_resource(broad), "{broad}");
        }
    }
}
