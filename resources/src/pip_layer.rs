//! `Custom::PipLayer`: a Lambda layer built from pip requirements by the `warden-pip` engine
//! and published as a layer version.
//!
//! - **Create**: build, then publish, unless this same resource (stack and logical id)
//!   published a version with exactly this content, description, license, runtime and
//!   architecture before (a retried Create): the description carries the content hash and an
//!   owner digest. The physical id is the LayerVersionArn.
//! - **Update**: build again; the same content keeps the version (same id), content this
//!   resource published before reuses that version (a rollback gets its old version back),
//!   other content publishes a new version (new id: CloudFormation then deletes the old one).
//!   Versions of other resources are never reused, so no Delete removes a version another
//!   resource still answers with.
//! - **Delete**: DeleteLayerVersion of the version in the physical id; already gone is
//!   success.
//! - **Permissions** declared per request: `lambda:PublishLayerVersion` and
//!   `lambda:ListLayerVersions` on this layer's ARN and `lambda:GetLayerVersion` on its
//!   versions (Create, Update: a version is reused only when its stored content, not just its
//!   description, is these bytes), or `lambda:DeleteLayerVersion` on exactly the version being
//!   deleted (Delete).
//!
//! Data: `LayerVersionArn`, `LayerArn`, `Version`, `ContentSha256`, `ZippedBytes`,
//! `UnzippedBytes`, `Files` and `Packages` (`name==version` joined by commas), or, when the
//! list is long, `PackagesSha256` (the SHA-256 of that list) instead, so the answer stays
//! within CloudFormation's 4096-byte limit; `PythonVersion` (the release requirements were
//! checked against), `UnzippedHeadroomBytes` (what is left of Lambda's 250 MB unzipped limit
//! after this layer and `ReserveUnzippedBytes`), with `Exclude`: `Excluded` (`name==version`
//! of what was left out) and `ExcludedUnzippedBytes` (what that saved), and, when there is
//! something to know (a yanked release installed through an exact pin, a version skipped for
//! unusable metadata), `Warnings` (joined by `; `, cut to fit).
//!
//! Modules: `properties` (the typed properties), `policy` (the layer's ARNs, the staging
//! objects and the session policy each request declares), `apply` (the build, staging,
//! publishing and Delete: the Lambda and S3 calls), `data` (the answer's Data). This file
//! holds the provider's settings and the `CustomResource` implementation.

use std::{sync::Arc, time::Duration};

use cfn_warden::{
    config::Environment, credentials::SessionPolicy, protocol::RequestType, Context, Created,
    CustomResource, Deleted, HandlerError, PhysicalId, Updated,
};

use warden_pip::{cut, http::IndexTransport, IndexSettings, IndexSettingsBuilder};

use crate::Error;

/// The resource type served.
pub const RESOURCE_TYPE: &str = "Custom::PipLayer";

/// The largest zip PublishLayerVersion takes inline (bytes).
pub const MAX_DIRECT_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;

mod apply;
mod data;
pub(crate) mod policy;
mod properties;
#[cfg(test)]
mod tests;

use data::data;
pub(crate) use policy::policy;
use policy::{layer_arn, layer_of, staging_arn, version_of};
pub(crate) use properties::flag;
pub use properties::{requirements, PipLayerProperties, Requirements};

/// The provider's settings for `Custom::PipLayer`: the index settings and where large layers
/// are staged. Build with [`PipLayer::builder`] or [`PipLayer::from_env`].
#[derive(Clone, Debug)]
pub struct PipLayer {
    index: IndexSettings,
    staging_bucket: Option<String>,
    direct_upload_limit: u64,
}

/// Configures a [`PipLayer`].
#[derive(Default)]
pub struct PipLayerBuilder {
    index: IndexSettingsBuilder,
    staging_bucket: Option<String>,
    direct_upload_limit: Option<u64>,
}

