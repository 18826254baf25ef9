//! The custom resources shipped with cfn-warden.
//!
//! This crate is the home of `Custom::PipLayer` ([`pip_layer`], built by the [`pip`] engine)
//! and of the `warden-provider` binary that serves it. `Custom::MultiFileFunction` arrives
//! with its issue.
#![forbid(unsafe_code)]

mod error;
#[cfg(feature = "aws")]
pub mod function;
#[cfg(feature = "aws")]
mod owner;
pub mod pip;
#[cfg(feature = "aws")]
pub mod pip_layer;
#[cfg(feature = "aws")]
pub mod provider;

pub use error::Error;
