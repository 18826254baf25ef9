//! The kinds of policy the evaluator combines ([`Layer`]), named in evaluation results and in
//! errors. Imports nothing of the crate.

use std::fmt;

/// A kind of policy the evaluator combines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Layer {
    /// An AWS Organizations service control policy (each level must allow).
    Scp,
    /// The principal's identity-based policies (any one may allow).
    Identity,
    /// The permissions boundary.
    Boundary,
    /// The session policies passed when the session was created (any one may allow).
    Session,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Scp => "service control",
            Layer::Identity => "identity-based",
            Layer::Boundary => "permissions boundary",
            Layer::Session => "session",
        })
    }
}
