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

pub(crate) mod handoff;
pub mod ticket;

#[cfg(feature = "aws")]
pub(crate) mod aws;

pub use crate::session_policy::{SessionPolicy, SessionPolicyBuilder};
#[cfg(feature = "aws")]
pub use aws::{KmsDataKeys, TicketLayer, WorkCredentials};

use std::{sync::Arc, time::Duration};

use serde::Serialize;

use crate::{
    response::BoxFuture,
    service::{Context, Rejection},
};

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

/// The mode as written in the decision log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CredentialModeName {
    /// `none` (also what a line written before the field existed means)
    #[default]
    None,
    /// `ticket`
    Ticket,
    /// `provider-role`
    ProviderRole,
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

/// Grants a handler credentials for its declared policy. Put into the context (as
/// [`SharedCredentialSource`]) by the credential layer; called by the runtime once the
/// properties are parsed and the handler has declared what it needs.
pub trait CredentialSource: Send + Sync + 'static {
    /// Makes credentials for `policy` available to the handler through the context (or
    /// refuses). Records its own check.
    fn grant<'a>(
        &'a self,
        policy: &'a SessionPolicy,
        ctx: &'a mut Context,
    ) -> BoxFuture<'a, Result<(), Rejection>>;
}

/// The context extension holding the request's [`CredentialSource`].
#[derive(Clone)]
pub struct SharedCredentialSource(pub Arc<dyn CredentialSource>);

impl std::fmt::Debug for SharedCredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedCredentialSource")
    }
}
