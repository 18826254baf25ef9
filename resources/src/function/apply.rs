//! Applying `Custom::MultiFileFunction` to Lambda: the code zip, create or update in place
//! (only what changed), owner tags, publishing, the read-back of an unchanged Update, and
//! Delete; conflicts retried within the deadline.

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    time::Duration,
};

use aws_sdk_lambda::{
    error::{ProvideErrorMetadata, SdkError},
    primitives::Blob,
    types::{Architecture, Environment as LambdaEnvironment, FunctionCode, Runtime, State},
    Client,
};
use base64::Engine as _;
use cfn_warden::{Context, Deleted, HandlerError, PhysicalId, Updated};

use warden_pip::{
    cut,
    layer_zip::{self, LayerZip},
    target::Target,
    wheel::LayerFile,
};

use super::{
    policy::function_arn,
    properties::{check_name, refuse, Checked, FunctionProperties, OWNER_TAG},
    MultiFileFunction,
};
use crate::pip_layer::requirements;

impl MultiFileFunction {
    /// The code zip: the inline files and, with `Requirements`, the packages, at the root.
    async fn build_code(
        &self,
        p: &FunctionProperties,
        files: Vec<LayerFile>,
    ) -> Result<LayerZip, HandlerError> {
        let fail = |e: warden_pip::Error| HandlerError::new(e.to_string());
        let lines = match &p.requirements {
            Some(given) => requirements(given).map_err(fail)?,
            None => Vec::new(),
        };
        if lines.is_empty() {
            return layer_zip::build("", &files, &[]).map_err(fail);
        }
        let target = Target::new(&p.runtime, &p.architecture).map_err(fail)?;
        let builder = self
            .index
            .layer_build(p.index_url.as_deref())
            .map_err(fail)?
            .root("")
            .inline_files(files)
            .requirements(lines)
            .target(target)
            .require_hashes(p.require_hashes);
        let built = builder.build().map_err(fail)?.run().await.map_err(fail)?;
        Ok(built.zip)
    }
}

/// Lambda's CodeSha256: the base64 SHA-256 of the zip.
fn code_sha256(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(ring::digest::digest(&ring::digest::SHA256, zip))
}

/// Retries `call` while Lambda answers ResourceConflictException (an update in progress),
/// with doubling backoff from 500 ms, while the deadline allows.
async fn retry_conflicts<T, E, F, Fut>(
    ctx: &Context,
    what: &str,
    mut call: F,
) -> Result<T, HandlerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    let mut wait = Duration::from_millis(500);
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(e)
                if e.code() == Some("ResourceConflictException") && ctx.remaining() > wait * 2 =>
            {
                ctx.logger().info(format!(
                    "{what}: update in progress; retrying in {} ms",
                    wait.as_millis()
                ));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(8));
            }
            Err(e) => return Err(HandlerError::aws(what, &e)),
        }
    }
}

