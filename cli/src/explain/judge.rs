//! A principal judged: its identity policies, boundary and session policy read from the stack
//! and evaluated by `warden-iam` on the requests its narrowest policy names and on the
//! escalation probes; what could not be evaluated is noted, and a decision it could change is
//! unknown.

use std::collections::BTreeMap;

use serde_json::Value;
use warden_iam::{Context, Effect, Evaluator, Polarity, Policy, Request};
use warden_lint::inventory::{Named, Stack};

use super::{
    gaps::Gaps,
    model::{Check, Principal},
    read::{read_role, read_sam_role, Read},
};

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
pub(super) fn requests_named(policy: &Policy) -> Vec<(String, String)> {
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
}
