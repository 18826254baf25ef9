//! `faulty-resource`: fails on purpose, to show that CloudFormation always gets one answer.
//!
//! Property `Mode`: `ok` | `error` | `panic` | `hang` | `block` | `big-data` | `secret-data`;
//! optional `Message`; optional `Generation`: when set, the PhysicalResourceId is
//! `faulty-gen-<Generation>` and an Update that changes it replaces the resource.
#![forbid(unsafe_code)]

use cfn_warden::{Context, Created, CustomResource, Deleted, HandlerError, PhysicalId, Updated};
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
async fn act(p: &Properties) -> Result<Payload, HandlerError> {
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
        Mode::BigData => Ok(Payload::Plain("x".repeat(5000))),
        Mode::SecretData => Ok(Payload::Secret(message)),
    }
}

impl CustomResource for Faulty {
    type Properties = Properties;

    async fn create(&self, p: Properties, _: &Context) -> Result<Created, HandlerError> {
        let created = match p.physical_id()? {
            Some(id) => Created::with_physical_id(id),
            None => Created::new(),
        };
        Ok(match act(&p).await? {
            Payload::Plain(m) => created.data("Message", m),
            Payload::Secret(m) => created.secret_data("Message", m),
        })
    }

    async fn update(
        &self,
        p: Properties,
        old: Option<Properties>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        let replaced = old.is_some_and(|o| o.generation != p.generation);
        let updated = match p.physical_id()? {
            Some(id) if replaced => Updated::replace(id),
            _ => Updated::keep(),
        };
        Ok(match act(&p).await? {
            Payload::Plain(m) => updated.data("Message", m),
            Payload::Secret(m) => updated.secret_data("Message", m),
        })
    }

    async fn delete(&self, p: Properties, _: &Context) -> Result<Deleted, HandlerError> {
        act(&p).await?;
        Ok(Deleted)
    }
}

fn main() -> std::process::ExitCode {
    cfn_warden::main(Faulty)
}
