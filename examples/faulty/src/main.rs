//! `faulty-resource`: fails on purpose, to show that CloudFormation always gets one answer.
//!
//! Property `Mode`: `ok` | `error` | `panic` | `hang` | `block` | `big-data` | `secret-data` |
//! `whoami` | `provider-credentials` | `slow`; optional `Message`; optional `Polls` and
//! `PollSeconds` (for `slow`: done after `Polls` polls, default 3, `PollSeconds` apart,
//! default 5); optional `Generation`: when set, the
//! PhysicalResourceId is `faulty-gen-<Generation>` and an Update that changes it replaces the
//! resource; optional `Declare`: a policy document declared as this request's permissions
//! (test fixture for the credential modes; a real resource declares from its own types).
#![forbid(unsafe_code)]

use cfn_warden::{
    credentials::SessionPolicy, Context, Created, CustomResource, Deleted, HandlerError,
    PhysicalId, Updated,
};
use serde::Deserialize;

/// The resource.
struct Faulty;

/// What to do.
#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Mode {
    /// Succeed.
    Ok,
    /// Return an error with `Message` as the reason.
    Error,
    /// Panic (with `Message` as the payload, which must never be sent or logged).
    Panic,
    /// Never finish (an awaiting future: the timeout aborts it).
    Hang,
    /// Block the thread in synchronous code for an hour (the timeout cannot abort it).
    Block,
    /// Return 5000 bytes of Data (over CloudFormation's 4096-byte response limit).
    BigData,
    /// Succeed with `Message` as secret Data (forces NoEcho; never logged).
    SecretData,
    /// Call sts:GetCallerIdentity with the credentials the context grants; Data `Arn`.
    Whoami,
    /// Try the SDK's default credential chain (the provider's own credentials); Data
    /// `ProviderCredentials` = `reachable` or `unreachable`.
    ProviderCredentials,
    /// A long-running operation: answers in progress, then done after `Polls` polls; Data
    /// `Message` = `done after N polls`.
    Slow,
}

/// Its properties.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    /// What to do.
    mode: Mode,
    /// Used by `error`, `panic`, `ok` and `secret-data`.
    #[serde(default)]
    message: Option<String>,
    /// Names the resource; changing it on Update means replacement.
    #[serde(default)]
    generation: Option<String>,
    /// The permissions to declare (a policy document).
    #[serde(default)]
    declare: Option<serde_json::Value>,
    /// For `slow`: how many polls until done.
    #[serde(default)]
    polls: Option<u32>,
    /// For `slow`: seconds between polls.
    #[serde(default)]
    poll_seconds: Option<u64>,
}

impl Properties {
    /// The id this resource gets: explicit with a generation, derived without.
    fn physical_id(&self) -> Result<Option<PhysicalId>, HandlerError> {
        Ok(match &self.generation {
            Some(g) => Some(PhysicalId::new(format!("faulty-gen-{g}"))?),
            None => None,
        })
    }
}

/// What a successful mode returns as Data.
enum Payload {
    Plain(String),
    Secret(String),
}

