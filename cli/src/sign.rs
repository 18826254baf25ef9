//! `warden keygen` and `warden sign`: signing custom resources' properties in a template.

use std::{
    collections::BTreeMap,
    io::Write as _,
    path::{Path, PathBuf},
    time::SystemTime,
};

use anyhow::{bail, Context as _, Result};
use cfn_warden::verify::signed::{
    cfn_normalise, Algorithm, Ed25519SigningKey, SignedEnvelope, PROPERTY_KEY,
};
use serde_json::{Map, Value};

use crate::template::{byte_offset, has_intrinsic, line_start, scalar_text, to_json, Template};

/// Keys the framework owns: never signed.
const UNSIGNED_KEYS: [&str; 3] = ["ServiceToken", "ServiceTimeout", PROPERTY_KEY];

/// Writes `<dir>/<kid>.pk8` (mode 0600, never overwritten) and `<dir>/<kid>.pub.json`; returns
/// the public key configuration as a `WARDEN_SIGNING_KEYS` value.
pub(crate) fn keygen(kid: &str, dir: &Path) -> Result<(PathBuf, String)> {
    let (key, pkcs8) = Ed25519SigningKey::generate(kid)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let private = dir.join(format!("{kid}.pk8"));
    let mut file = open_private(&private)?;
    file.write_all(&pkcs8)
        .with_context(|| format!("writing {}", private.display()))?;
    let config = serde_json::to_string(&vec![key.public_config()])?;
    let public = dir.join(format!("{kid}.pub.json"));
    std::fs::write(&public, format!("{config}\n"))
        .with_context(|| format!("writing {}", public.display()))?;
    Ok((private, config))
}

#[cfg(unix)]
fn open_private(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))
}

/// Loads a key written by `keygen`; the key id defaults to the file stem.
pub(crate) fn load_key(path: &Path, kid: Option<&str>) -> Result<Ed25519SigningKey> {
    let pkcs8 = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    Ok(Ed25519SigningKey::from_pkcs8(kid.unwrap_or(stem), &pkcs8)?)
}

/// A `--pattern [LOGICAL_ID.]KEY=REGEX` constraint on a dynamic property.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    logical_id: Option<String>,
    key: String,
    regex: String,
}

impl std::str::FromStr for Pattern {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (target, regex) = s.split_once('=').ok_or("expected [LOGICAL_ID.]KEY=REGEX")?;
        let (logical_id, key) = match target.split_once('.') {
            Some((l, k)) => (Some(l.to_owned()), k.to_owned()),
            None => (None, target.to_owned()),
        };
        if key.is_empty() || regex.is_empty() {
            return Err("expected [LOGICAL_ID.]KEY=REGEX".into());
        }
        regex::Regex::new(&format!("^(?:{regex})$")).map_err(|e| format!("invalid regex: {e}"))?;
        Ok(Self {
            logical_id,
            key,
            regex: regex.to_owned(),
        })
    }
}

/// What `sign` needs besides the template and the key.
pub(crate) struct SignOptions {
    pub(crate) stack: String,
    pub(crate) issued_at: SystemTime,
    pub(crate) not_after: SystemTime,
    pub(crate) patterns: Vec<Pattern>,
    pub(crate) only: Vec<String>,
    pub(crate) resign: bool,
}

/// One signed resource, for the report.
#[derive(Debug)]
pub(crate) struct Signed {
    pub(crate) logical_id: String,
    pub(crate) literal: usize,
    pub(crate) dynamic: BTreeMap<String, Option<String>>,
}

/// A text edit: replace `range` with `text`.
struct Edit {
    range: std::ops::Range<usize>,
    text: String,
}

fn is_custom(resource_type: &str) -> bool {
    resource_type.starts_with("Custom::") || resource_type == "AWS::CloudFormation::CustomResource"
}

