//! Arbitrary text as an IAM policy and a request through `warden-iam`: the first line is the
//! action, the second the resource, the third the context (`key=value` pairs separated by `;`,
//! complete when the line starts with `!`), the rest the policy. Properties: nothing panics;
//! the policy as identity policy, boundary and session policy never decides more permissively
//! than as identity policy alone; an explanation is always printable; probes never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_iam::{Context, Decision, Evaluator, Policy, Request};

fn rank(d: &Decision) -> u8 {
    match d {
        Decision::ExplicitDeny { .. } | Decision::ImplicitDeny { .. } => 0,
        Decision::Unknown { .. } => 1,
        Decision::Allowed { .. } => 2,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.splitn(4, '\n');
    let (Some(action), Some(resource), Some(context), Some(document)) =
        (lines.next(), lines.next(), lines.next(), lines.next())
    else {
        return;
    };
    let _ = warden_iam::action_matches(action, resource);
    let _ = warden_iam::resource_matches(resource, action);
    let Ok(policy) = document.parse::<Policy>() else { return };
    let _ = policy.statements_allowing(action);
    for grant in policy.grants(action, resource).iter().chain(&policy.denials(action, resource)) {
        let _ = (grant.covers_probed_resources(), grant.constrains("iam:PassedToService"));
    }
    let (complete, pairs) = match context.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, context),
    };
    let mut ctx = Context::builder().complete(complete);
    for pair in pairs.split(';') {
        if let Some((k, v)) = pair.split_once('=') {
            ctx = ctx.value(k, v);
        }
    }
    let Ok(request) = Request::builder().action(action).resource(resource).context(ctx.build()).build() else {
        return;
    };
    let Ok(alone) = Evaluator::builder().identity([policy.clone()]).build() else { return };
    let Ok(layered) =
        Evaluator::builder().identity([policy.clone()]).boundary(policy.clone()).session(policy).build()
    else {
        panic!("a policy accepted as identity policy must be accepted in every layer");
    };
    let (a, l) = (alone.evaluate(&request), layered.evaluate(&request));
    assert!(rank(&l) <= rank(&a), "layers widened {a} to {l}");
    let _ = (a.to_string(), l.to_string());
});
