//! How the layer builder talks HTTP: one small trait ([`IndexTransport`]) so that tests can
//! serve pages and wheels from memory, and its reqwest implementation over rustls.
//!
//! Range requests ([`IndexTransport::get_range`]) let the client read a wheel's METADATA
//! without downloading the wheel. The timeout bounds each wait: for the answer's headers, then
//! for each read of the body (an idle timeout, so a large wheel on a slow but steady link is
//! not cut off); bodies are read with a size cap; redirects are followed only within the same
//! origin and to plain paths (a redirect to another host, or to a path a server decodes into
//! another, could step outside the index allow-list). URLs in errors are shown without
//! userinfo, query or fragment.
//!
//! The reqwest transport reuses connections (HTTP/1.1 keep-alive, HTTP/2 where the server
//! offers it) and keeps as many requests in flight as the server takes (adapted: fewer after a
//! connect stall, few to a server that closes every connection): each connection is timed
//! (`TimeConnects`) and reported to the adaptive limit in `crate::pace`.
//! Connection failures are told apart: a host name that does not resolve, a refused
//! connection, a connection that is never accepted.

use std::{fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use bytes::Bytes;
use url::Url;

pub use crate::error::FetchFailure;
use crate::{
    error::{cut, Error},
    pace::Pace,
};

/// A boxed, sendable future (the trait is object safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An answer: status, `Content-Type` and the body (read to the end, within the cap).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, or empty.
    pub content_type: String,
    /// The body.
    pub body: Bytes,
}

/// A byte range to ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// The last `n` bytes.
    Suffix(u64),
    /// From `start` to `end`, inclusive.
    Span {
        /// The first byte.
        start: u64,
        /// The last byte.
        end: u64,
    },
}

/// A partial answer: the bytes from `start`, and the size of the whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ranged {
    /// The server sent the part (206): its first byte's offset, the file's size, the bytes.
    Part {
        /// Offset of `body[0]` in the file.
        start: u64,
        /// The file's size.
        total: u64,
        /// The bytes.
        body: Bytes,
    },
    /// The server sent the whole file instead (200).
    Whole(Bytes),
}

/// How long to wait and how much to accept for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest wait for the answer's headers, then for each read of the body.
    pub timeout: Duration,
    /// Bodies over this many bytes are refused ([`FetchFailure::TooLarge`]).
    pub max_bytes: u64,
}

/// What an [`IndexTransport`] call answers.
pub type Fetch<'a, T> = BoxFuture<'a, Result<T, FetchFailure>>;

/// Fetches URLs for the layer builder.
pub trait IndexTransport: Send + Sync {
    /// GETs `url` with the `Accept` header `accept`, within `cap`.
    fn get<'a>(&'a self, url: &'a Url, accept: &'a str, cap: Limits) -> Fetch<'a, Fetched>;

    /// GETs part of `url` (HTTP range request), within `cap`. A server without range support
    /// answers with the whole file, which is returned as such ([`Ranged::Whole`]).
    fn get_range<'a>(&'a self, url: &'a Url, range: ByteRange, cap: Limits) -> Fetch<'a, Ranged>;
}

/// `bytes <start>-<end>/<total>` from a `Content-Range` header.
pub fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end, total) = (
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (start <= end && end < total).then_some((start, end, total))
}

/// How long a connection may take to establish.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The transport over reqwest and rustls (the `ring` provider).
#[derive(Clone)]
pub struct ReqwestIndexTransport {
    client: reqwest::Client,
    pace: Arc<Pace>,
}

impl fmt::Debug for ReqwestIndexTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReqwestIndexTransport")
    }
}

impl ReqwestIndexTransport {
    /// Builds the client: same-origin redirects to plain paths only (at most 5; see
    /// [`super::index::ambiguous_path`]), a 10-second connect timeout, no proxy from the
    /// environment, at most 8 requests in flight (adapted to the server).
    pub fn new() -> Result<Self, Error> {
        Self::with_concurrency(8)
    }

