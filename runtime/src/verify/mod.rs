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

use std::{
    borrow::Cow,
    sync::{Arc, Mutex},
    time::Instant,
};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::response::BoxFuture;
use crate::service::{Invocation, Rejection};

/// The result of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Verdict {
    /// The check passed.
    Pass,
    /// The check failed; the request was denied.
    Fail,
    /// The check did not apply (its evidence says why). Reserved for verifier layers; the
    /// consistency check never skips.
    Skip,
}

/// One check as recorded in the decision log. Evidence never holds a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Check {
    /// Stable kebab-case name, e.g. `request-consistency`.
    pub name: Cow<'static, str>,
    /// The verdict.
    pub verdict: Verdict,
    /// What the verdict rests on.
    pub evidence: Evidence,
    /// How long the check took, in microseconds.
    pub latency_us: u64,
}

impl Check {
    /// A check record, as layers append to [`CheckLog`].
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        verdict: Verdict,
        evidence: Evidence,
        latency_us: u64,
    ) -> Self {
        Self {
            name: name.into(),
            verdict,
            evidence,
            latency_us,
        }
    }
}

/// The checks of one invocation, shared by every layer that runs.
#[derive(Clone, Debug, Default)]
pub struct CheckLog(Arc<Mutex<Vec<Check>>>);

impl CheckLog {
    /// Appends a check.
    pub fn record(&self, check: Check) {
        if let Ok(mut checks) = self.0.lock() {
            checks.push(check);
        }
    }

    /// All checks so far.
    pub fn snapshot(&self) -> Vec<Check> {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// Why a verifier refused a request. The detail goes to the decision log only; CloudFormation
/// (and whoever sent the event) gets a generic reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// The check that refused.
    pub check: Cow<'static, str>,
    /// What was wrong. No secrets.
    pub detail: Cow<'static, str>,
}

/// What a check rests on: a JSON object, never holding a secret.
pub type Evidence = Map<String, Value>;

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
    type Service = policy::PolicyService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        self.policy.layer(inner)
    }
}

/// Compiled patterns are bounded (they come from signed envelopes and configuration, but stay
/// cheap anyway).
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A full-match regex for a pattern where `*` matches any run of characters and everything else
/// is literal (stack-name patterns, principal ARN patterns).
pub(crate) fn glob_regex(pattern: &str) -> Option<regex::Regex> {
    let regex = format!(
        "^{}$",
        pattern
            .split('*')
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(".*")
    );
    regex::RegexBuilder::new(&regex)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .ok()
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
