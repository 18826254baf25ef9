//! Settings, read from the environment or set with a builder.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `WARDEN_RESPONSE_RESERVE_MS` | 3000 | time kept before the answer deadline for the PUT (capped at half the budget) |
//! | `WARDEN_MAX_EVENT_BYTES` | 1048576 | larger events are answered FAILED |
//! | `WARDEN_PUT_MAX_ATTEMPTS` | 6 | PUT attempts at most |
//! | `WARDEN_PUT_ATTEMPT_TIMEOUT_MS` | 10000 | the longest one PUT attempt may take |
//! | `WARDEN_EXTRA_RESPONSE_HOSTS` | (none) | comma-separated extra response hosts, each for one partition and region: `<partition>/<region>=<host>` (e.g. `aws-us-gov/us-gov-west-1=HOST`), for partitions whose host forms are unverified |
//! | `WARDEN_ALLOWED_STACK_ACCOUNTS` | (none) | comma-separated 12-digit accounts whose stacks may use this provider besides its own (cross-account stacks; off by default) |
//! | `WARDEN_SNS_TOPICS` | (none) | comma-separated exact SNS topic ARNs accepted as `ServiceToken` of requests delivered through SNS (SNS-backed custom resources; off by default) |
//! | `WARDEN_SIGNING_KEYS` | (unset) | JSON array of public keys (`warden keygen` output); when set, every request must carry a valid `WardenSignature` |
//! | `WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE` | `false` | accept expired (but otherwise valid) signatures on Delete |
//! | `WARDEN_VERIFY_STACK_OPERATION` | `false` | require CloudFormation to show the resource's operation in progress (the `stack-operation` check) |
//! | `WARDEN_STACK_OPERATION_WINDOW_SECONDS` | `900` | how recent that in-progress event must be |
//! | `WARDEN_STACK_OPERATION_ALLOW_MISSING_TIMESTAMP` | `false` | accept a status without a timestamp (emulators) |
//! | `WARDEN_CLOUDTRAIL_EVENT_DATA_STORE` | (unset) | CloudTrail Lake event data store (id or ARN); when set, the `cloudtrail-invoke` check runs |
//! | `WARDEN_CLOUDTRAIL_LOG_GROUP` | (unset) | instead of a Lake store: the CloudWatch Logs group a trail delivers the function's Invoke data events to |
//! | `WARDEN_CLOUDTRAIL_PRINCIPALS` | (required with the store) | comma-separated ARN patterns (`*` wildcard) of principals allowed to cause invokes |
//! | `WARDEN_CLOUDTRAIL_REQUIRE_INVOKED_BY` | `cloudformation.amazonaws.com` | comma-separated accepted `invokedBy` values; empty = not checked |
//! | `WARDEN_CLOUDTRAIL_REQUIRE_SOURCE_IP` | `cloudformation.amazonaws.com` | comma-separated accepted `sourceIPAddress` values; empty = not checked |
//! | `WARDEN_CLOUDTRAIL_BUDGET_SECONDS` | `300` | the longest the lookup may poll (always within the deadline) |
//! | `WARDEN_CLOUDTRAIL_HANDLER_RESERVE_SECONDS` | `30` | work time the lookup leaves for the handler (at most half of what is left) |
//! | `WARDEN_CLOUDTRAIL_NOT_FOUND` | `deny` | `deny` or `allow-with-alert` when no record is found in time |
//! | `WARDEN_CREDENTIALS` | `none` | `none`, `ticket` or `provider-role`: where handlers' AWS credentials come from (see [`crate::credentials`]) |
//! | `WARDEN_TICKET_KEY` | (required for `ticket`) | the KMS key tickets are sealed with (id, ARN or alias) |
//! | `WARDEN_WORK_ROLE_ARN` | (required for `ticket`) | the role work sessions are assumed from |
//! | `WARDEN_TICKET_PRINCIPALS` | (required for `ticket`) | comma-separated patterns of accepted ticket principals as GetCallerIdentity reports them: `arn:<partition>:sts::<account>:assumed-role/<role>/<session pattern>`, account and role literal |
//! | `WARDEN_WORK_SESSION_SECONDS` | `900` | work session length (900–3600) |
//! | `WARDEN_INSECURE_RESPONSE_URL_PREFIX` | (unset) | **test only**: loopback prefix under which response URLs are admitted |

use std::time::Duration;

pub use crate::env::{Environment, ProcessEnvironment};

use crate::{
    credentials::{CredentialMode, TicketSettings},
    protocol::sns::TopicArn,
    response::RetryPolicy,
    verify::consistency::{ConsistencyPolicy, ExtraResponseHost, InsecureResponseUrlPrefix},
    verify::signed::KeyRing,
    Error,
};

