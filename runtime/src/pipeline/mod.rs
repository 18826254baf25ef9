//! The request pipeline: what flows through it and what comes out.
//!
//! A request becomes an [`Invocation`] (its [`Context`]); tower services turn it into an
//! [`Outcome`] or a [`Rejection`]. The innermost service calls the handler
//! ([`HandlerService`], or a [`Router`] over several handlers); [`Stage`]s run before it
//! (the verifiers of [`crate::verify`], the ticket layer of [`crate::credentials`]), each
//! recording its [`Check`] and either passing the invocation on or refusing it with a
//! [`Denial`]. A [`CredentialSource`] put into the context by a stage grants the handler the
//! credentials it declares.
//!
//! Owns: the invocation, outcome and rejection types, the generic before-handler layer, the
//! handler service and the router, the credential-source trait. May import: `service` (the
//! handler API), `checks`, `protocol`, `session_policy`, `response::BoxFuture` and the crate
//! error; nothing that imports it (`verify`, `credentials`, `runtime`).

/// `tower::Service<Invocation>` for an innermost service (the handler service, the router):
/// always ready (each route is readied when called), answering with its `answer` method.
macro_rules! innermost_service {
    ($service:ty $(, $g:ident: $bound:path)?) => {
        impl$(<$g: $bound>)? tower::Service<Invocation> for $service {
            type Response = Outcome;
            type Error = Rejection;
            type Future = crate::response::BoxFuture<'static, Result<Outcome, Rejection>>;

            fn poll_ready(
                &mut self,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), Rejection>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn call(&mut self, invocation: Invocation) -> Self::Future {
                self.answer(invocation)
            }
        }
    };
}

mod credential_source;
mod handler_service;
mod router;
mod stage;

pub use crate::checks::{Check, CheckLog, Denial, Evidence, Verdict};
pub use credential_source::{CredentialSource, Grant, SharedCredentialSource};
pub use handler_service::HandlerService;
pub use router::{Router, RouterBuilder};
pub use stage::{Stage, StageLayer, StageService};

use tower::util::BoxCloneSyncService;

use crate::{
    service::{Context, Created, CustomResource, Deleted, HandlerError, Updated},
    Error,
};

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

/// The boxed pipeline every layer wraps.
pub type Pipeline = BoxCloneSyncService<Invocation, Outcome, Rejection>;

/// What a runtime can serve: one [`CustomResource`] (any type implementing it) or a
/// [`Router`] over several.
pub trait IntoPipeline {
    /// The innermost service of the pipeline.
    fn into_pipeline(self) -> Pipeline;
}

impl<H: CustomResource> IntoPipeline for H {
    fn into_pipeline(self) -> Pipeline {
        BoxCloneSyncService::new(HandlerService::new(self))
    }
}

impl IntoPipeline for Router {
    fn into_pipeline(self) -> Pipeline {
        BoxCloneSyncService::new(self)
    }
}
