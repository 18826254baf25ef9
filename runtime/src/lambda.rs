//! Running a [`Warden`] on `lambda_runtime`.
//!
//! `lambda_runtime` deserialises events itself and reports failures straight to the Runtime
//! API, which would leave no decision line and no answer for a malformed event. So cfn-warden
//! sits in front of it as a layer over the raw [`LambdaInvocation`]: it handles the bytes
//! completely, then hands `lambda_runtime` only the small [`Summary`] to report as the result.

use std::{
    panic::AssertUnwindSafe,
    process::ExitCode,
    sync::Arc,
    task::{Context as TaskContext, Poll},
    time::{Duration, SystemTime},
};

use futures_util::FutureExt;
use lambda_runtime::{LambdaEvent, LambdaInvocation};
use serde_json::Value;
use tower::{Layer, Service, ServiceExt};

use crate::{
    config::{Environment, ProcessEnvironment},
    decision::Decision,
    pipeline::IntoPipeline,
    response::BoxFuture,
    runtime::{Summary, Warden},
    service::LambdaMeta,
    Error,
};

const REQUIRED_LAMBDA_VARIABLES: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// Runs `handler` (a [`crate::CustomResource`] or a [`crate::pipeline::Router`]) with settings
/// from the environment. For `#[tokio::main]` programs.
pub async fn run<H: IntoPipeline>(handler: H) -> Result<(), Error> {
    Warden::builder(handler).build()?.run().await
}

/// Runs `handler` on a new multi-threaded tokio runtime: the one-line `main`.
///
/// On a start-up error (e.g. a missing Lambda variable or an invalid setting) it prints the
/// error and its causes to stderr and returns a failing exit code.
///
/// ```no_run
/// # struct Hello;
/// # impl cfn_warden::CustomResource for Hello {
/// #   type Properties = serde_json::Value;
/// #   const ALLOW_UNKNOWN_PROPERTIES: bool = true;
/// #   async fn create(&self, _: serde_json::Value, _: &cfn_warden::Context) -> Result<cfn_warden::Created, cfn_warden::HandlerError> { Ok(cfn_warden::Created::new()) }
/// #   async fn update(&self, _: serde_json::Value, _: Option<serde_json::Value>, _: &cfn_warden::Context) -> Result<cfn_warden::Updated, cfn_warden::HandlerError> { Ok(cfn_warden::Updated::keep()) }
/// #   async fn delete(&self, _: Option<serde_json::Value>, _: &cfn_warden::Context) -> Result<cfn_warden::Deleted, cfn_warden::HandlerError> { Ok(cfn_warden::Deleted) }
/// # }
/// fn main() -> std::process::ExitCode {
///     cfn_warden::main(Hello)
/// }
/// ```
pub fn main<H: IntoPipeline>(handler: H) -> ExitCode {
    // Before any thread exists: move the provider's credentials out of the environment (the
    // program re-executes itself; see `handoff`).
    if let Err(error) = hand_off_if_needed(&ProcessEnvironment) {
        report(&error);
        return ExitCode::FAILURE;
    }
    // At least two workers: a handler blocking one in synchronous code must not stop the
    // timer that answers "timed out".
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|source| Error::AsyncRuntime { source })
        .and_then(|runtime| runtime.block_on(run(handler)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            ExitCode::FAILURE
        }
    }
}

