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
use crate::{protocol::RequestType, response::BoxFuture, Error};

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

async fn dispatch<H: CustomResource>(handler: &H, ctx: Context) -> Result<Outcome, Rejection> {
    let request = ctx.request();
    if !H::RESOURCE_TYPES.is_empty() && !H::RESOURCE_TYPES.contains(&request.resource_type()) {
        return Err(Rejection::BadInput(Error::UnsupportedResourceType {
            resource_type: request.resource_type().to_owned(),
        }));
    }
    let reserved = ctx.reserved_property_keys();
    let properties: H::Properties = parse_properties(
        request.resource_properties(),
        reserved,
        H::ALLOW_UNKNOWN_PROPERTIES,
    )
    .map_err(Rejection::BadInput)?;
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