/// Backoff ceilings above this are refused (they could only outlive any deadline).
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// PUT attempt timeouts above this are refused: no Lambda runs longer.
const MAX_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(900);

/// Validated settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub(crate) consistency: ConsistencyPolicy,
    pub(crate) response_reserve: Duration,
    pub(crate) max_event_bytes: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) signing_keys: Option<KeyRing>,
    pub(crate) allow_expired_signatures_on_delete: bool,
    pub(crate) stack_operation: Option<StackOperationSettings>,
    pub(crate) cloudtrail: Option<CloudTrailSettings>,
    pub(crate) credentials: CredentialMode,
}

/// Settings of the `cloudtrail-invoke` check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudTrailSettings {
    /// The CloudTrail Lake event data store (id or ARN), or
    pub event_data_store: Option<String>,
    /// the CloudWatch Logs group a trail delivers to (exactly one of the two).
    pub log_group: Option<String>,
    /// ARN patterns of principals allowed to cause invokes.
    pub principals: Vec<String>,
    /// Accepted `invokedBy` values (empty: not checked).
    pub require_invoked_by: Vec<String>,
    /// Accepted `sourceIPAddress` values (empty: not checked).
    pub require_source_ip: Vec<String>,
    /// The longest the lookup may poll.
    pub budget: Duration,
    /// Allow (with an alert in the evidence) when no record is found in time.
    pub allow_when_not_found: bool,
    /// How much of the work budget the lookup leaves for the handler.
    pub handler_reserve: Duration,
}

/// Settings of the `stack-operation` check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackOperationSettings {
    /// How recent the in-progress event must be.
    pub window: Duration,
    /// Accept a status without a timestamp.
    pub allow_missing_timestamp: bool,
}

impl Default for StackOperationSettings {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(900),
            allow_missing_timestamp: false,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            consistency: ConsistencyPolicy::default(),
            response_reserve: Duration::from_secs(3),
            max_event_bytes: 1024 * 1024,
            retry: RetryPolicy::default(),
            signing_keys: None,
            allow_expired_signatures_on_delete: false,
            stack_operation: None,
            cloudtrail: None,
            credentials: CredentialMode::None,
        }
    }
}

