//! One provider binary driven through one local Lambda: the unit most tests work with.

use std::{path::Path, time::Duration};

use serde_json::Value;

use super::{Exchange, LocalLambda, Provider};
use crate::{CfnEvent, KitError};

/// A started provider and its local Lambda.
pub struct Session {
    /// The local Runtime API and response endpoint.
    pub lambda: LocalLambda,
    /// The provider process.
    pub provider: Provider,
    sent: usize,
}

impl Session {
    /// Starts the program at `binary` (as the function named like its file) and waits for
    /// its first poll.
    pub async fn start(binary: impl AsRef<Path>) -> Result<Self, KitError> {
        Self::start_with_env(binary, &[]).await
    }

    /// Starts `binary` with extra environment variables.
    pub async fn start_with_env(
        binary: impl AsRef<Path>,
        env: &[(&str, &str)],
    ) -> Result<Self, KitError> {
        let binary = binary.as_ref();
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "provider".to_owned());
        let lambda = LocalLambda::start().await?;
        let provider = Provider::spawn(binary, &lambda, &name, env)?;
        lambda.wait_for_polls(1, Duration::from_secs(20)).await?;
        Ok(Self {
            lambda,
            provider,
            sent: 0,
        })
    }

    /// Completes an event for this session: ServiceToken = the function, answers to the local
    /// endpoint.
    pub fn prepare(&self, event: CfnEvent) -> CfnEvent {
        event
            .service_token(self.provider.function_arn())
            .respond_to(&self.lambda.response_base())
    }

    /// Sends an event with a Lambda timeout of `time_limit`; returns the exchange and this
    /// invocation's decision line.
    pub async fn send(
        &mut self,
        event: &CfnEvent,
        time_limit: Duration,
    ) -> Result<(Exchange, Value), KitError> {
        self.send_raw(event.to_bytes(), time_limit).await
    }

    /// Prepares `event` for this session ([`Session::prepare`]), sends it ([`Session::send`])
    /// and returns the answer the provider PUT (`Null` if none came) and the decision line.
    pub async fn answer(
        &mut self,
        event: CfnEvent,
        time_limit: Duration,
    ) -> Result<(Value, Value), KitError> {
        let event = self.prepare(event);
        let (exchange, line) = self.send(&event, time_limit).await?;
        Ok((exchange.answer().unwrap_or(Value::Null), line))
    }

    /// Sends raw bytes as the event.
    pub async fn send_raw(
        &mut self,
        body: Vec<u8>,
        time_limit: Duration,
    ) -> Result<(Exchange, Value), KitError> {
        let arn = self.provider.function_arn().to_owned();
        let exchange = self.lambda.invoke(body, &arn, time_limit, None).await?;
        self.sent += 1;
        let decisions = self
            .provider
            .wait_for_decisions(self.sent, Duration::from_secs(10))
            .await?;
        let line = decisions.get(self.sent - 1).cloned().unwrap_or(Value::Null);
        Ok((exchange, line))
    }

    /// How many events were sent.
    pub fn sent(&self) -> usize {
        self.sent
    }
}
