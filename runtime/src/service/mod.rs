//! The handler API and the tower pipeline it runs in.
//!
//! Users implement [`CustomResource`] for their typed properties. The runtime turns it into a
//! [`tower::Service`] over [`Invocation`]s ([`HandlerService`]); verification and credential
//! layers wrap that service, see [`crate::Warden::builder`]. Each layer can read the request,
//! record checks, add extensions for the handler, reserve property keys, or refuse.

mod context;
mod handler;
mod outputs;
mod properties;

pub use context::{Context, LambdaMeta, Logger};
pub use handler::{CustomResource, HandlerService};
pub use outputs::{Created, Deleted, HandlerError, Updated};
pub use properties::parse_properties;

use crate::{checks::Denial, Error};

/// What flows through the pipeline: one request and its context.
#[derive(Debug)]
pub struct Invocation {
    /// The context the handler will receive.
    pub context: Context,
}

/// A handler's successful result.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// From `create`.
    Created(Created),
    /// From `update`.
    Updated(Updated),
    /// From `delete`.
    Deleted(Deleted),
    /// An Update that changed only framework keys, answered from
    /// [`CustomResource::unchanged`] without calling `update`.
    Unchanged(Updated),
}

/// Why the pipeline did not produce an [`Outcome`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// A verifier refused: the handler was not called. Answered with a generic reason.
    Denied(Denial),
    /// The request or its properties were invalid. Answered with the error as reason.
    BadInput(Error),
    /// The handler failed. Answered with its reason.
    Handler(HandlerError),
}
