//! A clock the test moves, and the continuations the harness queues instead of invoking.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use cfn_warden::{
    continuation::{Scheduler, SealedContinuation},
    deadline::Clock,
    response::BoxFuture,
};

/// A clock that stands still until the test moves it. Clones share the time.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl Default for ManualClock {
    /// Starts at the real current time (ResponseURLs presigned "now" stay valid).
    fn default() -> Self {
        Self::starting_at(SystemTime::now())
    }
}

impl ManualClock {
    /// A clock showing `t`.
    pub fn starting_at(t: SystemTime) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }

    /// Moves it forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.0.lock() {
            *now += by;
        }
    }

    /// Sets it (never backwards).
    pub fn advance_to(&self, t: SystemTime) {
        if let Ok(mut now) = self.0.lock() {
            *now = (*now).max(t);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.0.lock().map(|t| *t).unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// One continuation the provider sent itself.
#[derive(Clone, Debug)]
pub struct QueuedPoll {
    /// The ARN it was sent to (the one the invocation was invoked as).
    pub function_arn: String,
    /// The event bytes.
    pub event: Vec<u8>,
}

impl QueuedPoll {
    /// When the poll is due, as its (clear) header says.
    pub fn due(&self) -> Option<SystemTime> {
        let sealed = SealedContinuation::parse(&self.event).ok()?;
        let ms = sealed.header().not_before_ms;
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms))
    }
}

/// Queues continuations for the test to deliver (or not, or twice).
#[derive(Clone, Debug, Default)]
pub(crate) struct PollQueue(pub(crate) Arc<Mutex<VecDeque<QueuedPoll>>>);

impl Scheduler for PollQueue {
    fn schedule<'a>(
        &'a self,
        function_arn: &'a str,
        event: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), cfn_warden::Error>> {
        if let Ok(mut queue) = self.0.lock() {
            queue.push_back(QueuedPoll {
                function_arn: function_arn.to_owned(),
                event,
            });
        }
        Box::pin(async { Ok(()) })
    }
}
