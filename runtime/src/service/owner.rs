//! Ownership: which resource made something. A physical id in an event is not proof that this
//! resource made what it names (anyone who may invoke the provider can send any id), so a
//! resource writes an owner digest where it can read it back (a tag, a description) and checks
//! it before it changes or deletes anything.

use crate::{protocol::sha256_hex, service::Context};

/// The tag key the shipped resources use for the owner digest.
pub const OWNER_TAG_KEY: &str = "cfn-warden:owner";

/// The owner digest of logical id `logical_id` in the stack `stack_id` (its full ARN): 16 hex
/// digits of SHA-256 over `stack_id|logical_id`. [`Context::owner_digest`] for the request's
/// resource; this form is for tests and tools that know the ids.
pub fn owner_digest(stack_id: &str, logical_id: &str) -> String {
    let digest = sha256_hex(&[stack_id, "|", logical_id]);
    digest[..16].to_owned()
}

impl Context {
    /// The owner digest of the resource this request is about: 16 hex digits of the SHA-256 of
    /// the stack id (which includes the stack's unique suffix) and the logical id. The same
    /// for every request about one resource of one stack; different for a stack of the same
    /// name created again.
    pub fn owner_digest(&self) -> String {
        let request = self.request();
        let digest = sha256_hex(&[request.stack().as_str(), "|", request.logical_resource_id()]);
        digest[..16].to_owned()
    }

    /// The owner tag, `(OWNER_TAG_KEY, digest)`, to put on what a Create makes and to check
    /// before an Update or Delete touches it.
    pub fn owner_tag(&self) -> (&'static str, String) {
        (OWNER_TAG_KEY, self.owner_digest())
    }
}
