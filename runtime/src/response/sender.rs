//! The PUT to the presigned URL: bounded retries with backoff and full jitter, never past the
//! deadline, empty `Content-Type`, exact byte length, redirects never followed.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::{deadline::Clock, protocol::ResponseUrl, Error};

/// A boxed future, as transports return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How one PUT attempt ended. Deliberately coarse: transport errors can embed the URL, so
/// only their kind is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "status")]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The endpoint answered with this HTTP status.
    Status(u16),
    /// No answer within the attempt's time.
    Timeout,
    /// The connection could not be made.
    Connect,
    /// Any other transport failure.
    Transport,
}

impl AttemptOutcome {
    fn is_success(self) -> bool {
        matches!(self, Self::Status(s) if (200..300).contains(&s))
    }

    fn is_retryable(self) -> bool {
        match self {
            Self::Status(s) => s == 408 || s == 429 || s >= 500,
            Self::Timeout | Self::Connect | Self::Transport => true,
        }
    }
}

/// Sends one PUT. Injected so tests can script the endpoint.
pub trait ResponseTransport: Send + Sync + 'static {
    /// PUTs `body` to `url` with an empty `Content-Type`, giving up after `timeout`.
    fn put<'a>(
        &'a self,
        url: &'a ResponseUrl,
        body: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'a, AttemptOutcome>;
}

/// The production transport: reqwest over rustls (ring), no redirects, no proxy.
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReqwestTransport")
    }
}

impl ReqwestTransport {
    /// Builds the client.
    pub fn new() -> Result<Self, Error> {
        // Installing fails only when a provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("cfn-warden/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| Error::HttpClient {
                source: source.without_url(),
            })?;
        Ok(Self { client })
    }
}

impl ResponseTransport for ReqwestTransport {
    fn put<'a>(
        &'a self,
        url: &'a ResponseUrl,
        body: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'a, AttemptOutcome> {
        Box::pin(async move {
            // reqwest sets Content-Length from the body's byte length.
            let result = self
                .client
                .put(url.expose().clone())
                .header(http::header::CONTENT_TYPE, "")
                .body(body)
                .timeout(timeout)
                .send()
                .await;
            match result {
                Ok(response) => AttemptOutcome::Status(response.status().as_u16()),
                Err(e) if e.is_timeout() => AttemptOutcome::Timeout,
                Err(e) if e.is_connect() => AttemptOutcome::Connect,
                Err(_) => AttemptOutcome::Transport,
            }
        })
    }
}

/// Random delay for backoff. Injected so tests are deterministic.
pub trait Jitter: Send + Sync + 'static {
    /// A duration in `[0, max]`.
    fn jitter(&self, max: Duration) -> Duration;
}

/// Full jitter from the operating system's random source.
#[derive(Debug)]
pub struct SystemJitter(ring::rand::SystemRandom);

impl Default for SystemJitter {
    fn default() -> Self {
        Self(ring::rand::SystemRandom::new())
    }
}

impl Jitter for SystemJitter {
    fn jitter(&self, max: Duration) -> Duration {
        let random: [u8; 8] = ring::rand::generate(&self.0)
            .map(|r: ring::rand::Random<[u8; 8]>| r.expose())
            .unwrap_or([0x80; 8]);
        let fraction = u64::from_le_bytes(random) as f64 / u64::MAX as f64;
        max.mul_f64(fraction)
    }
}

/// How the PUT is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts at most (at least 1).
    pub max_attempts: u32,
    /// The first backoff ceiling; doubles per attempt.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// The longest one attempt may take (also bounded by the deadline).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

/// An attempt is not started with less time than this left.
const MIN_ATTEMPT: Duration = Duration::from_millis(50);

/// One attempt, for the decision log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Attempt {
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

/// Why delivery stopped without success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum GaveUp {
    /// Too little time was left for another attempt.
    DeadlineReached,
    /// The endpoint answered a status that retrying cannot fix (3xx, 4xx other than 408/429).
    StatusNotRetryable,
    /// Every allowed attempt failed.
    AttemptLimitReached,
}

/// The result of delivering one answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Delivery {
    /// Whether an attempt got a 2xx.
    pub delivered: bool,
    /// Every attempt in order.
    pub attempts: Vec<Attempt>,
    /// Why delivery stopped without success, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gave_up: Option<GaveUp>,
}

