//! `warden keygen` and `warden sign`: signing custom resources' properties in a template.

use std::{collections::BTreeMap, time::SystemTime};

use anyhow::{bail, Context as _, Result};
use cfn_warden::verify::signed::{
    cfn_normalise, signing_message, Algorithm, SignedEnvelope, SignedToken, VerifyingKey,
    PROPERTY_KEY, UNSIGNED_PROPERTY_KEYS,
};
use serde_json::{Map, Value};

use warden_lint::template::{has_intrinsic, to_json, Template};

use crate::{
    signer::Signer,
    stack::Expiry,
    template::{place_tokens, placement, Placement},
};

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
        // On its own first, so it cannot close the verifier's anchoring group (`x)|(.*`).
        regex::Regex::new(regex).map_err(|e| format!("invalid regex: {e}"))?;
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

/// A resource ready to be signed.
pub(crate) struct Pending {
    pub(crate) envelope: SignedEnvelope,
    pub(crate) summary: Signed,
    placement: Placement,
    values: Map<String, Value>,
}

/// A custom resource's Properties: the YAML nodes (to place a token) and their JSON form.
pub(crate) struct CustomProperties<'t, 's> {
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    /// The `Properties` key node.
    pub(crate) key: &'t saphyr::MarkedYaml<'s>,
    /// The `Properties` value node.
    pub(crate) node: &'t saphyr::MarkedYaml<'s>,
    pub(crate) values: Map<String, Value>,
}

/// Every custom resource of the template (or those in `only`) with its Properties; one without
/// a Properties mapping is an error (a custom resource needs at least ServiceToken).
pub(crate) fn custom_properties<'t, 's>(
    template: &'t Template<'s>,
    only: &[String],
) -> Result<Vec<CustomProperties<'t, 's>>> {
    let mut out = Vec::new();
    for resource in template.resources()? {
        if !is_custom(&resource.resource_type)
            || (!only.is_empty() && !only.contains(&resource.logical_id))
        {
            continue;
        }
        let id = &resource.logical_id;
        let Some((key, node)) = resource.properties else {
            bail!(
                "line {}: {id} has no Properties (a custom resource needs at least ServiceToken)",
                resource.line
            );
        };
        let Value::Object(values) = to_json(node)? else {
            bail!("the Properties of {id} are not a mapping")
        };
        out.push(CustomProperties {
            logical_id: resource.logical_id,
            resource_type: resource.resource_type,
            key,
            node,
            values,
        });
    }
    Ok(out)
}

fn is_custom(resource_type: &str) -> bool {
    resource_type.starts_with("Custom::") || resource_type == "AWS::CloudFormation::CustomResource"
}

/// Reads the template and builds, for every custom resource (or those in `only`), the envelope
/// to sign and where its token will go. Nothing is signed or written yet.
pub(crate) fn prepare(
    source: &str,
    kid: &str,
    alg: Algorithm,
    options: &SignOptions,
) -> Result<Vec<Pending>> {
    let template = Template::parse(source)?;
    let mut pending = Vec::new();
    for resource in custom_properties(&template, &options.only)? {
        let CustomProperties {
            logical_id: id,
            resource_type,
            key: properties_key,
            node: properties,
            values,
        } = resource;
        let id = &id;
        let mut literal = Map::new();
        let mut dynamic = BTreeMap::new();
        for (name, value) in &values {
            if UNSIGNED_PROPERTY_KEYS.contains(&name.as_str()) {
                continue;
            }
            let pattern = options
                .patterns
                .iter()
                .find(|p| &p.key == name && p.logical_id.as_ref().is_none_or(|l| l == id))
                .map(|p| p.regex.clone());
            // Dynamic references (`{{resolve:ssm:...}}`) are resolved by CloudFormation too.
            if has_intrinsic(value) || has_dynamic_reference(value) {
                dynamic.insert(name.clone(), pattern);
            } else if pattern.is_some() {
                bail!("{id}.{name} is a literal value, signed exactly; a --pattern applies only to values set by intrinsics");
            } else {
                literal.insert(name.clone(), cfn_normalise(value));
            }
        }
        let placement = placement(
            source,
            id,
            properties_key,
            properties,
            PROPERTY_KEY,
            options
                .resign
                .then_some(())
                .ok_or("is already signed; pass --resign to replace the signature"),
        )?;
        let envelope = SignedEnvelope {
            v: 1,
            kid: kid.to_owned(),
            alg,
            stack: options.stack.clone(),
            logical_id: id.clone(),
            resource_type,
            issued_at: humantime::format_rfc3339_seconds(options.issued_at).to_string(),
            not_after: humantime::format_rfc3339_seconds(options.not_after).to_string(),
            properties: literal.clone(),
            dynamic: dynamic.clone(),
        };
        let summary = Signed {
            logical_id: id.clone(),
            literal: literal.len(),
            dynamic,
        };
        pending.push(Pending {
            envelope,
            summary,
            placement,
            values,
        });
    }
    if pending.is_empty() {
        bail!("no custom resource to sign (Custom::* or AWS::CloudFormation::CustomResource)");
    }
    Ok(pending)
}

