//! The `signed-properties` verifier.

use std::{borrow::Cow, collections::BTreeMap, time::SystemTime};

use serde_json::{json, Value};

use super::{
    canonical::{canonical_json, cfn_normalise},
    envelope::{
        signing_message, SignedEnvelope, SignedToken, PROPERTY_KEY, UNSIGNED_PROPERTY_KEYS,
    },
    keys::KeyRing,
};
use crate::{
    pipeline::Invocation,
    protocol::{CfnRequest, RequestType},
    response::BoxFuture,
    verify::{Evidence, Verifier, VerifierResult},
    Error,
};

/// The check's name in the decision log.
pub const CHECK_NAME: &str = "signed-properties";

/// Verifies the `WardenSignature` property against a [`KeyRing`]; see the module doc.
#[derive(Clone, Debug)]
pub struct SignatureVerifier {
    keys: KeyRing,
    allow_expired_on_delete: bool,
}

/// Builds a [`SignatureVerifier`].
#[derive(Clone, Debug, Default)]
pub struct SignatureVerifierBuilder {
    keys: Option<KeyRing>,
    allow_expired_on_delete: bool,
}

impl SignatureVerifierBuilder {
    /// The accepted keys (required; several for rotation).
    pub fn keys(mut self, keys: KeyRing) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Accept expired signatures on Delete (default: no). A stack deleted long after its last
    /// deployment carries signatures that have since expired; with this on, such a Delete is
    /// still verified (key, signature, binding, properties) but not refused for its age, and the
    /// evidence says so. Pair it with a check that a stack operation is really in flight.
    pub fn allow_expired_on_delete(mut self, allow: bool) -> Self {
        self.allow_expired_on_delete = allow;
        self
    }

    /// Builds the verifier.
    pub fn build(self) -> Result<SignatureVerifier, Error> {
        match self.keys {
            Some(keys) if !keys.is_empty() => Ok(SignatureVerifier {
                keys,
                allow_expired_on_delete: self.allow_expired_on_delete,
            }),
            _ => Err(Error::InvalidKey {
                problem: "a signature verifier needs at least one key",
            }),
        }
    }
}

impl SignatureVerifier {
    /// Starts a builder.
    pub fn builder() -> SignatureVerifierBuilder {
        SignatureVerifierBuilder::default()
    }

    /// Checks a request at `now`. Public so benchmarks and tools can run it directly.
    pub fn check(&self, request: &CfnRequest, now: SystemTime) -> VerifierResult {
        let mut evidence = Evidence::new();
        let verdict = self.run(request, now, &mut evidence);
        crate::verify::conclude(CHECK_NAME, verdict, evidence)
    }

    fn run(
        &self,
        request: &CfnRequest,
        now: SystemTime,
        evidence: &mut Evidence,
    ) -> Result<(), Cow<'static, str>> {
        let expiry = match request.request_type() {
            RequestType::Delete if self.allow_expired_on_delete => Expiry::NotedOnly,
            _ => Expiry::Enforced,
        };
        self.verify_set(
            request.resource_properties(),
            request,
            now,
            expiry,
            evidence,
        )?;
        // An Update also hands the handler the old properties: they must be authentic too, or
        // anyone holding one token could point the handler at any "old" resource. Their
        // signature may have expired since that deployment; everything else is checked.
        if let Some(old) = request.old_resource_properties() {
            let mut old_evidence = Evidence::new();
            let result = self.verify_set(old, request, now, Expiry::Ignored, &mut old_evidence);
            evidence.insert(
                "old_properties".into(),
                serde_json::Value::Object(old_evidence),
            );
            result.map_err(|detail| Cow::Owned(format!("OldResourceProperties: {detail}")))?;
        }
        Ok(())
    }

    /// Verifies one property set (new or old) for this request.
    fn verify_set(
        &self,
        properties: &serde_json::Map<String, Value>,
        request: &CfnRequest,
        now: SystemTime,
        expiry: Expiry,
        evidence: &mut Evidence,
    ) -> Result<(), Cow<'static, str>> {
        let token = match properties.get(PROPERTY_KEY) {
            None => return Err("no WardenSignature property".into()),
            Some(Value::String(s)) => {
                SignedToken::parse(s).map_err(|e| Cow::Owned(e.to_string()))?
            }
            Some(_) => return Err("WardenSignature is not a string".into()),
        };
        let envelope = token.envelope().map_err(|e| Cow::Owned(e.to_string()))?;
        evidence.insert(
            "kid".into(),
            json!(crate::protocol::truncate_for_message(&envelope.kid)),
        );
        evidence.insert("alg".into(), json!(envelope.alg));
        let key = self
            .keys
            .get(&envelope.kid)
            .ok_or("the signing key id is not configured")?;
        if key.alg() != envelope.alg {
            return Err("the envelope's algorithm is not the key's".into());
        }
        if let Some(retired) = key.retirement() {
            evidence.insert(
                "key_retired_after".into(),
                json!(crate::deadline::format_time(retired)),
            );
            if now > retired {
                return Err("the signing key is retired".into());
            }
        }
        if !key.verify(&signing_message(token.payload()), token.signature()) {
            return Err("the signature does not verify".into());
        }
        // From here on the envelope is authentic: check that it is about this request.
        evidence.insert("not_after".into(), json!(envelope.not_after));
        let not_after = humantime::parse_rfc3339(&envelope.not_after)
            .map_err(|_| "not_after is not an RFC 3339 UTC time")?;
        if now > not_after {
            match expiry {
                Expiry::Enforced => return Err("the signature has expired".into()),
                Expiry::NotedOnly => {
                    evidence.insert("expired_accepted_on_delete".into(), json!(true));
                }
                Expiry::Ignored => {
                    evidence.insert("expired".into(), json!(true));
                }
            }
        }
        evidence.insert("stack_pattern".into(), json!(envelope.stack));
        if !stack_matches(&envelope.stack, request.stack().name()) {
            return Err("the signature is for another stack".into());
        }
        if envelope.logical_id != request.logical_resource_id() {
            return Err("the signature is for another logical id".into());
        }
        if envelope.resource_type != request.resource_type() {
            return Err("the signature is for another resource type".into());
        }
        compare_properties(&envelope, properties, evidence)
    }
}

