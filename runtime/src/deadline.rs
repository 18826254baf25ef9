//! Time: the injected clock and the one deadline every invocation lives under.
//!
//! The answer must reach CloudFormation before `min(Lambda deadline, received + ServiceTimeout)`.
//! The handler (and every verification layer) must stop earlier, at that instant minus a
//! reserve kept for the PUT, so a FAILED "timed out" can still be delivered.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

/// A source of wall-clock time. Injected so tests are deterministic.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// The instants one invocation is bound by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// When the invocation was received.
    pub received_at: SystemTime,
    /// The last instant an answer may still be delivered.
    pub answer_by: SystemTime,
    /// When the handler and verification layers are stopped and FAILED "timed out" is sent.
    pub work_by: SystemTime,
}

/// Margin kept between the end of the PUT and the Lambda deadline, so the runtime can still
/// write the decision line and report to the Lambda Runtime API (a Lambda timeout would make
/// Lambda retry the asynchronous event and run the handler again).
const RUNTIME_API_MARGIN: Duration = Duration::from_millis(500);

impl Deadlines {
    /// Computes the deadlines.
    ///
    /// `answer_by = min(lambda_deadline − 500 ms, received_at + service_timeout)`;
    /// `work_by = answer_by − reserve`, where the reserve is `response_reserve` but never more
    /// than half the time available, so short Lambda timeouts still leave the handler time.
    pub fn compute(
        received_at: SystemTime,
        lambda_deadline: SystemTime,
        service_timeout: Option<Duration>,
        response_reserve: Duration,
    ) -> Self {
        let lambda_bound = lambda_deadline
            .checked_sub(RUNTIME_API_MARGIN)
            .unwrap_or(lambda_deadline);
        let answer_by = match service_timeout.and_then(|t| received_at.checked_add(t)) {
            Some(service_bound) => lambda_bound.min(service_bound),
            None => lambda_bound,
        };
        let available = answer_by
            .duration_since(received_at)
            .unwrap_or(Duration::ZERO);
        let reserve = response_reserve.min(available / 2);
        let work_by = answer_by.checked_sub(reserve).unwrap_or(received_at);
        Self {
            received_at,
            answer_by,
            work_by: work_by.max(received_at),
        }
    }

    /// Time left until `work_by`.
    pub fn work_remaining(&self, now: SystemTime) -> Duration {
        self.work_by.duration_since(now).unwrap_or(Duration::ZERO)
    }

    /// Time left until `answer_by`.
    pub fn answer_remaining(&self, now: SystemTime) -> Duration {
        self.answer_by.duration_since(now).unwrap_or(Duration::ZERO)
    }
}

/// CloudFormation waits at most one hour for a custom resource's answer (the largest
/// `ServiceTimeout`, and the default).
pub const CLOUDFORMATION_LIMIT: Duration = Duration::from_secs(3600);

/// The last instant an operation (the request and all its polls) may be answered:
/// `min(received_at + min(service_timeout, 1 hour), the ResponseURL's expiry)`.
pub fn operation_deadline(
    received_at: SystemTime,
    service_timeout: Option<Duration>,
    response_url_expiry: Option<SystemTime>,
) -> SystemTime {
    let limit = service_timeout.map_or(CLOUDFORMATION_LIMIT, |t| t.min(CLOUDFORMATION_LIMIT));
    let bound = received_at.checked_add(limit).unwrap_or(received_at);
    response_url_expiry.map_or(bound, |expiry| bound.min(expiry))
}

impl Deadlines {
    /// These deadlines, no later than the operation's `deadline`: a poll answers by
    /// `min(its Lambda deadline, the operation's deadline)` and stops work `reserve` earlier
    /// (not capped: a poll arriving within the reserve does no work).
    pub fn within(self, deadline: SystemTime, reserve: Duration) -> Self {
        if deadline >= self.answer_by {
            return self;
        }
        // The whole reserve: a poll arriving within it has no time to work.
        let work_by = deadline.checked_sub(reserve).unwrap_or(self.received_at);
        Self {
            received_at: self.received_at,
            answer_by: deadline.max(self.received_at),
            work_by: work_by.max(self.received_at),
        }
    }
}

/// RFC 3339 with milliseconds, UTC: how times are written in decision lines, evidence and
/// error messages.
pub fn format_time(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: SystemTime = SystemTime::UNIX_EPOCH;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn lambda_deadline_bounds_when_earlier() {
        let d = Deadlines::compute(T0, T0 + s(60), Some(s(3600)), s(5));
        assert_eq!(d.answer_by, T0 + s(60) - RUNTIME_API_MARGIN);
        assert_eq!(d.work_by, d.answer_by - s(5));
    }

    #[test]
    fn service_timeout_bounds_when_earlier() {
        let d = Deadlines::compute(T0, T0 + s(900), Some(s(30)), s(5));
        assert_eq!(d.answer_by, T0 + s(30));
        assert_eq!(d.work_by, T0 + s(25));
    }

    #[test]
    fn reserve_is_capped_at_half_the_budget() {
        let d = Deadlines::compute(T0, T0 + s(3), None, s(5));
        let available = d.answer_by.duration_since(T0).unwrap();
        assert_eq!(d.work_by, T0 + available / 2);
    }

    #[test]
    fn operation_deadline_is_the_earliest_limit() {
        assert_eq!(operation_deadline(T0, None, None), T0 + s(3600));
        assert_eq!(operation_deadline(T0, Some(s(600)), None), T0 + s(600));
        assert_eq!(
            operation_deadline(T0, Some(s(600)), Some(T0 + s(60))),
            T0 + s(60)
        );
        let d = Deadlines::compute(T0, T0 + s(900), None, s(5)).within(T0 + s(100), s(5));
        assert_eq!((d.answer_by, d.work_by), (T0 + s(100), T0 + s(95)));
        let late = Deadlines::compute(T0, T0 + s(60), None, s(5)).within(T0 + s(100), s(5));
        assert_eq!(late.answer_by, T0 + s(60) - RUNTIME_API_MARGIN);
    }

    #[test]
    fn deadline_in_the_past_gives_zero_budget() {
        let d = Deadlines::compute(T0 + s(10), T0 + s(5), None, s(2));
        assert_eq!(d.work_remaining(T0 + s(10)), Duration::ZERO);
        assert_eq!(d.answer_remaining(T0 + s(10)), Duration::ZERO);
        assert!(d.work_by >= d.received_at);
    }
}
