//! Work sessions: the credentials a handler receives for what it declared. In ticket mode an
//! `sts:AssumeRole` on the work role with the declared session policy ([`WorkRoleSource`]); in
//! provider-role mode the provider's own ([`ProviderRoleSource`]).

use std::{borrow::Cow, sync::Arc, time::Instant};

use aws_config::SdkConfig;
use aws_credential_types::{provider::SharedCredentialsProvider, Credentials};
use aws_sdk_sts::error::ProvideErrorMetadata;
use serde_json::json;

use super::{
    ticket::{from_unix, SessionCredentials},
    ticket_layer::Shared,
    SessionPolicy, EVIDENCE_LIMIT,
};
use crate::{
    aws::provider_sdk_config,
    checks::{Check, Denial, Evidence, Verdict},
    pipeline::{CredentialSource, Grant, Rejection},
    protocol::{bounded, sha256_hex},
    secret::Secret,
    service::{Context, HandlerError},
    Error,
};

/// The check recorded when a work session is assumed.
const SESSION_CHECK: &str = "work-session";
/// The check recorded in provider-role mode.
const PROVIDER_ROLE_CHECK: &str = "provider-role-credentials";

/// Session credentials for a handler: the SDK configuration built only from the work-role
/// session assumed for this request. Read it with [`Context::aws`].
#[derive(Clone, Debug)]
pub struct WorkCredentials(pub SdkConfig);

fn sdk_credentials(c: &SessionCredentials, provider: &'static str) -> Credentials {
    Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().clone(),
        Some(c.session_token.expose().clone()),
        Some(from_unix(c.expiration)),
        provider,
    )
}

pub(super) fn with_credentials(
    base: &SdkConfig,
    c: &SessionCredentials,
    provider: &'static str,
) -> SdkConfig {
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(sdk_credentials(c, provider)))
        .build()
}

/// Grants the handler a work-role session narrowed to its declared policy.
pub(super) struct WorkRoleSource {
    pub(super) shared: Arc<Shared>,
    pub(super) credentials: SessionCredentials,
    pub(super) base: SdkConfig,
}

/// `RoleSessionName`: `cfn-` and the CloudFormation RequestId, in STS's character set.
fn session_name(request_id: &str) -> String {
    let cleaned: String = request_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-".contains(*c))
        .collect();
    let mut name = format!("cfn-{cleaned}");
    name.truncate(64);
    name
}

fn policy_evidence(policy: &SessionPolicy) -> Evidence {
    let mut evidence = Evidence::new();
    evidence.insert("actions".into(), json!(policy.actions()));
    evidence.insert(
        "policy_chars".into(),
        json!(policy.to_json().chars().count()),
    );
    evidence.insert(
        "policy_sha256".into(),
        json!(sha256_hex(&[policy.to_json()])),
    );
    evidence
}

impl CredentialSource for WorkRoleSource {
    fn withdraw(&self, ctx: &mut Context) {
        ctx.extensions_mut().remove::<WorkCredentials>();
    }

