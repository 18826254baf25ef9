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

use std::{sync::Arc, time::Duration};

use aws_sdk_lambda::{
    primitives::Blob,
    types::{Architecture, LayerVersionContentInput, Runtime},
};
use base64::Engine as _;
use cfn_warden::{
    config::Environment, credentials::SessionPolicy, protocol::RequestType, Context, Created,
    CustomResource, Deleted, HandlerError, PhysicalId, Updated,
};

use warden_pip::{
    build::BuiltLayer,
    cut,
    exclude::parse_exclude,
    http::IndexTransport,
    requirements::{parse_list, parse_requirements_txt, RequirementLine},
    target::Target,
    IndexSettings, IndexSettingsBuilder,
};

use crate::Error;

/// The resource type served.
pub const RESOURCE_TYPE: &str = "Custom::PipLayer";

/// The largest zip PublishLayerVersion takes inline (bytes).
pub const MAX_DIRECT_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;

/// Lambda's limit on a layer description.
const MAX_DESCRIPTION_CHARS: usize = 256;

mod data;
mod properties;

use data::data;
#[cfg(test)]
use data::python_version;
pub(crate) use properties::flag;
pub use properties::{PipLayerProperties, Requirements};

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

    /// Builds the layer the properties describe.
    pub async fn build_layer(&self, p: &PipLayerProperties) -> Result<BuiltLayer, Error> {
        let requirements = requirements(&p.requirements)?;
        let mut target = Target::new(&p.runtime, &p.architecture)?;
        if let Some(version) = &p.python_version {
            target = target.with_python_version(version)?;
        }
        let exclude = match &p.exclude {
            None => Default::default(),
            Some(Requirements::Text(text)) => parse_exclude(&[text])?,
            Some(Requirements::List(items)) => parse_exclude(items)?,
        };
        let builder = self
            .index
            .layer_build(p.index_url.as_deref())?
            .requirements(requirements)
            .target(target)
            .require_hashes(p.require_hashes)
            .allow_sdist(p.allow_sdist)
            .exclude(exclude)
            .reserve_unzipped(p.reserve_unzipped_bytes);
        Ok(builder.build()?.run().await?)
    }
}

/// Parses `Requirements` in either form.
pub fn requirements(given: &Requirements) -> Result<Vec<RequirementLine>, warden_pip::Error> {
    match given {
        Requirements::Text(body) => parse_requirements_txt(body),
        Requirements::List(items) => parse_list(items),
    }
}

/// Checks a layer name as Lambda does (a name, not an ARN).
fn check_layer_name(name: &str) -> Result<(), HandlerError> {
    crate::names::check_lambda_name("LayerName", name, 140)
}

/// `arn:<partition>:lambda:<region>:<account>:layer:<name>`.
fn layer_arn(ctx: &Context, name: &str) -> String {
    let stack = ctx.request().stack();
    format!(
        "arn:{}:lambda:{}:{}:layer:{name}",
        stack.partition(),
        stack.region(),
        stack.account()
    )
}

/// The version number in a LayerVersionArn of this stack's account and region and this layer.
fn version_of(ctx: &Context, id: &PhysicalId, name: &str) -> Option<i64> {
    let prefix = format!("{}:", layer_arn(ctx, name));
    id.as_str()
        .strip_prefix(&prefix)?
        .parse()
        .ok()
        .filter(|v| *v > 0)
}

/// The layer name and version in a LayerVersionArn of this stack's account and region.
fn layer_of(ctx: &Context, id: &PhysicalId) -> Option<(String, i64)> {
    layer_in(ctx.request().stack(), id.as_str())
}

fn layer_in(stack: &cfn_warden::protocol::StackArn, id: &str) -> Option<(String, i64)> {
    let prefix = format!(
        "arn:{}:lambda:{}:{}:layer:",
        stack.partition(),
        stack.region(),
        stack.account()
    );
    let (name, version) = id.strip_prefix(&prefix)?.rsplit_once(':')?;
    check_layer_name(name).ok()?;
    let version = version.parse().ok().filter(|v: &i64| *v > 0)?;
    Some((name.to_owned(), version))
}

