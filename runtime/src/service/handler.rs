//! The trait users implement, and the service that calls it.

use std::{
    future::Future,
    marker::PhantomData,
    sync::Arc,
    task::{Context as TaskContext, Poll},
};

use serde::de::DeserializeOwned;

use super::{
    parse_properties, Context, Created, Deleted, HandlerError, Invocation, Outcome, Rejection,
    Updated,
};
use crate::{
    checks::{Check, Evidence, Verdict},
    credentials::SharedCredentialSource,
    protocol::{CfnRequest, RequestType},
    response::BoxFuture,
    session_policy::SessionPolicy,
    Error,
};

/// The check recorded when an Update changes only framework keys.
const FRAMEWORK_ONLY_CHECK: &str = "framework-only-update";

/// A custom resource: create, update and delete for typed properties.
///
/// ```
/// use cfn_warden::{Context, Created, CustomResource, Deleted, HandlerError, Updated};
///
/// struct Hello;
///
/// #[derive(serde::Deserialize)]
/// #[serde(rename_all = "PascalCase")]
/// struct Props {
///     name: String,
/// }
///
/// impl CustomResource for Hello {
///     type Properties = Props;
///
///     async fn create(&self, p: Props, _ctx: &Context) -> Result<Created, HandlerError> {
///         Ok(Created::new().data("Greeting", format!("Hello, {}", p.name)))
///     }
///     async fn update(&self, p: Props, _old: Option<Props>, _ctx: &Context) -> Result<Updated, HandlerError> {
///         Ok(Updated::keep().data("Greeting", format!("Hello, {}", p.name)))
///     }
///     async fn delete(&self, _p: Props, _ctx: &Context) -> Result<Deleted, HandlerError> {
///         Ok(Deleted)
///     }
/// }
/// ```
pub trait CustomResource: Send + Sync + 'static {
    /// The resource's properties (framework keys such as `ServiceToken` are removed first).
    type Properties: DeserializeOwned + Send + 'static;

    /// The `ResourceType`s served (`Custom::Name`). Empty serves any; otherwise other types are
    /// answered FAILED without calling the handler.
    const RESOURCE_TYPES: &'static [&'static str] = &[];

    /// Whether unknown property keys are tolerated. Off by default: a typo is an error.
    const ALLOW_UNKNOWN_PROPERTIES: bool = false;

    /// Creates the resource.
    fn create(
        &self,
        properties: Self::Properties,
        ctx: &Context,
    ) -> impl Future<Output = Result<Created, HandlerError>> + Send;

    /// Updates it. `old` is `None` when the old properties do not fit the current schema
    /// (their raw form is in [`crate::CfnRequest::old_resource_properties`]).
    fn update(
        &self,
        properties: Self::Properties,
        old: Option<Self::Properties>,
        ctx: &Context,
    ) -> impl Future<Output = Result<Updated, HandlerError>> + Send;

    /// Deletes it. Called for failed Creates too when they recorded an id
    /// ([`Context::record_physical_id`]); never for the failure sentinel.
    fn delete(
        &self,
        properties: Self::Properties,
        ctx: &Context,
    ) -> impl Future<Output = Result<Deleted, HandlerError>> + Send;

    /// The AWS permissions this request needs, as a session policy. In ticket mode the
    /// handler's credentials are a work-role session narrowed to exactly this (see
    /// [`crate::credentials`]); read them with `Context::aws`. The default declares nothing:
    /// the handler gets no credentials. Called after the properties parse, before
    /// `create`/`update`/`delete`; an error (a rule of [`SessionPolicy`] broken) answers
    /// FAILED naming the rule.
    fn permissions(
        &self,
        properties: &Self::Properties,
        ctx: &Context,
    ) -> Result<SessionPolicy, Error> {
        let _ = (properties, ctx);
        Ok(SessionPolicy::none())
    }

    /// The permissions [`CustomResource::unchanged`] needs to read back what the resource is
    /// (e.g. the Data to answer again), as a session policy: read-only calls on this resource.
    /// The default declares nothing: `unchanged` then runs without credentials.
    fn unchanged_permissions(
        &self,
        properties: &Self::Properties,
        ctx: &Context,
    ) -> Result<SessionPolicy, Error> {
        let _ = (properties, ctx);
        Ok(SessionPolicy::none())
    }

    /// Answers an Update that changes only framework keys (a refreshed `WardenTicket` or
    /// `WardenSignature`) instead of `update`, with at most the credentials of
    /// [`CustomResource::unchanged_permissions`]: return `Some` with the same Data the last
    /// create/update returned (CloudFormation keeps only the attributes of the latest answer,
    /// so an answer without them would break `Fn::GetAtt`). A replacement is refused. The
    /// default returns `None`: the Update then runs as usual (permissions, credentials,
    /// `update`), which is always correct, just not free.
    fn unchanged(
        &self,
        properties: &Self::Properties,
        ctx: &Context,
    ) -> impl Future<Output = Result<Option<Updated>, HandlerError>> + Send {
        let _ = (properties, ctx);
        async { Ok(None) }
    }
}

