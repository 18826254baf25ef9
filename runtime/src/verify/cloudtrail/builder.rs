//! The builder of the `cloudtrail-invoke` verifier: its settings, their defaults and their
//! checks. Imports its parent's verifier and `crate::pattern`.

use std::time::Duration;

use aws_sdk_cloudtrail::Client;

use super::{CloudTrailVerifier, NotFound, Settings, Source};
use crate::Error;

/// Builds a [`CloudTrailVerifier`].
#[derive(Debug, Default)]
pub struct CloudTrailVerifierBuilder {
    client: Option<Client>,
    logs_client: Option<aws_sdk_cloudwatchlogs::Client>,
    event_data_store: Option<String>,
    log_group: Option<String>,
    principals: Vec<String>,
    settings: Settings,
}

impl CloudTrailVerifierBuilder {
    /// The CloudTrail client (default: built on first use, with the ticket's credentials in
    /// ticket mode, else the provider's own captured at start). A client given here keeps the
    /// credentials it was built with: [`crate::Warden::run`] removes the provider's from the
    /// environment in `none` and `ticket` modes, so give it static credentials.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The CloudWatch Logs client for [`Self::log_group`] (default: as for
    /// [`Self::client`]).
    pub fn logs_client(mut self, client: aws_sdk_cloudwatchlogs::Client) -> Self {
        self.logs_client = Some(client);
        self
    }

    /// Read records from this CloudTrail Lake event data store (id or ARN) holding the
    /// function's Invoke data events.
    pub fn event_data_store(mut self, store: impl Into<String>) -> Self {
        self.event_data_store = Some(store.into());
        self
    }

    /// Read records from this CloudWatch Logs group, which a trail logging the function's
    /// Invoke data events delivers to (instead of an event data store).
    pub fn log_group(mut self, group: impl Into<String>) -> Self {
        self.log_group = Some(group.into());
        self
    }

    /// Principals allowed to have caused the invoke: ARN patterns where `*` matches any run of
    /// characters (e.g. `arn:aws:sts::123456789012:assumed-role/Deployer/*`). Required.
    pub fn principals<I: IntoIterator<Item = S>, S: Into<String>>(mut self, patterns: I) -> Self {
        self.principals = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Accepted `userIdentity.invokedBy` values (default: CloudFormation); empty = not checked.
    pub fn require_invoked_by<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        values: I,
    ) -> Self {
        self.settings.require_invoked_by = values.into_iter().map(Into::into).collect();
        self
    }

    /// Accepted `sourceIPAddress` values (default: CloudFormation); empty = not checked.
    pub fn require_source_ip<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        values: I,
    ) -> Self {
        self.settings.require_source_ip = values.into_iter().map(Into::into).collect();
        self
    }

    /// The longest the lookup may take (default 300 s; always within the invocation's deadline).
    pub fn budget(mut self, budget: Duration) -> Self {
        self.settings.budget = budget;
        self
    }

    /// What "not found in time" means (default: deny).
    pub fn not_found(mut self, policy: NotFound) -> Self {
        self.settings.not_found = policy;
        self
    }

    /// How much of the work budget the lookup leaves for the handler (default 30 s; at most
    /// half of what is left when the lookup starts).
    pub fn handler_reserve(mut self, reserve: Duration) -> Self {
        self.settings.handler_reserve = reserve;
        self
    }

    /// Polling backoff: first and largest delay (defaults 2 s and 20 s).
    pub fn poll_delays(mut self, first: Duration, max: Duration) -> Self {
        self.settings.first_delay = first;
        self.settings.max_delay = max;
        self
    }

    /// Builds the verifier.
    pub fn build(self) -> Result<CloudTrailVerifier, Error> {
        let invalid = |problem: &'static str| Error::InvalidSetting {
            name: "WARDEN_CLOUDTRAIL_EVENT_DATA_STORE",
            problem,
        };
        let source = match (self.event_data_store, self.log_group) {
            (Some(store), None) => {
                // Accept an id or an ARN (`...:eventdatastore/<id>`); the query names the id.
                let id = store.rsplit('/').next().unwrap_or_default().to_owned();
                if id.is_empty()
                    || id.len() > 128
                    || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    return Err(invalid("is not an event data store id or ARN"));
                }
                Source::Lake(id)
            }
            (None, Some(group)) => {
                let ok = (1..=512).contains(&group.len())
                    && group
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c));
                if !ok {
                    return Err(Error::InvalidSetting {
                        name: "WARDEN_CLOUDTRAIL_LOG_GROUP",
                        problem: "is not a log group name",
                    });
                }
                Source::LogGroup(group)
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "and WARDEN_CLOUDTRAIL_LOG_GROUP are exclusive: set one",
                ))
            }
            (None, None) => return Err(invalid("(or WARDEN_CLOUDTRAIL_LOG_GROUP) is required")),
        };
        if self.settings.budget.is_zero() {
            return Err(Error::InvalidSetting {
                name: "WARDEN_CLOUDTRAIL_BUDGET_SECONDS",
                problem: "must be more than 0",
            });
        }
        if self.principals.is_empty() {
            return Err(Error::InvalidSetting {
                name: "WARDEN_CLOUDTRAIL_PRINCIPALS",
                problem: "is required (ARN patterns)",
            });
        }
        let principals = self
            .principals
            .iter()
            .map(|p| {
                crate::pattern::glob_regex(p).ok_or(Error::InvalidSetting {
                    name: "WARDEN_CLOUDTRAIL_PRINCIPALS",
                    problem: "holds a pattern that cannot be compiled",
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(CloudTrailVerifier {
            client: self.client,
            lazy: tokio::sync::OnceCell::new(),
            logs_client: self.logs_client,
            logs_lazy: tokio::sync::OnceCell::new(),
            source,
            principals,
            settings: self.settings,
        })
    }
}
