//! Evaluation: each statement against a request (action, resource, conditions, three-valued),
//! then the layers combined as IAM does for one account: an explicit `Deny` in any layer wins;
//! otherwise every present layer (SCPs, identity-based policies, permissions boundary, session
//! policies) must allow.

use std::fmt;

use crate::condition::{Missing, Truth};
use crate::context::{Context, Request};
use crate::pattern;
use crate::policy::{Effect, Polarity, Policy, Statement};
use crate::Error;

pub use crate::layer::Layer;

/// Names one statement of one policy of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The layer.
    pub layer: Layer,
    /// The policy's index within the layer (SCP levels counted together).
    pub policy: usize,
    /// The policy's name, when it was given one.
    pub policy_name: Option<String>,
    /// The statement's index within the policy.
    pub statement: usize,
    /// The statement's `Sid`, if any.
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.policy_name {
            Some(name) => write!(f, "{} policy {name:?}", self.layer)?,
            None => write!(f, "{} policy {}", self.layer, self.policy)?,
        }
        write!(f, ", statement {}", self.statement)?;
        match &self.sid {
            Some(sid) if !sid.is_empty() => write!(f, " (Sid {sid:?})"),
            _ => Ok(()),
        }
    }
}

/// Why a decision is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// A condition's key is absent from an open request context.
    KeyAbsent {
        /// The statement holding the condition.
        statement: StatementRef,
        /// The operator as written.
        operator: String,
        /// The key as written.
        key: String,
    },
    /// A policy variable's key is absent from the context (or has several values).
    UnresolvedVariable {
        /// The statement using the variable.
        statement: StatementRef,
        /// The variable's key as written.
        variable: String,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::KeyAbsent {
                statement,
                operator,
                key,
            } => write!(
                f,
                "{statement}: condition {operator} on {key} needs that key, absent from the request context"
            ),
            Reason::UnresolvedVariable {
                statement,
                variable,
            } => write!(
                f,
                "{statement}: policy variable ${{{variable}}} has no single value in the request context"
            ),
        }
    }
}

/// The outcome of evaluating one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Every layer allows and nothing denies; `by` names one allowing statement per layer
    /// (SCP levels, identity, boundary, session, in that order).
    Allowed {
        /// The allowing statements.
        by: Vec<StatementRef>,
    },
    /// A `Deny` statement matches.
    ExplicitDeny {
        /// The first matching `Deny` statement.
        statement: StatementRef,
    },
    /// No `Deny` certainly matches, and a layer does not allow (denied either way).
    ImplicitDeny {
        /// The first layer (in IAM's order) with no allowing statement.
        missing: Layer,
    },
    /// The outcome depends on what the request context does not say.
    Unknown {
        /// Each undecided condition or variable that mattered.
        reasons: Vec<Reason>,
    },
}

impl Decision {
    /// Whether the request is certainly allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }

    /// Whether the request is certainly denied (explicitly or implicitly).
    pub fn is_denied(&self) -> bool {
        matches!(
            self,
            Decision::ExplicitDeny { .. } | Decision::ImplicitDeny { .. }
        )
    }

    /// Whether the outcome is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Decision::Unknown { .. })
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allowed { by } => {
                f.write_str("allowed by ")?;
                for (i, s) in by.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    write!(f, "{s}")?;
                }
                Ok(())
            }
            Decision::ExplicitDeny { statement } => {
                write!(f, "explicitly denied by {statement}")
            }
            Decision::ImplicitDeny { missing } => write!(
                f,
                "implicitly denied: no statement of the {missing} policies allows the request"
            ),
            Decision::Unknown { reasons } => {
                f.write_str("unknown: ")?;
                for (i, r) in reasons.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
        }
    }
}

/// One group of policies that must allow together (any one of them may).
#[derive(Debug, Clone)]
struct Group {
    layer: Layer,
    first_index: usize,
    policies: Vec<(Option<String>, Policy)>,
}

/// Evaluates requests against a principal's policies. Build with [`Evaluator::builder`].
#[derive(Debug, Clone)]
pub struct Evaluator {
    groups: Vec<Group>,
}

/// Builds an [`Evaluator`].
#[derive(Debug, Clone, Default)]
pub struct EvaluatorBuilder {
    scp: Vec<Vec<(Option<String>, Policy)>>,
    identity: Vec<(Option<String>, Policy)>,
    boundary: Option<(Option<String>, Policy)>,
    session: Vec<(Option<String>, Policy)>,
}

impl EvaluatorBuilder {
    /// Adds identity-based policies (inline and managed, of the role or user and its groups).
    pub fn identity(mut self, policies: impl IntoIterator<Item = Policy>) -> Self {
        self.identity
            .extend(policies.into_iter().map(|p| (None, p)));
        self
    }

    /// Adds one identity-based policy with a name used in explanations.
    pub fn identity_named(mut self, name: impl Into<String>, policy: Policy) -> Self {
        self.identity.push((Some(name.into()), policy));
        self
    }

    /// Sets the permissions boundary.
    pub fn boundary(mut self, policy: Policy) -> Self {
        self.boundary = Some((None, policy));
        self
    }

    /// Adds a session policy (inline or managed; several together act as one).
    pub fn session(mut self, policy: Policy) -> Self {
        self.session.push((None, policy));
        self
    }

    /// Adds one level of SCPs (root, OU, account: each level must allow; within a level any
    /// policy may).
    pub fn scp_level(mut self, policies: impl IntoIterator<Item = Policy>) -> Self {
        self.scp
            .push(policies.into_iter().map(|p| (None, p)).collect());
        self
    }