/// Runs the mode; returns the data for a success.
async fn act(p: &Properties, ctx: &Context) -> Result<Payload, HandlerError> {
    let message = p
        .message
        .clone()
        .unwrap_or_else(|| "failing on purpose".to_owned());
    match p.mode {
        Mode::Ok => Ok(Payload::Plain(message)),
        Mode::Error => Err(HandlerError::new(message)),
        Mode::Panic => panic!("{message}"),
        Mode::Hang => {
            std::future::pending::<()>().await;
            Ok(Payload::Plain(message))
        }
        Mode::Block => {
            std::thread::sleep(std::time::Duration::from_secs(3600));
            Ok(Payload::Plain(message))
        }
        Mode::Slow => {
            let done_after = p.polls.unwrap_or(3);
            let attempt = ctx.polling().map_or(0, |poll| poll.attempt);
            if attempt < done_after {
                let every = std::time::Duration::from_secs(p.poll_seconds.unwrap_or(5));
                ctx.poll_again(serde_json::json!({ "attempt": attempt }), every)?;
            }
            Ok(Payload::Plain(format!("done after {attempt} polls")))
        }
        Mode::BigData => Ok(Payload::Plain("x".repeat(5000))),
        Mode::SecretData => Ok(Payload::Secret(message)),
        Mode::Whoami => {
            let sts = aws_sdk_sts::Client::new(ctx.aws()?);
            let me = sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| HandlerError::new(format!("GetCallerIdentity failed: {e}")))?;
            Ok(Payload::Plain(me.arn().unwrap_or_default().to_owned()))
        }
        Mode::ProviderCredentials => {
            // The SDK's standard chain (environment, profiles, container endpoints), and the
            // environment the process was started with (`/proc/self/environ`, which removing
            // a variable in the process does not change).
            let config = cfn_warden::aws::sdk_config().await;
            let reachable = aws_sdk_sts::Client::new(&config)
                .get_caller_identity()
                .send()
                .await
                .is_ok();
            let environ = std::fs::read("/proc/self/environ").unwrap_or_default();
            let in_environ = environ
                .split(|b| *b == 0)
                .any(|entry| entry.starts_with(b"AWS_SECRET_ACCESS_KEY="));
            Ok(Payload::Plain(
                match (reachable, in_environ) {
                    (true, _) => "reachable",
                    (false, true) => "in /proc/self/environ",
                    (false, false) => "unreachable",
                }
                .to_owned(),
            ))
        }
    }
}

/// The Data key a mode's result goes under.
fn data_key(mode: Mode) -> &'static str {
    match mode {
        Mode::Whoami => "Arn",
        Mode::ProviderCredentials => "ProviderCredentials",
        _ => "Message",
    }
}

impl CustomResource for Faulty {
    type Properties = Properties;

    async fn create(&self, p: Properties, ctx: &Context) -> Result<Created, HandlerError> {
        let created = match p.physical_id()? {
            Some(id) => Created::with_physical_id(id),
            None => Created::new(),
        };
        Ok(match act(&p, ctx).await? {
            Payload::Plain(m) => created.data(data_key(p.mode), m),
            Payload::Secret(m) => created.secret_data("Message", m),
        })
    }

    async fn update(
        &self,
        p: Properties,
        old: Option<Properties>,
        ctx: &Context,
    ) -> Result<Updated, HandlerError> {
        let replaced = old.is_some_and(|o| o.generation != p.generation);
        let updated = match p.physical_id()? {
            Some(id) if replaced => Updated::replace(id),
            _ => Updated::keep(),
        };
        Ok(match act(&p, ctx).await? {
            Payload::Plain(m) => updated.data(data_key(p.mode), m),
            Payload::Secret(m) => updated.secret_data("Message", m),
        })
    }

    async fn delete(&self, p: Option<Properties>, ctx: &Context) -> Result<Deleted, HandlerError> {
        // Properties that no longer parse: nothing was made, nothing to misbehave with.
        if let Some(p) = p {
            act(&p, ctx).await?;
        }
        Ok(Deleted)
    }

    fn permissions(&self, p: &Properties, _: &Context) -> Result<SessionPolicy, HandlerError> {
        match &p.declare {
            Some(document) => Ok(SessionPolicy::parse(document)?),
            None => Ok(SessionPolicy::none()),
        }
    }

    async fn unchanged(
        &self,
        p: &Properties,
        _: &Context,
    ) -> Result<Option<Updated>, HandlerError> {
        // `ok` and `secret-data` return a function of the properties: answer it again. Other
        // modes run their update as usual.
        let message = p
            .message
            .clone()
            .unwrap_or_else(|| "failing on purpose".to_owned());
        Ok(match p.mode {
            Mode::Ok => Some(Updated::keep().data("Message", message)),
            Mode::SecretData => Some(Updated::keep().secret_data("Message", message)),
            _ => None,
        })
    }
}

fn main() -> std::process::ExitCode {
    cfn_warden::main(Faulty)
}