/// How a property set's expiry is treated.
#[derive(Clone, Copy)]
enum Expiry {
    /// Expired signatures are refused.
    Enforced,
    /// Accepted on Delete by configuration, and noted.
    NotedOnly,
    /// Old properties: signed at an earlier deployment; expiry is irrelevant, noted.
    Ignored,
}

impl Verifier for SignatureVerifier {
    fn name(&self) -> &'static str {
        CHECK_NAME
    }

    fn reserved_property_keys(&self) -> &'static [&'static str] {
        &[PROPERTY_KEY]
    }

    fn verify<'a>(&'a self, invocation: &'a Invocation) -> BoxFuture<'a, VerifierResult> {
        let result = self.check(
            invocation.context.request(),
            invocation.context.clock().now(),
        );
        Box::pin(async move { result })
    }
}

/// A full-match regex for a dynamic property's pattern. The pattern must compile on its own
/// first, so it cannot close the anchoring group (`x)|(.*` is refused).
pub(crate) fn anchored(pattern: &str) -> Option<regex::Regex> {
    let build = |p: &str| {
        regex::RegexBuilder::new(p)
            .size_limit(crate::pattern::REGEX_SIZE_LIMIT)
            .build()
            .ok()
    };
    build(pattern)?;
    build(&format!("^(?:{pattern})$"))
}

/// `*` in a pattern matches any run of characters; everything else literally.
fn stack_matches(pattern: &str, name: &str) -> bool {
    crate::pattern::glob_regex(pattern).is_some_and(|r| r.is_match(name))
}

fn compare_properties(
    envelope: &SignedEnvelope,
    properties: &serde_json::Map<String, Value>,
    evidence: &mut Evidence,
) -> Result<(), Cow<'static, str>> {
    let skip = |k: &str| UNSIGNED_PROPERTY_KEYS.contains(&k);
    let actual: BTreeMap<&str, &Value> = properties
        .iter()
        .filter(|(k, _)| !skip(k))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let canonical =
        |v: &Value| canonical_json(&cfn_normalise(v)).map_err(|e| Cow::Owned(e.to_string()));
    for (key, value) in &actual {
        let name = crate::protocol::truncate_for_message(key);
        if let Some(signed) = envelope.properties.get(*key) {
            if canonical(value)? != canonical(signed)? {
                return Err(format!("property `{name}` differs from its signed value").into());
            }
        } else if let Some(pattern) = envelope.dynamic.get(*key) {
            if let Some(pattern) = pattern {
                let regex = anchored(pattern).ok_or_else(|| {
                    Cow::Owned(format!("the pattern for `{name}` is not a valid regex"))
                })?;
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => String::from_utf8_lossy(&canonical(other)?).into_owned(),
                };
                if !regex.is_match(&text) {
                    return Err(format!(
                        "dynamic property `{name}` does not match its signed pattern"
                    )
                    .into());
                }
            }
        } else {
            return Err(format!("property `{name}` is not covered by the signature").into());
        }
    }
    // Every literal must be there. A dynamic property may be absent: an intrinsic such as
    // `!If [C, x, !Ref AWS::NoValue]` removes it at deploy time.
    for key in envelope.properties.keys() {
        if !actual.contains_key(key.as_str()) {
            let name = crate::protocol::truncate_for_message(key);
            return Err(format!("signed property `{name}` is missing").into());
        }
    }
    let absent: Vec<&String> = envelope
        .dynamic
        .keys()
        .filter(|k| !actual.contains_key(k.as_str()))
        .collect();
    if !absent.is_empty() {
        evidence.insert("absent_dynamic_properties".into(), json!(absent));
    }
    evidence.insert(
        "literal_properties".into(),
        json!(envelope.properties.len()),
    );
    evidence.insert(
        "dynamic_properties".into(),
        json!(envelope.dynamic.keys().collect::<Vec<_>>()),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_patterns() {
        assert!(stack_matches("prod-app", "prod-app"));
        assert!(!stack_matches("prod-app", "prod-app2"));
        assert!(stack_matches("prod-*", "prod-app"));
        assert!(stack_matches("*", "anything"));
        assert!(!stack_matches("prod-*", "dev-app"));
        assert!(!stack_matches("prod.app", "prodxapp"), "dots are literal");
    }
}
