//! How a handler receives the AWS credentials it declared.

use std::sync::Arc;

use crate::{
    pipeline::Rejection, response::BoxFuture, service::Context, session_policy::SessionPolicy,
};

/// What [`CredentialSource::grant`] returns.
pub type Grant<'a> = BoxFuture<'a, Result<(), Rejection>>;

/// Grants a handler credentials for its declared policy. Put into the context (as
/// [`SharedCredentialSource`]) by a credential stage or the runtime; called by the handler
/// service once the properties are parsed and the handler has declared what it needs.
pub trait CredentialSource: Send + Sync + 'static {
    /// Makes credentials for `policy` available to the handler through the context (or
    /// refuses). Records its own check.
    fn grant<'a>(&'a self, policy: &'a SessionPolicy, ctx: &'a mut Context) -> Grant<'a>;

    /// Takes back what [`CredentialSource::grant`] put into the context: the read-back session
    /// of an Update answered by `unchanged` must not reach `update`, which gets a grant of its
    /// own declared policy.
    fn withdraw(&self, ctx: &mut Context);
}

/// The context extension holding the request's [`CredentialSource`].
#[derive(Clone)]
pub struct SharedCredentialSource(pub Arc<dyn CredentialSource>);

impl std::fmt::Debug for SharedCredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedCredentialSource")
    }
}

/// Hands the request the credentials `policy` declares, through the configured source (none
/// when nothing is declared or no source is configured).
pub(crate) async fn grant(policy: &SessionPolicy, ctx: &mut Context) -> Result<(), Rejection> {
    if policy.is_empty() {
        return Ok(());
    }
    if let Some(source) = ctx.extensions().get::<SharedCredentialSource>().cloned() {
        source.0.grant(policy, ctx).await?;
    }
    Ok(())
}

/// Takes back a grant (see [`CredentialSource::withdraw`]).
pub(crate) fn withdraw(ctx: &mut Context) {
    if let Some(source) = ctx.extensions().get::<SharedCredentialSource>().cloned() {
        source.0.withdraw(ctx);
    }
}
