//! # cfn-warden
//!
//! Hardened AWS CloudFormation custom resources. Wrap a handler and get:
//!
//! - **exactly one answer, always, before the deadline**: on success, handler error, panic,
//!   bad input or timeout; PhysicalResourceId rules enforced by types
//!   ([`Created`], [`Updated`], [`Deleted`]); responses fitted into 4096 bytes; the PUT retried
//!   with bounded backoff that never outlives the deadline;
//! - **verification before any work**: the always-on request-consistency check (ResponseURL,
//!   ServiceToken, StackId; a forged ResponseURL is never fetched), then signed properties, the
//!   stack-operation check and the CloudTrail lookup when configured, and any
//!   [`verify::Verifier`] layers you add;
//! - **the provider's own role does no work** ([`credentials`], `WARDEN_CREDENTIALS=ticket`):
//!   handlers declare a typed session policy per request and work with a session of the
//!   deployer's work role narrowed to it, opened from a sealed ticket in the properties;
//! - **one decision line per invocation** on stdout ([`decision`]), never holding a secret.
//!
//! ```no_run
//! use cfn_warden::{Context, Created, CustomResource, Deleted, HandlerError, Updated};
//!
//! struct Hello;
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! struct Props {
//!     name: String,
//! }
//!
//! impl CustomResource for Hello {
//!     type Properties = Props;
//!     async fn create(&self, p: Props, _: &Context) -> Result<Created, HandlerError> {
//!         Ok(Created::new().data("Greeting", format!("Hello, {}", p.name)))
//!     }
//!     async fn update(&self, p: Props, _: Option<Props>, _: &Context) -> Result<Updated, HandlerError> {
//!         Ok(Updated::keep().data("Greeting", format!("Hello, {}", p.name)))
//!     }
//!     async fn delete(&self, _: Option<Props>, _: &Context) -> Result<Deleted, HandlerError> {
//!         Ok(Deleted)
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     cfn_warden::main(Hello)
//! }
//! ```
//!
//! ## The public API
//!
//! - Writing a resource: [`CustomResource`], [`Context`], [`Created`], [`Updated`],
//!   [`Deleted`], [`HandlerError`], [`PhysicalId`], [`Secret`], and [`credentials::SessionPolicy`]
//!   for the permissions a handler declares; [`main`] or [`run`] to serve it.
//! - Serving several resources from one function: [`pipeline::Router`].
//! - Embedding and testing: [`Warden::builder`] (layers, clock, transport, decision sink),
//!   [`Config`], and [`pipeline`] (the types layers see: `Invocation`, `Outcome`, `Rejection`,
//!   the `Stage` layer) with [`verify::Verifier`] for checks of your own.
//! - Wire formats (for tools such as the `warden` CLI): [`formats`].
//! - The shipped verifiers' settings: [`verify`], [`credentials`], [`config`].
//!
//! Modules and what each may import are drawn in `docs/architecture.md`.
#![forbid(unsafe_code)]

#[cfg(feature = "aws")]
pub mod aws;
mod checks;
pub mod cloudtrail;
pub mod config;
pub mod continuation;
pub mod credentials;
pub mod deadline;
pub mod decision;
mod env;
mod error;
pub mod formats;
mod handoff;
mod lambda;
mod pattern;
pub mod pipeline;
pub mod protocol;
pub mod response;
mod runtime;
mod secret;
pub mod service;
pub mod session_policy;
pub mod verify;

pub use config::{CloudTrailSettings, Config, ConfigBuilder, StackOperationSettings};
pub use error::Error;
pub use lambda::{main, run};
pub use protocol::{CfnRequest, PhysicalId, RequestType, ResponseData};
pub use runtime::{Summary, Warden, WardenBuilder, DENIED_REASON, PANIC_REASON};
pub use secret::Secret;
pub use service::{
    Context, Created, CustomResource, Deleted, HandlerError, HandlerResult, Updated,
};
/// The `tower` version the pipeline uses, for writing layers.
pub use tower;

/// The README's examples are compiled as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
