//! Properties of the evaluation, over generated policies and requests: explicit Deny always
//! wins; adding a Deny never turns a denial into an allow; adding a layer never widens what is
//! allowed (the intersection is monotone); adding an Allow never narrows it.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use proptest::prelude::*;
use serde_json::{json, Value};
use warden_iam::{Context, Decision, Evaluator, Policy, Request};

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:PassRole",
    "iam:GetRole",
    "lambda:InvokeFunction",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "iam:PassRole",
    "iam:*",
    "lambda:Invoke*",
    "*:Get*",
    "s3:?utObject",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k",
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:lambda:eu-west-1:111122223333:function:f",
    "*",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:iam::*:role/*",
    "arn:aws:lambda:*:*:function:*",
    "arn:aws:s3:::other",
];

fn statement() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::sample::subsequence(ACTION_PATTERNS, 1..3),
        any::<bool>(),
        prop::sample::subsequence(RESOURCE_PATTERNS, 1..3),
        prop::option::of(prop::sample::select(vec!["alice", "bob"])),
    )
        .prop_map(
            |(allow, not_action, actions, not_resource, resources, user)| {
                let mut s = json!({"Effect": if allow { "Allow" } else { "Deny" }});
                s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                s[if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }] = json!(resources);
                if let Some(u) = user {
                    s["Condition"] = json!({"StringEquals": {"aws:username": u}});
                }
                s
            },
        )
}

fn policy() -> impl Strategy<Value = Policy> {
    prop::collection::vec(statement(), 1..4).prop_map(|statements| {
        Policy::parse(&json!({"Version": "2012-10-17", "Statement": statements})).unwrap()
    })
}

fn request() -> impl Strategy<Value = Request> {
    (
        prop::sample::select(ACTIONS),
        prop::sample::select(RESOURCES),
        prop::option::of(prop::sample::select(vec!["alice", "bob", "carol"])),
        any::<bool>(),
    )
        .prop_map(|(action, resource, user, complete)| {
            let mut ctx = Context::builder().complete(complete);
            if let Some(u) = user {
                ctx = ctx.value("aws:username", u);
            }
            Request::builder()
                .action(action)
                .resource(resource)
                .context(ctx.build())
                .build()
                .unwrap()
        })
}

fn deny_all() -> Policy {
    r#"{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}"#
        .parse()
        .unwrap()
}

fn allow_all() -> Policy {
    r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#
        .parse()
        .unwrap()
}

/// Orders decisions by how much they allow: denied < unknown < allowed.
fn rank(d: &Decision) -> u8 {
    match d {
        Decision::ExplicitDeny { .. } | Decision::ImplicitDeny { .. } => 0,
        Decision::Unknown { .. } => 1,
        Decision::Allowed { .. } => 2,
    }
}

proptest! {
    #[test]
    fn an_applicable_deny_always_wins(identity in policy(), boundary in policy(), req in request(), where_ in 0..3u8) {
        let mut b = Evaluator::builder().identity([identity.clone(), allow_all()]).boundary(boundary.clone());
        b = match where_ {
            0 => Evaluator::builder().identity([identity, deny_all()]).boundary(boundary),
            1 => Evaluator::builder().identity([identity]).boundary(deny_all()),
            _ => b.session(deny_all()),
        };
        let d = b.build().unwrap().evaluate(&req);
        prop_assert!(matches!(d, Decision::ExplicitDeny { .. }), "{}", d);
    }

    #[test]
    fn adding_a_deny_never_allows_more(identity in policy(), extra in policy(), req in request()) {
        let before = Evaluator::builder().identity([identity.clone()]).build().unwrap().evaluate(&req);
        // The same generated statements, all turned into Denies.
        let extra_denies = to_denies(&extra);
        let after = Evaluator::builder().identity([identity, extra_denies]).build().unwrap().evaluate(&req);
        prop_assert!(rank(&after) <= rank(&before), "{} then {}", before, after);
        if before.is_denied() {
            prop_assert!(after.is_denied(), "{} then {}", before, after);
        }
    }

    #[test]
    fn layers_only_narrow(identity in policy(), boundary in policy(), session in policy(), req in request()) {
        let alone = Evaluator::builder().identity([identity.clone()]).build().unwrap().evaluate(&req);
        let bounded = Evaluator::builder().identity([identity.clone()]).boundary(boundary.clone()).build().unwrap().evaluate(&req);
        let sessioned = Evaluator::builder().identity([identity]).boundary(boundary).session(session).build().unwrap().evaluate(&req);
        prop_assert!(rank(&bounded) <= rank(&alone), "{} then {}", alone, bounded);
        prop_assert!(rank(&sessioned) <= rank(&bounded), "{} then {}", bounded, sessioned);
    }

    #[test]
    fn adding_an_identity_policy_never_narrows(identity in policy(), extra in policy(), req in request()) {
        let before = Evaluator::builder().identity([identity.clone()]).build().unwrap().evaluate(&req);
        let after = Evaluator::builder().identity([identity, extra]).build().unwrap().evaluate(&req);
        if before.is_allowed() {
            // Only a Deny in the extra policy may take it away: never an implicit deny.
            prop_assert!(!matches!(after, Decision::ImplicitDeny { .. }), "{} then {}", before, after);
        }
    }

    #[test]
    fn a_complete_context_with_the_key_is_never_unknown(identity in policy(), req in request()) {
        let ctx = Context::builder().complete(true).value("aws:username", "alice").build();
        let req = Request::builder().action(req.action()).resource(req.resource()).context(ctx).build().unwrap();
        let d = Evaluator::builder().identity([identity]).build().unwrap().evaluate(&req);
        prop_assert!(!d.is_unknown(), "{}", d);
    }
}

fn to_denies(p: &Policy) -> Policy {
    let mut doc: Value = json!({"Version": "2012-10-17", "Statement": []});
    for s in p.statements() {
        let (pa, actions) = s.actions();
        let mut st = json!({"Effect": "Deny"});
        st[if pa == warden_iam::Polarity::Listed {
            "Action"
        } else {
            "NotAction"
        }] = json!(actions);
        if let Some((pr, resources)) = s.resources() {
            st[if pr == warden_iam::Polarity::Listed {
                "Resource"
            } else {
                "NotResource"
            }] = json!(resources);
        }
        if let Some(c) = s.conditions().first() {
            st["Condition"] = json!({c.operator().to_string(): {c.key(): c.values()}});
        }
        doc["Statement"].as_array_mut().unwrap().push(st);
    }
    Policy::parse(&doc).unwrap()
}
