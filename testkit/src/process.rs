//! The process harness: your provider *binary* driven as Lambda drives it, with no AWS.
//!
//! - [`LocalLambda`]: one loopback HTTP server that is both a Lambda Runtime API (handing
//!   events to the binary, with the deadline and request id Lambda sends) and a fake
//!   CloudFormation response endpoint (recording every PUT, answering as scripted, or hanging),
//!   and Lambda's `Invoke` API for the function it runs, so a provider that re-invokes itself
//!   (long-running operations) is driven as in Lambda ([`SessionBuilder::serve_invoke`]).
//! - [`Provider`]: the binary started against it with a clean environment, its stdout (decision
//!   lines) and stderr (logs) captured.
//! - [`Session`]: one of each, the unit most tests use: [`Session::answer`] sends an event and
//!   returns the answer the binary PUT and its decision line.
//!
//! Give the binary's path: in an integration test of the crate that builds it,
//! `env!("CARGO_BIN_EXE_<name>")` (cargo builds it first). Responses go to the local endpoint
//! through the test-only `WARDEN_INSECURE_RESPONSE_URL_PREFIX`, which the harness sets.
//! Only loopback addresses are used and every wait is bounded.

mod local_lambda;
mod provider;
mod session;

pub use local_lambda::{
    CfnBehaviour, Exchange, InvokeCall, LocalLambda, ReceivedPut, RuntimeResult,
};
pub use provider::Provider;
pub use session::{Session, SessionBuilder};
