//! Verification: deciding whether a request may be acted on, and recording why.
//!
//! [`screen`] runs the fixed first steps (parse, envelope, consistency, size, full request).
//! Two kinds of checks live here:
//! - [`consistency`]: always on, run before anything else. It decides whether the ResponseURL
//!   may be used at all; a request failing it gets no PUT.
//! - [`Verifier`]s, stacked as tower layers with [`VerifyLayer`] or per resource type with
//!   [`policy::VerificationPolicy`]: each runs before the handler, records a [`Check`], and on
//!   failure stops the request with a generic FAILED answer. Shipped verifiers: [`signed`]
//!   (signed properties), `stack_operation` (CloudFormation shows the operation in flight) and
//!   `cloudtrail` (the Invoke is on record), the last two with the `aws` feature.
//!
//! Every check lands in the decision log with its verdict, evidence and latency.

#[cfg(feature = "aws")]
pub mod cloudtrail;
pub mod consistency;
pub mod policy;
mod screen;
pub mod signed;
#[cfg(feature = "aws")]
pub mod stack_operation;

pub use screen::{screen, Screening};

pub use crate::checks::{Check, CheckLog, Denial, Evidence, Verdict};

use std::{borrow::Cow, time::Instant};

use serde_json::Value;

use crate::{
    pipeline::{Invocation, Rejection},
    response::BoxFuture,
};

/// A verifier's answer: pass with evidence, or refuse with the denial and the evidence.
pub type VerifierResult = Result<Evidence, (Denial, Evidence)>;

/// A check that runs before the handler.
pub trait Verifier: Send + Sync + 'static {
    /// Stable kebab-case name for the decision log.
    fn name(&self) -> &'static str;

    /// Property keys this verifier consumes (e.g. a signature). They are removed before the
    /// handler's properties are deserialised, so they never trip the unknown-key check.
    fn reserved_property_keys(&self) -> &'static [&'static str] {
        &[]
    }

    /// Passes with evidence, or refuses.
    fn verify<'a>(&'a self, invocation: &'a Invocation) -> BoxFuture<'a, VerifierResult>;
}

/// A tower layer running one [`Verifier`] before the inner service, for every resource type:
/// a [`policy::VerificationPolicy`] with that single requirement.
#[derive(Clone)]
pub struct VerifyLayer {
    policy: policy::VerificationPolicy,
}

impl VerifyLayer {
    /// Wraps a verifier.
    pub fn new(verifier: impl Verifier) -> Self {
        Self {
            policy: policy::VerificationPolicy::builder()
                .otherwise(|rule| rule.require(verifier))
                .build(),
        }
    }
}

impl<S> tower::Layer<S> for VerifyLayer {
    type Service = crate::pipeline::StageService<policy::VerificationPolicy, S>;
    fn layer(&self, inner: S) -> Self::Service {
        self.policy.layer(inner)
    }
}

/// Turns a verifier's verdict and evidence into its result: on refusal the detail is added to
/// the evidence as `problem`.
pub(crate) fn conclude(
    check: &'static str,
    verdict: Result<(), Cow<'static, str>>,
    mut evidence: Evidence,
) -> VerifierResult {
    match verdict {
        Ok(()) => Ok(evidence),
        Err(detail) => {
            evidence.insert("problem".into(), Value::String(detail.to_string()));
            Err((
                Denial {
                    check: Cow::Borrowed(check),
                    detail,
                },
                evidence,
            ))
        }
    }
}

/// Runs one verifier: records its check; on success reserves its property keys, on failure
/// returns the denial.
pub(crate) async fn run_verifier(
    verifier: &dyn Verifier,
    invocation: &mut Invocation,
) -> Result<(), Rejection> {
    if invocation.context.polling().is_some() {
        // A poll of a long-running operation: the continuation is authenticated as this
        // provider's own, sealed only after the original request passed every verifier.
        for key in verifier.reserved_property_keys() {
            invocation.context.reserve_property_key(*key);
        }
        let mut evidence = Evidence::new();
        evidence.insert("carried_over".into(), Value::Bool(true));
        invocation.context.checks().record(Check {
            name: Cow::Borrowed(verifier.name()),
            verdict: Verdict::Pass,
            evidence,
            latency_us: 0,
        });
        return Ok(());
    }
    let started = Instant::now();
    let result = verifier.verify(invocation).await;
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let name = Cow::Borrowed(verifier.name());
    match result {
        Ok(evidence) => {
            for key in verifier.reserved_property_keys() {
                invocation.context.reserve_property_key(*key);
            }
            invocation.context.checks().record(Check {
                name,
                verdict: Verdict::Pass,
                evidence,
                latency_us,
            });
            Ok(())
        }
        Err((denial, evidence)) => {
            invocation.context.checks().record(Check {
                name,
                verdict: Verdict::Fail,
                evidence,
                latency_us,
            });
            Err(Rejection::Denied(denial))
        }
    }
}
