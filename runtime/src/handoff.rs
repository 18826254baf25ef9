//! The provider's own credentials, moved out of the process environment without
//! `std::env::remove_var` (unsound once other threads exist, `unsafe` from edition 2024, and
//! this crate forbids `unsafe`).
//!
//! Lambda gives the function role's credentials in `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. In the `none` and `ticket` modes nothing
//! in the process but cfn-warden itself may use them. [`hand_off`] re-executes the program
//! (`execve`, same process id, no new threads) with those three variables removed and the
//! credentials written to a pipe that becomes the new image's standard input; the new image
//! reads them once ([`captured`]) before anything else. Afterwards the environment, including
//! `/proc/self/environ`, holds no provider credentials, and the SDK's default chain finds
//! none. The copy cfn-warden keeps lives in memory only (see SECURITY.md).
//!
//! [`crate::main`] hands off before it builds the async runtime; [`crate::Warden::run`] does it
//! too when the program did not (an `execve` is sound from any thread): code that ran before
//! `run` then runs once more in the new image.

use std::{
    io::{Read as _, Write as _},
    sync::OnceLock,
};

use crate::{env::Environment, secret::Secret, Error};

/// The process variables that carry the provider's own credentials in Lambda.
pub(crate) const VARIABLES: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Set in the re-executed image: its standard input holds the credentials.
const MARKER: &str = "WARDEN_PROVIDER_CREDENTIALS_ON_STDIN";

/// The most a handed-off record may hold (a session token is about 1–2 KiB); well under the
/// pipe buffer, so writing it before `execve` never blocks.
const MAX_RECORD: usize = 16 * 1024;

/// The provider's own credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProviderKeys {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: Secret<String>,
    pub(crate) session_token: Option<Secret<String>>,
}

impl ProviderKeys {
    /// As Lambda sets them in `env`, or the first variable missing.
    pub(crate) fn from_env(env: &dyn Environment) -> Result<Self, &'static str> {
        let var = |name: &'static str| env.var(name).filter(|v| !v.is_empty()).ok_or(name);
        Ok(Self {
            access_key_id: var(VARIABLES[0])?,
            secret_access_key: Secret::new(var(VARIABLES[1])?),
            session_token: var(VARIABLES[2]).ok().map(Secret::new),
        })
    }

    /// One line of JSON for the pipe.
    fn to_record(&self) -> String {
        serde_json::json!({
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key.expose(),
            "SessionToken": self.session_token.as_ref().map(|t| t.expose()),
        })
        .to_string()
    }

    fn from_record(bytes: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let text = |k: &str| {
            value
                .get(k)
                .and_then(serde_json::Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Some(Self {
            access_key_id: text("AccessKeyId")?,
            secret_access_key: Secret::new(text("SecretAccessKey")?),
            session_token: text("SessionToken").map(Secret::new),
        })
    }
}

static CAPTURED: OnceLock<Option<ProviderKeys>> = OnceLock::new();

/// The provider's own credentials: read from standard input once when this image was started
/// by [`hand_off`], else from the process environment (a program that did not hand off, or
/// provider-role mode). `None` when there are none.
pub(crate) fn captured() -> Option<ProviderKeys> {
    CAPTURED
        .get_or_init(|| {
            let env = crate::env::ProcessEnvironment;
            if env.var(MARKER).as_deref() == Some("1") {
                let mut record = Vec::new();
                let read = std::io::stdin()
                    .lock()
                    .take(MAX_RECORD as u64 + 1)
                    .read_to_end(&mut record);
                let keys = read.ok().and_then(|_| ProviderKeys::from_record(&record));
                zeroize::Zeroize::zeroize(&mut record);
                keys
            } else {
                ProviderKeys::from_env(&env).ok()
            }
        })
        .clone()
}

/// Whether any of the provider's credential variables is still in the process environment.
pub(crate) fn in_environment() -> bool {
    let env = crate::env::ProcessEnvironment;
    VARIABLES.iter().any(|name| env.var(name).is_some())
}

/// Re-executes this program without the provider's credential variables, handing the
/// credentials over on standard input (see the module doc). Returns `Ok(())` without doing
/// anything when none are in the environment; on success it does not return.
#[cfg(unix)]
pub(crate) fn hand_off() -> Result<(), Error> {
    use std::os::unix::process::CommandExt as _;
    if !in_environment() {
        return Ok(());
    }
    let failed = |source: std::io::Error| Error::CredentialHandoff { source };
    let keys = ProviderKeys::from_env(&crate::env::ProcessEnvironment).map_err(|name| {
        Error::InvalidSetting {
            name,
            problem: "is not set while other provider credential variables are",
        }
    })?;
    let mut record = zeroize::Zeroizing::new(keys.to_record());
    if record.len() > MAX_RECORD {
        return Err(Error::InvalidSetting {
            name: "AWS_SESSION_TOKEN",
            problem: "is longer than the 16 KiB cfn-warden hands over",
        });
    }
    let (reader, mut writer) = std::io::pipe().map_err(failed)?;
    writer.write_all(record.as_bytes()).map_err(failed)?;
    drop(writer);
    zeroize::Zeroize::zeroize(&mut *record);
    let program = std::env::current_exe().map_err(failed)?;
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(program);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    command.args(args).env(MARKER, "1").stdin(reader);
    for name in VARIABLES {
        command.env_remove(name);
    }
    // Only returns on failure.
    Err(failed(command.exec()))
}

/// Elsewhere than Unix (never Lambda): nothing is handed off.
#[cfg(not(unix))]
pub(crate) fn hand_off() -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_record_round_trips_and_debug_redacts() {
        let env: HashMap<String, String> = [
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "very-secret"),
            ("AWS_SESSION_TOKEN", "token-secret"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let keys = ProviderKeys::from_env(&env).unwrap();
        assert_eq!(
            ProviderKeys::from_record(keys.to_record().as_bytes()),
            Some(keys.clone())
        );
        let shown = format!("{keys:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("token-secret"),
            "{shown}"
        );
        assert_eq!(ProviderKeys::from_record(b"{\"AccessKeyId\":\"a\"}"), None);
        assert_eq!(ProviderKeys::from_record(b"not json"), None);
        let mut partial = env.clone();
        partial.remove("AWS_SECRET_ACCESS_KEY");
        assert_eq!(
            ProviderKeys::from_env(&partial),
            Err("AWS_SECRET_ACCESS_KEY")
        );
    }
}
