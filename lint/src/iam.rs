//! The IAM analysis the rules and `warden scan` share: policy documents (given as JSON, as a
//! JSON string, or chosen by `Fn::If`, whose branches are both read), statements, IAM action
//! patterns, the actions through which a role escalates, AWS managed policies that grant broad
//! actions, and secret-like environment variables.

use serde_json::{json, Value};

/// AWS managed policies that grant wildcard actions, by name, with the actions they allow
/// (`!` before an action: everything but it, as `NotAction`).
const BROAD: &[(&str, &[&str])] = &[
    ("AdministratorAccess", &["*"]),
    (
        "PowerUserAccess",
        &["!iam:*", "!organizations:*", "!account:*"],
    ),
    ("IAMFullAccess", &["iam:*"]),
    ("AWSLambda_FullAccess", &["lambda:*", "iam:PassRole"]),
    ("AWSLambdaFullAccess", &["lambda:*", "iam:PassRole"]),
    ("AWSCloudFormationFullAccess", &["cloudformation:*"]),
    ("AWSCodeDeployFullAccess", &["codedeploy:*"]),
    ("AmazonS3FullAccess", &["s3:*"]),
    ("AmazonDynamoDBFullAccess", &["dynamodb:*"]),
    ("AmazonSQSFullAccess", &["sqs:*"]),
    ("AmazonSNSFullAccess", &["sns:*"]),
    ("SecretsManagerReadWrite", &["secretsmanager:*"]),
    ("AmazonEC2FullAccess", &["ec2:*", "iam:PassRole"]),
];

/// AWS managed policies that grant wildcard actions, as SAM `Policies` entries name them.
pub const BROAD_MANAGED_POLICIES: &[&str] = &[
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "AWSLambda_FullAccess",
    "AWSLambdaFullAccess",
    "AWSCloudFormationFullAccess",
    "AWSCodeDeployFullAccess",
    "AmazonS3FullAccess",
    "AmazonDynamoDBFullAccess",
    "AmazonSQSFullAccess",
    "AmazonSNSFullAccess",
    "SecretsManagerReadWrite",
    "AmazonEC2FullAccess",
];

/// A policy document as JSON: an object as it is, a string parsed as JSON (CloudFormation
/// accepts a PolicyDocument given as a JSON string); `Err` with the reason when it is neither
/// (an unresolved `Fn::Sub`, an import...).
pub fn document(value: &Value) -> Result<Value, String> {
    match value {
        Value::String(text) => {
            serde_json::from_str(text).map_err(|_| "a PolicyDocument string is not JSON".to_owned())
        }
        Value::Object(map) if crate::template::is_intrinsic(value) => Err(format!(
            "the PolicyDocument is {} that could not be resolved",
            map.keys().next().map_or("an intrinsic", String::as_str)
        )),
        Value::Object(_) => Ok(value.clone()),
        _ => Err("the PolicyDocument is not an object".to_owned()),
    }
}

/// The statements of a policy document (both branches of every `Fn::If`; a string document
/// parsed).
pub fn statement_list(document: &Value) -> Vec<Value> {
    let document = match document {
        Value::String(_) => self::document(document).unwrap_or(Value::Null),
        other => other.clone(),
    };
    branches(&document)
        .iter()
        .flat_map(|d| list_of(&d["Statement"]))
        .filter(Value::is_object)
        .collect()
}

/// Both branches of an `Fn::If` (recursively; `AWS::NoValue` is no value), or the value.
fn branches(value: &Value) -> Vec<Value> {
    if let Some(args) = value.get("Fn::If").and_then(Value::as_array) {
        return args.iter().skip(1).flat_map(branches).collect();
    }
    if value.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue") {
        return Vec::new();
    }
    vec![value.clone()]
}

/// One value or a list of them, as a list; an `Fn::If` (the value, or an item) yields both
/// branches, so an analysis sees what either condition allows.
pub fn list_of(v: &Value) -> Vec<Value> {
    branches(v)
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().flat_map(branches).collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        })
        .collect()
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

/// Whether an `Allow` statement's actions may include `iam:PassRole` (`NotAction` included).
pub fn passes_role(statement: &Value) -> bool {
    allows_action(statement, "iam:PassRole")
}

/// The policy documents a resource holds: a role's, user's or group's inline `Policies`, a
/// policy's or managed policy's `PolicyDocument` (each `Fn::If` branch; strings not parsed yet:
/// [`statement_list`] and [`document`] do).
pub fn policy_documents(resource_type: &str, properties: &Value) -> Vec<Value> {
    match resource_type {
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => list_of(&properties["Policies"])
            .iter()
            .flat_map(|policy| list_of(&policy["PolicyDocument"]))
            .collect(),
        "AWS::IAM::Policy"
        | "AWS::IAM::ManagedPolicy"
        | "AWS::IAM::RolePolicy"
        | "AWS::IAM::UserPolicy"
        | "AWS::IAM::GroupPolicy" => list_of(&properties["PolicyDocument"]),
        _ => Vec::new(),
    }
}

/// Why each of a resource's policy documents could not be read (an unresolved intrinsic, a
/// string that is not JSON): the analysis cannot judge them, so they are UNKNOWN.
pub fn unreadable_documents(resource_type: &str, properties: &Value) -> Vec<String> {
    policy_documents(resource_type, properties)
        .iter()
        .filter_map(|d| document(d).err())
        .collect()
}

/// SAM `Policies`, alone or in a list: each a managed policy name or ARN, a policy document,
/// or a policy template (`{TemplateName: {Parameter: value}}`).
pub fn sam_policy_entries(policies: &Value) -> Vec<Value> {
    list_of(policies)
}

