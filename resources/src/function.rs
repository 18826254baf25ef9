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
use cfn_warden::{
    credentials::SessionPolicy, protocol::RequestType, Context, Created, CustomResource, Deleted,
    HandlerError, PhysicalId, Secret, Updated,
};
use serde::Deserialize;

use warden_pip::{
    cut,
    layer_zip::{self, LayerZip},
    target::Target,
    wheel::LayerFile,
    IndexSettings,
};

use crate::{
    owner::owner_digest,
    pip_layer::{failed, flag, requirements, Requirements},
};

/// The resource type served.
pub const RESOURCE_TYPE: &str = "Custom::MultiFileFunction";

/// At most this many inline files.
pub const MAX_FILES: usize = 1000;
/// An inline file's largest size (bytes). Inline code travels in the event, which is itself
/// capped (1 MiB by default, `WARDEN_MAX_EVENT_BYTES`); bigger code belongs in a package.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// All inline files together (bytes).
pub const MAX_TOTAL_FILE_BYTES: usize = 768 * 1024;
/// Lambda's limit on a function name.
const MAX_NAME_CHARS: usize = 64;

/// The properties of `Custom::MultiFileFunction`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FunctionProperties {
    /// The function's name (default: derived from the stack and logical id).
    #[serde(default)]
    pub function_name: Option<String>,
    /// `python3.9` … `python3.14`, or a `nodejs` runtime (without `Requirements`).
    pub runtime: String,
    /// `module.function` (Python: `module.py` must be in `Files`).
    pub handler: String,
    /// The execution role's ARN, in the stack's account.
    pub role: String,
    /// Path → content; relative, no `..`.
    pub files: BTreeMap<String, String>,
    /// pip requirements installed at the zip's root (Python runtimes).
    #[serde(default)]
    pub requirements: Option<Requirements>,
    /// The index for `Requirements` (on the provider's allow-list).
    #[serde(default)]
    pub index_url: Option<String>,
    /// Every requirement pinned with `==` and `--hash`.
    #[serde(default, deserialize_with = "flag")]
    pub require_hashes: bool,
    /// `x86_64` (default) or `arm64`.
    #[serde(default = "default_architecture")]
    pub architecture: String,
    /// MB, 128–10240.
    #[serde(default)]
    pub memory_size: Option<NumberText>,
    /// Seconds, 1–900.
    #[serde(default)]
    pub timeout: Option<NumberText>,
    /// Environment variables (logged by name only, like every property).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Environment variables whose values are secrets: never in logs, Reason or Data.
    #[serde(default)]
    pub secret_environment: BTreeMap<String, Secret<String>>,
    /// Layer version ARNs.
    #[serde(default)]
    pub layers: Vec<String>,
    /// The function's description.
    #[serde(default)]
    pub description: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Publish a version after each change.
    #[serde(default, deserialize_with = "flag")]
    pub publish: bool,
}

fn default_architecture() -> String {
    "x86_64".to_owned()
}

/// A number CloudFormation may pass as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberText(pub i32);

impl<'de> Deserialize<'de> for NumberText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(i32),
            Text(String),
        }
        match Either::deserialize(d)? {
            Either::Number(n) => Ok(Self(n)),
            Either::Text(t) => t
                .trim()
                .parse()
                .map(Self)
                .map_err(|_| serde::de::Error::custom("expected a whole number")),
        }
    }
}

/// The function a request is about: its name and checked inputs.
/// Not `Debug`: the environment holds secret values in the clear.
struct Checked {
    name: String,
    files: Vec<LayerFile>,
    environment: BTreeMap<String, String>,
}

fn refuse(message: impl Into<String>) -> HandlerError {
    HandlerError::new(message)
}

/// A relative path inside the zip: `/`-separated, no empty, `.` or `..` parts.
fn check_path(path: &str) -> Result<(), HandlerError> {
    let bad = |why: &str| refuse(format!("Files: `{}` {why}", cut(path)));
    if path.is_empty() || path.len() > 256 {
        return Err(bad("must be 1-256 characters"));
    }
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        return Err(bad("must be a relative path with `/` separators"));
    }
    if path.chars().any(char::is_control) {
        return Err(bad("contains a control character"));
    }
    if path
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return Err(bad("must not contain empty, `.` or `..` parts"));
    }
    Ok(())
}

