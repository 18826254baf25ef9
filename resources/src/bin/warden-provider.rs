//! `warden-provider`: the Lambda function serving cfn-warden's shipped resources.
//!
//! It serves `Custom::PipLayer` and `Custom::MultiFileFunction`; any other ResourceType is answered FAILED without
//! calling a handler. Configured by the framework's `WARDEN_*` variables (verification,
//! credentials; see the README) and, for layers, `WARDEN_PIP_INDEX_ALLOW` (comma-separated
//! index URL prefixes a resource may name in `IndexUrl`) and `WARDEN_PIP_INDEX_URL` (the index
//! used when a resource names none), `WARDEN_LAYER_BUCKET` (an S3 bucket to stage layers over
//! the direct-upload limit) and `WARDEN_LAYER_DIRECT_UPLOAD_MAX_BYTES` (that limit, at most
//! 50 MB). No index is built in.
#![forbid(unsafe_code)]

use cfn_warden::config::ProcessEnvironment;
use warden_resources::provider::shipped;

fn main() -> std::process::ExitCode {
    match shipped(&ProcessEnvironment) {
        Ok(resources) => cfn_warden::main(resources),
        Err(error) => {
            // Like an invalid WARDEN_* setting: stop at start, naming the variable.
            eprintln!("warden-provider: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