/// The text with every `${...}` (a pseudo parameter, a resource's name) replaced by one plain
/// character: they are single names, and their `::` must not count as ARN separators.
pub(crate) fn without_variables(text: &str) -> String {
    let mut base = text.to_owned();
    while let Some(start) = base.find("${") {
        let Some(len) = base[start..].find('}') else {
            break;
        };
        base.replace_range(start..=start + len, "v");
    }
    base
}

/// Whether IAM action pattern `pattern` (with `*` and `?`) matches `action`, ignoring case:
/// the evaluator's own matcher, so lint, scan and `warden explain` agree.
pub use warden_iam::action_matches;

/// The action part of a statement (its `Effect`, and `Action` or `NotAction` with both
/// branches of every `Fn::If`) as a typed policy whose resource is `*`, so questions about
/// actions are the evaluator's (`Policy::statements_allowing`), `NotAction` included; `None`
/// when no action could be read (only unresolved intrinsics).
pub fn action_policy(statement: &Value) -> Option<warden_iam::Policy> {
    let (element, items) = match statement.get("NotAction") {
        Some(not) => ("NotAction", list_of(not)),
        None => ("Action", list_of(&statement["Action"])),
    };
    // A malformed action (no `service:` prefix) matches nothing; dropping it keeps the others
    // judged (in a NotAction list it widens the statement: the cautious side).
    let actions: Vec<&str> = items
        .iter()
        .filter_map(Value::as_str)
        .filter(|a| warden_iam::is_well_formed_action(a))
        .collect();
    if actions.is_empty() {
        return None;
    }
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": statement["Effect"], element: actions, "Resource": "*"}],
    });
    warden_iam::Policy::parse(&document).ok()
}

/// Whether a statement's actions may include `action` (a name or pattern), `NotAction`
/// included (everything but its list).
pub fn allows_action(statement: &Value, action: &str) -> bool {
    action_policy(statement).is_some_and(|p| !p.statements_allowing(action).is_empty())
}

/// What makes a statement's actions broad: `NotAction` (everything but a list), and each `*` or
/// `service:*` action. The one judgement `iam-wildcard-action` and `warden scan` share.
pub fn broad_actions(statement: &Value) -> Vec<String> {
    let Some(policy) = action_policy(statement) else {
        return Vec::new();
    };
    policy
        .statements()
        .iter()
        .filter(|s| s.effect() == warden_iam::Effect::Allow)
        .flat_map(|s| match s.actions() {
            (warden_iam::Polarity::Not, _) => vec!["NotAction".to_owned()],
            (warden_iam::Polarity::Listed, actions) => actions
                .iter()
                .filter(|a| is_wildcard_action(a))
                .cloned()
                .collect(),
        })
        .collect()
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

/// An AWS managed policy with wildcard actions (by name, or by ARN under `:aws:policy/`,
/// `${AWS::Partition}` included), as the document it amounts to.
pub fn broad_managed_policy(reference: &Value) -> Option<Value> {
    let name = reference.as_str()?;
    let short = if name.starts_with("arn:") {
        let (_, path) = name.split_once(":aws:policy/")?;
        path.rsplit('/').next().unwrap_or(path)
    } else {
        name
    };
    let (_, actions) = BROAD.iter().find(|(n, _)| *n == short)?;
    let allowed: Vec<&str> = actions
        .iter()
        .filter(|a| !a.starts_with('!'))
        .copied()
        .collect();
    let excepted: Vec<&str> = actions.iter().filter_map(|a| a.strip_prefix('!')).collect();
    let statement = if excepted.is_empty() {
        json!({"Effect": "Allow", "Action": allowed, "Resource": "*"})
    } else {
        json!({"Effect": "Allow", "NotAction": excepted, "Resource": "*"})
    };
    Some(json!({"Statement": [statement]}))
}

/// The short name of an AWS managed policy with broad actions, by name or ARN.
pub fn broad_managed_policy_name(reference: &Value) -> Option<&'static str> {
    broad_managed_policy(reference)?;
    let name = reference.as_str()?;
    BROAD
        .iter()
        .map(|(n, _)| *n)
        .find(|n| name == *n || name.ends_with(&format!("/{n}")))
}

/// Allowed actions of `documents` that escalate (`NotAction` included).
pub fn escalating(documents: &[Value]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for document in documents {
        for statement in statement_list(document) {
            let Some(policy) = action_policy(&statement) else {
                continue;
            };
            for action in ESCALATING_ACTIONS {
                if !policy.statements_allowing(action).is_empty() && !out.contains(action) {
                    out.push(*action);
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
    fn actions_are_judged_by_the_evaluator_not_action_included() {
        let not_s3 = json!({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"});
        assert!(passes_role(&not_s3));
        assert_eq!(broad_actions(&not_s3), ["NotAction"]);
        let not_iam = json!({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"});
        assert!(!passes_role(&not_iam));
        let both = json!({"Effect": "Allow", "Resource": "*",
            "Action": {"Fn::If": ["C", ["lambda:*", "bogus"], "iam:Pass*"]}});
        assert!(passes_role(&both), "the Fn::If branch naming iam:Pass*");
        assert_eq!(broad_actions(&both), ["lambda:*"]);
        assert!(allows_action(&both, "lambda:CreateFunction"));
        let unresolved = json!({"Effect": "Allow", "Action": {"Ref": "Actions"}, "Resource": "*"});
        assert!(action_policy(&unresolved).is_none());
        let deny = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
        assert!(!passes_role(&deny));
        assert!(broad_actions(&deny).is_empty());
        let documents = [json!({"Statement": [not_s3]})];
        assert_eq!(escalating(&documents), ESCALATING_ACTIONS);
    }

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
