//! The handler API: what a user implements and what it receives.
//!
//! Users implement [`CustomResource`] for their typed properties and answer with [`Created`],
//! [`Updated`], [`Deleted`] or a [`HandlerError`]; every request comes with its [`Context`].
//! The pipeline that calls handlers is [`crate::pipeline`].
//!
//! Owns: the handler trait, the context, the typed outputs, property parsing. May import:
//! `checks` (the context's check log), `deadline`, `protocol`, `session_policy` and the crate
//! error; never the pipeline, verification or credentials.

#[cfg(feature = "aws")]
mod aws_error;
mod context;
mod handler;
mod outputs;
mod owner;
mod progress;
mod properties;

pub use context::{Context, LambdaMeta, Logger};
pub use handler::{CustomResource, Declared};
pub use outputs::{Created, Deleted, HandlerError, HandlerResult, Updated};
pub use owner::{owner_digest, OWNER_TAG_KEY};
pub use progress::{PollAgain, Polling, MAX_STATE_BYTES};
pub use properties::parse_properties;
