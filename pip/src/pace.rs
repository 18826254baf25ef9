//! How many requests the transport keeps in flight: adapted to the server.
//!
//! A build asks for up to its configured concurrency (default 8) at once. A small index server
//! cannot always take that: pypiserver's default server (Python's `wsgiref`) serves one
//! connection at a time, closes each after one answer, and listens with a backlog of 5, so
//! parallel connections beyond the backlog have their SYN dropped and wait out the 1-second
//! retransmission. The [`Pace`] reacts to two signals:
//!
//! - a **connect stall** (a connection that took longer than [`STALL`] to establish: a dropped
//!   SYN, a full accept queue) halves the limit, at most once per [`STALL`];
//! - a server that **closes connections** after each answer (HTTP/1.0 without keep-alive, or
//!   `Connection: close`) caps the limit at [`CLOSING_SERVER_LIMIT`], below the smallest common
//!   listen backlog, since every request then opens a new connection.
//!
//! Each request that completes without a stall counts towards raising the limit again by one
//! (additive increase), up to the cap. Connections are reused otherwise (HTTP keep-alive, and
//! HTTP/2 where the server offers it through ALPN), so a server that keeps connections open
//! gets the full concurrency over a handful of connections.

use std::{
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use tokio::sync::Notify;

/// A connection that takes longer than this to establish is a stall (a dropped SYN is
/// retransmitted after 1 s).
pub(crate) const STALL: Duration = Duration::from_millis(700);

/// The most requests in flight to a server that closes every connection.
pub(crate) const CLOSING_SERVER_LIMIT: usize = 4;

#[derive(Debug)]
struct State {
    limit: usize,
    ceiling: usize,
    in_flight: usize,
    successes: usize,
    last_cut: Option<Instant>,
}

/// The adaptive limit of requests in flight (shared by every request of a transport).
#[derive(Debug)]
pub(crate) struct Pace {
    state: Mutex<State>,
    changed: Notify,
}

/// A request's place in flight; released on drop.
#[derive(Debug)]
pub(crate) struct Slot<'a> {
    pace: &'a Pace,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = self.pace.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        drop(state);
        self.pace.changed.notify_waiters();
    }
}

impl Pace {
    /// Starts at `max` requests in flight (at least 1).
    pub(crate) fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            state: Mutex::new(State {
                limit: max,
                ceiling: max,
                in_flight: 0,
                successes: 0,
                last_cut: None,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current limit.
    #[cfg(test)]
    pub(crate) fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Waits for a place in flight.
    pub(crate) async fn slot(&self) -> Slot<'_> {
        loop {
            // Registered before the check, so a release in between is not missed.
            let changed = self.changed.notified();
            {
                let mut state = self.lock();
                if state.in_flight < state.limit {
                    state.in_flight += 1;
                    return Slot { pace: self };
                }
            }
            changed.await;
        }
    }

    /// A connection took `took` to establish.
    pub(crate) fn connected(&self, took: Duration) {
        if took < STALL {
            return;
        }
        let mut state = self.lock();
        let now = Instant::now();
        if state
            .last_cut
            .is_some_and(|at| now.duration_since(at) < STALL)
        {
            return;
        }
        state.last_cut = Some(now);
        state.limit = (state.limit / 2).max(1);
        state.successes = 0;
        tracing::debug!(
            limit = state.limit,
            "connect stall: fewer requests in flight"
        );
    }

    /// The server closes connections after each answer.
    pub(crate) fn closing_server(&self) {
        let mut state = self.lock();
        if state.ceiling > CLOSING_SERVER_LIMIT {
            state.ceiling = CLOSING_SERVER_LIMIT;
            state.limit = state.limit.min(CLOSING_SERVER_LIMIT);
            tracing::debug!(limit = state.limit, "the server closes connections");
        }
    }

    /// A request completed; after as many as the limit without a stall, the limit grows by one.
    pub(crate) fn completed(&self) {
        let mut state = self.lock();
        state.successes += 1;
        if state.successes >= state.limit && state.limit < state.ceiling {
            state.limit += 1;
            state.successes = 0;
            drop(state);
            self.changed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stalls_halve_the_limit_and_quiet_requests_raise_it_again() {
        let pace = Pace::new(8);
        pace.connected(Duration::from_millis(5));
        assert_eq!(pace.limit(), 8);
        pace.connected(Duration::from_secs(1));
        assert_eq!(pace.limit(), 4);
        // A second stall of the same burst does not cut again.
        pace.connected(Duration::from_secs(1));
        assert_eq!(pace.limit(), 4);
        for _ in 0..4 {
            pace.completed();
        }
        assert_eq!(pace.limit(), 5);
        for _ in 0..100 {
            pace.completed();
        }
        assert_eq!(pace.limit(), 8);
    }

    #[tokio::test]
    async fn a_server_closing_connections_caps_the_limit() {
        let pace = Pace::new(8);
        pace.closing_server();
        assert_eq!(pace.limit(), CLOSING_SERVER_LIMIT);
        for _ in 0..100 {
            pace.completed();
        }
        assert_eq!(pace.limit(), CLOSING_SERVER_LIMIT);
        // Never above the configured concurrency.
        let small = Pace::new(2);
        small.closing_server();
        assert_eq!(small.limit(), 2);
    }

    #[tokio::test]
    async fn slots_wait_for_the_limit() {
        let pace = std::sync::Arc::new(Pace::new(1));
        let first = pace.slot().await;
        let waiting = {
            let pace = pace.clone();
            tokio::spawn(async move {
                let _slot = pace.slot().await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
    }
}
