//! The ticket stage: opens the request's sealed ticket (KMS, with the encryption context rebuilt
//! from the event), checks whose it is (`sts:GetCallerIdentity`), and leaves a work-role
//! [`CredentialSource`](crate::pipeline::CredentialSource) in the context.

use std::{
    borrow::Cow,
    sync::Arc,
    time::{Instant, SystemTime},
};

use aws_config::SdkConfig;
use aws_credential_types::{provider::SharedCredentialsProvider, Credentials};
use aws_sdk_sts::error::ProvideErrorMetadata;
use serde_json::{json, Value};

use super::{
    kms::KmsDataKeys,
    ticket::{
        self, from_unix, DataKeys, SealedTicket, SessionCredentials, MAX_TICKET_LIFETIME,
        TICKET_PROPERTY_KEY,
    },
    work_session::{with_credentials, WorkRoleSource},
    TicketSettings, EVIDENCE_LIMIT,
};
use crate::{
    aws::{base_config, provider_credentials, provider_sdk_credentials, VerificationConfig},
    checks::{Check, Denial, Evidence, Verdict},
    handoff,
    pattern::glob_regex,
    pipeline::{Invocation, Rejection, SharedCredentialSource, Stage, StageLayer, StageService},
    protocol::{bounded, FunctionArn},
    response::BoxFuture,
    service::Context,
    Error,
};

/// Tolerated clock difference between the sealer and the provider, in seconds.
const CLOCK_SKEW_SECONDS: u64 = 300;

/// The check recorded by the ticket layer.
const TICKET_CHECK: &str = "ticket";

/// The tower layer of ticket mode. See the module doc of [`crate::credentials`].
#[derive(Clone)]
pub struct TicketLayer {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) settings: TicketSettings,
    principals: Vec<regex::Regex>,
    keys: KeySource,
    base: tokio::sync::OnceCell<SdkConfig>,
    given_base: Option<SdkConfig>,
}

/// Where data keys are decrypted.
enum KeySource {
    /// Given in code (tests, embedders).
    Given(Arc<dyn DataKeys>),
    /// KMS with the provider's own credentials, captured at start; the client is built on first
    /// use (the base configuration loads asynchronously).
    Provider {
        credentials: Credentials,
        client: tokio::sync::OnceCell<KmsDataKeys>,
    },
}

impl std::fmt::Debug for TicketLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketLayer")
            .field("settings", &self.shared.settings)
            .finish_non_exhaustive()
    }
}

impl TicketLayer {
    /// A layer opening tickets with `keys`. STS calls use `base` (region, endpoint) when given,
    /// else a configuration loaded from the environment without credentials.
    pub fn new(
        settings: TicketSettings,
        keys: Arc<dyn DataKeys>,
        base: Option<SdkConfig>,
    ) -> Result<Self, Error> {
        Self::with_keys(settings, KeySource::Given(keys), base)
    }

    /// A layer whose KMS client uses the provider's own credentials as found in `env`, else
    /// as handed over when the program re-executed itself without them (see
    /// `credentials::handoff`).
    pub fn from_environment(
        settings: TicketSettings,
        env: &dyn crate::env::Environment,
    ) -> Result<Self, Error> {
        let credentials =
            match provider_credentials(env) {
                Ok(credentials) => credentials,
                Err(name) => handoff::captured()
                    .map(provider_sdk_credentials)
                    .ok_or(Error::InvalidSetting {
                    name,
                    problem:
                        "is not set: ticket mode needs the provider's credentials for kms:Decrypt",
                })?,
            };
        Self::with_keys(
            settings,
            KeySource::Provider {
                credentials,
                client: tokio::sync::OnceCell::new(),
            },
            None,
        )
    }

    fn with_keys(
        settings: TicketSettings,
        keys: KeySource,
        base: Option<SdkConfig>,
    ) -> Result<Self, Error> {
        let principals = settings
            .principals
            .iter()
            .map(|p| glob_regex(p))
            .collect::<Option<Vec<_>>>()
            .ok_or(Error::InvalidSetting {
                name: "WARDEN_TICKET_PRINCIPALS",
                problem: "holds a pattern that cannot be compiled",
            })?;
        Ok(Self {
            shared: Arc::new(Shared {
                settings,
                principals,
                keys,
                base: tokio::sync::OnceCell::new(),
                given_base: base,
            }),
        })
    }
}