    fn grant<'a>(&'a self, policy: &'a SessionPolicy, ctx: &'a mut Context) -> Grant<'a> {
        Box::pin(async move {
            let started = Instant::now();
            let mut evidence = policy_evidence(policy);
            let name = session_name(ctx.request().request_id());
            evidence.insert("role".into(), json!(self.shared.settings.work_role_arn));
            evidence.insert("session_name".into(), json!(name));
            let sts = aws_sdk_sts::Client::new(&with_credentials(
                &self.base,
                &self.credentials,
                "cfn-warden-ticket",
            ));
            let duration =
                i32::try_from(self.shared.settings.session_duration.as_secs()).unwrap_or(900);
            let result = sts
                .assume_role()
                .role_arn(&self.shared.settings.work_role_arn)
                .role_session_name(&name)
                .policy(policy.to_json())
                .duration_seconds(duration)
                .set_source_identity(self.credentials.source_identity.clone())
                .send()
                .await;
            let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            let out = match result {
                Ok(out) => out,
                Err(e) => {
                    let code = e.code().unwrap_or("no error code").to_owned();
                    evidence.insert(
                        "problem".into(),
                        json!(format!("AssumeRole failed ({code})")),
                    );
                    ctx.checks().record(Check::new(
                        SESSION_CHECK,
                        Verdict::Fail,
                        evidence,
                        latency_us,
                    ));
                    return Err(match code.as_str() {
                        "PackedPolicyTooLarge" => Rejection::BadInput(Error::PackedPolicyTooLarge),
                        "MalformedPolicyDocument" => {
                            Rejection::BadInput(Error::PolicyRejectedBySts { code })
                        }
                        "ExpiredToken" => Rejection::BadInput(Error::TicketExpired {
                            not_after: from_unix(self.credentials.expiration),
                            stack_name: ctx.request().stack().name().to_owned(),
                        }),
                        _ => Rejection::Denied(Denial {
                            check: SESSION_CHECK.into(),
                            detail: Cow::Owned(format!(
                                "AssumeRole on the work role failed ({code})"
                            )),
                        }),
                    });
                }
            };
            let Some(c) = out.credentials() else {
                ctx.checks().record(Check::new(
                    SESSION_CHECK,
                    Verdict::Fail,
                    evidence,
                    latency_us,
                ));
                return Err(Rejection::Denied(Denial {
                    check: SESSION_CHECK.into(),
                    detail: "AssumeRole returned no credentials".into(),
                }));
            };
            if let Some(user) = out.assumed_role_user() {
                evidence.insert("session_arn".into(), json!(user.arn()));
            }
            if let Some(source) = out.source_identity() {
                evidence.insert(
                    "source_identity".into(),
                    json!(bounded(source, EVIDENCE_LIMIT)),
                );
            }
            let expiration = c.expiration().secs().max(0).unsigned_abs();
            let session = SessionCredentials {
                access_key_id: c.access_key_id().to_owned(),
                secret_access_key: Secret::new(c.secret_access_key().to_owned()),
                session_token: Secret::new(c.session_token().to_owned()),
                expiration,
                source_identity: out.source_identity().map(str::to_owned),
            };
            ctx.checks().record(Check::new(
                SESSION_CHECK,
                Verdict::Pass,
                evidence,
                latency_us,
            ));
            ctx.extensions_mut()
                .insert(WorkCredentials(with_credentials(
                    &self.base,
                    &session,
                    "cfn-warden-work-session",
                )));
            Ok(())
        })
    }
}

/// Provider-role mode: the handler gets the provider's own credentials (its declared policy is
/// still checked and logged, but not enforced).
pub(crate) struct ProviderRoleSource {
    config: tokio::sync::OnceCell<SdkConfig>,
}

impl ProviderRoleSource {
    pub(crate) fn new() -> Self {
        Self {
            config: tokio::sync::OnceCell::new(),
        }
    }
}

impl CredentialSource for ProviderRoleSource {
    fn grant<'a>(&'a self, policy: &'a SessionPolicy, ctx: &'a mut Context) -> Grant<'a> {
        Box::pin(async move {
            let mut evidence = policy_evidence(policy);
            evidence.insert(
                "note".into(),
                json!("the provider's own role does the work; the declared policy is not enforced"),
            );
            ctx.checks()
                .record(Check::new(PROVIDER_ROLE_CHECK, Verdict::Skip, evidence, 0));
            let config = self.config.get_or_init(provider_sdk_config).await.clone();
            ctx.extensions_mut().insert(WorkCredentials(config));
            Ok(())
        })
    }

    fn withdraw(&self, ctx: &mut Context) {
        ctx.extensions_mut().remove::<WorkCredentials>();
    }
}

impl Context {
    /// The AWS SDK configuration for this request's work: in ticket mode a work-role session
    /// narrowed to what the handler declared in [`crate::CustomResource::permissions`]; in
    /// provider-role mode the provider's own. Errors when the provider runs without
    /// credentials or the handler declared no permissions.
    pub fn aws(&self) -> Result<&SdkConfig, HandlerError> {
        self.extensions()
            .get::<WorkCredentials>()
            .map(|w| &w.0)
            .ok_or_else(|| {
                HandlerError::new(
                    "no AWS credentials for this request: the provider runs without credentials \
                     (WARDEN_CREDENTIALS) or the handler declared no permissions",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_fit_sts() {
        assert_eq!(
            session_name("c1f1d0a4-6a7b-4d0e-9b9e-0123456789ab"),
            "cfn-c1f1d0a4-6a7b-4d0e-9b9e-0123456789ab"
        );
        let long = session_name(&"a/b c".repeat(40));
        assert!(long.len() <= 64 && !long.contains(['/', ' ']), "{long}");
    }
}
