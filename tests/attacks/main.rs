//! The attack suite: one test per attack on a hardened provider, each through the real
//! `warden-provider` binary (or, for attacks from inside a handler, the `faulty-resource`
//! fixture) and the end-to-end harness. Every attack ends with [`arena::Arena::assert_refused`]:
//! the handler was not called, no AWS mutation happened (only verification's reads reached
//! moto; the target function does not exist), nothing was PUT anywhere but the CloudFormation
//! stand-in (a canary server stays silent), a refusal carries no Data and no property value,
//! no secret reached a log, and the decision line names the reason.
//!
//! Each arena first sends the legitimate request and sees it accepted, so a refusal is always
//! the attack's doing. SECURITY.md maps each attack to the layer that stops it.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod arena;
mod envelope;
mod escapes;
mod handler;
mod replay;
mod response_url;
mod signatures;
mod tickets;