    /// As [`ReqwestIndexTransport::new`], with at most `max` requests in flight.
    pub fn with_concurrency(max: usize) -> Result<Self, Error> {
        // Installing fails only when a provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            let plain = super::index::ambiguous_path(attempt.url()).is_none();
            if same_origin && plain && attempt.previous().len() <= 5 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let pace = Arc::new(Pace::new(max));
        let client = reqwest::Client::builder()
            .redirect(redirects)
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .connector_layer(TimeConnects::new(pace.clone()))
            .user_agent(concat!("cfn-warden/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| Error::HttpClient)?;
        Ok(Self { client, pace })
    }
}

/// The I/O error under a reqwest error, if any.
fn io_kind(error: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}

/// Why a request failed; for a failed connection, whether the host name resolves at all.
async fn failure(url: &Url, error: &reqwest::Error) -> FetchFailure {
    if !error.is_connect() {
        return if error.is_timeout() {
            FetchFailure::Timeout
        } else {
            FetchFailure::Transport
        };
    }
    match io_kind(error) {
        Some(std::io::ErrorKind::ConnectionRefused) => return FetchFailure::Refused,
        Some(std::io::ErrorKind::TimedOut) => return FetchFailure::ConnectTimeout,
        _ => {}
    }
    if error.is_timeout() {
        return FetchFailure::ConnectTimeout;
    }
    if !resolves(url).await {
        return FetchFailure::Dns;
    }
    FetchFailure::Connect
}

/// Whether `url`'s host resolves to at least one address.
async fn resolves(url: &Url) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(CONNECT_TIMEOUT, lookup).await {
        Ok(Ok(mut addresses)) => addresses.next().is_some(),
        _ => false,
    }
}

/// Whether the server will close the connection after this answer.
fn closes_connection(response: &reqwest::Response) -> bool {
    let connection = response
        .headers()
        .get(http::header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    connection.split(',').any(|t| t.trim() == "close")
        || (response.version() == http::Version::HTTP_10
            && !connection.split(',').any(|t| t.trim() == "keep-alive"))
}

/// Reads a body to the end, refusing more than `max_bytes` (announced or sent), waiting at
/// most `idle` for each read.
async fn read_capped(
    url: &Url,
    response: &mut reqwest::Response,
    cap: Limits,
) -> Result<Vec<u8>, FetchFailure> {
    let Limits {
        timeout: idle,
        max_bytes,
    } = cap;
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(FetchFailure::TooLarge);
    }
    let capacity = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let mut body = Vec::with_capacity(capacity);
    loop {
        let chunk = match tokio::time::timeout(idle, response.chunk()).await {
            Err(_) => return Err(FetchFailure::Timeout),
            Ok(Err(e)) => return Err(failure(url, &e).await),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => chunk,
        };
        if (body.len() + chunk.len()) as u64 > max_bytes {
            return Err(FetchFailure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl IndexTransport for ReqwestIndexTransport {
    fn get<'a>(&'a self, url: &'a Url, accept: &'a str, cap: Limits) -> Fetch<'a, Fetched> {
        Box::pin(async move {
            let _slot = self.pace.slot().await;
            let mut response = self
                .send(url, http::header::ACCEPT, accept.to_owned(), cap.timeout)
                .await?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = read_capped(url, &mut response, cap).await?;
            self.pace.completed();
            Ok(Fetched {
                status,
                content_type,
                body: Bytes::from(body),
            })
        })
    }

    fn get_range<'a>(&'a self, url: &'a Url, range: ByteRange, cap: Limits) -> Fetch<'a, Ranged> {
        Box::pin(self.ranged(url, range, cap))
    }
}

impl ReqwestIndexTransport {
    /// A GET with one extra header, waiting at most `idle` for the answer's headers once
    /// connected (and at most the connect timeout for the connection).
    async fn send(
        &self,
        url: &Url,
        name: http::header::HeaderName,
        value: String,
        idle: Duration,
    ) -> Result<reqwest::Response, FetchFailure> {
        let sent = self.client.get(url.clone()).header(name, value).send();
        let response = match tokio::time::timeout(idle + CONNECT_TIMEOUT, sent).await {
            Err(_) => return Err(FetchFailure::Timeout),
            Ok(Err(e)) => return Err(failure(url, &e).await),
            Ok(Ok(response)) => response,
        };
        if closes_connection(&response) {
            self.pace.closing_server();
        }
        Ok(response)
    }

    async fn ranged(
        &self,
        url: &Url,
        range: ByteRange,
        cap: Limits,
    ) -> Result<Ranged, FetchFailure> {
        let header = match range {
            ByteRange::Suffix(n) => format!("bytes=-{n}"),
            ByteRange::Span { start, end } => format!("bytes={start}-{end}"),
        };
        let _slot = self.pace.slot().await;
        let mut response = self
            .send(url, http::header::RANGE, header, cap.timeout)
            .await?;
        let status = response.status().as_u16();
        let content_range = response
            .headers()
            .get(http::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        let body = read_capped(url, &mut response, cap).await?;
        self.pace.completed();
        match (status, content_range) {
            (206, Some((start, end, total))) if end - start + 1 == body.len() as u64 => {
                Ok(Ranged::Part {
                    start,
                    total,
                    body: Bytes::from(body),
                })
            }
            (200, _) => Ok(Ranged::Whole(Bytes::from(body))),
            (206, _) => Err(FetchFailure::Transport),
            (other, _) => Err(FetchFailure::Status(other)),
        }
    }
}

/// A URL as shown in messages: scheme, host, port and path only.
pub fn shown(url: &Url) -> String {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.set_query(None);
    clean.set_fragment(None);
    cut(clean.as_str())
}

/// A tower layer timing each connection the HTTP client makes, reporting to a [`Pace`].
#[derive(Clone, Debug)]
pub(crate) struct TimeConnects {
    pace: Arc<Pace>,
}

impl TimeConnects {
    /// Reports to `pace`.
    pub(crate) fn new(pace: Arc<Pace>) -> Self {
        Self { pace }
    }
}

impl<S> tower::Layer<S> for TimeConnects {
    type Service = Timed<S>;

    fn layer(&self, inner: S) -> Timed<S> {
        Timed {
            inner,
            pace: self.pace.clone(),
        }
    }
}

/// A connector whose connections are timed.
#[derive(Clone, Debug)]
pub(crate) struct Timed<S> {
    inner: S,
    pace: Arc<Pace>,
}

impl<S, R> tower::Service<R> for Timed<S>
where
    S: tower::Service<R>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let started = std::time::Instant::now();
        let pace = self.pace.clone();
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let connected = connecting.await;
            pace.connected(started.elapsed());
            connected
        })
    }
}