/// The innermost service: parses the typed properties and calls the handler.
pub struct HandlerService<H> {
    handler: Arc<H>,
    _marker: PhantomData<fn() -> H>,
}

impl<H> Clone for HandlerService<H> {
    fn clone(&self) -> Self {
        Self {
            handler: self.handler.clone(),
            _marker: PhantomData,
        }
    }
}

impl<H: CustomResource> HandlerService<H> {
    /// Wraps a handler.
    pub fn new(handler: H) -> Self {
        Self {
            handler: Arc::new(handler),
            _marker: PhantomData,
        }
    }
}

impl<H: CustomResource> tower::Service<Invocation> for HandlerService<H> {
    type Response = Outcome;
    type Error = Rejection;
    type Future = BoxFuture<'static, Result<Outcome, Rejection>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Rejection>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let handler = self.handler.clone();
        Box::pin(async move { dispatch(&*handler, invocation.context).await })
    }
}

/// For an Update: the framework keys that changed, when nothing else did.
fn framework_only_change(request: &CfnRequest, reserved: &[String]) -> Option<Vec<String>> {
    let old = request.old_resource_properties()?;
    let new = request.resource_properties();
    let is_reserved = |k: &String| reserved.contains(k);
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut changed = Vec::new();
    for key in keys {
        if old.get(key) != new.get(key) {
            if !is_reserved(key) {
                return None;
            }
            changed.push(key.clone());
        }
    }
    Some(changed)
}

/// Hands the request the credentials `policy` declares, through the configured source (none
/// when nothing is declared or no source is configured).
async fn grant(policy: &SessionPolicy, ctx: &mut Context) -> Result<(), Rejection> {
    if policy.is_empty() {
        return Ok(());
    }
    if let Some(source) = ctx.extensions().get::<SharedCredentialSource>().cloned() {
        source.0.grant(policy, ctx).await?;
    }
    Ok(())
}

async fn dispatch<H: CustomResource>(handler: &H, mut ctx: Context) -> Result<Outcome, Rejection> {
    let request = ctx.request_arc();
    if !H::RESOURCE_TYPES.is_empty() && !H::RESOURCE_TYPES.contains(&request.resource_type()) {
        return Err(Rejection::BadInput(Error::UnsupportedResourceType {
            resource_type: request.resource_type().to_owned(),
        }));
    }
    let reserved = ctx.reserved_property_keys().to_vec();
    let properties: H::Properties = parse_properties(
        request.resource_properties(),
        &reserved,
        H::ALLOW_UNKNOWN_PROPERTIES,
    )
    .map_err(Rejection::BadInput)?;
    if request.request_type() == RequestType::Update {
        if let Some(changed) = framework_only_change(&request, &reserved) {
            let mut evidence = Evidence::new();
            evidence.insert("changed".into(), serde_json::json!(changed));
            ctx.checks()
                .record(Check::new(FRAMEWORK_ONLY_CHECK, Verdict::Pass, evidence, 0));
            let policy = handler
                .unchanged_permissions(&properties, &ctx)
                .map_err(Rejection::BadInput)?;
            grant(&policy, &mut ctx).await?;
            if let Some(updated) = handler
                .unchanged(&properties, &ctx)
                .await
                .map_err(Rejection::Handler)?
            {
                return Ok(Outcome::Unchanged(updated));
            }
            // The read-back session is not for `update`: it gets what `permissions` declares.
            #[cfg(feature = "aws")]
            ctx.extensions_mut()
                .remove::<crate::credentials::WorkCredentials>();
        }
    }
    let policy = handler
        .permissions(&properties, &ctx)
        .map_err(Rejection::BadInput)?;
    grant(&policy, &mut ctx).await?;
    let reserved = &reserved;
    match request.request_type() {
        RequestType::Create => handler
            .create(properties, &ctx)
            .await
            .map(Outcome::Created)
            .map_err(Rejection::Handler),
        RequestType::Update => {
            let old = request
                .old_resource_properties()
                .and_then(|o| parse_properties(o, reserved, H::ALLOW_UNKNOWN_PROPERTIES).ok());
            handler
                .update(properties, old, &ctx)
                .await
                .map(Outcome::Updated)
                .map_err(Rejection::Handler)
        }
        RequestType::Delete => handler
            .delete(properties, &ctx)
            .await
            .map(Outcome::Deleted)
            .map_err(Rejection::Handler),
    }
}
