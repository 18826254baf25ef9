//! `function-url-auth-none`: a function URL (`AWS::Lambda::Url`, SAM `FunctionUrlConfig`) with
//! AuthType NONE.

use serde_json::Value;

use super::{fail, unknown, Ctx, Hit, Rule, RuleId, Severity};
use crate::template::is_intrinsic;

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "function-url-auth-none",
    severity: Severity::High,
    description: "A function URL has AuthType NONE: anyone on the internet can invoke it.",
};

pub(crate) fn check(resource_type: &str, p: &Value, _: &Ctx<'_>) -> Vec<Hit> {
    let auth = match resource_type {
        "AWS::Lambda::Url" => &p["AuthType"],
        "AWS::Serverless::Function" => match p.get("FunctionUrlConfig") {
            Some(config) => &config["AuthType"],
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    url_auth(auth).into_iter().collect()
}

fn url_auth(auth: &Value) -> Option<Hit> {
    const RULE: RuleId = RuleId::FunctionUrlAuthNone;
    if is_intrinsic(auth) {
        return Some(unknown(RULE, "the AuthType could not be resolved"));
    }
    (auth.as_str() == Some("NONE")).then(|| fail(RULE, "AuthType NONE"))
}
