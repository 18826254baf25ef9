//! The IAM analysis the rules and `warden scan` share: policy statements, IAM action patterns,
//! the actions through which a role escalates, and AWS managed policies that grant everything.

use serde_json::{json, Value};

/// AWS managed policies that grant wildcard actions, as SAM `Policies` entries name them.
pub const BROAD_MANAGED_POLICIES: &[&str] = &[
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "AWSLambda_FullAccess",
    "AWSLambdaFullAccess",
    "AmazonS3FullAccess",
    "AmazonDynamoDBFullAccess",
];

/// The statements of a policy document.
pub fn statement_list(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Object(_) => vec![document["Statement"].clone()],
        _ => Vec::new(),
    }
}

/// One value or a list of them, as a list.
pub fn list_of(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// The `Allow` statements of a policy document (`Deny` statements never trigger a finding).
pub fn allow_statements(document: &Value) -> Vec<Value> {
    statement_list(document)
        .into_iter()
        .filter(|statement| statement["Effect"] == json!("Allow"))
        .collect()
}

/// Whether an action (no pattern) is a wildcard: `*` or `service:*`.
pub fn is_wildcard_action(action: &str) -> bool {
    action == "*" || action.ends_with(":*")
}

/// Whether an `Allow` statement's actions may include `iam:PassRole`.
pub fn passes_role(statement: &Value) -> bool {
    list_of(&statement["Action"])
        .iter()
        .filter_map(Value::as_str)
        .any(|a| action_matches(a, "iam:PassRole"))
}

/// The policy documents a resource holds: a role's inline `Policies`, a policy's or managed
/// policy's `PolicyDocument`.
pub fn policy_documents<'v>(resource_type: &str, properties: &'v Value) -> Vec<&'v Value> {
    match resource_type {
        "AWS::IAM::Role" => properties["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|policy| &policy["PolicyDocument"])
            .collect(),
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => vec![&properties["PolicyDocument"]],
        _ => Vec::new(),
    }
}

/// SAM `Policies`, alone or in a list: each a managed policy name or ARN, a policy document,
/// or a policy template (`{TemplateName: {Parameter: value}}`).
pub fn sam_policy_entries(policies: &Value) -> Vec<Value> {
    list_of(policies)
}

/// Whether IAM action pattern `pattern` (with `*` and `?`) matches `action`, ignoring case.
/// Iterative with one remembered star: no exponential backtracking on patterns like `****Q`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
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
pub const ESCALATING_ACTIONS: &[&str] = &[
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
pub fn broad_managed_policy(reference: &Value) -> Option<Value> {
    let name = reference.as_str()?;
    let short = name.rsplit('/').next().unwrap_or(name);
    BROAD_MANAGED_POLICIES
        .contains(&short)
        .then(|| json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
}

/// Allowed actions of `documents` that escalate.
pub fn escalating(documents: &[Value]) -> Vec<&'static str> {
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

#[cfg(test)]
mod tests {
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
}
