//! The trait users implement (the service that calls it is [`crate::pipeline::HandlerService`]).

use std::future::Future;

use serde::de::DeserializeOwned;

use super::{Context, Created, Deleted, HandlerError, HandlerResult, Updated};
use crate::session_policy::SessionPolicy;

/// What a handler's permission declarations return: the session policy, or why the request
/// cannot declare one (answered FAILED with the reason).
pub type Declared = HandlerResult<SessionPolicy>;

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
///     async fn delete(&self, _p: Option<Props>, _ctx: &Context) -> Result<Deleted, HandlerError> {
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
    ///
    /// `properties` is `None` when the stored properties no longer fit the current schema (a
    /// resource created by an older version of the handler, say; their raw form is in
    /// [`crate::CfnRequest::resource_properties`]): delete by the physical id then, so a schema
    /// change never leaves a stack in DELETE_FAILED. Its credentials are those of
    /// [`CustomResource::unparsed_delete_permissions`].
    fn delete(
        &self,
        properties: Option<Self::Properties>,
        ctx: &Context,
    ) -> impl Future<Output = Result<Deleted, HandlerError>> + Send;

    /// The AWS permissions this request needs, as a session policy. In ticket mode the
    /// handler's credentials are a work-role session narrowed to exactly this (see
    /// [`crate::credentials`]); read them with `Context::aws`. The default declares nothing:
    /// the handler gets no credentials. Called after the properties parse, before
    /// `create`/`update`/`delete`; an error answers FAILED with its reason (a broken rule of
    /// [`SessionPolicy`] converts with `?` and names the rule).
    fn permissions(&self, properties: &Self::Properties, ctx: &Context) -> Declared {
        let _ = (properties, ctx);
        Ok(SessionPolicy::none())
    }

    /// The permissions [`CustomResource::unchanged`] needs to read back what the resource is
    /// (e.g. the Data to answer again), as a session policy: read-only calls on this resource.
    /// The default declares nothing: `unchanged` then runs without credentials.
    fn unchanged_permissions(&self, properties: &Self::Properties, ctx: &Context) -> Declared {
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

    /// The permissions of a Delete whose stored properties no longer parse: `delete` then
    /// receives `None` and works from the physical id. The default declares nothing.
    fn unparsed_delete_permissions(&self, ctx: &Context) -> Declared {
        let _ = ctx;
        Ok(SessionPolicy::none())
    }
}
