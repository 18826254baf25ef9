//! Verification policy: which verifiers a provider requires, per resource type.
//!
//! A provider serving several resource types declares, for each, the verifiers that must pass
//! (with their own settings), and what applies to any other type. A type with no rule and no
//! fallback is refused: the policy fails closed.
//!
//! ```
//! use cfn_warden::verify::{policy::VerificationPolicy, signed::{KeyRing, SignatureVerifier}};
//! # fn keys() -> KeyRing { let (k, _) = cfn_warden::verify::signed::Ed25519SigningKey::generate("k").unwrap();
//! #   KeyRing::from_json(&serde_json::to_string(&vec![k.public_config()]).unwrap()).unwrap() }
//! let strict = SignatureVerifier::builder().keys(keys()).build()?;
//! let policy = VerificationPolicy::builder()
//!     .resource_type("Custom::MultiFileFunction", |rule| rule.require(strict))
//!     .resource_type("Custom::Hello", |rule| rule) // nothing beyond the built-in checks
//!     .build();
//! # Ok::<(), cfn_warden::Error>(())
//! ```

use std::sync::Arc;

use serde_json::json;

use super::{run_verifier, Check, Denial, Verdict, Verifier};
use crate::{
    pipeline::{Invocation, Rejection, Stage, StageLayer, StageService},
    response::BoxFuture,
};

/// The check recorded when a resource type has no rule.
pub const CHECK_NAME: &str = "verification-policy";

/// The verifiers one resource type requires, in order.
#[derive(Clone, Default)]
pub struct Rule {
    verifiers: Vec<Arc<dyn Verifier>>,
}

impl Rule {
    /// Requires this verifier (after the ones already required).
    pub fn require(mut self, verifier: impl Verifier) -> Self {
        self.verifiers.push(Arc::new(verifier));
        self
    }
}

/// Verifiers per resource type; usable as a tower layer.
#[derive(Clone, Default)]
pub struct VerificationPolicy {
    rules: Vec<(String, Rule)>,
    otherwise: Option<Rule>,
}

impl std::fmt::Debug for VerificationPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let describe = |r: &Rule| r.verifiers.iter().map(|v| v.name()).collect::<Vec<_>>();
        f.debug_struct("VerificationPolicy")
            .field(
                "rules",
                &self
                    .rules
                    .iter()
                    .map(|(t, r)| (t, describe(r)))
                    .collect::<Vec<_>>(),
            )
            .field("otherwise", &self.otherwise.as_ref().map(describe))
            .finish()
    }
}

/// Builds a [`VerificationPolicy`].
#[derive(Default)]
pub struct VerificationPolicyBuilder {
    policy: VerificationPolicy,
}

impl VerificationPolicyBuilder {
    /// The rule for one resource type (e.g. `Custom::PipLayer`); a later rule for the same type
    /// replaces an earlier one.
    pub fn resource_type(
        mut self,
        resource_type: impl Into<String>,
        rule: impl FnOnce(Rule) -> Rule,
    ) -> Self {
        let resource_type = resource_type.into();
        self.policy.rules.retain(|(t, _)| *t != resource_type);
        self.policy
            .rules
            .push((resource_type, rule(Rule::default())));
        self
    }

    /// The rule for every type without its own (default: such types are refused).
    pub fn otherwise(mut self, rule: impl FnOnce(Rule) -> Rule) -> Self {
        self.policy.otherwise = Some(rule(Rule::default()));
        self
    }

    /// Builds the policy.
    pub fn build(self) -> VerificationPolicy {
        self.policy
    }
}

impl VerificationPolicy {
    /// Starts a builder.
    pub fn builder() -> VerificationPolicyBuilder {
        VerificationPolicyBuilder::default()
    }

    fn rule_for(&self, resource_type: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|(t, _)| t == resource_type)
            .map(|(_, r)| r)
            .or(self.otherwise.as_ref())
    }
}

impl<S> tower::Layer<S> for VerificationPolicy {
    type Service = StageService<VerificationPolicy, S>;
    fn layer(&self, inner: S) -> Self::Service {
        StageLayer::new(self.clone()).layer(inner)
    }
}

impl Stage for VerificationPolicy {
    fn before<'a>(
        &'a self,
        invocation: &'a mut Invocation,
    ) -> BoxFuture<'a, Result<(), Rejection>> {
        Box::pin(async move {
            let resource_type = invocation.context.request().resource_type().to_owned();
            let Some(rule) = self.rule_for(&resource_type) else {
                let mut evidence = super::Evidence::new();
                evidence.insert(
                    "resource_type".into(),
                    json!(crate::protocol::truncate_for_message(&resource_type)),
                );
                invocation.context.checks().record(Check::new(
                    CHECK_NAME,
                    Verdict::Fail,
                    evidence,
                    0,
                ));
                return Err(Rejection::Denied(Denial {
                    check: CHECK_NAME.into(),
                    detail: "no verification policy for this resource type".into(),
                }));
            };
            for verifier in &rule.verifiers {
                run_verifier(verifier.as_ref(), invocation).await?;
            }
            Ok(())
        })
    }
}