/// The default name: `<stack>-<logical id>-<12 hex>`, cut to fit 64 characters.
fn derived_name(ctx: &Context) -> String {
    let request = ctx.request();
    let digest = owner_digest(ctx);
    let stem: String = format!(
        "{}-{}",
        request.stack().name(),
        request.logical_resource_id()
    )
    .chars()
    .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
    .take(MAX_NAME_CHARS - 13)
    .collect();
    format!("{stem}-{}", &digest[..12])
}

fn check_name(name: &str) -> Result<(), HandlerError> {
    let ok = (1..=MAX_NAME_CHARS).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(refuse(format!(
            "FunctionName `{}` must be 1-64 letters, digits, '-' or '_'",
            cut(name)
        )))
    }
}

/// `arn:<partition>:iam::<account>:role/<path/>name`, in the stack's account.
fn check_role(ctx: &Context, role: &str) -> Result<(), HandlerError> {
    let stack = ctx.request().stack();
    let parts: Vec<&str> = role.splitn(6, ':').collect();
    let malformed = || {
        refuse(format!(
            "Role `{}` is not an IAM role ARN (arn:{}:iam::<account>:role/<name>)",
            cut(role),
            stack.partition()
        ))
    };
    let [arn, partition, iam, region, account, resource] = parts.as_slice() else {
        return Err(malformed());
    };
    let name_ok = resource.strip_prefix("role/").is_some_and(|name| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
    });
    if *arn != "arn" || *iam != "iam" || !region.is_empty() || !name_ok {
        return Err(malformed());
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(malformed());
    }
    if *partition != stack.partition() || *account != stack.account() {
        return Err(refuse(format!(
            "Role `{}` is not in this stack's account and partition",
            cut(role)
        )));
    }
    Ok(())
}

/// The file the handler names must be among the inline files.
fn check_handler(
    runtime: &str,
    handler: &str,
    files: &BTreeMap<String, String>,
) -> Result<(), HandlerError> {
    let Some((module, function)) = handler.rsplit_once('.') else {
        return Err(refuse(format!(
            "Handler `{}` must be `<module>.<function>`",
            cut(handler)
        )));
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '/' || c == '-')
    };
    if !valid(module) || !valid(function) {
        return Err(refuse(format!("Handler `{}` is not valid", cut(handler))));
    }
    let candidates: Vec<String> = if runtime.starts_with("python3.") {
        vec![format!("{}.py", module.replace('.', "/"))]
    } else if runtime.starts_with("nodejs") {
        ["js", "mjs", "cjs"]
            .iter()
            .map(|ext| format!("{module}.{ext}"))
            .collect()
    } else {
        return Err(refuse(format!(
            "Runtime `{}` is not supported: use python3.9 to python3.14 or a nodejs runtime",
            cut(runtime)
        )));
    };
    if candidates.iter().any(|c| files.contains_key(c)) {
        Ok(())
    } else {
        Err(refuse(format!(
            "Handler `{}` needs {} in Files for Runtime {}",
            cut(handler),
            candidates.join(" or "),
            cut(runtime)
        )))
    }
}

/// Validates the properties and copies the inline files for the zip.
fn check(p: &FunctionProperties, ctx: &Context) -> Result<Checked, HandlerError> {
    let (name, environment) = validate(p, ctx)?;
    let files = p
        .files
        .iter()
        .map(|(path, content)| LayerFile {
            path: path.clone(),
            contents: content.clone().into_bytes(),
            executable: false,
        })
        .collect();
    Ok(Checked {
        name,
        files,
        environment,
    })
}