impl Config {
    /// Starts a builder with the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the settings in the module table from `env`.
    pub fn from_env(env: &dyn Environment) -> Result<Self, Error> {
        let mut b = Self::builder();
        if let Some(v) = env.var("WARDEN_RESPONSE_RESERVE_MS") {
            b = b.response_reserve(Duration::from_millis(number(
                &v,
                "WARDEN_RESPONSE_RESERVE_MS",
            )?));
        }
        if let Some(v) = env.var("WARDEN_MAX_EVENT_BYTES") {
            let n = number(&v, "WARDEN_MAX_EVENT_BYTES")?;
            b = b.max_event_bytes(usize::try_from(n).unwrap_or(usize::MAX));
        }
        if let Some(v) = env.var("WARDEN_PUT_MAX_ATTEMPTS") {
            let n = number(&v, "WARDEN_PUT_MAX_ATTEMPTS")?;
            b = b.put_max_attempts(u32::try_from(n).unwrap_or(u32::MAX));
        }
        if let Some(v) = env.var("WARDEN_PUT_ATTEMPT_TIMEOUT_MS") {
            b = b.put_attempt_timeout(Duration::from_millis(number(
                &v,
                "WARDEN_PUT_ATTEMPT_TIMEOUT_MS",
            )?));
        }
        let list = |name: &str| -> Vec<String> {
            env.var(name)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        b = b
            .extra_response_hosts(list("WARDEN_EXTRA_RESPONSE_HOSTS"))
            .allowed_stack_accounts(list("WARDEN_ALLOWED_STACK_ACCOUNTS"))
            .sns_topics(list("WARDEN_SNS_TOPICS"));
        if let Some(v) = env.var("WARDEN_SIGNING_KEYS") {
            let keys = KeyRing::from_json(&v).map_err(|_| Error::InvalidSetting {
                name: "WARDEN_SIGNING_KEYS",
                problem: "is not a JSON array of keys as `warden keygen` prints them",
            })?;
            b = b.signing_keys(keys);
        }
        if let Some(allow) = boolean(env, "WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE")? {
            b = b.allow_expired_signatures_on_delete(allow);
        }
        if boolean(env, "WARDEN_VERIFY_STACK_OPERATION")?.unwrap_or(false) {
            let mut settings = StackOperationSettings::default();
            if let Some(v) = env.var("WARDEN_STACK_OPERATION_WINDOW_SECONDS") {
                settings.window =
                    Duration::from_secs(number(&v, "WARDEN_STACK_OPERATION_WINDOW_SECONDS")?);
                if settings.window.is_zero() {
                    return Err(Error::InvalidSetting {
                        name: "WARDEN_STACK_OPERATION_WINDOW_SECONDS",
                        problem: "must be more than 0",
                    });
                }
            }
            if let Some(allow) = boolean(env, "WARDEN_STACK_OPERATION_ALLOW_MISSING_TIMESTAMP")? {
                settings.allow_missing_timestamp = allow;
            }
            b = b.verify_stack_operation(settings);
        }
        let store = env.var("WARDEN_CLOUDTRAIL_EVENT_DATA_STORE");
        let log_group = env.var("WARDEN_CLOUDTRAIL_LOG_GROUP");
        if store.is_some() || log_group.is_some() {
            let list = |name: &str, default: &[&str]| match env.var(name) {
                Some(v) => v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                None => default.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
            };
            let cfn = ["cloudformation.amazonaws.com"];
            let allow_when_not_found = match env
                .var("WARDEN_CLOUDTRAIL_NOT_FOUND")
                .as_deref()
                .map(str::trim)
            {
                None | Some("deny") => false,
                Some("allow-with-alert") => true,
                Some(_) => {
                    return Err(Error::InvalidSetting {
                        name: "WARDEN_CLOUDTRAIL_NOT_FOUND",
                        problem: "is neither deny nor allow-with-alert",
                    })
                }
            };
            let budget = match env.var("WARDEN_CLOUDTRAIL_BUDGET_SECONDS") {
                Some(v) => Duration::from_secs(number(&v, "WARDEN_CLOUDTRAIL_BUDGET_SECONDS")?),
                None => Duration::from_secs(300),
            };
            let handler_reserve = match env.var("WARDEN_CLOUDTRAIL_HANDLER_RESERVE_SECONDS") {
                Some(v) => {
                    Duration::from_secs(number(&v, "WARDEN_CLOUDTRAIL_HANDLER_RESERVE_SECONDS")?)
                }
                None => Duration::from_secs(30),
            };
            b = b.verify_cloudtrail(CloudTrailSettings {
                event_data_store: store,
                log_group,
                principals: list("WARDEN_CLOUDTRAIL_PRINCIPALS", &[]),
                require_invoked_by: list("WARDEN_CLOUDTRAIL_REQUIRE_INVOKED_BY", &cfn),
                require_source_ip: list("WARDEN_CLOUDTRAIL_REQUIRE_SOURCE_IP", &cfn),
                budget,
                allow_when_not_found,
                handler_reserve,
            });
        }
        b = b.credentials(credential_mode(env)?);
        if let Some(v) = env.var("WARDEN_INSECURE_RESPONSE_URL_PREFIX") {
            b = b.insecure_response_url_prefix(v);
        }
        b.build()
    }

    /// The consistency-check settings.
    pub fn consistency(&self) -> &ConsistencyPolicy {
        &self.consistency
    }

    /// Events larger than this are answered FAILED.
    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// The keys signatures are verified with, when signatures are required.
    pub fn signing_keys(&self) -> Option<&KeyRing> {
        self.signing_keys.as_ref()
    }

    /// The `stack-operation` settings, when that check is on.
    pub fn stack_operation(&self) -> Option<StackOperationSettings> {
        self.stack_operation
    }

    /// The `cloudtrail-invoke` settings, when that check is on.
    pub fn cloudtrail(&self) -> Option<&CloudTrailSettings> {
        self.cloudtrail.as_ref()
    }

    /// Where handlers' AWS credentials come from.
    pub fn credentials(&self) -> &CredentialMode {
        &self.credentials
    }

    /// The test-only prefix, when set.
    pub fn insecure_response_url_prefix(&self) -> Option<&str> {
        self.consistency
            .insecure_prefix
            .as_ref()
            .map(InsecureResponseUrlPrefix::as_str)
    }
}

fn credential_mode(env: &dyn Environment) -> Result<CredentialMode, Error> {
    let required = |name: &'static str| {
        env.var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or(Error::InvalidSetting {
                name,
                problem: "is required when WARDEN_CREDENTIALS=ticket",
            })
    };
    match env.var("WARDEN_CREDENTIALS").as_deref().map(str::trim) {
        None | Some("none") => Ok(CredentialMode::None),
        Some("provider-role") => Ok(CredentialMode::ProviderRole),
        Some("ticket") => {
            let session_duration = match env.var("WARDEN_WORK_SESSION_SECONDS") {
                Some(v) => Duration::from_secs(number(&v, "WARDEN_WORK_SESSION_SECONDS")?),
                None => Duration::from_secs(900),
            };
            Ok(CredentialMode::Ticket(TicketSettings {
                key_id: required("WARDEN_TICKET_KEY")?,
                work_role_arn: required("WARDEN_WORK_ROLE_ARN")?,
                principals: required("WARDEN_TICKET_PRINCIPALS")?
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
                session_duration,
            }))
        }
        Some(_) => Err(Error::InvalidSetting {
            name: "WARDEN_CREDENTIALS",
            problem: "is none of none, ticket, provider-role",
        }),
    }
}

