//! Judging an exchange's AWS calls against the session policies the handler declared, with the
//! local IAM evaluator (`warden-iam`): moto ignores session policies, this does not.

use warden_iam::{Context, Decision, Evaluator, Policy, Request};

use crate::{AwsCall, Exchange};

mod known;

/// What one call needs from IAM: the action, the resource it acts on and the request context
/// keys a condition may test (`iam:PassedToService`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// `service:Operation`.
    pub action: String,
    /// The resource ARN (or `*` for actions that take none).
    pub resource: String,
    /// Context keys and values.
    pub context: Vec<(String, String)>,
}

impl Access {
    /// `action` on `resource`, with no context keys.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            context: Vec::new(),
        }
    }

    /// What IAM authorises for `call`, for the calls the kit knows (Lambda and S3 REST
    /// calls, SSM parameters by `Name`, `sts:GetCallerIdentity`): the action, the resource ARN
    /// and, for a call that passes a role, `iam:PassRole` on it with `iam:PassedToService`.
    /// `None` for any other call: map it yourself.
    pub fn of(call: &AwsCall) -> Option<Vec<Access>> {
        known::accesses(call)
    }

    /// Adds a context key (e.g. `("iam:PassedToService", "lambda.amazonaws.com")`).
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context.push((key.into(), value.into()));
        self
    }
}

impl Exchange {
    /// What the session policies declared in this exchange decide for `access`: the
    /// declarations are the identity layer (what a work session could ever hold), evaluated
    /// with IAM's rules. A request with no declaration is an implicit deny.
    pub fn decide(&self, access: &Access) -> Decision {
        let policies: Vec<Policy> = self
            .granted
            .iter()
            .filter_map(|p| serde_json::from_str(p.to_json()).ok())
            .filter_map(|v| Policy::parse(&v).ok())
            .collect();
        let context = access
            .context
            .iter()
            .fold(Context::builder(), |b, (k, v)| b.value(k, v.clone()))
            .build();
        let request = Request::builder()
            .action(&access.action)
            .resource(&access.resource)
            .context(context)
            .build();
        let evaluator = Evaluator::builder().identity(policies).build();
        match (evaluator, request) {
            (Ok(evaluator), Ok(request)) => evaluator.evaluate(&request),
            _ => Decision::ImplicitDeny {
                missing: warden_iam::Layer::Identity,
            },
        }
    }

    /// Panics unless every AWS call of this exchange is allowed by what the handler declared;
    /// `access_of` says what each call needs (its resource ARN, context keys).
    ///
    /// # Panics
    ///
    /// Naming the first call that is denied or undecided, and why.
    pub fn assert_calls_allowed(&self, access_of: impl Fn(&AwsCall) -> Access) {
        for call in &self.calls {
            let access = access_of(call);
            let decision = self.decide(&access);
            assert!(
                decision.is_allowed(),
                "{} on {} is not allowed by the declared session policy: {decision}",
                access.action,
                access.resource
            );
        }
    }

    /// Panics unless every AWS call of this exchange is allowed by what the handler declared,
    /// each judged on what [`Access::of`] says it needs (including `iam:PassRole` for a role
    /// passed to Lambda).
    ///
    /// # Panics
    ///
    /// Naming the first call that is denied, undecided, or not known to [`Access::of`].
    pub fn assert_known_calls_allowed(&self) {
        for call in &self.calls {
            let Some(accesses) = Access::of(call) else {
                panic!(
                    "the kit does not know what {} {} needs: use assert_calls_allowed with your own mapping",
                    call.action(),
                    call.uri
                );
            };
            for access in accesses {
                let decision = self.decide(&access);
                assert!(
                    decision.is_allowed(),
                    "{} on {} (call {} {}) is not allowed by the declared session policy: {decision}",
                    access.action,
                    access.resource,
                    call.method,
                    call.uri
                );
            }
        }
    }

    /// Panics unless `access` would be denied by what the handler declared (an explicit or
    /// implicit deny; an undecided answer fails too).
    ///
    /// # Panics
    ///
    /// When the declared policy allows it or cannot decide.
    pub fn assert_denied(&self, access: &Access) {
        let decision = self.decide(access);
        assert!(
            decision.is_denied(),
            "{} on {} should be denied by the declared session policy: {decision}",
            access.action,
            access.resource
        );
    }
}
