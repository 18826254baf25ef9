//! Applying `Custom::PipLayer`: the build through `warden-pip`, the description marker by
//! which a version this resource published is recognised, staging through S3, publishing (or
//! reusing) a version, and Delete. Imports its siblings `properties` and `policy`.

use aws_sdk_lambda::{
    primitives::Blob,
    types::{Architecture, LayerVersionContentInput, Runtime},
};
use base64::Engine as _;
use cfn_warden::{Context, Deleted, HandlerError};
use warden_pip::{build::BuiltLayer, exclude::parse_exclude, target::Target};

use super::{
    policy::{check_layer_name, staging_prefix},
    requirements, PipLayer, PipLayerProperties, Requirements,
};
use crate::Error;

/// Lambda's limit on a layer description.
pub(super) const MAX_DESCRIPTION_CHARS: usize = 256;

impl PipLayer {
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

/// The marker put in the description, by which an identical layer is recognised.
/// The owner is this resource (`StackId|LogicalResourceId`, hashed): only a version published
/// for this same resource is ever reused, so one resource's Delete never removes a version
/// another resource answered with.
pub(super) fn marker(sha256: &str, owner: &str) -> String {
    format!("[cfn-warden sha256:{sha256} owner:{owner}]")
}

pub(super) fn description(user: Option<&str>, sha256: &str, owner: &str) -> String {
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
    pub(super) async fn build_and_publish(
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

impl PipLayer {
    /// Deletes `version` of `layer_name`; already gone is success.
    pub(super) async fn delete_version(
        &self,
        ctx: &Context,
        layer_name: &str,
        version: i64,
    ) -> Result<Deleted, HandlerError> {
        let lambda = aws_sdk_lambda::Client::new(ctx.aws()?);
        let result = lambda
            .delete_layer_version()
            .layer_name(layer_name)
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