/// The session policy for a request on the layer `layer` (its ARN); `version` is the version
/// in the physical id, for a Delete. Also what `warden explain` shows ([`crate::declared`]).
pub(crate) fn policy(
    request: RequestType,
    layer: &str,
    version: Option<i64>,
    staging: Option<&str>,
) -> Result<SessionPolicy, cfn_warden::Error> {
    match (request, version) {
        (RequestType::Delete, Some(v)) => SessionPolicy::builder()
            .allow(["lambda:DeleteLayerVersion"], [format!("{layer}:{v}")])
            .build(),
        // Not a version of this layer: nothing to delete, no permissions needed.
        (RequestType::Delete, None) => Ok(SessionPolicy::none()),
        _ => {
            let mut builder = SessionPolicy::builder()
                .allow(
                    ["lambda:PublishLayerVersion", "lambda:ListLayerVersions"],
                    [layer],
                )
                .allow(["lambda:GetLayerVersion"], [format!("{layer}:*")]);
            if let Some(objects) = staging {
                // Lambda reads the staged object with the caller's credentials.
                builder = builder.allow(
                    ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                    [objects.to_owned()],
                );
            }
            builder.build()
        }
    }
}

/// Where this resource's staged zips go: `cfn-warden/layers/<LayerName>/<owner>/`.
fn staging_prefix(ctx: &Context, layer_name: &str) -> String {
    format!("cfn-warden/layers/{layer_name}/{}/", ctx.owner_digest())
}

/// The ARN pattern of this resource's staged objects.
fn staging_arn(ctx: &Context, bucket: &str, layer_name: &str) -> String {
    format!(
        "arn:{}:s3:::{bucket}/{}*",
        ctx.request().stack().partition(),
        staging_prefix(ctx, layer_name)
    )
}

/// The marker put in the description, by which an identical layer is recognised.
/// The owner is this resource (`StackId|LogicalResourceId`, hashed): only a version published
/// for this same resource is ever reused, so one resource's Delete never removes a version
/// another resource answered with.
fn marker(sha256: &str, owner: &str) -> String {
    format!("[cfn-warden sha256:{sha256} owner:{owner}]")
}

fn description(user: Option<&str>, sha256: &str, owner: &str) -> String {
    let marker = marker(sha256, owner);
    let room = MAX_DESCRIPTION_CHARS - marker.len() - 1;
    match user.map(str::trim).filter(|u| !u.is_empty()) {
        Some(text) => {
            let kept: String = text.chars().take(room).collect();
            format!("{kept} {marker}")
        }
        None => marker,
    }
}

/// How many versions of a layer are looked through for one to reuse (50 per page).
const MAX_LISTED_PAGES: usize = 10;

impl PipLayer {
    /// An S3 client for the staging bucket, from the request's credentials (path-style
    /// addressing when an endpoint override such as a local emulator is configured).
    fn s3(ctx: &Context) -> Result<aws_sdk_s3::Client, HandlerError> {
        let config = ctx.aws()?;
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Ok(aws_sdk_s3::Client::from_conf(s3))
    }

    /// Puts the zip in the staging bucket; returns (bucket, key).
    async fn stage(
        &self,
        ctx: &Context,
        p: &PipLayerProperties,
        layer: &BuiltLayer,
    ) -> Result<(String, String), HandlerError> {
        let zipped = layer.zip.bytes.len();
        let Some(bucket) = &self.staging_bucket else {
            return Err(HandlerError::new(format!(
                "the layer is {zipped} bytes zipped, over the {}-byte limit of a direct \
                 PublishLayerVersion upload; set WARDEN_LAYER_BUCKET on the provider to stage it \
                 through S3, or split the requirements into several layers",
                self.direct_upload_limit
            )));
        };
        let key = format!(
            "{}{}.zip",
            staging_prefix(ctx, &p.layer_name),
            layer.zip.sha256
        );
        Self::s3(ctx)?
            .put_object()
            .bucket(bucket)
            .key(&key)
            .body(aws_sdk_s3::primitives::ByteStream::from(
                layer.zip.bytes.clone(),
            ))
            .send()
            .await
            .map_err(|e| HandlerError::aws("S3 PutObject (staging the layer)", &e))?;
        ctx.logger()
            .info(format!("staged {zipped} bytes at s3://{bucket}/{key}"));
        Ok((bucket.clone(), key))
    }

