//! End-to-end harness for cfn-warden.
//!
//! - [`LocalLambda`]: one loopback HTTP server that is both a Lambda Runtime API (driving the
//!   real provider binaries) and a fake CloudFormation response endpoint (recording every PUT,
//!   answering as scripted).
//! - [`Provider`]: a provider binary started against it, with stdout (decision lines) and
//!   stderr (logs) captured.
//! - [`CfnEvent`] (from the `cfn-warden-test` kit): realistic events, with response URLs under
//!   the local endpoint.
//! - [`package_index`]: a `pypiserver` child process serving real wheels, for the layer
//!   builder.
//! - [`moto`]: a `moto_server` child process and the few CloudFormation/IAM/Lambda calls the
//!   tests need.
//!
//! Only loopback addresses are ever used; every wait is bounded.
#![forbid(unsafe_code)]

mod local_lambda;
pub mod moto;
pub mod package_index;
mod provider;
pub mod recorder;
mod session;
mod ticket_world;

pub use cfn_warden_test::{
    sign_properties, sign_properties_for, CfnEvent, ACCOUNT, REGION, STACK_ID,
};
pub use local_lambda::{CfnBehaviour, Exchange, LocalLambda, ReceivedPut, RuntimeResult};
pub use provider::{binary_path, Provider};
pub use session::Session;
pub use ticket_world::{rewrite_ticket, TicketWorld, TICKET_STACK};

/// Errors of the harness.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A socket or process operation failed.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Test data the setup scripts provide is missing.
    #[error("missing {what}")]
    MissingData {
        /// What, and how to get it.
        what: &'static str,
    },
    /// A wait ran out.
    #[error("timed out waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: &'static str,
    },
    /// A binary is not built.
    #[error("binary {name} not found at {path}: run `cargo build --workspace --bins` first")]
    MissingBinary {
        /// The binary.
        name: &'static str,
        /// Where it was expected.
        path: std::path::PathBuf,
    },
    /// An HTTP call to an emulator failed.
    #[error("HTTP call to {what} failed")]
    Http {
        /// The call.
        what: &'static str,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// An emulator answered something unexpected.
    #[error("unexpected answer from {what}: {body}")]
    Unexpected {
        /// The call.
        what: &'static str,
        /// The body (truncated).
        body: String,
    },
}
