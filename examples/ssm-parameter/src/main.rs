//! `ssm-parameter-resource`: the Lambda serving `Custom::SsmParameter`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    cfn_warden::main(ssm_parameter_resource::SsmParameter)
}
