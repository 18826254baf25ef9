//! The ticket world: a local `moto_server` with the topology of ticket mode (a ticket role the
//! deployer assumes, a work role the provider assumes for each request, a symmetric KMS key),
//! and tickets sealed as `warden seal` seals them, for any resource type.
//!
//! A harness from [`TicketWorld::harness`] runs the real ticket layer in process: it opens the
//! request's `WardenTicket` with KMS, checks who sealed it, assumes the work role with the
//! session policy the handler declares, and hands the handler only that session. moto ignores
//! session policies, so judge the recorded calls with [`crate::Exchange::assert_calls_allowed`].

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use cfn_warden::{
    credentials::{
        ticket::{self, SessionCredentials, TicketBinding, TICKET_PROPERTY_KEY},
        KmsDataKeys, TicketSettings,
    },
    Secret,
};
use serde_json::json;

use crate::{Aws, CfnEvent, Harness, HarnessBuilder, KitError, Moto, ACCOUNT};

/// The ticket role's name (what sealing assumes).
pub const TICKET_ROLE_NAME: &str = "cfn-warden-ticket";
/// The work role's name (what the provider assumes for a handler).
pub const WORK_ROLE_NAME: &str = "cfn-warden-work";
/// The deployer's source identity on every ticket the world seals.
pub const DEPLOYER: &str = "alice";

/// moto with the roles and key of ticket mode. See the module docs.
#[derive(Debug)]
pub struct TicketWorld {
    moto: Moto,
    key_id: String,
    ticket_role: String,
    work_role: String,
    aws: Aws,
}

impl TicketWorld {
    /// Starts moto and creates the ticket role, the work role and the ticket key.
    pub async fn start() -> Result<Self, KitError> {
        let moto = Moto::start().await?;
        let ticket_role = moto.create_role(TICKET_ROLE_NAME).await?;
        let work_role = moto.create_role(WORK_ROLE_NAME).await?;
        let key_id = moto.create_symmetric_key().await?;
        let aws = moto.aws();
        Ok(Self {
            moto,
            key_id,
            ticket_role,
            work_role,
            aws,
        })
    }

    /// The emulator (to create what a test needs, or to read back what a handler made).
    pub fn moto(&self) -> &Moto {
        &self.moto
    }

    /// The recording [`Aws`] a harness from [`TicketWorld::harness`] hands its handler (only
    /// the handler's calls: the ticket layer's own STS and KMS calls are not in it).
    pub fn aws(&self) -> &Aws {
        &self.aws
    }

    /// The ticket key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The ticket role's ARN.
    pub fn ticket_role(&self) -> &str {
        &self.ticket_role
    }

    /// The work role's ARN.
    pub fn work_role(&self) -> &str {
        &self.work_role
    }

    /// The provider's ticket settings in this world (`WARDEN_TICKET_KEY`,
    /// `WARDEN_WORK_ROLE_ARN`, `WARDEN_TICKET_PRINCIPALS`, 15-minute work sessions).
    pub fn settings(&self) -> TicketSettings {
        TicketSettings {
            key_id: self.key_id.clone(),
            work_role_arn: self.work_role.clone(),
            principals: vec![format!(
                "arn:aws:sts::{ACCOUNT}:assumed-role/{TICKET_ROLE_NAME}/*"
            )],
            session_duration: Duration::from_secs(900),
        }
    }

    /// The same settings as environment variables, for a provider process
    /// (`WARDEN_CREDENTIALS=ticket` included).
    pub fn provider_env(&self) -> Vec<(&'static str, String)> {
        let settings = self.settings();
        vec![
            ("WARDEN_CREDENTIALS", "ticket".to_owned()),
            ("WARDEN_TICKET_KEY", settings.key_id),
            ("WARDEN_WORK_ROLE_ARN", settings.work_role_arn),
            ("WARDEN_TICKET_PRINCIPALS", settings.principals.join(",")),
        ]
    }

    /// An SDK configuration for set-up calls (sealing, the provider's KMS client): test
    /// credentials, this moto, not recorded.
    fn setup_config(&self) -> aws_config::SdkConfig {
        Aws::endpoint(self.moto.endpoint()).sdk_config()
    }

    /// A harness for `handler` in ticket mode in this world: the events it is sent need a
    /// ticket ([`TicketWorld::seal`]).
    pub fn harness<H: cfn_warden::pipeline::IntoPipeline + 'static>(
        &self,
        handler: H,
    ) -> HarnessBuilder<H> {
        let keys = KmsDataKeys::new(aws_sdk_kms::Client::new(&self.setup_config()));
        Harness::builder(handler)
            .aws(self.aws.clone())
            .ticket_layer(self.settings(), Arc::new(keys), self.setup_config())
    }

    /// `event` with a `WardenTicket` sealed by the deployer [`DEPLOYER`] for its stack and
    /// logical id, valid 15 minutes.
    pub async fn seal(&self, event: CfnEvent) -> Result<CfnEvent, KitError> {
        let token = self
            .ticket(
                event.stack_name(),
                event.logical_id(),
                Duration::from_secs(900),
            )
            .await?;
        Ok(event.property(TICKET_PROPERTY_KEY, json!(token)))
    }

    /// A ticket for `logical_id` in stack `stack_name`, valid for `lifetime` (at most the
    /// ticket-role session's hour), as `warden seal` makes it.
    pub async fn ticket(
        &self,
        stack_name: &str,
        logical_id: &str,
        lifetime: Duration,
    ) -> Result<String, KitError> {
        let config = self.setup_config();
        let session = aws_sdk_sts::Client::new(&config)
            .assume_role()
            .role_arn(&self.ticket_role)
            .role_session_name("cfn-warden-test-seal")
            .duration_seconds(3600)
            .source_identity(DEPLOYER)
            .send()
            .await
            .map_err(|e| KitError::Aws {
                operation: "sts:AssumeRole (the ticket role)",
                source: Box::new(e),
            })?;
        let c = session.credentials().ok_or(KitError::Unexpected {
            what: "sts:AssumeRole",
            body: "no credentials in the answer".to_owned(),
        })?;
        let expiration = u64::try_from(c.expiration().secs()).unwrap_or(0);
        let credentials = SessionCredentials {
            access_key_id: c.access_key_id().to_owned(),
            secret_access_key: Secret::new(c.secret_access_key().to_owned()),
            session_token: Secret::new(c.session_token().to_owned()),
            expiration,
            source_identity: Some(DEPLOYER.to_owned()),
        };
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let binding = TicketBinding {
            stack_name: stack_name.to_owned(),
            logical_id: logical_id.to_owned(),
            not_after: expiration.min(now + lifetime.as_secs()),
        };
        let keys = KmsDataKeys::new(aws_sdk_kms::Client::new(&config));
        let sealed = ticket::seal(&keys, &self.key_id, &credentials, binding).await?;
        Ok(sealed.to_token())
    }
}
