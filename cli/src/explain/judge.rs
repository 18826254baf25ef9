//! A principal judged: its identity policies, boundary and session policy read from the stack
//! and evaluated by `warden-iam` on the requests its narrowest policy names and on the
//! escalation probes; what could not be evaluated is noted, and a decision it could change is
//! unknown.

use std::collections::BTreeMap;

use serde_json::Value;
use warden_iam::{Context, Decision, Effect, Evaluator, Layer, Polarity, Policy, Request};
use warden_lint::inventory::{Named, Stack};

use super::{Check, Principal};

/// The session policy a Create would declare (policy, JSON, placeholders), or why there is none.
pub(super) type Session = Result<(Policy, Value, Vec<String>), String>;

/// Where a principal's policies come from.
pub(super) enum Subject<'a> {
    /// A role, of the template or named elsewhere.
    Role(&'a Named),
    /// The role SAM makes for a function (logical id) without `Role`, from its `Policies` and
    /// `PermissionsBoundary`.
    SamFunction(&'a str),
}

/// A principal's policies as read, and what could not be read.
#[derive(Default)]
struct Read {
    identity: Vec<(String, Policy)>,
    boundary: Option<Policy>,
    gaps: Gaps,
}

/// Judges the requests of `subject` (∩ `session` when given).
pub(super) fn judge(
    kind: &'static str,
    stack: &Stack,
    subject: Option<Subject<'_>>,
    session: Option<Session>,
    probes: &Probes,
) -> Principal {
    let mut principal = Principal {
        kind,
        role: None,
        arn: None,
        policies: Vec::new(),
        boundary: None,
        session_policy: None,
        placeholders: Vec::new(),
        notes: Vec::new(),
        checks: Vec::new(),
    };
    let mut read = Read::default();
    match subject {
        None => return principal,
        Some(Subject::Role(Named::Elsewhere(arn))) => {
            principal.role = Some(arn.clone());
            principal.notes.push(format!(
                "the role {arn} is not in the template: its policies are not known here"
            ));
            return principal;
        }
        Some(Subject::Role(Named::Here(id))) => {
            principal.role = Some(id.clone());
            principal.arn = stack.arn(id);
            read_role(stack, id, &mut principal, &mut read);
        }
        Some(Subject::SamFunction(function)) => {
            principal.role = Some(format!("{function}Role"));
            principal.notes.push(
                "SAM makes this role at deployment: read from the function's Policies (with \
                 AWSLambdaBasicExecutionRole, which SAM always attaches)"
                    .to_owned(),
            );
            read_sam_role(stack, function, &mut principal, &mut read);
        }
    }
    evaluate(principal, read, session, probes)
}

/// A template role's inline and attached policies and its boundary.
fn read_role(stack: &Stack, id: &str, principal: &mut Principal, read: &mut Read) {
    for (name, document) in stack.role_documents(id) {
        let policy = read_policy(
            &name,
            &document,
            &mut principal.notes,
            &mut read.gaps.identity,
        );
        if let Some(p) = policy {
            read.identity.push((name, p));
        }
    }
    for managed in stack.managed_policies(id) {
        if let Named::Elsewhere(name) = managed {
            read_managed(&name, principal, read);
        }
    }
    if let Some(boundary) = stack.boundary(id) {
        read_boundary(stack, boundary, principal, read);
    }
}

/// The role SAM makes for `function`: AWSLambdaBasicExecutionRole, each `Policies` entry (a
/// managed policy, a document; a policy template is not expanded and is a gap) and the
/// function's `PermissionsBoundary`.
fn read_sam_role(stack: &Stack, function: &str, principal: &mut Principal, read: &mut Read) {
    let Some(resource) = stack.resource(function) else {
        return;
    };
    let properties = &resource.properties;
    let partition = &stack.assumptions().partition;
    let basic = format!("arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
    read_managed(&basic, principal, read);
    for (i, entry) in warden_lint::iam::sam_policy_entries(&properties["Policies"])
        .iter()
        .enumerate()
    {
        match entry {
            Value::String(name) => read_managed(name, principal, read),
            Value::Object(map) if map.contains_key("Statement") => {
                let name = format!("{function}Role/Policies[{i}]");
                let policy =
                    read_policy(&name, entry, &mut principal.notes, &mut read.gaps.identity);
                if let Some(p) = policy {
                    read.identity.push((name, p));
                }
            }
            other => {
                let name = other
                    .as_object()
                    .and_then(|m| m.keys().next().cloned())
                    .unwrap_or_else(|| other.to_string());
                principal.notes.push(format!(
                    "SAM policy template {name} is not expanded: not evaluated"
                ));
                read.gaps
                    .identity
                    .push(Gap::whole(format!("SAM policy template {name}")));
            }
        }
    }
    let boundary = &properties["PermissionsBoundary"];
    if !boundary.is_null() {
        let named = stack.named(boundary, "AWS::IAM::ManagedPolicy");
        read_boundary(stack, named, principal, read);
    }
}

/// A managed policy named from outside the template: an AWS managed policy whose document is
/// known, else a gap.
fn read_managed(name: &str, principal: &mut Principal, read: &mut Read) {
    let known = warden_lint::iam::broad_managed_policy(&Value::String(name.to_owned()))
        .or_else(|| known_managed_policy(name));
    let policy =
        known.and_then(|d| read_policy(name, &d, &mut principal.notes, &mut read.gaps.identity));
    match policy {
        Some(p) => read.identity.push((name.to_owned(), p)),
        None => {
            principal.notes.push(format!(
                "managed policy {name} is not in the template: not evaluated"
            ));
            read.gaps.identity.push(Gap::whole(name));
        }
    }
}

/// A permissions boundary: a managed policy of the template, else a gap.
fn read_boundary(stack: &Stack, boundary: Named, principal: &mut Principal, read: &mut Read) {
    match boundary {
        Named::Here(b) => {
            let document = stack
                .resource(&b)
                .map(|r| r.properties["PolicyDocument"].clone())
                .unwrap_or_default();
            read.boundary =
                read_policy(&b, &document, &mut principal.notes, &mut read.gaps.boundary);
            principal.boundary = Some(b);
        }
        Named::Elsewhere(b) => {
            principal.notes.push(format!(
                "the permissions boundary {b} is not in the template: not evaluated"
            ));
            read.gaps.boundary.push(Gap::whole(b.clone()));
            principal.boundary = Some(b);
        }
    }
}

/// Evaluates what was read (∩ `session`) on the requests its narrowest policy names and on
/// the probes.
fn evaluate(
    mut principal: Principal,
    read: Read,
    session: Option<Session>,
    probes: &Probes,
) -> Principal {
    principal.policies = read.identity.iter().map(|(n, _)| n.clone()).collect();
    let mut builder = Evaluator::builder();
    for (name, p) in &read.identity {
        builder = builder.identity_named(name.clone(), p.clone());
    }
    if let Some(b) = &read.boundary {
        builder = builder.boundary(b.clone());
    }
    match session {
        Some(Ok((policy, json, placeholders))) => {
            builder = builder.session(policy.clone());
            principal.session_policy = Some(json);
            principal.placeholders = placeholders;
            return finish(principal, builder.build(), &[&policy], probes, &read.gaps);
        }
        Some(Err(reason)) => principal.notes.push(reason),
        None => {}
    }
    if read.identity.is_empty() {
        principal
            .notes
            .push("no identity policy: every request is implicitly denied".to_owned());
    }
    let narrowest: Vec<&Policy> = read.identity.iter().map(|(_, p)| p).collect();
    finish(principal, builder.build(), &narrowest, probes, &read.gaps)
}

/// A policy that could not be (fully) evaluated: all of it, or the statements with these
/// action patterns (read with an unresolved value).
#[derive(Debug, PartialEq)]
struct Gap {
    policy: String,
    actions: Option<Vec<String>>,
}

impl Gap {
    fn whole(policy: impl Into<String>) -> Self {
        Self {
            policy: policy.into(),
            actions: None,
        }
    }

    /// Whether what was not evaluated could concern `action`.
    fn concerns(&self, action: &str) -> bool {
        self.actions.as_ref().is_none_or(|patterns| {
            patterns
                .iter()
                .any(|p| warden_iam::action_matches(p, action))
        })
    }
}

/// What of a principal's policies could not be evaluated: a decision it could change is
/// unknown, not denied or allowed.
#[derive(Default)]
struct Gaps {
    identity: Vec<Gap>,
    boundary: Vec<Gap>,
}

impl Gaps {
    /// The decision on a request for `action` as shown: (outcome, explanation). A denial for
    /// want of an allowing statement is unknown when a policy of that layer was not evaluated
    /// for the action; an allowance is unknown when the boundary was not evaluated at all,
    /// and says so when an identity policy was not (it could hold a `Deny`).
    fn judge(&self, decision: &Decision, action: &str) -> (&'static str, String) {
        let why = decision.to_string();
        let names = |gaps: &[Gap], all: bool| -> Vec<String> {
            gaps.iter()
                .filter(|g| g.concerns(action) && (!all || g.actions.is_none()))
                .map(|g| g.policy.clone())
                .collect()
        };
        match decision {
            Decision::ImplicitDeny { missing } => {
                let gaps = match missing {
                    Layer::Identity => names(&self.identity, false),
                    Layer::Boundary => names(&self.boundary, false),
                    _ => Vec::new(),
                };
                if gaps.is_empty() {
                    return ("denied", why);
                }
                (
                    "unknown",
                    format!(
                        "{why}, of those evaluated; not evaluated: {}",
                        gaps.join(", ")
                    ),
                )
            }
            Decision::Allowed { .. } => {
                let boundary = names(&self.boundary, true);
                if !boundary.is_empty() {
                    return (
                        "unknown",
                        format!(
                            "{why}; the permissions boundary {} was not evaluated",
                            boundary.join(", ")
                        ),
                    );
                }
                let identity = names(&self.identity, false);
                if identity.is_empty() {
                    ("allowed", why)
                } else {
                    (
                        "allowed",
                        format!(
                            "{why} (unless a Deny in what was not evaluated: {})",
                            identity.join(", ")
                        ),
                    )
                }
            }
            _ => (outcome(decision), why),
        }
    }
}

/// AWS managed policies narrow enough to be common on providers' roles, as their documents
/// (from the AWS managed policy reference; version v1 of AWSLambdaBasicExecutionRole, unchanged
/// since 2015).
fn known_managed_policy(arn: &str) -> Option<Value> {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let aws_managed = !arn.starts_with("arn:") || arn.contains(":aws:policy/");
    (name == "AWSLambdaBasicExecutionRole" && aws_managed).then(|| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*"}]})
    })
}

/// Evaluates the requests `named` policies name and the probes.
fn finish(
    mut principal: Principal,
    evaluator: Result<Evaluator, warden_iam::Error>,
    named: &[&Policy],
    probes: &Probes,
    gaps: &Gaps,
) -> Principal {
    let evaluator = match evaluator {
        Ok(e) => e,
        Err(e) => {
            principal
                .notes
                .push(format!("the policies cannot be evaluated: {e}"));
            return principal;
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    let requests = named
        .iter()
        .flat_map(|p| requests_named(p))
        .map(|(a, r)| (a, r, false))
        .chain(
            probes
                .requests
                .iter()
                .map(|(a, r)| (a.clone(), r.clone(), true)),
        );
    for (action, resource, probe) in requests {
        if !seen.insert((action.to_ascii_lowercase(), resource.clone())) {
            continue;
        }
        let context = context_for(&action);
        let mut builder = Context::builder();
        for (k, v) in &context {
            builder = builder.value(k, v.clone());
        }
        let request = Request::builder()
            .action(action.clone())
            .resource(resource.clone())
            .context(builder.build())
            .build();
        let decision = match request {
            Ok(r) => evaluator.evaluate(&r),
            Err(e) => {
                principal
                    .notes
                    .push(format!("{action} on {resource}: not a request ({e})"));
                continue;
            }
        };
        let (decision, why) = gaps.judge(&decision, &action);
        principal.checks.push(Check {
            action,
            resource,
            context,
            decision,
            why,
            probe,
        });
    }
    principal
}

fn outcome(decision: &Decision) -> &'static str {
    if decision.is_allowed() {
        "allowed"
    } else if decision.is_denied() {
        "denied"
    } else {
        "unknown"
    }
}

/// What a handler's request carries that a policy may test: the service a role is passed to
/// (Lambda, by both shipped resources). Other keys stay absent, so conditions on them are
/// unknown.
fn context_for(action: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if action.eq_ignore_ascii_case("iam:PassRole") {
        out.insert(
            "iam:PassedToService".to_owned(),
            "lambda.amazonaws.com".to_owned(),
        );
    }
    out
}

/// The (action, sample resource) pairs a policy's `Allow` statements name: each listed action
/// without a wildcard, on each listed resource with its wildcards filled.
fn requests_named(policy: &Policy) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for statement in policy.statements() {
        if statement.effect() != Effect::Allow {
            continue;
        }
        let (Polarity::Listed, actions) = statement.actions() else {
            continue;
        };
        let resources: Vec<String> = match statement.resources() {
            Some((Polarity::Listed, list)) => list.iter().map(|r| sample(r)).collect(),
            _ => vec!["*".to_owned()],
        };
        for action in actions.iter().filter(|a| !a.contains(['*', '?'])) {
            for resource in &resources {
                out.push((action.clone(), resource.clone()));
            }
        }
    }
    out
}

/// One resource a pattern matches: `*` and `?` filled with `x` (`*` alone stays).
fn sample(pattern: &str) -> String {
    if pattern == "*" {
        return pattern.to_owned();
    }
    pattern.replace(['*', '?'], "x")
}

/// Reads a policy document of the stack; what cannot be read is noted and added to `gaps`:
/// the whole policy, or the statements read with an unresolved value.
fn read_policy(
    name: &str,
    document: &Value,
    notes: &mut Vec<String>,
    gaps: &mut Vec<Gap>,
) -> Option<Policy> {
    let document = match warden_lint::iam::document(document) {
        Ok(d) => d,
        Err(e) => {
            notes.push(format!("{name}: {e}; not evaluated"));
            gaps.push(Gap::whole(name));
            return None;
        }
    };
    let before = notes.len();
    let document = unresolved_to_placeholders(name, &document, notes);
    match Policy::parse(&document) {
        Ok(p) => {
            if notes.len() > before {
                gaps.push(Gap {
                    policy: name.to_owned(),
                    actions: unresolved_statement_actions(&document),
                });
            }
            Some(p)
        }
        Err(e) => {
            notes.push(format!("{name}: {e}; not evaluated"));
            gaps.push(Gap::whole(name));
            None
        }
    }
}

/// The action patterns of the statements holding an unresolved value; `None` when one of them
/// has `NotAction` or no readable action (it could concern any action).
fn unresolved_statement_actions(document: &Value) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for statement in warden_lint::iam::list_of(&document["Statement"]) {
        if !statement.to_string().contains("UNRESOLVED(") {
            continue;
        }
        if statement.get("NotAction").is_some() {
            return None;
        }
        let actions: Vec<String> = warden_lint::iam::list_of(&statement["Action"])
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .filter(|a| !a.starts_with("UNRESOLVED("))
            .collect();
        if actions.is_empty() {
            return None;
        }
        out.extend(actions);
    }
    Some(out)
}