/// Signs every custom resource (or those in `only`) and returns the new template text.
pub(crate) fn sign_template(
    source: &str,
    key: &Ed25519SigningKey,
    options: &SignOptions,
) -> Result<(String, Vec<Signed>)> {
    let template = Template::parse(source)?;
    let eol = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut edits = Vec::new();
    let mut signed = Vec::new();
    let mut expected = BTreeMap::new();
    for resource in template.resources()? {
        if !is_custom(&resource.resource_type)
            || (!options.only.is_empty() && !options.only.contains(&resource.logical_id))
        {
            continue;
        }
        let id = &resource.logical_id;
        let Some((properties_key, properties)) = resource.properties else {
            bail!(
                "line {}: {id} has no Properties (a custom resource needs at least ServiceToken)",
                resource.line
            );
        };
        let saphyr::YamlData::Mapping(map) = &properties.data else {
            bail!(
                "line {}: the Properties of {id} are not a mapping",
                properties_key.span.start.line()
            );
        };
        let values = to_json(properties)?;
        let Value::Object(values) = values else {
            bail!("the Properties of {id} are not a mapping")
        };
        let mut literal = Map::new();
        let mut dynamic = BTreeMap::new();
        for (name, value) in &values {
            if UNSIGNED_KEYS.contains(&name.as_str()) {
                continue;
            }
            let pattern = options
                .patterns
                .iter()
                .find(|p| &p.key == name && p.logical_id.as_ref().is_none_or(|l| l == id))
                .map(|p| p.regex.clone());
            if has_intrinsic(value) {
                dynamic.insert(name.clone(), pattern);
            } else if pattern.is_some() {
                bail!("{id}.{name} is a literal value, signed exactly; a --pattern applies only to values set by intrinsics");
            } else {
                literal.insert(name.clone(), cfn_normalise(value));
            }
        }
        let envelope = SignedEnvelope {
            v: 1,
            kid: key.kid().to_owned(),
            alg: Algorithm::Ed25519,
            stack: options.stack.clone(),
            logical_id: id.clone(),
            resource_type: resource.resource_type.clone(),
            issued_at: humantime::format_rfc3339_seconds(options.issued_at).to_string(),
            not_after: humantime::format_rfc3339_seconds(options.not_after).to_string(),
            properties: literal.clone(),
            dynamic: dynamic.clone(),
        };
        let token = key.sign(&envelope)?.encode();
        expected.insert(id.clone(), (token.clone(), values.clone()));
        let existing = map
            .iter()
            .find(|(k, _)| scalar_text(k).as_deref() == Some(PROPERTY_KEY));
        let first = map.iter().next().map(|(k, _)| k);
        let value_start = byte_offset(source, properties.span.start.index());
        let flow = source[value_start..].starts_with('{');
        edits.push(match (existing, first, flow) {
            (Some((k, _)), _, false) if options.resign => {
                let line = k.span.start.line();
                let indent = " ".repeat(k.span.start.col());
                Edit { range: line_start(source, line)..line_start(source, line + 1), text: format!("{indent}{PROPERTY_KEY}: \"{token}\"{eol}") }
            }
            (Some(_), _, true) if options.resign => bail!("{id}: re-signing flow-style Properties is not supported; remove {PROPERTY_KEY} first"),
            (Some((k, _)), _, _) => bail!("line {}: {id} is already signed; pass --resign to replace the signature", k.span.start.line()),
            (None, Some(k), false) if k.span.start.line() > properties_key.span.start.line() => {
                let indent = " ".repeat(k.span.start.col());
                let at = line_start(source, k.span.start.line());
                Edit { range: at..at, text: format!("{indent}{PROPERTY_KEY}: \"{token}\"{eol}") }
            }
            (None, Some(k), true) => {
                let at = byte_offset(source, k.span.start.index());
                Edit { range: at..at, text: format!("\"{PROPERTY_KEY}\": \"{token}\", ") }
            }
            _ => bail!("line {}: cannot place {PROPERTY_KEY} in the Properties of {id}", properties_key.span.start.line()),
        });
        signed.push(Signed {
            logical_id: id.clone(),
            literal: literal.len(),
            dynamic,
        });
    }
    if signed.is_empty() {
        bail!("no custom resource to sign (Custom::* or AWS::CloudFormation::CustomResource)");
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    let mut output = source.to_owned();
    for edit in edits {
        output.replace_range(edit.range, &edit.text);
    }
    check_output(&output, &expected)?;
    Ok((output, signed))
}

/// Re-reads the output: each signed resource must carry its token and otherwise unchanged
/// properties.
fn check_output(
    output: &str,
    expected: &BTreeMap<String, (String, Map<String, Value>)>,
) -> Result<()> {
    let template = Template::parse(output)
        .context("the signed template does not parse (please report this)")?;
    for resource in template.resources()? {
        let Some((token, before)) = expected.get(&resource.logical_id) else {
            continue;
        };
        let props = resource.properties.map(|(_, p)| to_json(p)).transpose()?;
        let Some(Value::Object(mut after)) = props else {
            bail!("{}: Properties lost while signing", resource.logical_id)
        };
        if after.remove(PROPERTY_KEY) != Some(Value::String(token.clone())) {
            bail!(
                "{}: the signature did not land in the output (please report this)",
                resource.logical_id
            );
        }
        let mut before = before.clone();
        before.remove(PROPERTY_KEY);
        if after != before {
            bail!(
                "{}: signing changed other properties (please report this)",
                resource.logical_id
            );
        }
    }
    Ok(())
}