/// Prints a start-up error and its causes to stderr.
fn report(error: &Error) {
    let mut message = format!("cfn-warden: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    eprintln!("{message}");
}

/// In Lambda, in the `none` and `ticket` modes (as configured in `env`): hands the provider's
/// credentials over and re-executes without them (does not return then). Provider-role mode
/// keeps them in the environment: the handler works with them anyway. An invalid
/// configuration is left for the builder to report.
fn hand_off_if_needed(env: &dyn Environment) -> Result<(), Error> {
    let scrubbing = crate::config::Config::from_env(env).is_ok_and(|c| {
        !matches!(
            c.credentials(),
            crate::credentials::CredentialMode::ProviderRole
        )
    });
    if scrubbing && check_lambda_environment(env).is_ok() {
        crate::handoff::hand_off()?;
    }
    Ok(())
}

impl Warden {
    /// Serves invocations from the Lambda Runtime API until the process ends.
    ///
    /// Installs a JSON log subscriber on stderr (filter from `WARDEN_LOG`, default `info`) and a
    /// panic hook that logs the location but never the payload.
    pub async fn run(self) -> Result<(), Error> {
        check_lambda_environment(&ProcessEnvironment)?;
        // In the `none` and `ticket` modes nothing but cfn-warden may find the provider's
        // credentials (the ticket layer's kms:Decrypt, the verifiers' reads): when `main` did
        // not hand them off already, do it now (re-executes the program; sound from any
        // thread, unlike removing variables).
        if !matches!(
            self.config().credentials(),
            crate::credentials::CredentialMode::ProviderRole
        ) {
            crate::handoff::hand_off()?;
            let _ = crate::handoff::captured();
        }
        install_logging();
        install_panic_hook();
        let layer = WardenLayer {
            warden: Arc::new(self),
        };
        let echo = lambda_runtime::service_fn(|event: LambdaEvent<Value>| async move {
            Ok::<Value, lambda_runtime::Error>(event.payload)
        });
        lambda_runtime::Runtime::new(echo)
            .layer(layer)
            .run()
            .await
            .map_err(|source| Error::LambdaRuntime { source })
    }
}

/// `lambda_runtime` panics when these are missing; say so clearly instead.
fn check_lambda_environment(env: &dyn Environment) -> Result<(), Error> {
    for name in REQUIRED_LAMBDA_VARIABLES {
        if env.var(name).is_none_or(|v| v.is_empty()) {
            return Err(Error::MissingLambdaEnvironment { name });
        }
    }
    Ok(())
}

fn install_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARDEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Another subscriber may be installed already (embedding); that one wins.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(true)
        .try_init();
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        tracing::error!(
            location = location.as_deref().unwrap_or("unknown"),
            "handler panicked (payload withheld)"
        );
    }));
}

/// The layer put in front of `lambda_runtime`'s own services.
struct WardenLayer {
    warden: Arc<Warden>,
}

impl<S> Layer<S> for WardenLayer {
    type Service = WardenService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        WardenService {
            warden: self.warden.clone(),
            inner: Arc::new(tokio::sync::Mutex::new(inner)),
        }
    }
}

struct WardenService<S> {
    warden: Arc<Warden>,
    inner: Arc<tokio::sync::Mutex<S>>,
}

impl<S> Service<LambdaInvocation> for WardenService<S>
where
    S: Service<LambdaInvocation, Response = (), Error = lambda_runtime::Error> + Send + 'static,
    S::Future: Send,
{
    type Response = ();
    type Error = lambda_runtime::Error;
    type Future = BoxFuture<'static, Result<(), lambda_runtime::Error>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let warden = self.warden.clone();
        let inner = self.inner.clone();
        Box::pin(async move {
            let LambdaInvocation {
                parts,
                body,
                context,
            } = invocation;
            let meta = LambdaMeta {
                request_id: context.request_id.clone(),
                invoked_function_arn: context.invoked_function_arn.clone(),
                deadline: SystemTime::UNIX_EPOCH + Duration::from_millis(context.deadline),
            };
            // The handler's own panics are caught inside `handle`; this catches the rest
            // (injected transport, sink or clock), so the process keeps serving.
            let summary = match AssertUnwindSafe(warden.handle(&body, meta))
                .catch_unwind()
                .await
            {
                Ok(summary) => summary,
                Err(_) => {
                    tracing::error!("cfn-warden panicked outside the handler (payload withheld)");
                    Summary {
                        decision: Decision::Error,
                        status: None,
                        delivered: None,
                        abandoned_work: false,
                    }
                }
            };
            let body = serde_json::to_vec(&summary).unwrap_or_else(|_| b"{}".to_vec());
            let mut inner = inner.lock().await;
            let ready = inner.ready().await?;
            let reported = ready
                .call(LambdaInvocation {
                    parts,
                    body: body.into(),
                    context,
                })
                .await;
            if summary.abandoned_work {
                // A worker thread is stuck in a handler that ignored the deadline. Exiting now,
                // after CloudFormation and the Runtime API both have their answers, makes
                // Lambda start a fresh environment instead of reusing a starved one.
                tracing::error!("timed-out work could not be stopped; exiting so Lambda replaces this environment");
                std::process::exit(70);
            }
            reported
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn missing_lambda_variables_are_named() {
        let mut env: HashMap<String, String> = REQUIRED_LAMBDA_VARIABLES
            .iter()
            .map(|k| ((*k).to_owned(), "x".to_owned()))
            .collect();
        assert!(check_lambda_environment(&env).is_ok());
        env.remove("AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        let err = check_lambda_environment(&env).unwrap_err().to_string();
        assert!(err.contains("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "{err}");
    }
}
