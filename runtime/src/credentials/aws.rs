//! The AWS side of the credential modes: KMS data keys, the ticket layer (open, identify) and the
//! work-role session (AssumeRole with the declared session policy).

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
    sync::Arc,
    task::{Context as TaskContext, Poll},
    time::{Instant, SystemTime},
};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::{provider::SharedCredentialsProvider, Credentials};
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_smithy_types::Blob;
use serde_json::{json, Value};

use super::{
    handoff::{self, ProviderKeys},
    ticket::{
        self, from_unix, DataKey, DataKeys, SealedTicket, SessionCredentials, MAX_TICKET_LIFETIME,
        TICKET_PROPERTY_KEY,
    },
    CredentialSource, SessionPolicy, SharedCredentialSource, TicketSettings,
};
use crate::{
    checks::{Check, Denial, Evidence, Verdict},
    pattern::glob_regex,
    protocol::{bounded, sha256_hex, FunctionArn},
    response::BoxFuture,
    secret::Secret,
    service::{Context, HandlerError, Invocation, Outcome, Rejection},
    Error,
};

/// Tolerated clock difference between the sealer and the provider, in seconds.
const CLOCK_SKEW_SECONDS: u64 = 300;

/// Values from tickets and STS are cut to this many bytes in the evidence.
const EVIDENCE_LIMIT: usize = 256;

/// The check recorded by the ticket layer.
const TICKET_CHECK: &str = "ticket";
/// The check recorded when a work session is assumed.
const SESSION_CHECK: &str = "work-session";
/// The check recorded in provider-role mode.
const PROVIDER_ROLE_CHECK: &str = "provider-role-credentials";

/// The provider's own credentials as found in `env`, or the first variable missing.
fn provider_credentials(env: &dyn crate::env::Environment) -> Result<Credentials, &'static str> {
    ProviderKeys::from_env(env).map(provider_sdk_credentials)
}

fn provider_sdk_credentials(keys: ProviderKeys) -> Credentials {
    Credentials::new(
        keys.access_key_id,
        keys.secret_access_key.into_inner(),
        keys.session_token.map(Secret::into_inner),
        None,
        "cfn-warden-provider",
    )
}

/// The SDK configuration the verifiers (outside ticket mode) and provider-role handlers use:
/// the provider's own credentials (handed over at start, or still in the environment) when
/// there are any, else the environment's credential chain.
pub(crate) async fn provider_sdk_config() -> SdkConfig {
    let config = crate::aws::sdk_config().await;
    match handoff::captured() {
        Some(keys) => config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider_sdk_credentials(
                keys,
            )))
            .build(),
        None => config,
    }
}

/// Session credentials for a handler: the SDK configuration built only from the work-role
/// session assumed for this request. Read it with [`Context::aws`].
#[derive(Clone, Debug)]
pub struct WorkCredentials(pub SdkConfig);

tokio::task_local! {
    /// The SDK configuration the verifiers after the ticket layer use: the ticket-role
    /// session, so the provider's own role needs no read rights for verification.
    static VERIFICATION_CONFIG: SdkConfig;
}

/// The ticket's SDK configuration, inside a ticket-mode request.
pub(crate) fn verification_config() -> Option<SdkConfig> {
    VERIFICATION_CONFIG.try_with(Clone::clone).ok()
}

/// [`DataKeys`] on AWS KMS.
#[derive(Clone, Debug)]
pub struct KmsDataKeys {
    client: aws_sdk_kms::Client,
}

impl KmsDataKeys {
    /// Uses this KMS client.
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }
}

fn aws_error(service: &'static str, operation: &'static str, code: Option<&str>) -> Error {
    Error::AwsCall {
        service,
        operation,
        code: code.unwrap_or("no error code").to_owned(),
    }
}