fn boolean(env: &dyn Environment, name: &'static str) -> Result<Option<bool>, Error> {
    match env.var(name).as_deref().map(str::trim) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(Error::InvalidSetting {
            name,
            problem: "is neither true nor false",
        }),
    }
}

fn number(value: &str, name: &'static str) -> Result<u64, Error> {
    value.trim().parse().map_err(|_| Error::InvalidSetting {
        name,
        problem: "is not a non-negative whole number",
    })
}

/// Builds a [`Config`].
#[derive(Clone, Debug, Default)]
pub struct ConfigBuilder {
    config: Config,
    insecure_prefix: Option<String>,
    extra_response_hosts: Vec<String>,
}

impl ConfigBuilder {
    /// Time kept for the PUT before the answer deadline (default 3 s; never more than half the
    /// available time).
    pub fn response_reserve(mut self, reserve: Duration) -> Self {
        self.config.response_reserve = reserve;
        self
    }

    /// Events larger than this are answered FAILED (default 1 MiB).
    pub fn max_event_bytes(mut self, bytes: usize) -> Self {
        self.config.max_event_bytes = bytes;
        self
    }

    /// PUT attempts at most (default 6, at least 1).
    pub fn put_max_attempts(mut self, attempts: u32) -> Self {
        self.config.retry.max_attempts = attempts;
        self
    }

