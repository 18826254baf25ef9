//! The custom resources shipped with cfn-warden.
//!
//! This crate is the home of `Custom::PipLayer` and `Custom::MultiFileFunction`, and of the
//! `warden-provider` binary that serves them. Today it holds the first parts of the layer
//! builder's engine ([`pip`]); the resources and the binary arrive with their issues.
#![forbid(unsafe_code)]

mod error;
pub mod pip;

pub use error::Error;
