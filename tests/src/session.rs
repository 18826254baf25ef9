//! One provider binary driven through one local Lambda: the unit most tests work with.

use std::time::Duration;

use serde_json::Value;

use crate::{CfnEvent, Exchange, HarnessError, LocalLambda, Provider};

/// A started provider and its local Lambda.
pub struct Session {
    /// The local Runtime API and response endpoint.
    pub lambda: LocalLambda,
    /// The provider process.
    pub provider: Provider,
    sent: usize,
}

impl Session {
    /// Starts `binary` (as function `binary`) and waits for its first poll.
    pub async fn start(binary: &'static str) -> Result<Self, HarnessError> {
        Self::start_with_env(binary, &[]).await
    }

    /// Starts `binary` with extra environment variables.
    pub async fn start_with_env(
        binary: &'static str,
        env: &[(&str, &str)],
    ) -> Result<Self, HarnessError> {
        let lambda = LocalLambda::start().await?;
        let provider = Provider::spawn(binary, &lambda, binary, env)?;
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
    ) -> Result<(Exchange, Value), HarnessError> {
        self.send_raw(event.to_bytes(), time_limit).await
    }

    /// Prepares `event` for this session ([`Session::prepare`]), sends it ([`Session::send`])
    /// and returns the answer the provider PUT (`Null` if none came) and the decision line.
    pub async fn answer(
        &mut self,
        event: CfnEvent,
        time_limit: Duration,
    ) -> Result<(Value, Value), HarnessError> {
        let event = self.prepare(event);
        let (exchange, line) = self.send(&event, time_limit).await?;
        Ok((exchange.answer().unwrap_or(Value::Null), line))
    }

    /// Sends raw bytes as the event.
    pub async fn send_raw(
        &mut self,
        body: Vec<u8>,
        time_limit: Duration,
    ) -> Result<(Exchange, Value), HarnessError> {
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
