//! # cfn-warden-test
//!
//! Test your own cfn-warden custom resource the way the project tests its shipped ones.
//!
//! - [`CfnEvent`]: realistic Create, Update and Delete events (ids, ResponseURL, old
//!   properties, `ServiceTimeout` through [`CfnEvent::field`]), and [`sign_properties`] for
//!   signed variants.
//! - [`Harness`]: your handler (or a [`cfn_warden::pipeline::Router`]) run through the real
//!   pipeline in process, with no binary and no network. Each request returns an [`Exchange`]:
//!   the answer CloudFormation would receive, the decision line, the session policies your
//!   handler declared, and every AWS call it made.
//! - [`Aws`]: what the handler's `ctx.aws()` talks to: canned replies ([`Aws::replay`]) or an
//!   endpoint such as a local `moto_server` ([`Aws::endpoint`]), every call recorded.
//! - [`Exchange::assert_calls_allowed`] / [`Exchange::assert_denied`]: every recorded call
//!   judged against the declared session policy by the local IAM evaluator (`warden-iam`),
//!   which moto cannot do (it ignores session policies).
//!
//! ```
//! use cfn_warden::{credentials::SessionPolicy, Context, Created, CustomResource, Deleted, HandlerError, Updated};
//! use cfn_warden_test::{Aws, CfnEvent, Harness};
//! use serde_json::json;
//!
//! struct Greeting;
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! struct Props { name: String }
//!
//! impl CustomResource for Greeting {
//!     type Properties = Props;
//!     fn permissions(&self, _: &Props, ctx: &Context) -> Result<SessionPolicy, HandlerError> {
//!         Ok(SessionPolicy::builder().allow_any_resource(["sts:GetCallerIdentity"]).build()?)
//!     }
//!     async fn create(&self, p: Props, ctx: &Context) -> Result<Created, HandlerError> {
//!         let sts = aws_sdk_sts::Client::new(ctx.aws()?);
//!         let me = sts.get_caller_identity().send().await
//!             .map_err(|e| HandlerError::aws("GetCallerIdentity", &e))?;
//!         Ok(Created::new().data("Greeting", format!("Hello {} from {}", p.name, me.account().unwrap_or("?"))))
//!     }
//!     async fn update(&self, p: Props, _: Option<Props>, _: &Context) -> Result<Updated, HandlerError> {
//!         Ok(Updated::keep())
//!     }
//!     async fn delete(&self, _: Option<Props>, _: &Context) -> Result<Deleted, HandlerError> {
//!         Ok(Deleted)
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let aws = Aws::replay().reply_raw("GetCallerIdentity", 200, "text/xml",
//!     "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account>\
//!      </GetCallerIdentityResult></GetCallerIdentityResponse>");
//! let harness = Harness::builder(Greeting).aws(aws).build()?;
//! let exchange = harness
//!     .send(&CfnEvent::create("Custom::Greeting", "Hello", json!({"Name": "Ada"})))
//!     .await;
//! assert_eq!(exchange.status(), "SUCCESS");
//! assert_eq!(exchange.data("Greeting").unwrap(), "Hello Ada from 123456789012");
//! assert_eq!(exchange.granted[0].actions(), ["sts:GetCallerIdentity"]);
//! assert_eq!(exchange.calls[0].action(), "sts:GetCallerIdentity");
//! # Ok::<(), cfn_warden_test::KitError>(())
//! # }).unwrap();
//! ```
//!
//! Imports `cfn-warden` and `warden-iam` only; the harness uses its public API (`Warden::builder`, the
//! pipeline's `Stage` and `CredentialSource`), nothing private.
#![forbid(unsafe_code)]

mod accept_all;
mod access;
mod aws;
mod clock;
mod event;
mod harness;
mod moto;
pub mod process;
mod tickets;

pub use accept_all::AcceptAll;
pub use access::Access;
pub use aws::{Aws, AwsCall, REGION};
pub use clock::{ManualClock, QueuedPoll};
pub use event::{sign_properties, sign_properties_for, CfnEvent, ACCOUNT, STACK_ID};
pub use harness::{Exchange, Harness, HarnessBuilder, FUNCTION_ARN, TEST_CREDENTIALS_CHECK};
pub use moto::{free_port, Moto, RestAnswer};
pub use tickets::{TicketWorld, DEPLOYER, TICKET_ROLE_NAME, WORK_ROLE_NAME};

/// What can go wrong building a harness.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// The runtime refused the configuration, or a ticket could not be sealed.
    #[error("cfn-warden refused the test set-up")]
    Runtime {
        /// Its error.
        #[from]
        source: cfn_warden::Error,
    },
    /// A socket or process operation failed.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A wait ran out.
    #[error("timed out waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: &'static str,
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
        /// The answer (at most 500 characters).
        body: String,
    },
    /// An AWS SDK call made while setting up failed.
    #[error("{operation} failed")]
    Aws {
        /// The operation.
        operation: &'static str,
        /// The SDK's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
