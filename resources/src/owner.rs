//! Which resource made something: a short digest of the stack and logical id, written where
//! the shipped resources can read it back (a layer version's description, a function's tag),
//! because a physical id in an event is not proof of ownership.

use cfn_warden::Context;

use warden_pip::client::sha256_hex;

/// The owner digest (16 hex digits) of the resource a request is about.
pub(crate) fn owner_digest(ctx: &Context) -> String {
    let request = ctx.request();
    let digest = sha256_hex(
        format!(
            "{}|{}",
            request.stack().as_str(),
            request.logical_resource_id()
        )
        .as_bytes(),
    );
    digest[..16].to_owned()
}