/// Waits until the function is Active and its last update Successful (bounded by the deadline).
async fn wait_ready(ctx: &Context, lambda: &Client, name: &str) -> Result<(), HandlerError> {
    let mut wait = Duration::from_millis(250);
    loop {
        let config = lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .map_err(|e| HandlerError::aws("GetFunctionConfiguration", &e))?;
        let state = config.state().cloned();
        let update = config.last_update_status().map(|s| s.as_str().to_owned());
        if matches!(state, Some(State::Failed)) || update.as_deref() == Some("Failed") {
            let reason = config
                .state_reason()
                .or(config.last_update_status_reason())
                .unwrap_or("no reason given");
            return Err(refuse(format!(
                "function {name} failed to become ready: {}",
                cut(reason)
            )));
        }
        // Inactive (idle for a long time) is ready too once the update succeeded.
        let active = state.is_none() || matches!(state, Some(State::Active | State::Inactive));
        let updated = update.is_none() || update.as_deref() == Some("Successful");
        if active && updated {
            return Ok(());
        }
        if ctx.remaining() <= wait * 2 {
            return Err(refuse(format!(
                "function {name} was not ready before the deadline"
            )));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Lambda's limit for a zip uploaded directly with CreateFunction/UpdateFunctionCode.
pub const MAX_DIRECT_CODE_BYTES: usize = 50 * 1024 * 1024;

/// Whether the function `name` exists, and if so whether this resource owns it.
enum Existing {
    Absent,
    Owned,
    Foreign,
}

async fn existing(ctx: &Context, lambda: &Client, name: &str) -> Result<Existing, HandlerError> {
    let tags = lambda
        .list_tags()
        .resource(function_arn(ctx, name))
        .send()
        .await;
    match tags {
        Ok(found) => {
            let mine = found
                .tags()
                .and_then(|t| t.get(OWNER_TAG))
                .is_some_and(|v| *v == ctx.owner_digest());
            Ok(if mine {
                Existing::Owned
            } else {
                Existing::Foreign
            })
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(Existing::Absent)
        }
        Err(e) => Err(HandlerError::aws("ListTags", &e)),
    }
}

fn foreign(name: &str) -> HandlerError {
    refuse(format!(
        "function {name} exists but was not created by this resource (its {OWNER_TAG} tag \
         differs); choose another FunctionName"
    ))
}

/// A read-back that failed: logged, and the Update runs in full instead.
fn read_back_failed(ctx: &Context, error: &HandlerError) -> Option<Updated> {
    ctx.logger().warn(format!(
        "reading the function back failed ({error}); running the full update"
    ));
    None
}

/// What the request produced: (name, Data).
type Outcome = (String, Vec<(&'static str, String)>);

impl MultiFileFunction {
    async fn publish(
        &self,
        ctx: &Context,
        lambda: &Client,
        name: &str,
        sha: &str,
        publish: bool,
    ) -> Result<String, HandlerError> {
        if !publish {
            return Ok("$LATEST".to_owned());
        }
        let published = retry_conflicts(ctx, "PublishVersion", || {
            lambda
                .publish_version()
                .function_name(name)
                .code_sha256(sha)
                .send()
        })
        .await?;
        Ok(published.version().unwrap_or("$LATEST").to_owned())
    }

    /// Makes the function `checked.name` match the properties: created when absent, updated
    /// in place when this resource owns it, refused when another does.
    pub(super) async fn converge(
        &self,
        ctx: &Context,
        p: &FunctionProperties,
        checked: &Checked,
    ) -> Result<Outcome, HandlerError> {
        let code = self.build_code(p, checked.files.clone()).await?;
        if code.bytes.len() > MAX_DIRECT_CODE_BYTES {
            return Err(refuse(format!(
                "the function's code is {} bytes zipped, over Lambda's {MAX_DIRECT_CODE_BYTES}-byte \
                 limit for a direct upload; move packages into a Custom::PipLayer",
                code.bytes.len()
            )));
        }
        let sha = code_sha256(&code.bytes);
        let lambda = Client::new(ctx.aws()?);
        let name = checked.name.as_str();
        let arn = match existing(ctx, &lambda, name).await? {
            Existing::Foreign => return Err(foreign(name)),
            Existing::Absent => {
                let mut tags: BTreeMap<String, String> = p.tags.clone();
                tags.insert(OWNER_TAG.to_owned(), ctx.owner_digest());
                // No conflict retries: a conflict here means the name was taken meanwhile.
                let created = lambda
                    .create_function()
                    .function_name(name)
                    .runtime(Runtime::from(p.runtime.as_str()))
                    .role(&p.role)
                    .handler(&p.handler)
                    .code(
                        FunctionCode::builder()
                            .zip_file(Blob::new(code.bytes.clone()))
                            .build(),
                    )
                    .architectures(Architecture::from(p.architecture.as_str()))
                    .set_memory_size(p.memory_size.map(|m| m.0))
                    .set_timeout(p.timeout.map(|t| t.0))
                    .environment(
                        LambdaEnvironment::builder()
                            .set_variables(Some(checked.environment.clone().into_iter().collect()))
                            .build(),
                    )
                    .set_layers(Some(p.layers.clone()))
                    .set_description(p.description.clone())
                    .set_tags(Some(tags.into_iter().collect()))
                    .publish(false)
                    .send()
                    .await;
                match created {
                    Ok(created) => {
                        ctx.record_physical_id(
                            PhysicalId::new(name).map_err(|e| HandlerError::new(e.to_string()))?,
                        );
                        wait_ready(ctx, &lambda, name).await?;
                        created
                            .function_arn()
                            .map(str::to_owned)
                            .unwrap_or_else(|| function_arn(ctx, name))
                    }
                    // Taken since we looked: a duplicate delivery of this Create (in another
                    // environment) made it. Adopted when it carries this resource's owner tag,
                    // never otherwise.
                    Err(e) if e.code() == Some("ResourceConflictException") => {
                        match existing(ctx, &lambda, name).await? {
                            Existing::Owned => {
                                self.update_in_place(ctx, &lambda, p, checked, &code.bytes, &sha)
                                    .await?
                            }
                            _ => return Err(foreign(name)),
                        }
                    }
                    Err(e) => return Err(HandlerError::aws("CreateFunction", &e)),
                }
            }
            Existing::Owned => {
                self.update_in_place(ctx, &lambda, p, checked, &code.bytes, &sha)
                    .await?
            }
        };
        let version = self.publish(ctx, &lambda, name, &sha, p.publish).await?;
        Ok((
            name.to_owned(),
            vec![("Arn", arn), ("Version", version), ("CodeSha256", sha)],
        ))
    }

    /// Code when it differs, configuration fields that differ, tags; each step waited for.
    async fn update_in_place(
        &self,
        ctx: &Context,
        lambda: &Client,
        p: &FunctionProperties,
        checked: &Checked,
        zip: &[u8],
        sha: &str,
    ) -> Result<String, HandlerError> {
        let name = checked.name.as_str();
        let existing = lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .map_err(|e| HandlerError::aws("GetFunctionConfiguration", &e))?;
        let architecture = Architecture::from(p.architecture.as_str());
        let same_arch = existing.architectures().is_empty() && architecture == Architecture::X8664
            || existing.architectures() == [architecture.clone()];
        if existing.code_sha256() != Some(sha) || !same_arch {
            retry_conflicts(ctx, "UpdateFunctionCode", || {
                lambda
                    .update_function_code()
                    .function_name(name)
                    .zip_file(Blob::new(zip.to_vec()))
                    .architectures(architecture.clone())
                    .send()
            })
            .await?;
            ctx.logger().info(format!("code of {name} updated"));
            wait_ready(ctx, lambda, name).await?;
        }
        // Configuration: only what changed (absent MemorySize/Timeout mean Lambda's defaults).
        let mut request = lambda.update_function_configuration().function_name(name);
        let mut changed = Vec::new();
        if existing.runtime().map(|r| r.as_str()) != Some(p.runtime.as_str()) {
            request = request.runtime(Runtime::from(p.runtime.as_str()));
            changed.push("Runtime");
        }
        if existing.role() != Some(p.role.as_str()) {
            request = request.role(&p.role);
            changed.push("Role");
        }
        if existing.handler() != Some(p.handler.as_str()) {
            request = request.handler(&p.handler);
            changed.push("Handler");
        }
        let memory = p.memory_size.map_or(DEFAULT_MEMORY_MB, |m| m.0);
        if existing.memory_size() != Some(memory) {
            request = request.memory_size(memory);
            changed.push("MemorySize");
        }
        let timeout = p.timeout.map_or(DEFAULT_TIMEOUT_SECONDS, |t| t.0);
        if existing.timeout() != Some(timeout) {
            request = request.timeout(timeout);
            changed.push("Timeout");
        }
        let current_env: BTreeMap<String, String> = existing
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        if current_env != checked.environment {
            request = request.environment(
                LambdaEnvironment::builder()
                    .set_variables(Some(checked.environment.clone().into_iter().collect()))
                    .build(),
            );
            changed.push("Environment");
        }
        let current_layers: Vec<String> = existing
            .layers()
            .iter()
            .filter_map(|l| l.arn().map(str::to_owned))
            .collect();
        if current_layers != p.layers {
            request = request.set_layers(Some(p.layers.clone()));
            changed.push("Layers");
        }
        if existing.description().unwrap_or_default()
            != p.description.as_deref().unwrap_or_default()
        {
            request = request.description(p.description.clone().unwrap_or_default());
            changed.push("Description");
        }
        if !changed.is_empty() {
            let request = &request;
            retry_conflicts(ctx, "UpdateFunctionConfiguration", || {
                request.clone().send()
            })
            .await?;
            ctx.logger().info(format!(
                "configuration of {name} updated: {}",
                changed.join(", ")
            ));
            wait_ready(ctx, lambda, name).await?;
        }
        self.sync_tags(ctx, lambda, &function_arn(ctx, name), &p.tags)
            .await?;
        Ok(existing
            .function_arn()
            .map(str::to_owned)
            .unwrap_or_else(|| function_arn(ctx, name)))
    }

    async fn sync_tags(
        &self,
        ctx: &Context,
        lambda: &Client,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), HandlerError> {
        let mut wanted = tags.clone();
        wanted.insert(OWNER_TAG.to_owned(), ctx.owner_digest());
        let current: BTreeMap<String, String> = lambda
            .list_tags()
            .resource(arn)
            .send()
            .await
            .map_err(|e| HandlerError::aws("ListTags", &e))?
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let stale: BTreeSet<&String> = current
            .keys()
            .filter(|k| !wanted.contains_key(*k) && !k.starts_with("aws:"))
            .collect();
        if !stale.is_empty() {
            lambda
                .untag_resource()
                .resource(arn)
                .set_tag_keys(Some(stale.into_iter().cloned().collect()))
                .send()
                .await
                .map_err(|e| HandlerError::aws("UntagResource", &e))?;
        }
        let missing: BTreeMap<&String, &String> = wanted
            .iter()
            .filter(|(k, v)| current.get(*k) != Some(*v))
            .collect();
        if !missing.is_empty() {
            lambda
                .tag_resource()
                .resource(arn)
                .set_tags(Some(
                    missing
                        .into_iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ))
                .send()
                .await
                .map_err(|e| HandlerError::aws("TagResource", &e))?;
            ctx.logger().info("tags updated");
        }
        Ok(())
    }

    /// Answers a ticket- or signature-only Update with the Data read back from the function
    /// (no build, no change): `Arn` and `CodeSha256` of the function this resource owns, and
    /// `Version`, the newest published version when it holds that code (`$LATEST` unpublished).
    /// `None` (the Update then runs in full, which is always correct) when the function is
    /// gone, not this resource's, its newest version holds other code, or a read fails.
    pub async fn unchanged_function(
        &self,
        p: &FunctionProperties,
        ctx: &Context,
    ) -> Result<Option<Updated>, HandlerError> {
        let Some(name) = ctx
            .request()
            .physical_resource_id()
            .map(|id| id.as_str().to_owned())
            .filter(|id| check_name(id).is_ok())
        else {
            return Ok(None);
        };
        let lambda = Client::new(ctx.aws()?);
        match existing(ctx, &lambda, &name).await {
            Ok(Existing::Owned) => {}
            Ok(_) => return Ok(None),
            Err(e) => return Ok(read_back_failed(ctx, &e)),
        }
        let configuration = match lambda
            .get_function_configuration()
            .function_name(&name)
            .send()
            .await
        {
            Ok(c) => c,
            Err(e) => {
                return Ok(read_back_failed(
                    ctx,
                    &HandlerError::aws("GetFunctionConfiguration", &e),
                ))
            }
        };
        let Some(sha) = configuration.code_sha256().map(str::to_owned) else {
            return Ok(None);
        };
        let arn = configuration
            .function_arn()
            .map(str::to_owned)
            .unwrap_or_else(|| function_arn(ctx, &name));
        let version = if p.publish {
            let mut newest: Option<(u64, bool)> = None;
            let mut pages = lambda
                .list_versions_by_function()
                .function_name(&name)
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                let item = match item {
                    Ok(item) => item,
                    Err(e) => {
                        return Ok(read_back_failed(
                            ctx,
                            &HandlerError::aws("ListVersionsByFunction", &e),
                        ))
                    }
                };
                let Some(number) = item.version().and_then(|v| v.parse::<u64>().ok()) else {
                    continue;
                };
                if newest.is_none_or(|(n, _)| number > n) {
                    newest = Some((number, item.code_sha256() == Some(sha.as_str())));
                }
            }
            match newest {
                Some((number, true)) => number.to_string(),
                _ => return Ok(None),
            }
        } else {
            "$LATEST".to_owned()
        };
        Ok(Some(
            Updated::keep()
                .data("Arn", arn)
                .data("Version", version)
                .data("CodeSha256", sha),
        ))
    }

    /// Deletes the function in the physical id, if this resource owns it; gone is success.
    /// Uses no properties, so a Delete never fails on properties an older provider wrote.
    pub async fn delete_function(&self, ctx: &Context) -> Result<Deleted, HandlerError> {
        let Some(id) = ctx.request().physical_resource_id() else {
            return Ok(Deleted);
        };
        let name = id.as_str();
        if check_name(name).is_err() {
            ctx.logger().warn(format!(
                "physical id {} is not a function name; nothing to delete",
                cut(name)
            ));
            return Ok(Deleted);
        }
        let lambda = Client::new(ctx.aws()?);
        match existing(ctx, &lambda, name).await? {
            Existing::Absent => {
                ctx.logger()
                    .info(format!("function {name} was already gone"));
                return Ok(Deleted);
            }
            Existing::Foreign => return Err(foreign(name)),
            Existing::Owned => {}
        }
        retry_conflicts(ctx, "DeleteFunction", || async {
            match lambda.delete_function().function_name(name).send().await {
                Ok(_) => Ok(()),
                // Gone in the meantime: what Delete wants.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    Ok(())
                }
                Err(e) => Err(e),
            }
        })
        .await?;
        Ok(Deleted)
    }
}

/// Lambda's defaults, restored when a property is removed.
const DEFAULT_MEMORY_MB: i32 = 128;
const DEFAULT_TIMEOUT_SECONDS: i32 = 3;
