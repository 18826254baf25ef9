//! `warden-provider`: the Lambda function serving cfn-warden's shipped resources.
//!
//! Today it serves `Custom::PipLayer`; any other ResourceType is answered FAILED without
//! calling a handler. Configured by the framework's `WARDEN_*` variables (verification,
//! credentials; see the README) and, for layers, `WARDEN_PIP_INDEX_ALLOW` (comma-separated
//! index URL prefixes a resource may name in `IndexUrl`) and `WARDEN_PIP_INDEX_URL` (the index
//! used when a resource names none). No index is built in.
#![forbid(unsafe_code)]

use cfn_warden::config::ProcessEnvironment;
use warden_resources::pip_layer::PipLayer;

fn main() -> std::process::ExitCode {
    cfn_warden::main(PipLayer::from_env(&ProcessEnvironment))
}