    /// The longest one PUT attempt may take (default 10 s).
    pub fn put_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.config.retry.attempt_timeout = timeout;
        self
    }

    /// Backoff: first ceiling and largest ceiling (defaults 200 ms and 3 s).
    pub fn put_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.config.retry.base_delay = base;
        self.config.retry.max_delay = max;
        self
    }

    /// Extra exact response hosts, each written `<partition>/<region>=<host>` and admitted
    /// only for stacks in that partition and region (for partitions whose host forms FACTS
    /// marks unverified). Checked by [`Self::build`].
    pub fn extra_response_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra_response_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Accounts (12 digits) whose stacks may use this provider besides the function's own:
    /// cross-account stacks, off by default. The ResponseURL rules still follow the stack's
    /// partition and region.
    pub fn allowed_stack_accounts<I, S>(mut self, accounts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.consistency.allowed_stack_accounts =
            accounts.into_iter().map(Into::into).collect();
        self
    }

    /// SNS topics (exact ARNs) allowed as `ServiceToken` of requests delivered through SNS:
    /// the notification's `TopicArn` must be one of them and equal the request's
    /// `ServiceToken`. Off by default.
    pub fn sns_topics<I, S>(mut self, topics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.consistency.sns_topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Requires a valid `WardenSignature` on every request, verified with these keys (the
    /// signature check then runs before every other layer).
    pub fn signing_keys(mut self, keys: KeyRing) -> Self {
        self.config.signing_keys = Some(keys);
        self
    }

    /// Accepts expired (but otherwise valid) signatures on Delete (default: no).
    pub fn allow_expired_signatures_on_delete(mut self, allow: bool) -> Self {
        self.config.allow_expired_signatures_on_delete = allow;
        self
    }

    /// Requires CloudFormation to show this resource's operation in progress (the
    /// `stack-operation` check; needs the `aws` feature and `cloudformation:DescribeStackEvents`
    /// and `DescribeStackResource` for the credentials in the environment).
    pub fn verify_stack_operation(mut self, settings: StackOperationSettings) -> Self {
        self.config.stack_operation = Some(settings);
        self
    }

    /// Requires the `Invoke` behind each invocation to be on record in CloudTrail Lake, made
    /// through CloudFormation for an allowed principal (the `cloudtrail-invoke` check; needs the
    /// `aws` feature and `cloudtrail:StartQuery` / `GetQueryResults`).
    pub fn verify_cloudtrail(mut self, settings: CloudTrailSettings) -> Self {
        self.config.cloudtrail = Some(settings);
        self
    }

    /// Where handlers' AWS credentials come from (default: none).
    pub fn credentials(mut self, mode: CredentialMode) -> Self {
        self.config.credentials = mode;
        self
    }

    /// **Test only.** Admits response URLs under this loopback prefix
    /// (e.g. `http://127.0.0.1:8123/`). Every decision line says it was set.
    pub fn insecure_response_url_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.insecure_prefix = Some(prefix.into());
        self
    }

    /// Validates and returns the settings.
    pub fn build(mut self) -> Result<Config, Error> {
        if self.config.retry.max_attempts == 0 {
            return Err(Error::InvalidSetting {
                name: "WARDEN_PUT_MAX_ATTEMPTS",
                problem: "must be at least 1",
            });
        }
        if self.config.retry.attempt_timeout.is_zero() {
            return Err(Error::InvalidSetting {
                name: "WARDEN_PUT_ATTEMPT_TIMEOUT_MS",
                problem: "must be more than 0",
            });
        }
        if self.config.retry.max_delay > MAX_BACKOFF || self.config.retry.base_delay > MAX_BACKOFF {
            return Err(Error::InvalidSetting {
                name: "put_backoff",
                problem: "must not exceed 60 s",
            });
        }
        if self.config.retry.attempt_timeout > MAX_ATTEMPT_TIMEOUT {
            return Err(Error::InvalidSetting {
                name: "WARDEN_PUT_ATTEMPT_TIMEOUT_MS",
                problem: "must not exceed 900000 (15 minutes, the Lambda maximum)",
            });
        }
        if let CredentialMode::Ticket(t) = &self.config.credentials {
            let secs = t.session_duration.as_secs();
            if !(900..=3600).contains(&secs) {
                return Err(Error::InvalidSetting {
                    name: "WARDEN_WORK_SESSION_SECONDS",
                    problem:
                        "must be between 900 and 3600 (role chaining caps sessions at one hour)",
                });
            }
            // Each pattern names one account and one role literally; only the session part
            // may vary (e.g. arn:aws:sts::123456789012:assumed-role/cfn-warden-ticket/*).
            let specific = |p: &String| {
                let parts: Vec<&str> = p.splitn(6, ':').collect();
                parts.len() == 6
                    && parts[0] == "arn"
                    && !parts[1].contains('*')
                    && parts[4].len() == 12
                    && parts[4].bytes().all(|b| b.is_ascii_digit())
                    && parts[5]
                        .strip_prefix("assumed-role/")
                        .and_then(|rest| rest.split_once('/'))
                        .is_some_and(|(role, _)| !role.is_empty() && !role.contains('*'))
            };
            if t.principals.is_empty() || !t.principals.iter().all(specific) {
                return Err(Error::InvalidSetting {
                    name: "WARDEN_TICKET_PRINCIPALS",
                    problem: "must list patterns of the form arn:<partition>:sts::<12-digit account>:assumed-role/<role>/<session pattern>",
                });
            }
            if !t.work_role_arn.starts_with("arn:") || !t.work_role_arn.contains(":role/") {
                return Err(Error::InvalidSetting {
                    name: "WARDEN_WORK_ROLE_ARN",
                    problem: "is not a role ARN",
                });
            }
        }
        if self.config.max_event_bytes == 0 {
            return Err(Error::InvalidSetting {
                name: "WARDEN_MAX_EVENT_BYTES",
                problem: "must be more than 0",
            });
        }
        self.config.consistency.extra_response_hosts = self
            .extra_response_hosts
            .iter()
            .map(|spec| ExtraResponseHost::parse(spec))
            .collect::<Result<_, _>>()?;
        let account_ok = |a: &String| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
        if !self
            .config
            .consistency
            .allowed_stack_accounts
            .iter()
            .all(account_ok)
        {
            return Err(Error::InvalidSetting {
                name: "WARDEN_ALLOWED_STACK_ACCOUNTS",
                problem: "holds something that is not a 12-digit account id",
            });
        }
        for topic in &self.config.consistency.sns_topics {
            TopicArn::parse(topic).map_err(|_| Error::InvalidSetting {
                name: "WARDEN_SNS_TOPICS",
                problem: "holds something that is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)",
            })?;
        }
        if self
            .config
            .signing_keys
            .as_ref()
            .is_some_and(KeyRing::is_empty)
        {
            return Err(Error::InvalidSetting {
                name: "WARDEN_SIGNING_KEYS",
                problem: "holds no key",
            });
        }
        if let Some(prefix) = self.insecure_prefix.take() {
            self.config.consistency.insecure_prefix =
                Some(InsecureResponseUrlPrefix::new(&prefix)?);
        }
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests;
