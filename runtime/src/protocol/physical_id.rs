//! PhysicalResourceId: validated, derived deterministically, or a recognisable failure sentinel.

use std::fmt;

use super::arn::StackArn;
use crate::Error;

/// The prefix of the id sent with a FAILED Create. A later Delete carrying an id with this
/// prefix is answered SUCCESS without calling the handler: nothing was created.
pub const SENTINEL_PREFIX: &str = "cfn-warden-create-failed-";

/// Whether `id` is a failure sentinel as [`PhysicalId::failure_sentinel`] writes it.
pub(crate) fn is_sentinel(id: &str) -> bool {
    id.strip_prefix(SENTINEL_PREFIX).is_some_and(|digits| {
        digits.len() == 16
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// CloudFormation's limit on a PhysicalResourceId, in bytes.
const MAX_LEN: usize = 1024;

/// A PhysicalResourceId: non-empty, at most 1024 bytes, no control characters, and never the
/// failure sentinel (handlers cannot mint sentinels).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhysicalId(String);

impl PhysicalId {
    /// Validates a handler-chosen id.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        Self::check(&id)?;
        if id.starts_with(SENTINEL_PREFIX) {
            return Err(Error::InvalidPhysicalId {
                problem: "uses the reserved failure-sentinel prefix",
            });
        }
        Ok(Self(id))
    }

    /// Accepts an id received from CloudFormation (sentinels included).
    pub(crate) fn from_event(id: &str) -> Result<Self, Error> {
        Self::check(id)?;
        Ok(Self(id.to_owned()))
    }

    fn check(id: &str) -> Result<(), Error> {
        if id.is_empty() {
            return Err(Error::InvalidPhysicalId {
                problem: "is empty",
            });
        }
        if id.len() > MAX_LEN {
            return Err(Error::InvalidPhysicalId {
                problem: "is longer than 1024 bytes",
            });
        }
        if id.chars().any(char::is_control) {
            return Err(Error::InvalidPhysicalId {
                problem: "contains control characters",
            });
        }
        Ok(())
    }

    /// The default id for a Create: `<stack name>-<logical id>-<12 hex digits>`, where the digits
    /// come from SHA-256 over the full StackId and the LogicalResourceId. The same resource in
    /// the same stack always gets the same id; never a log-stream name or a random value.
    pub fn derived(stack: &StackArn, logical_resource_id: &str) -> Self {
        let digest = sha256_hex(&[stack.as_str(), "|", logical_resource_id]);
        Self(format!(
            "{}-{}-{}",
            stack.name(),
            logical_resource_id,
            &digest[..12]
        ))
    }

    /// The id sent with a FAILED Create that produced nothing. Derived from the request, so it
    /// is stable when CloudFormation retries the same request.
    pub(crate) fn failure_sentinel(stack_id: &str, logical_id: &str, request_id: &str) -> Self {
        let digest = sha256_hex(&[stack_id, "|", logical_id, "|", request_id]);
        Self(format!("{SENTINEL_PREFIX}{}", &digest[..16]))
    }

    /// Whether this id is a failure sentinel: the prefix and exactly the 16 lowercase hex
    /// digits the framework writes for a failed Create.
    pub fn is_sentinel(&self) -> bool {
        is_sentinel(&self.0)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhysicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for PhysicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn sha256_hex(parts: &[&str]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(p.as_bytes());
    }
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack() -> StackArn {
        StackArn::parse("arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1111-2222")
            .unwrap()
    }

    #[test]
    fn derived_is_deterministic_and_distinct() {
        let a = PhysicalId::derived(&stack(), "Greeting");
        assert_eq!(a, PhysicalId::derived(&stack(), "Greeting"));
        assert_ne!(a, PhysicalId::derived(&stack(), "Other"));
        assert!(a.as_str().starts_with("demo-Greeting-"));
        assert_eq!(a.as_str().len(), "demo-Greeting-".len() + 12);
    }

    #[test]
    fn handler_ids_are_validated() {
        assert!(PhysicalId::new("").is_err());
        assert!(PhysicalId::new("a".repeat(1025)).is_err());
        assert!(PhysicalId::new("a".repeat(1024)).is_ok());
        assert!(PhysicalId::new("bad\nid").is_err());
        assert!(PhysicalId::new(format!("{SENTINEL_PREFIX}x")).is_err());
    }

    #[test]
    fn sentinel_is_recognised() {
        let s = PhysicalId::failure_sentinel("stack", "Logical", "req");
        assert!(s.is_sentinel());
        assert_eq!(s, PhysicalId::failure_sentinel("stack", "Logical", "req"));
        assert!(PhysicalId::from_event(s.as_str()).unwrap().is_sentinel());
    }
}
