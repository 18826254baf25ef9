//! The records every stage of the request pipeline writes: one [`Check`] per check that ran
//! (name, [`Verdict`], [`Evidence`], latency), gathered in the invocation's [`CheckLog`], and
//! the [`Denial`] a refusing check produces. The decision log writes them out; verifiers,
//! credential layers and the handler service record them. Imports nothing of the crate.

use std::{
    borrow::Cow,
    sync::{Arc, Mutex},
};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