    /// Deletes a staged zip (best effort: a leftover costs storage, not correctness).
    async fn unstage(&self, ctx: &Context, bucket: &str, key: &str) {
        let deleted = match Self::s3(ctx) {
            Ok(s3) => s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("{}", aws_sdk_s3::error::DisplayErrorContext(e))),
            Err(e) => Err(e.reason().to_owned()),
        };
        if let Err(problem) = deleted {
            ctx.logger().warn(format!(
                "could not delete the staged s3://{bucket}/{key}: {problem}"
            ));
        }
    }

    /// The version to answer with: one this resource published earlier with exactly this content,
    /// description, license, runtime and architecture (newest first; the current one on an
    /// Update that changes nothing, the old one on a rollback), else a new one.
    async fn publish(
        &self,
        ctx: &Context,
        p: &PipLayerProperties,
        layer: &BuiltLayer,
    ) -> Result<(String, i64), HandlerError> {
        let lambda = aws_sdk_lambda::Client::new(ctx.aws()?);
        let runtime = Runtime::from(p.runtime.as_str());
        let architecture = Architecture::from(p.architecture.as_str());
        let wanted = description(
            p.description.as_deref(),
            &layer.zip.sha256,
            &ctx.owner_digest(),
        );
        // Lambda's CodeSha256: the base64 SHA-256 of the zip.
        let code_sha256 = base64::engine::general_purpose::STANDARD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            &layer.zip.bytes,
        ));
        let mut next: Option<String> = None;
        for _ in 0..MAX_LISTED_PAGES {
            let page = lambda
                .list_layer_versions()
                .layer_name(&p.layer_name)
                .max_items(50)
                .set_marker(next.take())
                .send()
                .await
                .map_err(|e| HandlerError::aws("ListLayerVersions", &e))?;
            for found in page.layer_versions() {
                let same = found.description() == Some(wanted.as_str())
                // An absent license may come back as "" (moto does).
                && found.license_info().filter(|l| !l.is_empty())
                    == p.license_info.as_deref().filter(|l| !l.is_empty())
                && found.compatible_runtimes() == [runtime.clone()]
                && found.compatible_architectures() == [architecture.clone()];
                let Some(arn) = found.layer_version_arn().filter(|_| same) else {
                    continue;
                };
                // The description is only a claim: the stored content must be these bytes.
                let stored = lambda
                    .get_layer_version()
                    .layer_name(&p.layer_name)
                    .version_number(found.version())
                    .send()
                    .await
                    .map_err(|e| HandlerError::aws("GetLayerVersion", &e))?;
                let code = stored.content().and_then(|c| c.code_sha256());
                if code == Some(code_sha256.as_str()) {
                    ctx.logger().info(format!(
                        "this resource published this content before; reusing {arn}"
                    ));
                    return Ok((arn.to_owned(), found.version()));
                }
                ctx.logger().warn(format!(
                    "{arn} claims this content but stores other bytes; not reused"
                ));
            }
            next = page.next_marker().map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        let zipped = layer.zip.bytes.len() as u64;
        let staged = if zipped > self.direct_upload_limit {
            Some(self.stage(ctx, p, layer).await?)
        } else {
            None
        };
        let content = match &staged {
            Some((bucket, key)) => LayerVersionContentInput::builder()
                .s3_bucket(bucket)
                .s3_key(key)
                .build(),
            None => LayerVersionContentInput::builder()
                .zip_file(Blob::new(layer.zip.bytes.clone()))
                .build(),
        };
        let published = lambda
            .publish_layer_version()
            .layer_name(&p.layer_name)
            .description(wanted)
            .set_license_info(p.license_info.clone())
            .compatible_runtimes(runtime)
            .compatible_architectures(architecture)
            .content(content)
            .send()
            .await;
        if let Some((bucket, key)) = &staged {
            self.unstage(ctx, bucket, key).await;
        }
        let published = published.map_err(|e| HandlerError::aws("PublishLayerVersion", &e))?;
        let arn = published
            .layer_version_arn()
            .ok_or_else(|| HandlerError::new("PublishLayerVersion returned no LayerVersionArn"))?;
        Ok((arn.to_owned(), published.version()))
    }
}

