//! The properties of `Custom::MultiFileFunction` and their validation: file paths, the
//! function name, the role (same account, no path tricks), the handler, runtime and environment.

use std::collections::BTreeMap;

use cfn_warden::{Context, HandlerError, Secret};
use serde::Deserialize;

use warden_pip::{cut, wheel::LayerFile};

use crate::pip_layer::{flag, Requirements};

/// The tag that records which resource (stack and logical id, hashed) a function belongs to.
/// Updates and Deletes act only on functions carrying this resource's value: a physical id in
/// an event is not proof of ownership.
pub const OWNER_TAG: &str = cfn_warden::service::OWNER_TAG_KEY;

/// Lambda's limit on all environment variables together (keys and values, bytes).
pub(super) const MAX_ENVIRONMENT_BYTES: usize = 4 * 1024;

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
pub(super) struct Checked {
    pub(super) name: String,
    pub(super) files: Vec<LayerFile>,
    pub(super) environment: BTreeMap<String, String>,
}

pub(super) fn refuse(message: impl Into<String>) -> HandlerError {
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
    let digest = ctx.owner_digest();
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

pub(super) fn check_name(name: &str) -> Result<(), HandlerError> {
    crate::names::check_lambda_name("FunctionName", name, MAX_NAME_CHARS)
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
pub(super) fn check(p: &FunctionProperties, ctx: &Context) -> Result<Checked, HandlerError> {
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
pub(super) fn validate(
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
