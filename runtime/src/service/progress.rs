//! Long-running work as the handler sees it: answering "in progress" and being polled.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use serde::Serialize;
use serde_json::Value;

use super::HandlerError;

/// The largest state carried to the next poll, as JSON.
pub const MAX_STATE_BYTES: usize = 4096;

/// A handler's "in progress" answer: the state for the next poll and when to poll.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PollAgain {
    /// The state the next poll receives ([`Polling::state`]).
    pub state: Value,
    /// How long to wait before the next poll.
    pub after: Duration,
}

/// What a poll knows: set on every invocation after the first of a long-running operation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Polling {
    /// The poll number (1 for the first poll after the original request).
    pub attempt: u32,
    /// The state the previous invocation left.
    pub state: Value,
    /// When the original request was received.
    pub started_at: SystemTime,
    /// The operation's deadline: after it, nothing runs and FAILED "timed out" has been sent.
    pub deadline: SystemTime,
}

/// The context's shared slots the runtime reads after the handler returned.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProgressSlots {
    pub(crate) poll_again: Arc<Mutex<Option<PollAgain>>>,
    pub(crate) credentials_expire: Arc<Mutex<Option<SystemTime>>>,
}

impl ProgressSlots {
    pub(crate) fn set_poll_again(
        &self,
        state: impl Serialize,
        after: Duration,
    ) -> Result<(), HandlerError> {
        let state = serde_json::to_value(state)
            .map_err(|e| HandlerError::new(format!("the poll state is not JSON: {e}")))?;
        let bytes = serde_json::to_vec(&state)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if bytes > MAX_STATE_BYTES {
            return Err(HandlerError::new(format!(
                "the poll state is {bytes} bytes of JSON; at most {MAX_STATE_BYTES} are carried"
            )));
        }
        if let Ok(mut slot) = self.poll_again.lock() {
            *slot = Some(PollAgain { state, after });
        }
        Ok(())
    }

    pub(crate) fn take_poll_again(&self) -> Option<PollAgain> {
        self.poll_again.lock().ok().and_then(|mut s| s.take())
    }

    pub(crate) fn note_credentials_expiry(&self, at: SystemTime) {
        if let Ok(mut slot) = self.credentials_expire.lock() {
            *slot = Some(slot.map_or(at, |t| t.min(at)));
        }
    }

    pub(crate) fn credentials_expire(&self) -> Option<SystemTime> {
        self.credentials_expire.lock().ok().and_then(|s| *s)
    }
}