/// Every rule on the properties, without copying the inline files (the declared permissions
/// need only the function's name): the name and the merged environment.
fn validate(
    p: &FunctionProperties,
    ctx: &Context,
) -> Result<(String, BTreeMap<String, String>), HandlerError> {
    let name = match &p.function_name {
        Some(name) => name.clone(),
        None => derived_name(ctx),
    };
    check_name(&name)?;
    check_role(ctx, &p.role)?;
    if p.files.is_empty() {
        return Err(refuse("Files is empty: give at least the handler's file"));
    }
    if p.files.len() > MAX_FILES {
        return Err(refuse(format!(
            "Files has {} entries, over the limit of {MAX_FILES}",
            p.files.len()
        )));
    }
    let mut total = 0;
    for (path, content) in &p.files {
        check_path(path)?;
        // A file may not also be a directory (`lib` and `lib/x.py`).
        let nested = format!("{path}/");
        if p.files.keys().any(|other| other.starts_with(&nested)) {
            return Err(refuse(format!(
                "Files: `{}` is both a file and a directory",
                cut(path)
            )));
        }
        if content.len() > MAX_FILE_BYTES {
            return Err(refuse(format!(
                "Files: `{}` is {} bytes, over the limit of {MAX_FILE_BYTES}",
                cut(path),
                content.len()
            )));
        }
        total += content.len();
    }
    if total > MAX_TOTAL_FILE_BYTES {
        return Err(refuse(format!(
            "Files total {total} bytes, over the limit of {MAX_TOTAL_FILE_BYTES}"
        )));
    }
    check_handler(&p.runtime, &p.handler, &p.files)?;
    if p.requirements.is_some() && !p.runtime.starts_with("python3.") {
        return Err(refuse(
            "Requirements are pip requirements: only for python runtimes",
        ));
    }
    if !matches!(p.architecture.as_str(), "x86_64" | "arm64") {
        return Err(refuse(format!(
            "Architecture `{}` must be x86_64 or arm64",
            cut(&p.architecture)
        )));
    }
    if let Some(NumberText(m)) = p.memory_size {
        if !(128..=10240).contains(&m) {
            return Err(refuse("MemorySize must be 128 to 10240 (MB)"));
        }
    }
    if let Some(NumberText(t)) = p.timeout {
        if !(1..=900).contains(&t) {
            return Err(refuse("Timeout must be 1 to 900 (seconds)"));
        }
    }
    let mut environment = p.environment.clone();
    for (key, value) in &p.secret_environment {
        if environment
            .insert(key.clone(), value.expose().clone())
            .is_some()
        {
            return Err(refuse(format!(
                "`{}` is in both Environment and SecretEnvironment",
                cut(key)
            )));
        }
    }
    let environment_bytes: usize = environment.iter().map(|(k, v)| k.len() + v.len()).sum();
    if environment_bytes > MAX_ENVIRONMENT_BYTES {
        return Err(refuse(format!(
            "the environment variables ({}) total {environment_bytes} bytes, over Lambda's limit \
             of {MAX_ENVIRONMENT_BYTES}",
            environment
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if p.tags.keys().any(|k| k == OWNER_TAG) {
        return Err(refuse(format!(
            "the tag {OWNER_TAG} is set by cfn-warden itself"
        )));
    }
    for key in environment.keys() {
        let ok = key.starts_with(|c: char| c.is_ascii_alphabetic())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(refuse(format!(
                "environment variable name `{}` is not valid",
                cut(key)
            )));
        }
    }
    for layer in &p.layers {
        let ok = layer.starts_with(&format!(
            "arn:{}:lambda:",
            ctx.request().stack().partition()
        )) && layer.contains(":layer:")
            && layer
                .rsplit(':')
                .next()
                .is_some_and(|v| v.parse::<u64>().is_ok());
        if !ok {
            return Err(refuse(format!(
                "Layers: `{}` is not a layer version ARN",
                cut(layer)
            )));
        }
    }
    Ok((name, environment))
}

/// The function's ARN.
fn function_arn(ctx: &Context, name: &str) -> String {
    let stack = ctx.request().stack();
    format!(
        "arn:{}:lambda:{}:{}:function:{name}",
        stack.partition(),
        stack.region(),
        stack.account()
    )
}

/// The session policy for a request on function `function` (its ARN).
fn policy(
    request: RequestType,
    function: &str,
    role: &str,
    layers: &[String],
) -> Result<SessionPolicy, cfn_warden::Error> {
    if request == RequestType::Delete {
        // ListTags: the owner tag is checked before anything is deleted.
        return SessionPolicy::builder()
            .allow(
                ["lambda:ListTags", "lambda:DeleteFunction"],
                [function.to_owned()],
            )
            .build();
    }
    let mut builder = SessionPolicy::builder()
        .allow(
            [
                "lambda:CreateFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PublishVersion",
                "lambda:ListTags",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
            [function.to_owned()],
        )
        .pass_role(role, "lambda.amazonaws.com");
    if !layers.is_empty() {
        builder = builder.allow(["lambda:GetLayerVersion"], layers.iter().cloned());
    }
    builder.build()
}

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
            Err(e) => return Err(failed(what, e)),
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
            .map_err(|e| failed("GetFunctionConfiguration", e))?;
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

/// The tag that records which resource (stack and logical id, hashed) a function belongs to.
/// Updates and Deletes act only on functions carrying this resource's value: a physical id in
/// an event is not proof of ownership.
pub const OWNER_TAG: &str = "cfn-warden:owner";

/// Lambda's limit for a zip uploaded directly with CreateFunction/UpdateFunctionCode.
pub const MAX_DIRECT_CODE_BYTES: usize = 50 * 1024 * 1024;

/// Lambda's limit on all environment variables together (keys and values, bytes).
const MAX_ENVIRONMENT_BYTES: usize = 4 * 1024;

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
                .is_some_and(|v| *v == owner_digest(ctx));
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
        Err(e) => Err(failed("ListTags", e)),
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
    async fn converge(
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
                tags.insert(OWNER_TAG.to_owned(), owner_digest(ctx));
                // No conflict retries: a conflict here means the name is taken.
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
                    .await
                    .map_err(|e| failed("CreateFunction", e))?;
                ctx.record_physical_id(
                    PhysicalId::new(name).map_err(|e| HandlerError::new(e.to_string()))?,
                );
                wait_ready(ctx, &lambda, name).await?;
                created
                    .function_arn()
                    .map(str::to_owned)
                    .unwrap_or_else(|| function_arn(ctx, name))
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
            .map_err(|e| failed("GetFunctionConfiguration", e))?;
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
        wanted.insert(OWNER_TAG.to_owned(), owner_digest(ctx));
        let current: BTreeMap<String, String> = lambda
            .list_tags()
            .resource(arn)
            .send()
            .await
            .map_err(|e| failed("ListTags", e))?
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
                .map_err(|e| failed("UntagResource", e))?;
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
                .map_err(|e| failed("TagResource", e))?;
            ctx.logger().info("tags updated");
        }
        Ok(())
    }

    /// The session policy for deleting the function in the physical id (none when the id is
    /// not a function name: nothing is deleted then).
    pub fn delete_permissions(&self, ctx: &Context) -> Result<SessionPolicy, cfn_warden::Error> {
        match ctx.request().physical_resource_id() {
            Some(id) if check_name(id.as_str()).is_ok() => policy(
                RequestType::Delete,
                &function_arn(ctx, id.as_str()),
                "",
                &[],
            ),
            _ => Ok(SessionPolicy::none()),
        }
    }

    /// For an Update that changes only a ticket or signature: reading the function back needs
    /// `lambda:ListTags` (the owner tag), `lambda:GetFunctionConfiguration` and, when
    /// published, `lambda:ListVersionsByFunction`, on exactly the function in the physical id.
    pub fn read_back_permissions(
        &self,
        p: &FunctionProperties,
        ctx: &Context,
    ) -> Result<SessionPolicy, cfn_warden::Error> {
        match ctx.request().physical_resource_id() {
            Some(id) if check_name(id.as_str()).is_ok() => {
                let mut actions = vec!["lambda:ListTags", "lambda:GetFunctionConfiguration"];
                if p.publish {
                    actions.push("lambda:ListVersionsByFunction");
                }
                SessionPolicy::builder()
                    .allow(actions, [function_arn(ctx, id.as_str())])
                    .build()
            }
            _ => Ok(SessionPolicy::none()),
        }
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
                    &failed("GetFunctionConfiguration", e),
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
                        return Ok(read_back_failed(ctx, &failed("ListVersionsByFunction", e)))
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

/// Replaces every secret value in an error's reason (SDK errors may echo request fields, e.g.
/// the environment in a size error).
fn scrub(error: HandlerError, secrets: &[String]) -> HandlerError {
    let mut reason = error.reason().to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        reason = reason.replace(secret.as_str(), "[secret]");
    }
    HandlerError::new(reason)
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
    ) -> Result<SessionPolicy, cfn_warden::Error> {
        if ctx.request().request_type() == RequestType::Delete {
            return self.delete_permissions(ctx);
        }
        let Ok((name, _)) = validate(p, ctx) else {
            // Invalid input gets no credentials; create/update refuse it with a clear reason.
            return Ok(SessionPolicy::none());
        };
        policy(
            ctx.request().request_type(),
            &function_arn(ctx, &name),
            &p.role,
            &p.layers,
        )
    }

    fn unchanged_permissions(
        &self,
        p: &FunctionProperties,
        ctx: &Context,
    ) -> Result<SessionPolicy, cfn_warden::Error> {
        self.read_back_permissions(p, ctx)
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
        let (name, data) = result.map_err(|e| scrub(e, &secrets(&p)))?;
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
        let (name, data) = result.map_err(|e| scrub(e, &secrets(&p)))?;
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

    async fn delete(&self, _p: FunctionProperties, ctx: &Context) -> Result<Deleted, HandlerError> {
        self.delete_function(ctx).await
    }

    // A Delete needs only the physical id: stored properties that no longer parse (written by
    // an older provider) must not block it.
    fn unparsed_delete_permissions(
        &self,
        ctx: &Context,
    ) -> Option<Result<SessionPolicy, cfn_warden::Error>> {
        Some(self.delete_permissions(ctx))
    }

    async fn delete_unparsed(&self, ctx: &Context) -> Result<Deleted, HandlerError> {
        self.delete_function(ctx).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    const FUNCTION: &str = "arn:aws:lambda:eu-west-1:123456789012:function:app";
    const ROLE: &str = "arn:aws:iam::123456789012:role/app-exec";

    #[test]
    fn the_declared_policy_passes_exactly_the_one_role_to_lambda() {
        let layers = vec!["arn:aws:lambda:eu-west-1:123456789012:layer:deps:3".to_owned()];
        let document: Value = serde_json::from_str(
            policy(RequestType::Create, FUNCTION, ROLE, &layers)
                .unwrap()
                .to_json(),
        )
        .unwrap();
        let statements = document["Statement"].as_array().unwrap();
        assert_eq!(statements[0]["Resource"], json!([FUNCTION]));
        assert!(statements[0]["Action"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.as_str().unwrap().starts_with("lambda:")));
        let pass = statements
            .iter()
            .find(|s| s["Action"] == json!(["iam:PassRole"]))
            .unwrap();
        assert_eq!(pass["Resource"], json!([ROLE]));
        assert_eq!(
            pass["Condition"],
            json!({"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}})
        );
        assert!(statements
            .iter()
            .any(|s| s["Action"] == json!(["lambda:GetLayerVersion"])
                && s["Resource"] == json!(layers)));
        let delete: Value = serde_json::from_str(
            policy(RequestType::Delete, FUNCTION, ROLE, &[])
                .unwrap()
                .to_json(),
        )
        .unwrap();
        assert_eq!(
            delete["Statement"],
            json!([{"Effect": "Allow", "Action": ["lambda:ListTags", "lambda:DeleteFunction"], "Resource": [FUNCTION]}])
        );
    }

    #[test]
    fn paths_stay_inside_the_zip() {
        for ok in ["app.py", "pkg/mod.py", "a-b_c/d.e.txt"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/abs.py",
            "../up.py",
            "a/../b.py",
            "a/./b.py",
            "a//b.py",
            "a\\b.py",
            "C:x.py",
            "a\nb",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_handler_must_name_an_inline_file_of_the_runtimes_language() {
        let files: BTreeMap<String, String> =
            [("app.py", ""), ("pkg/mod.py", ""), ("index.mjs", "")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert!(check_handler("python3.12", "app.handler", &files).is_ok());
        assert!(check_handler("python3.12", "pkg.mod.run", &files).is_ok());
        assert!(check_handler("nodejs20.x", "index.handler", &files).is_ok());
        for (runtime, handler, needle) in [
            ("python3.12", "main.handler", "needs main.py"),
            (
                "nodejs20.x",
                "app.handler",
                "needs app.js or app.mjs or app.cjs",
            ),
            ("python3.12", "nodot", "must be `<module>.<function>`"),
            ("java21", "app.handler", "is not supported"),
        ] {
            let err = check_handler(runtime, handler, &files).unwrap_err();
            assert!(err.reason().contains(needle), "{}", err.reason());
        }
    }

    #[test]
    fn numbers_may_arrive_as_strings() {
        let n: NumberText = serde_json::from_value(json!("256")).unwrap();
        assert_eq!(n, NumberText(256));
        let n: NumberText = serde_json::from_value(json!(128)).unwrap();
        assert_eq!(n, NumberText(128));
        assert!(serde_json::from_value::<NumberText>(json!("lots")).is_err());
    }
}
