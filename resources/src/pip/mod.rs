//! The pure-Rust Python layer builder behind `Custom::PipLayer` and `warden build-layer`: no pip
//! and no Python anywhere.
//!
//! Built so far: the target model ([`target`]: marker environment and ordered wheel tags for a
//! Lambda runtime and architecture), requirement parsing ([`requirements`]), wheel file names
//! ([`wheel_name`]), index pages in PEP 691 JSON and PEP 503 HTML ([`index`]), and
//! resolution with pubgrub over any [`resolve::PackageSource`] ([`resolve`]). The index-backed package source, fetching, unpacking, the deterministic zip and publishing
//! arrive with the rest of the PipLayer issue.

pub mod index;
pub mod requirements;
pub mod resolve;
pub mod target;
pub mod wheel_name;
