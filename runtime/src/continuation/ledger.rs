//! The in-environment record of requests: which were answered (and with what body), which
//! are in progress, and which polls already ran. It lives as long as the warm execution
//! environment; what holds across environments is described in `docs/long-running.md`.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use bytes::Bytes;

use crate::Error;

/// Requests remembered (the oldest is forgotten first).
const CAPACITY: usize = 1024;

/// What the record says of an original (non-continuation) delivery.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    /// First seen: it is now in flight.
    New,
    /// Answered already: the body sent.
    Answered(Bytes),
    /// Being worked on (or polled) already.
    InFlight,
}

/// The answer's size only: its Data may hold NoEcho values.
impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seen::New => f.write_str("New"),
            Seen::Answered(body) => write!(f, "Answered(<redacted: {} bytes>)", body.len()),
            Seen::InFlight => f.write_str("InFlight"),
        }
    }
}

#[derive(Default)]
struct Entry {
    /// SHA-256 of the event as received: a duplicate is the same bytes.
    event: [u8; 32],
    answered: Option<Bytes>,
    last_poll: u32,
}

#[derive(Default)]
struct Inner {
    order: VecDeque<String>,
    entries: HashMap<String, Entry>,
}

/// See the module doc.
#[derive(Default)]
pub(crate) struct Ledger(Mutex<Inner>);

fn digest(event: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, event);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl Inner {
    fn insert(&mut self, request_id: &str, entry: Entry) {
        if self.entries.len() >= CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
        self.order.push_back(request_id.to_owned());
        self.entries.insert(request_id.to_owned(), entry);
    }
}

impl Ledger {
    /// An original delivery of `request_id` (the event's bytes): records it as in flight when
    /// new. The same RequestId with other bytes is another request (CloudFormation and Lambda
    /// retry with the same event): it replaces the record.
    pub(crate) fn original(&self, request_id: &str, event: &[u8]) -> Seen {
        let Ok(mut inner) = self.0.lock() else {
            return Seen::New;
        };
        let event = digest(event);
        match inner.entries.get(request_id) {
            Some(entry) if entry.event == event => match &entry.answered {
                Some(body) => Seen::Answered(body.clone()),
                None => Seen::InFlight,
            },
            _ => {
                inner.insert(
                    request_id,
                    Entry {
                        event,
                        ..Entry::default()
                    },
                );
                Seen::New
            }
        }
    }

    /// A continuation starting poll `attempt`: refused when that poll (or a later one) already
    /// ran here or the request was answered; else recorded.
    pub(crate) fn poll(&self, request_id: &str, event: &[u8], attempt: u32) -> Result<(), Error> {
        let Ok(mut inner) = self.0.lock() else {
            return Ok(());
        };
        let event = digest(event);
        match inner.entries.get_mut(request_id) {
            Some(entry)
                if entry.event == event
                    && (entry.answered.is_some() || entry.last_poll >= attempt) =>
            {
                Err(Error::ContinuationReplayed { attempt })
            }
            Some(entry) if entry.event == event => {
                entry.last_poll = attempt;
                Ok(())
            }
            _ => {
                inner.insert(
                    request_id,
                    Entry {
                        event,
                        answered: None,
                        last_poll: attempt,
                    },
                );
                Ok(())
            }
        }
    }

    /// The request was answered with `body`.
    pub(crate) fn answered(&self, request_id: &str, body: Bytes) {
        if let Ok(mut inner) = self.0.lock() {
            if let Some(entry) = inner.entries.get_mut(request_id) {
                entry.answered = Some(body);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_s_debug_shows_its_size_only() {
        let seen = Seen::Answered(Bytes::from_static(
            br#"{"Data":{"Password":"NOECHO-VALUE"}}"#,
        ));
        let shown = format!("{seen:?}");
        assert!(!shown.contains("NOECHO-VALUE"), "{shown}");
        assert!(shown.contains("bytes"), "{shown}");
    }
}