/// What a template leaves unresolved in a statement's elements (an attribute the reading does
/// not know): the text `UNRESOLVED(…)`, which matches no request, noted.
fn unresolved_to_placeholders(name: &str, document: &Value, notes: &mut Vec<String>) -> Value {
    fn walk(value: &Value, path: &str, found: &mut Vec<String>) -> Value {
        match value {
            Value::Object(map) if warden_lint::template::is_intrinsic(value) => {
                found.push(format!("{path} = {value}"));
                Value::String(format!(
                    "UNRESOLVED({})",
                    map.keys().next().map_or("", String::as_str)
                ))
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, &format!("{path}.{k}"), found)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| walk(v, &format!("{path}[{i}]"), found))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut found = Vec::new();
    let out = walk(document, name, &mut found);
    notes.extend(
        found
            .into_iter()
            .map(|f| format!("unresolved, read as matching nothing: {f}")),
    );
    out
}

/// Requests no policy of a provider should allow: the ways a custom resource's principal
/// escalates.
pub(super) struct Probes {
    requests: Vec<(String, String)>,
}

impl Probes {
    pub(super) fn new(stack: &Stack, provider_arn: &str) -> Self {
        let a = stack.assumptions();
        let (p, r, n) = (&a.partition, &a.region, &a.account);
        let role = format!("arn:{p}:iam::{n}:role/any-role");
        let function = format!("arn:{p}:lambda:{r}:{n}:function:any-function");
        let requests = [
            ("iam:PassRole", role.clone()),
            ("iam:CreateRole", role.clone()),
            ("iam:PutRolePolicy", role.clone()),
            ("iam:AttachRolePolicy", role.clone()),
            ("sts:AssumeRole", role),
            ("lambda:CreateFunction", function.clone()),
            ("lambda:UpdateFunctionCode", function),
            ("lambda:UpdateFunctionCode", provider_arn.to_owned()),
            ("lambda:InvokeFunction", provider_arn.to_owned()),
            ("kms:Decrypt", format!("arn:{p}:kms:{r}:{n}:key/any-key")),
            (
                "s3:GetObject",
                format!("arn:{p}:s3:::any-bucket/any-object"),
            ),
            (
                "secretsmanager:GetSecretValue",
                format!("arn:{p}:secretsmanager:{r}:{n}:secret:any-secret"),
            ),
        ];
        Self {
            requests: requests
                .into_iter()
                .map(|(a, r)| (a.to_owned(), r))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    use super::*;

    #[test]
    fn requests_are_the_listed_actions_on_sampled_resources() {
        let policy: Policy = r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "arn:aws:s3:::b/p*"},
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": "arn:aws:sqs:*:*:q"}]}"#
            .parse()
            .unwrap();
        assert_eq!(
            requests_named(&policy),
            [
                ("s3:GetObject".to_owned(), "arn:aws:s3:::b/px".to_owned()),
                ("sqs:SendMessage".to_owned(), "*".to_owned()),
            ]
        );
    }

    #[test]
    fn gaps_turn_what_they_could_change_into_unknown() {
        let gaps = Gaps {
            identity: vec![
                Gap::whole("team-extra"),
                Gap {
                    policy: "logs".into(),
                    actions: Some(vec!["logs:Put*".into()]),
                },
            ],
            boundary: Vec::new(),
        };
        let implicit = Decision::ImplicitDeny {
            missing: Layer::Identity,
        };
        let (decision, why) = gaps.judge(&implicit, "iam:PassRole");
        assert_eq!(decision, "unknown");
        assert!(why.contains("team-extra") && !why.contains("logs"), "{why}");
        // A missing session statement is not something an unread identity policy changes.
        let session = Decision::ImplicitDeny {
            missing: Layer::Session,
        };
        assert_eq!(gaps.judge(&session, "iam:PassRole").0, "denied");
        let allowed = Decision::Allowed { by: Vec::new() };
        let (decision, why) = gaps.judge(&allowed, "s3:GetObject");
        assert_eq!(decision, "allowed");
        assert!(why.contains("unless a Deny"), "{why}");
        // Only the statements read with an unresolved value are a gap.
        let partial = Gaps {
            identity: vec![Gap {
                policy: "logs".into(),
                actions: Some(vec!["logs:Put*".into()]),
            }],
            boundary: Vec::new(),
        };
        assert_eq!(partial.judge(&implicit, "iam:PassRole").0, "denied");
        assert_eq!(partial.judge(&implicit, "logs:PutLogEvents").0, "unknown");
        let unread_boundary = Gaps {
            identity: Vec::new(),
            boundary: vec![Gap::whole("arn:aws:iam::1:policy/b")],
        };
        assert_eq!(unread_boundary.judge(&allowed, "s3:GetObject").0, "unknown");
        assert_eq!(Gaps::default().judge(&implicit, "iam:PassRole").0, "denied");
        assert_eq!(Gaps::default().judge(&allowed, "iam:PassRole").0, "allowed");
    }

    #[test]
    fn unresolved_values_are_named_and_match_nothing() {
        let mut notes = Vec::new();
        let mut gaps = Vec::new();
        let document = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents",
            "Resource": {"Fn::GetAtt": ["Group", "Arn"]}}]});
        let policy = read_policy("logs", &document, &mut notes, &mut gaps).unwrap();
        assert_eq!(
            gaps,
            [Gap {
                policy: "logs".into(),
                actions: Some(vec!["logs:PutLogEvents".into()])
            }]
        );
        assert!(notes[0].contains("Fn::GetAtt"), "{notes:?}");
        assert_eq!(
            requests_named(&policy),
            [(
                "logs:PutLogEvents".to_owned(),
                "UNRESOLVED(Fn::GetAtt)".to_owned()
            )]
        );
        let mut notes = Vec::new();
        assert!(
            read_policy("bad", &serde_json::json!("not json"), &mut notes, &mut gaps).is_none()
        );
        assert_eq!(gaps.len(), 2);
    }
}