impl PipLayerBuilder {
    /// Allows an index URL prefix (repeat for several). Nothing is allowed by default.
    pub fn allow_index(mut self, prefix: impl Into<String>) -> Self {
        self.index = self.index.allow_index(prefix);
        self
    }

    /// The index used when a resource gives no `IndexUrl` (it is allowed implicitly).
    pub fn default_index(mut self, url: impl Into<String>) -> Self {
        self.index = self.index.default_index(url);
        self
    }

    /// The idle timeout of each read from the index: the wait for an answer and for each read
    /// of it, not a whole download (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.index = self.index.timeout(timeout);
        self
    }

    /// How the index is reached (default: reqwest over rustls).
    pub fn transport(mut self, transport: Arc<dyn IndexTransport>) -> Self {
        self.index = self.index.transport(transport);
        self
    }

    /// An S3 bucket (in the provider's region) to stage layers too large for a direct upload:
    /// the zip is put under `cfn-warden/layers/<LayerName>/<owner>/<sha256>.zip`, published
    /// from there, and deleted. Without one, such layers fail naming the limit.
    pub fn staging_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.staging_bucket = Some(bucket.into());
        self
    }

    /// Layers larger than this (zipped) are staged through S3 (default and maximum: Lambda's
    /// 50 MB direct-upload limit).
    pub fn direct_upload_limit(mut self, bytes: u64) -> Self {
        self.direct_upload_limit = Some(bytes.min(MAX_DIRECT_UPLOAD_BYTES));
        self
    }

    /// Finishes the configuration.
    pub fn build(self) -> PipLayer {
        PipLayer {
            index: self.index.build(),
            staging_bucket: self.staging_bucket,
            direct_upload_limit: self.direct_upload_limit.unwrap_or(MAX_DIRECT_UPLOAD_BYTES),
        }
    }
}

/// The variables [`PipLayer::from_env`] reads.
pub mod env {
    /// Comma-separated index URL prefixes resources may name in `IndexUrl`.
    pub const ALLOWED_INDEXES: &str = "WARDEN_PIP_INDEX_ALLOW";
    /// The index used when a resource gives none (allowed implicitly).
    pub const DEFAULT_INDEX: &str = "WARDEN_PIP_INDEX_URL";
    /// The S3 bucket large layers are staged through.
    pub const STAGING_BUCKET: &str = "WARDEN_LAYER_BUCKET";
    /// Layers larger than this many bytes (zipped) go through the bucket (at most 52428800).
    pub const DIRECT_UPLOAD_LIMIT: &str = "WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES";
}

impl PipLayer {
    /// Starts the configuration.
    pub fn builder() -> PipLayerBuilder {
        PipLayerBuilder::default()
    }

    /// Reads the variables in [`mod@env`].
    pub fn from_env(environment: &dyn Environment) -> Result<Self, Error> {
        let mut builder = Self::builder();
        for prefix in environment
            .var(env::ALLOWED_INDEXES)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            builder = builder.allow_index(prefix);
        }
        if let Some(default) = environment
            .var(env::DEFAULT_INDEX)
            .filter(|d| !d.trim().is_empty())
        {
            builder = builder.default_index(default.trim());
        }
        if let Some(bucket) = environment
            .var(env::STAGING_BUCKET)
            .filter(|b| !b.trim().is_empty())
        {
            let bucket = bucket.trim();
            let valid = (3..=63).contains(&bucket.len())
                && bucket
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if !valid {
                return Err(Error::InvalidSetting {
                    variable: env::STAGING_BUCKET,
                    problem: "not an S3 bucket name (3-63 lowercase letters, digits, '-', '.')",
                });
            }
            builder = builder.staging_bucket(bucket);
        }
        if let Some(limit) = environment.var(env::DIRECT_UPLOAD_LIMIT) {
            let bytes = limit
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|b| (1..=MAX_DIRECT_UPLOAD_BYTES).contains(b))
                .ok_or(Error::InvalidSetting {
                    variable: env::DIRECT_UPLOAD_LIMIT,
                    problem: "expected a number of bytes from 1 to 52428800",
                })?;
            builder = builder.direct_upload_limit(bytes);
        }
        Ok(builder.build())
    }

    /// The index settings (shared with `Custom::MultiFileFunction`).
    pub fn index(&self) -> &IndexSettings {
        &self.index
    }
}