impl PipLayer {
    async fn build_and_publish(
        &self,
        p: &PipLayerProperties,
        ctx: &Context,
    ) -> Result<(BuiltLayer, String, i64), HandlerError> {
        check_layer_name(&p.layer_name)?;
        let layer = self
            .build_layer(p)
            .await
            .map_err(|e| HandlerError::new(e.to_string()))?;
        ctx.logger().info(format!(
            "built layer {}: {} packages, {} bytes zipped, sha256 {}, {} bytes of unzipped headroom",
            p.layer_name,
            layer.packages.len(),
            layer.zip.bytes.len(),
            layer.zip.sha256,
            layer.headroom_bytes()
        ));
        for warning in &layer.warnings {
            ctx.logger().warn(warning.clone());
        }
        let (arn, version) = self.publish(ctx, p, &layer).await?;
        Ok((layer, arn, version))
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
        let lambda = aws_sdk_lambda::Client::new(ctx.aws()?);
        let result = lambda
            .delete_layer_version()
            .layer_name(&layer_name)
            .version_number(version)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Deleted),
            // Already gone: what Delete wants.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(Deleted)
            }
            Err(e) => Err(HandlerError::aws("DeleteLayerVersion", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYER: &str = "arn:aws:lambda:eu-west-1:123456789012:layer:deps";

    #[test]
    fn a_layer_version_arn_of_this_account_and_region_names_the_layer_by_itself() {
        let stack = cfn_warden::protocol::StackArn::parse(
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/app/6b2bd1a0-8f1c-11ef-9c3d-0a1b2c3d4e5f",
        )
        .unwrap();
        assert_eq!(
            layer_in(&stack, &format!("{LAYER}:7")),
            Some(("deps".to_owned(), 7))
        );
        for other in [
            "arn:aws:lambda:eu-west-1:999999999999:layer:deps:7",
            "arn:aws:lambda:us-east-1:123456789012:layer:deps:7",
            "arn:aws:lambda:eu-west-1:123456789012:layer:deps:0",
            "arn:aws:lambda:eu-west-1:123456789012:layer:deps",
            "arn:aws:lambda:eu-west-1:123456789012:layer:de/ps:7",
            "cfn-warden-failed-abc",
        ] {
            assert_eq!(layer_in(&stack, other), None, "{other}");
        }
    }

    use serde_json::Value;

    #[test]
    fn each_request_declares_exactly_its_layer_actions() {
        let create: Value = serde_json::from_str(
            policy(RequestType::Create, LAYER, None, None)
                .unwrap()
                .to_json(),
        )
        .unwrap();
        assert_eq!(
            create["Statement"],
            serde_json::json!([{
                "Effect": "Allow",
                "Action": ["lambda:PublishLayerVersion", "lambda:ListLayerVersions"],
                "Resource": [LAYER],
            }, {
                "Effect": "Allow",
                "Action": ["lambda:GetLayerVersion"],
                "Resource": [format!("{LAYER}:*")],
            }])
        );
        let delete: Value = serde_json::from_str(
            policy(RequestType::Delete, LAYER, Some(7), None)
                .unwrap()
                .to_json(),
        )
        .unwrap();
        assert_eq!(
            delete["Statement"][0]["Action"],
            serde_json::json!(["lambda:DeleteLayerVersion"])
        );
        assert_eq!(
            delete["Statement"][0]["Resource"],
            serde_json::json!([format!("{LAYER}:7")])
        );
        assert!(policy(RequestType::Delete, LAYER, None, None)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_staging_bucket_adds_exactly_the_resources_objects() {
        let objects = "arn:aws:s3:::staging/cfn-warden/layers/deps/0123456789abcdef/*";
        let create: Value = serde_json::from_str(
            policy(RequestType::Update, LAYER, None, Some(objects))
                .unwrap()
                .to_json(),
        )
        .unwrap();
        assert_eq!(
            create["Statement"][2],
            serde_json::json!({
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                "Resource": [objects],
            })
        );
    }

    #[test]
    fn provider_settings_are_checked_at_start() {
        let env = |pairs: &[(&str, &str)]| -> std::collections::HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let ok = PipLayer::from_env(&env(&[
            (
                "WARDEN_PIP_INDEX_ALLOW",
                "https://a.invalid/simple/, http://127.0.0.1:1/",
            ),
            ("WARDEN_PIP_INDEX_URL", "https://b.invalid/simple/"),
            ("WARDEN_LAYER_BUCKET", "my-staging.bucket"),
            ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "1000"),
        ]))
        .unwrap();
        assert_eq!(ok.index.allowed().len(), 3);
        assert_eq!(ok.staging_bucket.as_deref(), Some("my-staging.bucket"));
        assert_eq!(ok.direct_upload_limit, 1000);
        assert_eq!(
            PipLayer::from_env(&env(&[])).unwrap().direct_upload_limit,
            MAX_DIRECT_UPLOAD_BYTES
        );
        for (key, value) in [
            ("WARDEN_LAYER_BUCKET", "Not_A_Bucket"),
            ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "0"),
            ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "52428801"),
            ("WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES", "lots"),
        ] {
            let err = PipLayer::from_env(&env(&[(key, value)])).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!("invalid {key}")),
                "{err}"
            );
        }
    }

    #[test]
    fn descriptions_keep_the_hash_and_owner_within_lambdas_limit() {
        let sha = "a".repeat(64);
        assert_eq!(
            description(None, &sha, "0123456789abcdef"),
            format!("[cfn-warden sha256:{sha} owner:0123456789abcdef]")
        );
        let long = "x".repeat(400);
        let d = description(Some(&long), &sha, "0123456789abcdef");
        assert_eq!(d.chars().count(), MAX_DESCRIPTION_CHARS);
        assert!(d.ends_with(&marker(&sha, "0123456789abcdef")));
    }

    #[test]
    fn properties_accept_cloudformations_strings_and_refuse_typos() {
        let p: PipLayerProperties = serde_json::from_value(serde_json::json!({
            "LayerName": "deps", "Requirements": "requests\n", "Runtime": "python3.12",
            "RequireHashes": "TRUE", "AllowSdist": false,
        }))
        .unwrap();
        assert!(p.require_hashes && !p.allow_sdist);
        assert_eq!(p.architecture, "x86_64");
        assert_eq!(p.reserve_unzipped_bytes, 0);
        let p: PipLayerProperties = serde_json::from_value(serde_json::json!({
            "LayerName": "deps", "Requirements": "requests\n", "Runtime": "python3.9",
            "PythonVersion": "3.9.1", "Exclude": ["boto3", "botocore"],
            "ReserveUnzippedBytes": "1048576",
        }))
        .unwrap();
        assert_eq!(p.reserve_unzipped_bytes, 1_048_576);
        assert_eq!(python_version(&p), "3.9.1");
        assert_eq!(
            p.exclude,
            Some(Requirements::List(vec!["boto3".into(), "botocore".into()]))
        );
        assert!(
            serde_json::from_value::<PipLayerProperties>(serde_json::json!({
                "LayerName": "d", "Requirements": [], "Runtime": "python3.12",
                "ReserveUnzippedBytes": "lots",
            }))
            .is_err()
        );
        assert_eq!(p.requirements, Requirements::Text("requests\n".into()));
        for bad in [
            serde_json::json!({"LayerName": "d", "Requirements": [], "Runtime": "python3.12", "RequireHashes": "yes"}),
            serde_json::json!({"LayerName": "d", "Requirements": [], "Runtime": "python3.12", "Extra": 1}),
            serde_json::json!({"LayerName": "d", "Requirements": 3, "Runtime": "python3.12"}),
        ] {
            assert!(
                serde_json::from_value::<PipLayerProperties>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        assert!(check_layer_name("ok_name-1").is_ok());
        for bad in ["", "has space", "arn:aws:lambda:x", &"n".repeat(141)] {
            assert!(check_layer_name(bad).is_err(), "{bad}");
        }
    }
}