fn context_map(context: &BTreeMap<String, String>) -> HashMap<String, String> {
    context
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl DataKeys for KmsDataKeys {
    fn generate<'a>(
        &'a self,
        key_id: &'a str,
        context: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<DataKey, Error>> {
        Box::pin(async move {
            let out = self
                .client
                .generate_data_key()
                .key_id(key_id)
                .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
                .set_encryption_context(Some(context_map(context)))
                .send()
                .await
                .map_err(|e| aws_error("kms", "GenerateDataKey", e.code()))?;
            match (out.plaintext, out.ciphertext_blob) {
                (Some(plain), Some(blob)) => Ok(DataKey {
                    plaintext: Secret::new(plain.into_inner()),
                    ciphertext: blob.into_inner(),
                }),
                _ => Err(aws_error(
                    "kms",
                    "GenerateDataKey",
                    Some("IncompleteResponse"),
                )),
            }
        })
    }

    fn decrypt<'a>(
        &'a self,
        key_id: &'a str,
        ciphertext: &'a [u8],
        context: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<Secret<Vec<u8>>, Error>> {
        Box::pin(async move {
            let out = self
                .client
                .decrypt()
                .key_id(key_id)
                .ciphertext_blob(Blob::new(ciphertext))
                .set_encryption_context(Some(context_map(context)))
                .send()
                .await
                .map_err(|e| aws_error("kms", "Decrypt", e.code()))?;
            out.plaintext
                .map(|p| Secret::new(p.into_inner()))
                .ok_or_else(|| aws_error("kms", "Decrypt", Some("IncompleteResponse")))
        })
    }
}

fn sdk_credentials(c: &SessionCredentials, provider: &'static str) -> Credentials {
    Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().clone(),
        Some(c.session_token.expose().clone()),
        Some(from_unix(c.expiration)),
        provider,
    )
}

fn with_credentials(base: &SdkConfig, c: &SessionCredentials, provider: &'static str) -> SdkConfig {
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(sdk_credentials(c, provider)))
        .build()
}

/// The base configuration (region, endpoint, HTTP client) without any credentials.
async fn base_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::aws::https_client())
        .no_credentials()
        .load()
        .await
}

/// The tower layer of ticket mode. See the module doc of [`crate::credentials`].
#[derive(Clone)]
pub struct TicketLayer {
    shared: Arc<Shared>,
}

struct Shared {
    settings: TicketSettings,
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
    type Service = TicketService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        TicketService {
            shared: self.shared.clone(),
            inner,
        }
    }
}

/// The service a [`TicketLayer`] builds.
#[derive(Clone)]
pub struct TicketService<S> {
    shared: Arc<Shared>,
    inner: S,
}

impl<S> tower::Service<Invocation> for TicketService<S>
where
    S: tower::Service<Invocation, Response = Outcome, Error = Rejection> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Outcome;
    type Error = Rejection;
    type Future = BoxFuture<'static, Result<Outcome, Rejection>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Rejection>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let shared = self.shared.clone();
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let mut invocation = invocation;
            let started = Instant::now();
            let mut evidence = Evidence::new();
            let opened = shared.open(&invocation.context, &mut evidence).await;
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
                    let verification = with_credentials(&base, &credentials, "cfn-warden-ticket");
                    ctx.extensions_mut()
                        .insert(SharedCredentialSource(Arc::new(WorkRoleSource {
                            shared: shared.clone(),
                            credentials,
                            base,
                        })));
                    VERIFICATION_CONFIG
                        .scope(verification, inner.call(invocation))
                        .await
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

/// Grants the handler a work-role session narrowed to its declared policy.
struct WorkRoleSource {
    shared: Arc<Shared>,
    credentials: SessionCredentials,
    base: SdkConfig,
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
    fn grant<'a>(
        &'a self,
        policy: &'a SessionPolicy,
        ctx: &'a mut Context,
    ) -> BoxFuture<'a, Result<(), Rejection>> {
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
    fn grant<'a>(
        &'a self,
        policy: &'a SessionPolicy,
        ctx: &'a mut Context,
    ) -> BoxFuture<'a, Result<(), Rejection>> {
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
