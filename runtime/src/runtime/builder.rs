//! Building a [`Warden`]: the handler (or router), the layers given in code, and the
//! configured checks (signature, ticket, stack operation, CloudTrail) wrapped around them in
//! their fixed order.

use std::sync::Arc;

use tower::{util::BoxCloneSyncService, Layer, Service};

use super::Warden;
use crate::{
    config::{Config, Environment, ProcessEnvironment},
    continuation::{Continuations, CONTINUATION_KEY_SETTING},
    credentials::CredentialMode,
    deadline::{SharedClock, SystemClock},
    decision::{DecisionSink, StdoutSink},
    pipeline::{IntoPipeline, Invocation, Outcome, Pipeline, Rejection, SharedCredentialSource},
    response::{Jitter, ReqwestTransport, ResponseTransport, SystemJitter},
    verify::{signed::SignatureVerifier, VerifyLayer},
    Error,
};

type LayerFn = Box<dyn FnOnce(Pipeline) -> Pipeline + Send>;

/// Builds a [`Warden`].
pub struct WardenBuilder<H> {
    handler: H,
    layers: Vec<LayerFn>,
    config: Option<Config>,
    clock: Option<SharedClock>,
    transport: Option<Arc<dyn ResponseTransport>>,
    jitter: Option<Arc<dyn Jitter>>,
    sink: Option<Arc<dyn DecisionSink>>,
    continuations: Option<Continuations>,
}

impl Warden {
    /// Starts a builder for `handler`.
    pub fn builder<H: IntoPipeline>(handler: H) -> WardenBuilder<H> {
        WardenBuilder {
            handler,
            layers: Vec::new(),
            config: None,
            clock: None,
            transport: None,
            jitter: None,
            sink: None,
            continuations: None,
        }
    }
}

impl<H: IntoPipeline> WardenBuilder<H> {
    /// Adds a tower layer around the handler. Layers run in the order they are added: the
    /// first added sees the request first. Verification layers should come before credential
    /// layers.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Pipeline> + Send + 'static,
        L::Service: Service<Invocation, Response = Outcome, Error = Rejection>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<Invocation>>::Future: Send + 'static,
    {
        self.layers.push(Box::new(move |inner| {
            BoxCloneSyncService::new(layer.layer(inner))
        }));
        self
    }

    /// Settings (default: read from the process environment at `build`).
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How answers are PUT (default: reqwest over rustls).
    pub fn transport(mut self, transport: Arc<dyn ResponseTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The backoff jitter source (default: the OS random source).
    pub fn jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Where decision lines go (default: stdout).
    pub fn decision_sink(mut self, sink: Arc<dyn DecisionSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Long-running operations: where continuations' data keys come from and how the next
    /// poll is delivered (default: from `WARDEN_CONTINUATION_KEY`, a KMS key, and
    /// self-invocation, when that is set; otherwise a handler answering in progress is
    /// answered FAILED naming the setting).
    pub fn continuations(mut self, continuations: Continuations) -> Self {
        self.continuations = Some(continuations);
        self
    }

    /// Builds the runtime.
    pub fn build(self) -> Result<Warden, Error> {
        self.build_with_env(&ProcessEnvironment)
    }

    /// Builds the runtime, reading settings from `env` when none were given.
    pub fn build_with_env(self, env: &dyn Environment) -> Result<Warden, Error> {
        let continuations = match self.continuations {
            Some(c) => Some(c),
            None => env
                .var(CONTINUATION_KEY_SETTING)
                .filter(|k| !k.is_empty())
                .map(continuations_in_lambda)
                .transpose()?,
        };
        let config = match self.config {
            Some(c) => c,
            None => Config::from_env(env)?,
        };
        let transport: Arc<dyn ResponseTransport> = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestTransport::new()?),
        };
        let mut pipeline: Pipeline = self.handler.into_pipeline();
        for layer in self.layers.into_iter().rev() {
            pipeline = layer(pipeline);
        }
        // Configured checks wrap the layers given in code. Order of execution: signature (offline,
        // cheapest), ticket (its credentials serve the next checks), stack operation, CloudTrail
        // (the slowest), then the layers given in code.
        if let Some(settings) = config.cloudtrail.clone() {
            pipeline = cloudtrail_layer(settings, pipeline)?;
        }
        if let Some(settings) = config.stack_operation {
            pipeline = stack_operation_layer(settings, pipeline)?;
        }
        if let CredentialMode::Ticket(settings) = &config.credentials {
            pipeline = ticket_layer(settings.clone(), env, pipeline)?;
        }
        if let Some(keys) = config.signing_keys.clone() {
            let verifier = SignatureVerifier::builder()
                .keys(keys)
                .allow_expired_on_delete(config.allow_expired_signatures_on_delete)
                .build()?;
            pipeline = BoxCloneSyncService::new(VerifyLayer::new(verifier).layer(pipeline));
        }
        let provider_source = match &config.credentials {
            CredentialMode::ProviderRole => Some(provider_role_source()?),
            _ => None,
        };
        Ok(Warden {
            provider_source,
            continuations: continuations.map(Arc::new),
            ledger: Arc::default(),
            pipeline: Arc::new(pipeline),
            config,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            transport,
            jitter: self
                .jitter
                .unwrap_or_else(|| Arc::new(SystemJitter::default())),
            sink: self.sink.unwrap_or_else(|| Arc::new(StdoutSink)),
        })
    }
}