/// Whether a value holds a CloudFormation dynamic reference (`{{resolve:...}}`).
fn has_dynamic_reference(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("{{resolve:"),
        Value::Array(items) => items.iter().any(has_dynamic_reference),
        Value::Object(map) => map.values().any(has_dynamic_reference),
        _ => false,
    }
}

/// The verifier refuses tokens longer than this.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// Places each token (in `pending` order) and re-checks the result.
pub(crate) fn apply(source: &str, pending: &[Pending], tokens: &[String]) -> Result<String> {
    for (p, token) in pending.iter().zip(tokens) {
        if token.len() > MAX_TOKEN_BYTES {
            bail!(
                "{}: the signature would be {} bytes, over the verifier's 64 KiB limit (too many literal properties)",
                p.summary.logical_id,
                token.len()
            );
        }
    }
    let placed: Vec<(&Placement, &String)> =
        pending.iter().map(|p| &p.placement).zip(tokens).collect();
    let output = place_tokens(source, &placed);
    let expected = pending
        .iter()
        .zip(tokens)
        .map(|(p, t)| (p.summary.logical_id.clone(), (t.clone(), p.values.clone())))
        .collect();
    check_output(&output, &expected, PROPERTY_KEY)?;
    Ok(output)
}

impl Signer {
    /// Prepares, signs and applies: returns the signed text and what was signed.
    pub(crate) async fn sign_template(
        &self,
        source: &str,
        options: &SignOptions,
    ) -> Result<(String, Vec<Signed>)> {
        let pending = prepare(source, self.kid(), self.alg(), options)?;
        let mut tokens = Vec::with_capacity(pending.len());
        for p in &pending {
            tokens.push(self.sign(&p.envelope).await?);
        }
        let output = apply(source, &pending, &tokens)?;
        Ok((output, pending.into_iter().map(|p| p.summary).collect()))
    }
}

/// A signed custom resource of a deployed template.
#[derive(Debug)]
pub(crate) struct DeployedSignature {
    pub(crate) logical_id: String,
    /// The token and what it says, when it parses (checked before it is replaced).
    token: Option<(SignedToken, SignedEnvelope)>,
}

impl DeployedSignature {
    /// When the signature expires ([`Expiry::Unreadable`] when the token does not parse).
    pub(crate) fn expiry(&self) -> Expiry {
        self.token
            .as_ref()
            .and_then(|(_, e)| humantime::parse_rfc3339(&e.not_after).ok())
            .map_or(Expiry::Unreadable, Expiry::At)
    }

    /// The regexes its dynamic properties were signed with, to sign them again.
    fn patterns(&self) -> impl Iterator<Item = Pattern> + '_ {
        self.token
            .iter()
            .flat_map(|(_, e)| &e.dynamic)
            .filter_map(|(key, regex)| {
                regex.as_ref().map(|regex| Pattern {
                    logical_id: Some(self.logical_id.clone()),
                    key: key.clone(),
                    regex: regex.clone(),
                })
            })
    }
}

/// The signed custom resources of a deployed template.
pub(crate) fn deployed_signatures(template: &str) -> Result<Vec<DeployedSignature>> {
    let template = Template::parse(template)?;
    let mut out = Vec::new();
    for resource in custom_properties(&template, &[])? {
        let Some(token) = resource.values.get(PROPERTY_KEY) else {
            continue;
        };
        let token = token
            .as_str()
            .and_then(|t| SignedToken::parse(t).ok())
            .and_then(|t| t.envelope().ok().map(|e| (t, e)));
        out.push(DeployedSignature {
            logical_id: resource.logical_id,
            token,
        });
    }
    Ok(out)
}

