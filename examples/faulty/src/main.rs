//! `faulty-resource`: fails on purpose, to show that CloudFormation always gets one answer.
//!
//! Property `Mode`: `ok` | `error` | `panic` | `hang` | `big-data`; optional `Message`.
#![forbid(unsafe_code)]

use cfn_warden::{Context, Created, CustomResource, Deleted, HandlerError, Updated};
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
    /// Never finish.
    Hang,
    /// Return 5000 bytes of Data (over CloudFormation's 4096-byte response limit).
    BigData,
}

/// Its properties.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    /// What to do.
    mode: Mode,
    /// Used by `error` and `panic`.
    #[serde(default)]
    message: Option<String>,
}

/// Runs the mode; returns the data for a success.
async fn act(p: &Properties) -> Result<Option<String>, HandlerError> {
    let message = p
        .message
        .clone()
        .unwrap_or_else(|| "failing on purpose".to_owned());
    match p.mode {
        Mode::Ok => Ok(Some(message)),
        Mode::Error => Err(HandlerError::new(message)),
        Mode::Panic => panic!("{message}"),
        Mode::Hang => {
            std::future::pending::<()>().await;
            Ok(None)
        }
        Mode::BigData => Ok(Some("x".repeat(5000))),
    }
}

impl CustomResource for Faulty {
    type Properties = Properties;

    async fn create(&self, p: Properties, _: &Context) -> Result<Created, HandlerError> {
        let message = act(&p).await?;
        Ok(Created::new().data("Message", message.unwrap_or_default()))
    }

    async fn update(
        &self,
        p: Properties,
        _: Option<Properties>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        let message = act(&p).await?;
        Ok(Updated::keep().data("Message", message.unwrap_or_default()))
    }

    async fn delete(&self, p: Properties, _: &Context) -> Result<Deleted, HandlerError> {
        act(&p).await?;
        Ok(Deleted)
    }
}

fn main() -> std::process::ExitCode {
    cfn_warden::main(Faulty)
}
