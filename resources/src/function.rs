//! `Custom::MultiFileFunction`: a Lambda function from several inline files plus pip
//! packages, run only with the deployer's narrowed credentials.
//!
//! This is the resource that is dangerous in the classic model: creating a function needs
//! `iam:PassRole`, so any invoker of a classic provider could create a function with any role
//! the provider may pass. Here the declared session policy passes exactly the one `Role`, only
//! to `lambda.amazonaws.com`, and names exactly this function.
//!
//! - **Create**: the code zip (inline `Files` and the `Requirements` installed at the root,
//!   deterministic) → CreateFunction → wait until Active → PublishVersion (with the CodeSha256
//!   guard) when `Publish`. The physical id is the function name.
//! - **Update**: a new `FunctionName` is a replacement (a new function; CloudFormation deletes
//!   the old one). Otherwise UpdateFunctionCode only when the CodeSha256 (or architecture)
//!   differs → wait → UpdateFunctionConfiguration only for the fields that changed → wait →
//!   tags → PublishVersion when `Publish`.
//! - **Delete**: DeleteFunction; already gone is success.
//! - `ResourceConflictException` (an update still in progress) is retried with backoff within
//!   the deadline.
//!
//! Data: `Arn`, `Version` (`$LATEST` unless published) and `CodeSha256`.
//!
//! Modules: `properties` (the typed properties and their validation), `policy` (the session
//! policy each request declares), `apply` (the Lambda calls). This file holds the resource
//! and its `CustomResource` implementation.

mod apply;
pub(crate) mod policy;
mod properties;

use cfn_warden::{
    credentials::SessionPolicy, protocol::RequestType, Context, Created, CustomResource, Deleted,
    HandlerError, PhysicalId, Updated,
};
use warden_pip::IndexSettings;

pub use apply::MAX_DIRECT_CODE_BYTES;
pub use properties::{
    FunctionProperties, NumberText, MAX_FILES, MAX_FILE_BYTES, MAX_TOTAL_FILE_BYTES, OWNER_TAG,
};

use policy::{function_arn, policy};
use properties::{check, validate};

/// The resource type served.
pub const RESOURCE_TYPE: &str = "Custom::MultiFileFunction";

/// The provider's settings for `Custom::MultiFileFunction`: the index settings for
/// `Requirements` (the provider shares `Custom::PipLayer`'s).
#[derive(Debug)]
pub struct MultiFileFunction {
    index: IndexSettings,
}

impl MultiFileFunction {
    /// Installs `Requirements` from the indexes `index` allows.
    pub fn new(index: IndexSettings) -> Self {
        Self { index }
    }
}

fn secrets(p: &FunctionProperties) -> Vec<String> {
    p.secret_environment
        .values()
        .map(|s| s.expose().clone())
        .collect()
}

impl CustomResource for MultiFileFunction {
    type Properties = FunctionProperties;

    const RESOURCE_TYPES: &'static [&'static str] = &[RESOURCE_TYPE];

    fn permissions(
        &self,
        p: &FunctionProperties,
        ctx: &Context,
    ) -> Result<SessionPolicy, HandlerError> {
        if ctx.request().request_type() == RequestType::Delete {
            return Ok(self.delete_permissions(ctx)?);
        }
        let Ok((name, _)) = validate(p, ctx) else {
            // Invalid input gets no credentials; create/update refuse it with a clear reason.
            return Ok(SessionPolicy::none());
        };
        Ok(policy(
            ctx.request().request_type(),
            &function_arn(ctx, &name),
            &p.role,
            &p.layers,
        )?)
    }

    fn unchanged_permissions(
        &self,
        p: &FunctionProperties,
        ctx: &Context,
    ) -> Result<SessionPolicy, HandlerError> {
        Ok(self.read_back_permissions(p, ctx)?)
    }

    async fn unchanged(
        &self,
        p: &FunctionProperties,
        ctx: &Context,
    ) -> Result<Option<Updated>, HandlerError> {
        self.unchanged_function(p, ctx).await
    }

    async fn create(&self, p: FunctionProperties, ctx: &Context) -> Result<Created, HandlerError> {
        let result = async {
            let checked = check(&p, ctx)?;
            self.converge(ctx, &p, &checked).await
        }
        .await;
        let (name, data) = result.map_err(|e| e.scrub(secrets(&p).iter().map(String::as_str)))?;
        let id = PhysicalId::new(name).map_err(|e| HandlerError::new(e.to_string()))?;
        Ok(data
            .into_iter()
            .fold(Created::with_physical_id(id), |c, (k, v)| c.data(k, v)))
    }

    async fn update(
        &self,
        p: FunctionProperties,
        _old: Option<FunctionProperties>,
        ctx: &Context,
    ) -> Result<Updated, HandlerError> {
        let result = async {
            let checked = check(&p, ctx)?;
            self.converge(ctx, &p, &checked).await
        }
        .await;
        let (name, data) = result.map_err(|e| e.scrub(secrets(&p).iter().map(String::as_str)))?;
        let current = ctx.request().physical_resource_id().map(PhysicalId::as_str);
        // Another name is a replacement (CloudFormation then deletes the old function); on a
        // rollback the old function, still ours, is updated in place and answered again.
        let updated = if current == Some(name.as_str()) {
            Updated::keep()
        } else {
            Updated::replace(PhysicalId::new(name).map_err(|e| HandlerError::new(e.to_string()))?)
        };
        Ok(data.into_iter().fold(updated, |u, (k, v)| u.data(k, v)))
    }

    // The Delete needs only the physical id: stored properties that no longer parse (written
    // by an older provider) do not block it.
    async fn delete(
        &self,
        _p: Option<FunctionProperties>,
        ctx: &Context,
    ) -> Result<Deleted, HandlerError> {
        self.delete_function(ctx).await
    }

    fn unparsed_delete_permissions(&self, ctx: &Context) -> Result<SessionPolicy, HandlerError> {
        Ok(self.delete_permissions(ctx)?)
    }
}
