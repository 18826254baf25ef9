//! One provider binary driven through one local Lambda: the unit most tests work with.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::Value;

use super::{Exchange, LocalLambda, Provider};
use crate::{CfnEvent, KitError};

/// Configures a [`Session`]: `Session::builder(binary)` → setters → [`SessionBuilder::start`].
#[must_use]
pub struct SessionBuilder {
    binary: PathBuf,
    env: Vec<(String, String)>,
    serve_invoke: bool,
}

impl std::fmt::Debug for SessionBuilder {
    /// The variables' names only: values may be credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("binary", &self.binary)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("serve_invoke", &self.serve_invoke)
            .finish()
    }
}

impl SessionBuilder {
    /// Sets one environment variable of the provider (after what the harness sets, so it wins).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Sets several environment variables.
    pub fn envs(mut self, vars: &[(&str, &str)]) -> Self {
        self.env
            .extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    /// Points the provider's `AWS_ENDPOINT_URL_LAMBDA` at the local Lambda, which serves the
    /// `Invoke` API for this function: an asynchronous self-invocation (a long-running
    /// operation's continuation) becomes the provider's next event. Only `Invoke` is served,
    /// so do not use it with a handler that calls other Lambda operations.
    pub fn serve_invoke(mut self) -> Self {
        self.serve_invoke = true;
        self
    }

    /// Starts the local Lambda and the program (as the function named like its file) and
    /// waits for its first poll.
    pub async fn start(self) -> Result<Session, KitError> {
        let lambda = LocalLambda::start().await?;
        let mut env = self.env;
        if self.serve_invoke {
            env.push((
                "AWS_ENDPOINT_URL_LAMBDA".to_owned(),
                lambda.invoke_endpoint(),
            ));
        }
        let provider = spawn_polling(&lambda, &self.binary, &env).await?;
        Ok(Session {
            lambda,
            provider,
            sent: 0,
            binary: self.binary,
            env,
        })
    }
}

/// A started provider and its local Lambda.
pub struct Session {
    /// The local Runtime API and response endpoint.
    pub lambda: LocalLambda,
    /// The provider process.
    pub provider: Provider,
    sent: usize,
    binary: PathBuf,
    env: Vec<(String, String)>,
}

impl Session {
    /// Starts the program at `binary` (as the function named like its file) and waits for
    /// its first poll.
    pub async fn start(binary: impl AsRef<Path>) -> Result<Self, KitError> {
        Self::builder(binary).start().await
    }

    /// Starts `binary` with extra environment variables.
    pub async fn start_with_env(
        binary: impl AsRef<Path>,
        env: &[(&str, &str)],
    ) -> Result<Self, KitError> {
        Self::builder(binary).envs(env).start().await
    }

    /// A session of the program at `binary`, configured before it starts.
    pub fn builder(binary: impl AsRef<Path>) -> SessionBuilder {
        SessionBuilder {
            binary: binary.as_ref().to_path_buf(),
            env: Vec::new(),
            serve_invoke: false,
        }
    }

    /// Replaces the provider process by a new one of the same program with the same
    /// environment (a new execution environment of the function: nothing cached in memory
    /// survives), on the same local Lambda: stops the current one, retires its waiting poll,
    /// starts the new one and waits for its first poll. `self.provider` is then the new
    /// process; the old one's output is gone with it.
    pub async fn restart_provider(&mut self) -> Result<(), KitError> {
        self.provider.stop().await?;
        self.lambda.retire_waiting_runtimes();
        self.provider = spawn_polling(&self.lambda, &self.binary, &self.env).await?;
        Ok(())
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
        let line = self
            .provider
            .wait_for_decision_of(&exchange.request_id, Duration::from_secs(10))
            .await?;
        Ok((exchange, line))
    }

    /// How many events were sent.
    pub fn sent(&self) -> usize {
        self.sent
    }
}

/// Starts `binary` against `lambda` (as the function named like its file) and waits for its
/// first poll.
async fn spawn_polling(
    lambda: &LocalLambda,
    binary: &Path,
    env: &[(String, String)],
) -> Result<Provider, KitError> {
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let polls = lambda.polls();
    let provider = Provider::spawn(binary, lambda, &function_name(binary), &vars)?;
    lambda
        .wait_for_polls(polls + 1, Duration::from_secs(20))
        .await?;
    Ok(provider)
}

/// The function a binary runs as: its file name.
fn function_name(binary: &Path) -> String {
    binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "provider".to_owned())
}
