//! The custom resources shipped with cfn-warden and the `warden-provider` binary that serves
//! them: `Custom::PipLayer` ([`pip_layer`], built by the `warden-pip` engine) and
//! `Custom::MultiFileFunction` ([`function`]), served together through the runtime's router ([`provider`]).
//! Imports `cfn-warden` and `warden-pip`.
#![forbid(unsafe_code)]

pub mod declared;
mod error;
pub mod function;
mod names;
pub mod pip_layer;
pub mod provider;

pub use error::Error;