#[cfg(feature = "aws")]
fn stack_operation_layer(
    settings: crate::StackOperationSettings,
    inner: Pipeline,
) -> Result<Pipeline, Error> {
    let verifier = crate::verify::stack_operation::StackOperationVerifier::builder()
        .window(settings.window)
        .allow_missing_timestamp(settings.allow_missing_timestamp)
        .build();
    Ok(BoxCloneSyncService::new(
        VerifyLayer::new(verifier).layer(inner),
    ))
}

#[cfg(feature = "aws")]
fn cloudtrail_layer(
    settings: crate::CloudTrailSettings,
    inner: Pipeline,
) -> Result<Pipeline, Error> {
    use crate::verify::cloudtrail::{CloudTrailVerifier, NotFound};
    let mut builder = CloudTrailVerifier::builder();
    if let Some(store) = settings.event_data_store {
        builder = builder.event_data_store(store);
    }
    if let Some(group) = settings.log_group {
        builder = builder.log_group(group);
    }
    let verifier = builder
        .principals(settings.principals)
        .require_invoked_by(settings.require_invoked_by)
        .require_source_ip(settings.require_source_ip)
        .budget(settings.budget)
        .handler_reserve(settings.handler_reserve)
        .not_found(if settings.allow_when_not_found {
            NotFound::AllowWithAlert
        } else {
            NotFound::Deny
        })
        .build()?;
    Ok(BoxCloneSyncService::new(
        VerifyLayer::new(verifier).layer(inner),
    ))
}

#[cfg(feature = "aws")]
fn ticket_layer(
    settings: crate::credentials::TicketSettings,
    env: &dyn Environment,
    inner: Pipeline,
) -> Result<Pipeline, Error> {
    let layer = crate::credentials::TicketLayer::from_environment(settings, env)?;
    Ok(BoxCloneSyncService::new(layer.layer(inner)))
}

#[cfg(feature = "aws")]
fn provider_role_source() -> Result<SharedCredentialSource, Error> {
    Ok(SharedCredentialSource(Arc::new(
        crate::credentials::ProviderRoleSource::new(),
    )))
}

#[cfg(not(feature = "aws"))]
fn ticket_layer(
    _: crate::credentials::TicketSettings,
    _: &dyn Environment,
    _: Pipeline,
) -> Result<Pipeline, Error> {
    Err(Error::InvalidSetting {
        name: "WARDEN_CREDENTIALS",
        problem: "ticket mode needs cfn-warden built with the `aws` feature",
    })
}

#[cfg(not(feature = "aws"))]
fn provider_role_source() -> Result<SharedCredentialSource, Error> {
    Err(Error::InvalidSetting {
        name: "WARDEN_CREDENTIALS",
        problem: "provider-role mode needs cfn-warden built with the `aws` feature",
    })
}

#[cfg(not(feature = "aws"))]
fn cloudtrail_layer(_: crate::CloudTrailSettings, _: Pipeline) -> Result<Pipeline, Error> {
    Err(Error::InvalidSetting {
        name: "WARDEN_CLOUDTRAIL_EVENT_DATA_STORE",
        problem: "needs cfn-warden built with the `aws` feature",
    })
}

#[cfg(not(feature = "aws"))]
fn stack_operation_layer(_: crate::StackOperationSettings, _: Pipeline) -> Result<Pipeline, Error> {
    Err(Error::InvalidSetting {
        name: "WARDEN_VERIFY_STACK_OPERATION",
        problem: "needs cfn-warden built with the `aws` feature",
    })
}

#[cfg(feature = "aws")]
fn continuations_in_lambda(key_id: String) -> Result<Continuations, Error> {
    crate::continuation::in_lambda(key_id)
}

#[cfg(not(feature = "aws"))]
fn continuations_in_lambda(_: String) -> Result<Continuations, Error> {
    Err(Error::InvalidSetting {
        name: CONTINUATION_KEY_SETTING,
        problem: "needs cfn-warden built with the `aws` feature",
    })
}
