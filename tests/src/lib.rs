//! End-to-end harness for cfn-warden.
//!
//! - [`LocalLambda`], [`Provider`], [`Session`] (from the `cfn-warden-test` kit's process
//!   harness): the workspace's binaries driven through a local Lambda Runtime API and a fake
//!   CloudFormation endpoint; [`bin`] finds a workspace binary.
//! - [`CfnEvent`] (from the `cfn-warden-test` kit): realistic events, with response URLs under
//!   the local endpoint.
//! - [`package_index`]: a `pypiserver` child process serving real wheels, for the layer
//!   builder.
//! - [`moto`]: a `moto_server` child process and the few CloudFormation/IAM/Lambda calls the
//!   tests need.
//!
//! Only loopback addresses are ever used; every wait is bounded.
#![forbid(unsafe_code)]

pub mod moto;
pub mod package_index;
pub mod recorder;
mod ticket_world;

pub use cfn_warden_test::process::{
    CfnBehaviour, Exchange, InvokeCall, LocalLambda, Provider, ReceivedPut, RuntimeResult, Session,
    SessionBuilder,
};
pub use cfn_warden_test::{
    sign_properties, sign_properties_for, CfnEvent, ACCOUNT, REGION, STACK_ID,
};
pub use ticket_world::{rewrite_ticket, TicketWorld, TICKET_STACK};

/// Where a workspace binary lives: next to the running executable (the demo) or one level up
/// (test executables live in `target/<profile>/deps`).
pub fn binary_path(name: &'static str) -> Result<std::path::PathBuf, HarnessError> {
    let exe = std::env::current_exe().map_err(|source| HarnessError::Io {
        what: "locating the current executable",
        source,
    })?;
    let mut dir = exe
        .parent()
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::MissingBinary { name, path })
    }
}

/// [`binary_path`] for tests: panics with the error (naming the build command) when missing.
#[allow(
    clippy::panic,
    reason = "test set-up: a missing binary is a broken environment"
)]
pub fn bin(name: &'static str) -> std::path::PathBuf {
    binary_path(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The actions of the policy a handler declared, from a provider-role-mode decision line (its
/// `provider-role-credentials` check). Panics when the line has none.
#[allow(
    clippy::panic,
    reason = "a test helper: a line without the check is a failed test"
)]
pub fn declared_actions(line: &serde_json::Value) -> Vec<String> {
    let check = line["checks"]
        .as_array()
        .and_then(|checks| {
            checks
                .iter()
                .find(|c| c["name"] == "provider-role-credentials")
        })
        .unwrap_or_else(|| panic!("no credentials check: {line}"));
    serde_json::from_value(check["evidence"]["actions"].clone())
        .unwrap_or_else(|e| panic!("the declared actions of {line}: {e}"))
}

/// `warden-provider` in provider-role mode on `moto`, allowed to use the index at `index_url`,
/// with `extra` settings: one execution environment (start two for a duplicate delivery that
/// lands elsewhere).
pub async fn provider_on(
    moto: &moto::Moto,
    index_url: &str,
    extra: &[(&str, &str)],
) -> Result<Session, HarnessError> {
    let mut env: Vec<(&str, String)> = moto.sdk_env();
    env.push(("WARDEN_CREDENTIALS", "provider-role".into()));
    env.push(("WARDEN_PIP_INDEX_ALLOW", index_url.to_owned()));
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Ok(Session::start_with_env(binary_path("warden-provider")?, &env).await?)
}

/// Sends `event` twice to one provider process: the first answer must be SUCCESS, the second
/// delivery must be logged `duplicate` and answered with the very same body. Returns the answer.
pub async fn send_twice(
    session: &mut Session,
    event: &CfnEvent,
    limit: std::time::Duration,
) -> Result<serde_json::Value, HarnessError> {
    let unexpected = |what, body: String| HarnessError::Unexpected { what, body };
    let (first, _) = session.send(event, limit).await?;
    let first = first
        .answer()
        .filter(|a| a["Status"] == "SUCCESS")
        .ok_or_else(|| unexpected("the first delivery", format!("{:?}", first.answer())))?;
    let (again, line) = session.send(event, limit).await?;
    if line["result"] != "duplicate" || again.answer().as_ref() != Some(&first) {
        return Err(unexpected("the second delivery", line.to_string()));
    }
    Ok(first)
}

/// Errors of the harness.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A socket or process operation failed.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Test data the setup scripts provide is missing.
    #[error("missing {what}")]
    MissingData {
        /// What, and how to get it.
        what: &'static str,
    },
    /// A wait ran out.
    #[error("timed out waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: &'static str,
    },
    /// A binary is not built.
    #[error("binary {name} not found at {path}: run `cargo build --workspace --bins` first")]
    MissingBinary {
        /// The binary.
        name: &'static str,
        /// Where it was expected.
        path: std::path::PathBuf,
    },
    /// An HTTP call to an emulator failed.
    #[error("HTTP call to {what} failed")]
    Http {
        /// The call.
        what: &'static str,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The test kit (moto, tickets) failed.
    #[error("test kit")]
    Kit {
        /// Its error.
        #[from]
        source: cfn_warden_test::KitError,
    },
    /// An emulator answered something unexpected.
    #[error("unexpected answer from {what}: {body}")]
    Unexpected {
        /// The call.
        what: &'static str,
        /// The body (truncated).
        body: String,
    },
}
