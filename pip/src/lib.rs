//! `warden-pip`: the pure-Rust Python layer builder behind `Custom::PipLayer` and
//! `warden build-layer`: no pip and no Python anywhere. Imports nothing of the workspace (no
//! cfn-warden, no AWS SDK), so the CLI, the resources and the fuzz targets share it.
//!
//! Its parts: the target model ([`target`]: marker environment and ordered wheel tags for a
//! Lambda runtime and architecture), requirement parsing ([`requirements`]), wheel file names
//! ([`wheel_name`]), index pages in PEP 691 JSON and PEP 503 HTML ([`index`]),
//! resolution with pubgrub over any [`resolve::PackageSource`] ([`resolve`]), wheel unpacking
//! checked against RECORD ([`wheel`]) and the deterministic layer archive ([`layer_zip`]).
//! The index client ([`client`], over the [`http`] transport) feeds the resolver and downloads
//! verified wheels; [`build`] runs the whole pipeline with bounded concurrency.

#![forbid(unsafe_code)]

pub mod build;
mod built;
pub mod client;
mod digest;
mod error;
pub mod exclude;
pub mod http;
pub mod index;
pub mod layer_zip;
mod offer;
mod pace;
mod pinned;
mod remote_zip;
pub mod requirements;
pub mod resolve;
pub mod setting;
mod settings;
pub mod source;
pub mod target;
pub mod wheel;
pub mod wheel_name;

pub use error::{cut, Error};
pub use setting::{Named, Setting, Surface};
pub use settings::{IndexSettings, IndexSettingsBuilder};