impl<S> tower::Layer<S> for TicketLayer {
    type Service = StageService<TicketLayer, S>;
    fn layer(&self, inner: S) -> Self::Service {
        StageLayer::new(self.clone()).layer(inner)
    }
}

impl Stage for TicketLayer {
    fn before<'a>(
        &'a self,
        invocation: &'a mut Invocation,
    ) -> BoxFuture<'a, Result<(), Rejection>> {
        Box::pin(async move {
            let started = Instant::now();
            let mut evidence = Evidence::new();
            let opened = self.shared.open(&invocation.context, &mut evidence).await;
            let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            let ctx = &mut invocation.context;
            match opened {
                Ok((credentials, base)) => {
                    ctx.checks().record(Check::new(
                        TICKET_CHECK,
                        Verdict::Pass,
                        evidence,
                        latency_us,
                    ));
                    ctx.reserve_property_key(TICKET_PROPERTY_KEY);
                    ctx.note_credentials_expiry(from_unix(credentials.expiration));
                    let verification = with_credentials(&base, &credentials, "cfn-warden-ticket");
                    ctx.extensions_mut()
                        .insert(VerificationConfig(verification));
                    ctx.extensions_mut()
                        .insert(SharedCredentialSource(Arc::new(WorkRoleSource {
                            shared: self.shared.clone(),
                            credentials,
                            base,
                        })));
                    Ok(())
                }
                Err(refusal) => {
                    evidence.insert("problem".into(), json!(refusal.problem()));
                    ctx.checks().record(Check::new(
                        TICKET_CHECK,
                        Verdict::Fail,
                        evidence,
                        latency_us,
                    ));
                    Err(refusal.into_rejection())
                }
            }
        })
    }
}

/// Why a ticket was not accepted.
enum Refusal {
    /// Denied: generic answer, detail in the log.
    Deny(Cow<'static, str>),
    /// The ticket expired: the answer says how to renew it.
    Expired(Error),
}

impl Refusal {
    fn problem(&self) -> String {
        match self {
            Self::Deny(d) => d.to_string(),
            Self::Expired(_) => "expired".to_owned(),
        }
    }

