//! A provider binary running against the local Runtime API, with its output captured.

use std::{
    path::Path,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
};

use super::LocalLambda;
use crate::KitError;

/// A running provider process.
pub struct Provider {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    function_arn: String,
}

impl Provider {
    /// Starts the program at `binary` (in a test of the crate that builds it,
    /// `env!("CARGO_BIN_EXE_<name>")`) against `lambda`, as function `function_name`, with the
    /// insecure response prefix set to the local endpoint and `extra_env` added. The
    /// environment is cleared first: only `PATH`, what Lambda sets and `extra_env` remain.
    pub fn spawn(
        binary: impl AsRef<Path>,
        lambda: &LocalLambda,
        function_name: &str,
        extra_env: &[(&str, &str)],
    ) -> Result<Self, KitError> {
        Self::spawn_command(
            Command::new(binary.as_ref()),
            lambda,
            function_name,
            extra_env,
        )
    }

    /// Starts any command as a Lambda runtime (e.g. a Python runtime interface client), with
    /// the same environment as [`Provider::spawn`].
    pub fn spawn_command(
        mut command: Command,
        lambda: &LocalLambda,
        function_name: &str,
        extra_env: &[(&str, &str)],
    ) -> Result<Self, KitError> {
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", lambda.runtime_api())
            .env("AWS_LAMBDA_FUNCTION_NAME", function_name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            // The rest of what Lambda sets for every runtime.
            .env("AWS_REGION", crate::REGION)
            .env("AWS_DEFAULT_REGION", crate::REGION)
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function_name}"),
            )
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/22/[$LATEST]0123456789abcdef0123456789abcdef",
            )
            .env(
                "WARDEN_INSECURE_RESPONSE_URL_PREFIX",
                lambda.insecure_prefix(),
            )
            .env("WARDEN_LOG", "info");
        for (k, v) in extra_env {
            command.env(k, v);
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        lambda.serve_function(function_name);
        let mut child = command.spawn().map_err(|source| KitError::Io {
            what: "starting the provider",
            source,
        })?;
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            collect(out, stdout.clone());
        }
        if let Some(err) = child.stderr.take() {
            collect(err, stderr.clone());
        }
        Ok(Self {
            child,
            stdout,
            stderr,
            function_arn: format!(
                "arn:aws:lambda:{}:{}:function:{function_name}",
                crate::REGION,
                crate::ACCOUNT
            ),
        })
    }

    /// The ARN the harness reports as invoked (use it as ServiceToken).
    pub fn function_arn(&self) -> &str {
        &self.function_arn
    }

    /// Every stdout line so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Every stderr line so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Stdout lines that are decision lines, parsed.
    pub fn decisions(&self) -> Vec<serde_json::Value> {
        self.stdout()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["schema"] == "cfn-warden.decision/1")
            .collect()
    }

    /// Waits (bounded) until `n` decision lines were written.
    pub async fn wait_for_decisions(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<serde_json::Value>, KitError> {
        self.wait_for("decision lines", timeout, |d| (d.len() >= n).then_some(d))
            .await
    }

    /// Waits (bounded) for the decision line of Lambda request `request_id`.
    pub async fn wait_for_decision_of(
        &self,
        request_id: &str,
        timeout: Duration,
    ) -> Result<serde_json::Value, KitError> {
        self.wait_for("a decision line", timeout, |d| {
            d.into_iter().find(|l| l["lambda_request_id"] == request_id)
        })
        .await
    }

    /// Polls the decision lines every 10 ms until `found` picks something from them.
    async fn wait_for<T>(
        &self,
        what: &'static str,
        timeout: Duration,
        found: impl Fn(Vec<serde_json::Value>) -> Option<T>,
    ) -> Result<T, KitError> {
        let started = tokio::time::Instant::now();
        loop {
            if let Some(t) = found(self.decisions()) {
                return Ok(t);
            }
            if started.elapsed() > timeout {
                return Err(KitError::Timeout { what });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Kills the process and waits (bounded) until it is gone.
    pub async fn stop(&mut self) -> Result<(), KitError> {
        let _ = self.child.start_kill();
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .map_err(|_| KitError::Timeout {
                what: "the provider to exit",
            })?
            .map(|_| ())
            .map_err(|source| KitError::Io {
                what: "waiting for the provider to exit",
                source,
            })
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Everything the process printed, stdout then stderr.
    pub fn all_output(&self) -> String {
        let mut all = self.stdout();
        all.extend(self.stderr());
        all.join("\n")
    }
}

fn collect(stream: impl AsyncRead + Unpin + Send + 'static, sink: Arc<Mutex<Vec<String>>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(mut s) = sink.lock() {
                s.push(line);
            }
        }
    });
}
