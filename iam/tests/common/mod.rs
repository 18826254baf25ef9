//! What the documented-example tests share: parsing policies, building requests, and checking a
//! table of requests against the decisions the documentation gives for them.
#![allow(dead_code, reason = "each test file uses only some of these helpers")]

use warden_iam::{Context, ContextBuilder, Decision, Evaluator, Layer, Policy, Request};

/// A policy from its JSON text.
pub(crate) fn policy(json: &str) -> Policy {
    json.parse().unwrap()
}

/// A request for this action on this resource in this context.
pub(crate) fn request(action: &str, resource: &str, context: Context) -> Request {
    Request::builder()
        .action(action)
        .resource(resource)
        .context(context)
        .build()
        .unwrap()
}

/// A context that holds every key the request has.
pub(crate) fn complete() -> ContextBuilder {
    Context::builder().complete(true)
}

/// The Sid of the statement that explicitly denied, if one did.
pub(crate) fn sid_of(decision: &Decision) -> Option<&str> {
    match decision {
        Decision::ExplicitDeny { statement } => statement.sid.as_deref(),
        _ => None,
    }
}

/// What a case expects of its decision.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    /// [`Decision::is_allowed`].
    Allowed,
    /// [`Decision::is_denied`]: explicitly or implicitly.
    Denied,
    /// [`Decision::ExplicitDeny`].
    ExplicitDeny,
    /// [`Decision::ImplicitDeny`] for want of an allow in this layer.
    ImplicitDeny(Layer),
    /// [`Decision::is_unknown`].
    Unknown,
}

/// Evaluates each `(action, resource, context, expected)` case and asserts its decision.
pub(crate) fn assert_cases<'a>(
    evaluator: &Evaluator,
    cases: impl IntoIterator<Item = (&'a str, &'a str, Context, Expect)>,
) {
    for (action, resource, context, expect) in cases {
        let decision = evaluator.evaluate(&request(action, resource, context));
        let met = match expect {
            Expect::Allowed => decision.is_allowed(),
            Expect::Denied => decision.is_denied(),
            Expect::ExplicitDeny => matches!(decision, Decision::ExplicitDeny { .. }),
            Expect::ImplicitDeny(layer) => decision == Decision::ImplicitDeny { missing: layer },
            Expect::Unknown => decision.is_unknown(),
        };
        assert!(
            met,
            "{action} on {resource}: expected {expect:?}, got {decision:?}"
        );
    }
}
