//! The crate's one error type.

/// What can go wrong configuring or building the shipped resources (beyond handler errors,
/// which are `cfn_warden::HandlerError`).
///
/// Messages are sent to CloudFormation as the FAILED reason: they name packages, lines and
/// limits, never credentials or URLs with secrets.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A provider setting is invalid.
    #[error("invalid {variable}: {problem}")]
    InvalidSetting {
        /// The variable.
        variable: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The framework refused the configuration (e.g. the router's).
    #[error(transparent)]
    Framework(#[from] cfn_warden::Error),
    /// The layer engine refused or failed (its message as it is).
    #[error(transparent)]
    Pip(#[from] warden_pip::Error),
}