/// PUTs `body` until a 2xx, a non-retryable status, the attempt limit, or the deadline.
pub async fn deliver(
    transport: &dyn ResponseTransport,
    url: &ResponseUrl,
    body: Bytes,
    answer_by: SystemTime,
    clock: &dyn Clock,
    policy: RetryPolicy,
    jitter: &dyn Jitter,
) -> Delivery {
    let mut delivery = Delivery::default();
    let mut ceiling = policy.base_delay;
    for attempt in 1..=policy.max_attempts.max(1) {
        let remaining = answer_by
            .duration_since(clock.now())
            .unwrap_or(Duration::ZERO);
        if remaining < MIN_ATTEMPT {
            delivery.gave_up = Some(GaveUp::DeadlineReached);
            return delivery;
        }
        let started = clock.now();
        let attempt_budget = policy.attempt_timeout.min(remaining);
        // The transport is asked to honour the budget; this enforces it whatever it does.
        let outcome = tokio::time::timeout(
            attempt_budget,
            transport.put(url, body.clone(), attempt_budget),
        )
        .await
        .unwrap_or(AttemptOutcome::Timeout);
        let elapsed = clock
            .now()
            .duration_since(started)
            .unwrap_or(Duration::ZERO);
        delivery.attempts.push(Attempt {
            outcome,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        });
        if outcome.is_success() {
            delivery.delivered = true;
            return delivery;
        }
        if !outcome.is_retryable() {
            delivery.gave_up = Some(GaveUp::StatusNotRetryable);
            return delivery;
        }
        if attempt == policy.max_attempts {
            break;
        }
        let delay = jitter.jitter(ceiling.min(policy.max_delay));
        ceiling = ceiling.saturating_mul(2);
        let left = answer_by
            .duration_since(clock.now())
            .unwrap_or(Duration::ZERO);
        if delay.saturating_add(MIN_ATTEMPT) > left {
            delivery.gave_up = Some(GaveUp::DeadlineReached);
            return delivery;
        }
        tokio::time::sleep(delay).await;
    }
    delivery.gave_up = Some(GaveUp::AttemptLimitReached);
    delivery
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A clock that follows tokio's (paused) time.
    struct TokioClock(tokio::time::Instant, SystemTime);
    impl Clock for TokioClock {
        fn now(&self) -> SystemTime {
            self.1 + self.0.elapsed()
        }
    }

    struct Scripted {
        script: Mutex<Vec<(AttemptOutcome, Duration)>>,
        calls: Mutex<Vec<Duration>>,
    }
    impl ResponseTransport for Scripted {
        fn put<'a>(
            &'a self,
            _: &'a ResponseUrl,
            _: Bytes,
            timeout: Duration,
        ) -> BoxFuture<'a, AttemptOutcome> {
            Box::pin(async move {
                self.calls.lock().unwrap().push(timeout);
                let (outcome, takes) = {
                    let mut s = self.script.lock().unwrap();
                    if s.is_empty() {
                        (AttemptOutcome::Timeout, Duration::MAX)
                    } else {
                        s.remove(0)
                    }
                };
                if takes >= timeout {
                    tokio::time::sleep(timeout).await;
                    AttemptOutcome::Timeout
                } else {
                    tokio::time::sleep(takes).await;
                    outcome
                }
            })
        }
    }

    struct MaxJitter;
    impl Jitter for MaxJitter {
        fn jitter(&self, max: Duration) -> Duration {
            max
        }
    }

    fn url() -> ResponseUrl {
        ResponseUrl::parse("https://example.invalid/x").unwrap()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    async fn run(
        script: Vec<(AttemptOutcome, Duration)>,
        budget: Duration,
    ) -> (Delivery, Vec<Duration>, Duration) {
        let clock = TokioClock(tokio::time::Instant::now(), SystemTime::UNIX_EPOCH);
        let t = Scripted {
            script: Mutex::new(script),
            calls: Mutex::default(),
        };
        let start = tokio::time::Instant::now();
        let d = deliver(
            &t,
            &url(),
            Bytes::from_static(b"{}"),
            SystemTime::UNIX_EPOCH + budget,
            &clock,
            RetryPolicy::default(),
            &MaxJitter,
        )
        .await;
        let calls = t.calls.lock().unwrap().clone();
        (d, calls, start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn three_500s_then_200_is_delivered_on_the_fourth_attempt() {
        let s500 = (AttemptOutcome::Status(500), ms(10));
        let (d, _, _) = run(
            vec![s500, s500, s500, (AttemptOutcome::Status(200), ms(10))],
            Duration::from_secs(60),
        )
        .await;
        assert!(d.delivered);
        assert_eq!(d.attempts.len(), 4);
        assert_eq!(d.attempts[3].outcome, AttemptOutcome::Status(200));
    }

    #[tokio::test(start_paused = true)]
    async fn forbidden_is_not_retried() {
        let (d, _, _) = run(
            vec![(AttemptOutcome::Status(403), ms(5))],
            Duration::from_secs(60),
        )
        .await;
        assert!(!d.delivered);
        assert_eq!(d.attempts.len(), 1);
        assert_eq!(d.gave_up, Some(GaveUp::StatusNotRetryable));
    }

    #[tokio::test(start_paused = true)]
    async fn redirect_is_not_followed_or_retried() {
        let (d, _, _) = run(
            vec![(AttemptOutcome::Status(307), ms(5))],
            Duration::from_secs(60),
        )
        .await;
        assert!(!d.delivered);
        assert_eq!(d.attempts.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn silent_endpoint_never_outlives_the_deadline() {
        let budget = Duration::from_secs(4);
        let (d, calls, elapsed) = run(vec![], budget).await;
        assert!(!d.delivered);
        assert!(elapsed <= budget, "took {elapsed:?}");
        assert!(calls.iter().all(|t| *t <= budget));
        assert_eq!(d.gave_up, Some(GaveUp::DeadlineReached));
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded() {
        let s500 = (AttemptOutcome::Status(503), ms(1));
        let (d, _, _) = run(vec![s500; 20], Duration::from_secs(3600)).await;
        assert_eq!(
            d.attempts.len(),
            RetryPolicy::default().max_attempts as usize
        );
        assert_eq!(d.gave_up, Some(GaveUp::AttemptLimitReached));
    }

    #[test]
    fn system_jitter_stays_in_range() {
        let j = SystemJitter::default();
        for _ in 0..100 {
            assert!(j.jitter(ms(100)) <= ms(100));
        }
    }
}
