//! Credentials: where the AWS rights a handler uses come from, and how they are narrowed.
//!
//! Three modes ([`CredentialMode`], setting `WARDEN_CREDENTIALS`):
//! - `none` (default): nothing is granted through `Context::aws`, and the provider's own
//!   credentials are moved out of the process environment before anything runs (`handoff`:
//!   the program re-executes itself without them), so a handler building its own SDK
//!   configuration finds none; the verifiers' reads (stack events, CloudTrail) use the copy
//!   handed over.
//! - `ticket`: every request must carry a sealed ticket ([`ticket`]) holding the deployer's
//!   short-lived ticket-role credentials. The ticket layer opens it (KMS, with the encryption
//!   context rebuilt from the event), checks who it belongs to (`sts:GetCallerIdentity`: same
//!   account as the function, principal on the allow-list), and the handler then receives
//!   credentials from `sts:AssumeRole` on the work role with the handler's declared
//!   [`SessionPolicy`] as session policy: the intersection of what the deployer may do through
//!   the work role and what this request needs. The provider's own credentials are moved out
//!   of the process environment at start (`handoff`) and used only for `kms:Decrypt`.
//! - `provider-role`: the classic model, the provider's own role does the work. Only when
//!   configured explicitly; every decision line says so.
//!
//! Declared permissions are checked by [`crate::session_policy`] whatever the mode.

#[cfg(feature = "aws")]
mod kms;
mod local_keys;
pub mod ticket;
#[cfg(feature = "aws")]
mod ticket_layer;
#[cfg(feature = "aws")]
mod work_session;

pub use crate::session_policy::{SessionPolicy, SessionPolicyBuilder};
#[cfg(feature = "aws")]
pub use kms::KmsDataKeys;
pub use local_keys::LocalKeys;
#[cfg(feature = "aws")]
pub use ticket_layer::TicketLayer;
#[cfg(feature = "aws")]
pub(crate) use work_session::ProviderRoleSource;
#[cfg(feature = "aws")]
pub use work_session::WorkCredentials;

use std::time::Duration;

pub use crate::decision::CredentialModeName;

/// Values from tickets and STS are cut to this many bytes in the evidence.
#[cfg(feature = "aws")]
const EVIDENCE_LIMIT: usize = 256;

/// How handlers get AWS credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialMode {
    /// No credentials.
    None,
    /// Sealed tickets and work-role sessions narrowed to the declared policy.
    Ticket(TicketSettings),
    /// The provider's own role (classic, unverified rights).
    ProviderRole,
}

impl CredentialMode {
    /// The name written on every decision line.
    pub fn name(&self) -> CredentialModeName {
        match self {
            Self::None => CredentialModeName::None,
            Self::Ticket(_) => CredentialModeName::Ticket,
            Self::ProviderRole => CredentialModeName::ProviderRole,
        }
    }
}

/// Settings of the ticket mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketSettings {
    /// The KMS key tickets are sealed with (id, ARN or alias); the only key used to open them.
    pub key_id: String,
    /// The role handlers' sessions are assumed from.
    pub work_role_arn: String,
    /// ARN patterns (`*` wildcard) of ticket principals accepted (as `GetCallerIdentity`
    /// reports them, e.g. `arn:aws:sts::123456789012:assumed-role/cfn-warden-ticket/*`).
    pub principals: Vec<String>,
    /// Work session length (900 s to 3600 s).
    pub session_duration: Duration,
}