/// Signing a deployed template again (`warden refresh`, `warden delete`).
pub(crate) struct Resign {
    pub(crate) signer: Signer,
    /// How long the new signatures stay valid.
    pub(crate) valid_for: std::time::Duration,
    /// Patterns from the command line; they win over those the old signatures carried.
    pub(crate) patterns: Vec<Pattern>,
}

impl Resign {
    /// Re-signs exactly the resources in `signed` for `stack`, each dynamic property keeping
    /// the regex its old signature carried unless the command line gives another. Each old
    /// signature must be this key's, over exactly the properties the template holds now, for
    /// this stack, logical id and type (only its expiry is ignored): re-signing never vouches
    /// for properties the key did not sign (someone who may update the stack but holds no key
    /// could otherwise get them signed).
    pub(crate) async fn apply(
        &self,
        source: &str,
        stack: &str,
        signed: &[DeployedSignature],
    ) -> Result<(String, Vec<Signed>)> {
        if signed.is_empty() {
            return Ok((source.to_owned(), Vec::new()));
        }
        let now = SystemTime::now();
        let mut patterns = self.patterns.clone();
        patterns.extend(signed.iter().flat_map(DeployedSignature::patterns));
        let options = SignOptions {
            stack: stack.to_owned(),
            issued_at: now,
            not_after: now + self.valid_for,
            patterns,
            only: signed.iter().map(|s| s.logical_id.clone()).collect(),
            resign: true,
        };
        let pending = prepare(source, self.signer.kid(), self.signer.alg(), &options)?;
        let key = self.signer.verifying_key()?;
        for p in &pending {
            let id = &p.summary.logical_id;
            let old = signed
                .iter()
                .find(|s| &s.logical_id == id)
                .and_then(|s| s.token.as_ref());
            if let Err(problem) = vouched_by(old, &key, stack, &p.envelope) {
                bail!(
                    "{id}: {problem}; signing it again would vouch for properties this key did not sign. Check the deployed template and deploy it with `warden deploy --signing-key …` instead"
                );
            }
        }
        let mut tokens = Vec::with_capacity(pending.len());
        for p in &pending {
            tokens.push(self.signer.sign(&p.envelope).await?);
        }
        let output = apply(source, &pending, &tokens)?;
        Ok((output, pending.into_iter().map(|p| p.summary).collect()))
    }
}

/// Whether `old` is `key`'s signature over what `now` would sign (expiry aside).
fn vouched_by(
    old: Option<&(SignedToken, SignedEnvelope)>,
    key: &VerifyingKey,
    stack: &str,
    now: &SignedEnvelope,
) -> Result<(), String> {
    let (token, envelope) = old.ok_or("its WardenSignature is not a readable signature")?;
    if envelope.kid != key.kid() || envelope.alg != key.alg() {
        return Err(format!(
            "it was signed by key {}, not by the signing key {}",
            envelope.kid,
            key.kid()
        ));
    }
    if !key.verify(&signing_message(token.payload()), token.signature()) {
        return Err("its WardenSignature does not verify".into());
    }
    let stack_pattern = format!(
        "^{}$",
        envelope
            .stack
            .split('*')
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(".*")
    );
    let stack_matches = regex::Regex::new(&stack_pattern).is_ok_and(|r| r.is_match(stack));
    if !stack_matches
        || envelope.logical_id != now.logical_id
        || envelope.resource_type != now.resource_type
    {
        return Err(format!(
            "its signature is for {} {} in stack {}",
            envelope.resource_type, envelope.logical_id, envelope.stack
        ));
    }
    if envelope.properties != now.properties || !envelope.dynamic.keys().eq(now.dynamic.keys()) {
        return Err("its properties differ from what was signed".into());
    }
    Ok(())
}

/// Re-reads the output: each signed resource must carry its token and otherwise unchanged
/// properties.
pub(crate) fn check_output(
    output: &str,
    expected: &BTreeMap<String, (String, Map<String, Value>)>,
    key: &str,
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
        if after.remove(key) != Some(Value::String(token.clone())) {
            bail!(
                "{}: the new {key} did not land in the output (please report this)",
                resource.logical_id
            );
        }
        let mut before = before.clone();
        before.remove(key);
        if after != before {
            bail!(
                "{}: writing {key} changed other properties (please report this)",
                resource.logical_id
            );
        }
    }
    Ok(())
}