impl CustomResource for PipLayer {
    type Properties = PipLayerProperties;

    const RESOURCE_TYPES: &'static [&'static str] = &[RESOURCE_TYPE];

    fn permissions(
        &self,
        p: &PipLayerProperties,
        ctx: &Context,
    ) -> Result<SessionPolicy, HandlerError> {
        let version = ctx
            .request()
            .physical_resource_id()
            .and_then(|id| version_of(ctx, id, &p.layer_name));
        let staging = self
            .staging_bucket
            .as_ref()
            .map(|bucket| staging_arn(ctx, bucket, &p.layer_name));
        Ok(policy(
            ctx.request().request_type(),
            &layer_arn(ctx, &p.layer_name),
            version,
            staging.as_deref(),
        )?)
    }

    /// Properties that no longer parse: the physical id (a LayerVersionArn of this account
    /// and region) names the layer and version by itself.
    fn unparsed_delete_permissions(&self, ctx: &Context) -> Result<SessionPolicy, HandlerError> {
        match ctx
            .request()
            .physical_resource_id()
            .and_then(|id| layer_of(ctx, id))
        {
            Some((name, version)) => Ok(policy(
                RequestType::Delete,
                &layer_arn(ctx, &name),
                Some(version),
                None,
            )?),
            None => Ok(SessionPolicy::none()),
        }
    }

    async fn create(&self, p: PipLayerProperties, ctx: &Context) -> Result<Created, HandlerError> {
        let (layer, arn, version) = self.build_and_publish(&p, ctx).await?;
        let id = PhysicalId::new(arn.clone()).map_err(|e| HandlerError::new(e.to_string()))?;
        ctx.record_physical_id(id.clone());
        Ok(data(ctx, &p, &layer, &arn, version)
            .into_iter()
            .fold(Created::with_physical_id(id), |c, (k, v)| c.data(k, v)))
    }

    async fn update(
        &self,
        p: PipLayerProperties,
        _old: Option<PipLayerProperties>,
        ctx: &Context,
    ) -> Result<Updated, HandlerError> {
        let (layer, arn, version) = self.build_and_publish(&p, ctx).await?;
        let same = ctx
            .request()
            .physical_resource_id()
            .is_some_and(|id| id.as_str() == arn);
        let updated = if same {
            Updated::keep()
        } else {
            Updated::replace(
                PhysicalId::new(arn.clone()).map_err(|e| HandlerError::new(e.to_string()))?,
            )
        };
        Ok(data(ctx, &p, &layer, &arn, version)
            .into_iter()
            .fold(updated, |u, (k, v)| u.data(k, v)))
    }

    async fn delete(
        &self,
        p: Option<PipLayerProperties>,
        ctx: &Context,
    ) -> Result<Deleted, HandlerError> {
        let Some(id) = ctx.request().physical_resource_id() else {
            return Ok(Deleted);
        };
        let target = match &p {
            Some(p) => version_of(ctx, id, &p.layer_name).map(|v| (p.layer_name.clone(), v)),
            None => layer_of(ctx, id),
        };
        let Some((layer_name, version)) = target else {
            ctx.logger().warn(format!(
                "physical id {} is not a version of {} in this account and region; nothing to delete",
                cut(id.as_str()),
                p.as_ref().map_or("a layer".to_owned(), |p| format!("layer {}", p.layer_name))
            ));
            return Ok(Deleted);
        };
        self.delete_version(ctx, &layer_name, version).await
    }
}
