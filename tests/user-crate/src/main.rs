//! The Lambda serving `Custom::Setting`.
fn main() -> std::process::ExitCode {
    cfn_warden::main(setting_resource::Setting)
}