    fn into_rejection(self) -> Rejection {
        match self {
            Self::Deny(detail) => Rejection::Denied(Denial {
                check: TICKET_CHECK.into(),
                detail,
            }),
            Self::Expired(e) => Rejection::BadInput(e),
        }
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Shared {
    async fn base(&self) -> SdkConfig {
        match &self.given_base {
            Some(b) => b.clone(),
            None => self.base.get_or_init(base_config).await.clone(),
        }
    }

    async fn keys(&self) -> &dyn DataKeys {
        match &self.keys {
            KeySource::Given(k) => k.as_ref(),
            KeySource::Provider {
                credentials,
                client,
            } => {
                let base = self.base().await;
                client
                    .get_or_init(|| async {
                        let config = base
                            .to_builder()
                            .credentials_provider(SharedCredentialsProvider::new(
                                credentials.clone(),
                            ))
                            .build();
                        KmsDataKeys::new(aws_sdk_kms::Client::new(&config))
                    })
                    .await
            }
        }
    }

    /// Opens the request's ticket. On an Update whose ticket expired, the old properties'
    /// ticket is tried too: a rollback Update carries the previous (long expired) properties
    /// as new and the failed deployment's fresh ticket as old.
    async fn open(
        &self,
        ctx: &Context,
        evidence: &mut Evidence,
    ) -> Result<(SessionCredentials, SdkConfig), Refusal> {
        let request = ctx.request();
        let first = self
            .open_from(ctx, request.resource_properties(), evidence)
            .await;
        let old = request
            .old_resource_properties()
            .filter(|o| o.contains_key(TICKET_PROPERTY_KEY));
        match (first, old) {
            (Err(Refusal::Expired(expired)), Some(old)) => {
                let mut retry = Evidence::new();
                match self.open_from(ctx, old, &mut retry).await {
                    Ok(opened) => {
                        *evidence = retry;
                        evidence.insert("ticket_from".into(), json!("old-properties"));
                        Ok(opened)
                    }
                    Err(_) => Err(Refusal::Expired(expired)),
                }
            }
            (result, _) => result,
        }
    }

    async fn open_from(
        &self,
        ctx: &Context,
        properties: &serde_json::Map<String, Value>,
        evidence: &mut Evidence,
    ) -> Result<(SessionCredentials, SdkConfig), Refusal> {
        let request = ctx.request();
        let stack_name = request.stack().name().to_owned();
        let logical_id = request.logical_resource_id().to_owned();
        let token = match properties.get(TICKET_PROPERTY_KEY) {
            Some(Value::String(t)) => t,
            Some(_) => return Err(Refusal::Deny("WardenTicket is not a string".into())),
            None => return Err(Refusal::Deny("no WardenTicket property".into())),
        };
        let sealed =
            SealedTicket::parse(token).map_err(|e| Refusal::Deny(Cow::Owned(e.to_string())))?;
        let binding = sealed.binding();
        evidence.insert(
            "key_id".into(),
            json!(bounded(sealed.key_id(), EVIDENCE_LIMIT)),
        );
        evidence.insert(
            "not_after".into(),
            json!(crate::deadline::format_time(binding.not_after_time())),
        );
        if binding.stack_name != stack_name || binding.logical_id != logical_id {
            return Err(Refusal::Deny(
                "the ticket is sealed for another stack or logical id".into(),
            ));
        }
        let now = ctx.clock().now();
        // A genuine ticket never claims more than an hour (plus clock skew) of life.
        if binding.not_after > unix(now) + MAX_TICKET_LIFETIME.as_secs() + CLOCK_SKEW_SECONDS {
            return Err(Refusal::Deny(
                "the ticket claims more than one hour of life".into(),
            ));
        }
        if unix(now) > binding.not_after {
            return Err(Refusal::Expired(Error::TicketExpired {
                not_after: binding.not_after_time(),
                stack_name,
            }));
        }
        let credentials = ticket::open(
            self.keys().await,
            &self.settings.key_id,
            &sealed,
            &stack_name,
            &logical_id,
        )
        .await
        .map_err(|e| Refusal::Deny(Cow::Owned(format!("the ticket does not open: {e}"))))?;
        if unix(now) > credentials.expiration {
            return Err(Refusal::Expired(Error::TicketExpired {
                not_after: from_unix(credentials.expiration),
                stack_name,
            }));
        }
        // Who is this? The ticket's credentials must belong to this account and an allowed
        // principal.
        let base = self.base().await;
        let sts =
            aws_sdk_sts::Client::new(&with_credentials(&base, &credentials, "cfn-warden-ticket"));
        let identity = match sts.get_caller_identity().send().await {
            Ok(identity) => identity,
            Err(e) if e.code() == Some("ExpiredToken") => {
                return Err(Refusal::Expired(Error::TicketExpired {
                    not_after: from_unix(credentials.expiration),
                    stack_name,
                }))
            }
            Err(e) => {
                return Err(Refusal::Deny(Cow::Owned(format!(
                    "GetCallerIdentity with the ticket failed ({})",
                    e.code().unwrap_or("no error code")
                ))))
            }
        };
        let account = identity.account().unwrap_or_default();
        let principal = identity.arn().unwrap_or_default();
        evidence.insert("account".into(), json!(bounded(account, EVIDENCE_LIMIT)));
        evidence.insert(
            "principal".into(),
            json!(bounded(principal, EVIDENCE_LIMIT)),
        );
        if let Some(source) = &credentials.source_identity {
            // As the ticket says; STS checks it when the work session is assumed (the
            // `work-session` evidence carries the value STS returned).
            evidence.insert(
                "claimed_source_identity".into(),
                json!(bounded(source, EVIDENCE_LIMIT)),
            );
        }
        let function_account = FunctionArn::parse(&ctx.lambda().invoked_function_arn)
            .map(|f| f.account().to_owned())
            .unwrap_or_default();
        if account.is_empty() || account != function_account {
            return Err(Refusal::Deny(
                "the ticket belongs to another account than the function".into(),
            ));
        }
        if !self.principals.iter().any(|p| p.is_match(principal)) {
            return Err(Refusal::Deny(
                "the ticket's principal is not allowed".into(),
            ));
        }
        Ok((credentials, base))
    }
}
