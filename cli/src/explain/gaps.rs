//! What of a principal's policies could not be evaluated (a policy outside the template, a
//! statement with an unresolved value), and how that turns a decision it could change into
//! *unknown*.

use warden_iam::{Decision, Layer};

/// A policy that could not be (fully) evaluated: all of it, or the statements with these
/// action patterns (read with an unresolved value).
#[derive(Debug, PartialEq)]
pub(super) struct Gap {
    pub(super) policy: String,
    pub(super) actions: Option<Vec<String>>,
}

impl Gap {
    pub(super) fn whole(policy: impl Into<String>) -> Self {
        Self {
            policy: policy.into(),
            actions: None,
        }
    }

    /// Whether what was not evaluated could concern `action`.
    fn concerns(&self, action: &str) -> bool {
        self.actions.as_ref().is_none_or(|patterns| {
            patterns
                .iter()
                .any(|p| warden_iam::action_matches(p, action))
        })
    }
}

/// What of a principal's policies could not be evaluated: a decision it could change is
/// unknown, not denied or allowed.
#[derive(Default)]
pub(super) struct Gaps {
    pub(super) identity: Vec<Gap>,
    pub(super) boundary: Vec<Gap>,
}

impl Gaps {
    /// The decision on a request for `action` as shown: (outcome, explanation). A denial for
    /// want of an allowing statement is unknown when a policy of that layer was not evaluated
    /// for the action; an allowance is unknown when the boundary was not evaluated at all,
    /// and says so when an identity policy was not (it could hold a `Deny`).
    pub(super) fn judge(&self, decision: &Decision, action: &str) -> (&'static str, String) {
        let why = decision.to_string();
        let names = |gaps: &[Gap], all: bool| -> Vec<String> {
            gaps.iter()
                .filter(|g| g.concerns(action) && (!all || g.actions.is_none()))
                .map(|g| g.policy.clone())
                .collect()
        };
        match decision {
            Decision::ImplicitDeny { missing } => {
                let gaps = match missing {
                    Layer::Identity => names(&self.identity, false),
                    Layer::Boundary => names(&self.boundary, false),
                    _ => Vec::new(),
                };
                if gaps.is_empty() {
                    return ("denied", why);
                }
                (
                    "unknown",
                    format!(
                        "{why}, of those evaluated; not evaluated: {}",
                        gaps.join(", ")
                    ),
                )
            }
            Decision::Allowed { .. } => {
                let boundary = names(&self.boundary, true);
                if !boundary.is_empty() {
                    return (
                        "unknown",
                        format!(
                            "{why}; the permissions boundary {} was not evaluated",
                            boundary.join(", ")
                        ),
                    );
                }
                let identity = names(&self.identity, false);
                if identity.is_empty() {
                    ("allowed", why)
                } else {
                    (
                        "allowed",
                        format!(
                            "{why} (unless a Deny in what was not evaluated: {})",
                            identity.join(", ")
                        ),
                    )
                }
            }
            _ => (outcome(decision), why),
        }
    }
}

/// The outcome's word.
fn outcome(decision: &Decision) -> &'static str {
    if decision.is_allowed() {
        "allowed"
    } else if decision.is_denied() {
        "denied"
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_turn_what_they_could_change_into_unknown() {
        let gaps = Gaps {
            identity: vec![
                Gap::whole("team-extra"),
                Gap {
                    policy: "logs".into(),
                    actions: Some(vec!["logs:Put*".into()]),
                },
            ],
            boundary: Vec::new(),
        };
        let implicit = Decision::ImplicitDeny {
            missing: Layer::Identity,
        };
        let (decision, why) = gaps.judge(&implicit, "iam:PassRole");
        assert_eq!(decision, "unknown");
        assert!(why.contains("team-extra") && !why.contains("logs"), "{why}");
        // A missing session statement is not something an unread identity policy changes.
        let session = Decision::ImplicitDeny {
            missing: Layer::Session,
        };
        assert_eq!(gaps.judge(&session, "iam:PassRole").0, "denied");
        let allowed = Decision::Allowed { by: Vec::new() };
        let (decision, why) = gaps.judge(&allowed, "s3:GetObject");
        assert_eq!(decision, "allowed");
        assert!(why.contains("unless a Deny"), "{why}");
        // Only the statements read with an unresolved value are a gap.
        let partial = Gaps {
            identity: vec![Gap {
                policy: "logs".into(),
                actions: Some(vec!["logs:Put*".into()]),
            }],
            boundary: Vec::new(),
        };
        assert_eq!(partial.judge(&implicit, "iam:PassRole").0, "denied");
        assert_eq!(partial.judge(&implicit, "logs:PutLogEvents").0, "unknown");
        let unread_boundary = Gaps {
            identity: Vec::new(),
            boundary: vec![Gap::whole("arn:aws:iam::1:policy/b")],
        };
        assert_eq!(unread_boundary.judge(&allowed, "s3:GetObject").0, "unknown");
        assert_eq!(Gaps::default().judge(&implicit, "iam:PassRole").0, "denied");
        assert_eq!(Gaps::default().judge(&allowed, "iam:PassRole").0, "allowed");
    }
}