    /// The evaluator; refused without identity-based policies, or when a policy names a
    /// principal or lacks `Resource`/`NotResource`.
    pub fn build(self) -> Result<Evaluator, Error> {
        if self.identity.is_empty() {
            return Err(Error::NoIdentityPolicy);
        }
        let mut groups = Vec::new();
        let mut scp_index = 0;
        for level in self.scp {
            let n = level.len();
            groups.push(Group {
                layer: Layer::Scp,
                first_index: scp_index,
                policies: level,
            });
            scp_index += n;
        }
        groups.push(Group {
            layer: Layer::Identity,
            first_index: 0,
            policies: self.identity,
        });
        if let Some(b) = self.boundary {
            groups.push(Group {
                layer: Layer::Boundary,
                first_index: 0,
                policies: vec![b],
            });
        }
        if !self.session.is_empty() {
            groups.push(Group {
                layer: Layer::Session,
                first_index: 0,
                policies: self.session,
            });
        }
        for g in &groups {
            for (i, (_, policy)) in g.policies.iter().enumerate() {
                check_principal_side(g.layer, g.first_index + i, policy)?;
            }
        }
        Ok(Evaluator { groups })
    }
}

fn check_principal_side(layer: Layer, policy: usize, p: &Policy) -> Result<(), Error> {
    for s in p.statements() {
        if let Some((polarity, _)) = s.principal() {
            return Err(Error::PrincipalInLayer {
                layer,
                policy,
                statement: s.index(),
                element: if polarity == Polarity::Listed {
                    "Principal"
                } else {
                    "NotPrincipal"
                },
            });
        }
        if s.resources().is_none() {
            return Err(Error::MissingResource {
                layer,
                policy,
                statement: s.index(),
            });
        }
    }
    Ok(())
}

impl Evaluator {
    /// Starts an evaluator.
    pub fn builder() -> EvaluatorBuilder {
        EvaluatorBuilder::default()
    }

    /// Decides one request.
    pub fn evaluate(&self, request: &Request) -> Decision {
        let mut deny_reasons = Vec::new();
        let mut deny_unknown = false;
        let mut allowed_by = Vec::new();
        let mut allow_reasons = Vec::new();
        let mut allow_unknown = false;
        let mut missing_layer = None;
        for g in &self.groups {
            let mut allow = Truth::No;
            let mut first_allow = None;
            let mut group_reasons = Vec::new();
            for (i, (name, policy)) in g.policies.iter().enumerate() {
                for s in policy.statements() {
                    let mut missing = Vec::new();
                    let t = statement_applies(s, request, &mut missing);
                    let at = || StatementRef {
                        layer: g.layer,
                        policy: g.first_index + i,
                        policy_name: name.clone(),
                        statement: s.index(),
                        sid: s.sid().map(str::to_owned),
                    };
                    match (s.effect(), t) {
                        (_, Truth::No) => {}
                        (Effect::Deny, Truth::Yes) => {
                            return Decision::ExplicitDeny { statement: at() }
                        }
                        (Effect::Deny, _) => {
                            deny_unknown = true;
                            deny_reasons.extend(reasons(&at(), missing));
                        }
                        (Effect::Allow, Truth::Yes) => {
                            allow = Truth::Yes;
                            first_allow.get_or_insert_with(at);
                        }
                        (Effect::Allow, _) => {
                            allow = allow.or(Truth::Unknown);
                            group_reasons.extend(reasons(&at(), missing));
                        }
                    }
                }
            }
            match (allow, first_allow) {
                (Truth::Yes, Some(s)) => allowed_by.push(s),
                (Truth::No, _) => {
                    missing_layer.get_or_insert(g.layer);
                }
                _ => {
                    allow_unknown = true;
                    allow_reasons.extend(group_reasons);
                }
            }
        }
        if let Some(missing) = missing_layer {
            return Decision::ImplicitDeny { missing };
        }
        if deny_unknown || allow_unknown {
            deny_reasons.extend(allow_reasons);
            return Decision::Unknown {
                reasons: deny_reasons,
            };
        }
        Decision::Allowed { by: allowed_by }
    }
}

fn reasons(at: &StatementRef, missing: Vec<Missing>) -> impl Iterator<Item = Reason> + '_ {
    missing.into_iter().map(move |m| match m {
        Missing::Key { operator, key } => Reason::KeyAbsent {
            statement: at.clone(),
            operator,
            key,
        },
        Missing::Variable(variable) => Reason::UnresolvedVariable {
            statement: at.clone(),
            variable,
        },
    })
}

/// Whether a statement applies to a request (ignoring its effect).
pub(crate) fn statement_applies(
    s: &Statement,
    request: &Request,
    missing: &mut Vec<Missing>,
) -> Truth {
    if !s.matches_action(request.action()) {
        return Truth::No;
    }
    let mut found = Vec::new();
    let resource = resource_applies(s, request.resource(), request.context(), &mut found);
    if resource == Truth::No {
        return Truth::No;
    }
    let mut t = resource;
    for c in s.conditions() {
        t = t.and(c.evaluate(request.context(), &mut found));
        if t == Truth::No {
            return Truth::No;
        }
    }
    if t == Truth::Unknown {
        missing.extend(found);
    }
    t
}

fn resource_applies(
    s: &Statement,
    resource: &str,
    ctx: &Context,
    missing: &mut Vec<Missing>,
) -> Truth {
    let Some((polarity, templates)) = s.resource_templates() else {
        return Truth::Yes;
    };
    let mut any = Truth::No;
    for t in templates {
        any = any.or(match t.pattern(ctx) {
            Ok(p) => Truth::from_bool(pattern::arn_matches(&p, resource)),
            Err(u) => {
                missing.push(Missing::Variable(u.0));
                Truth::Unknown
            }
        });
    }
    match polarity {
        Polarity::Listed => any,
        Polarity::Not => any.not(),
    }
}
