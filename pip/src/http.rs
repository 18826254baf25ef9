//! How the layer builder talks HTTP: one small trait ([`IndexTransport`]) so that tests can
//! serve pages and wheels from memory, and its reqwest implementation over rustls.
//!
//! Range requests ([`IndexTransport::get_range`]) let the client read a wheel's METADATA
//! without downloading the wheel. Every request has a timeout; bodies are read with a size cap; redirects are followed only
//! within the same origin and to plain paths (a redirect to another host, or to a path a
//! server decodes into another, could step outside the index allow-list). URLs in errors are shown without userinfo, query or fragment.

use std::{fmt, future::Future, pin::Pin, time::Duration};

use bytes::Bytes;
use url::Url;

use crate::error::{cut, Error};

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

/// Why a request got no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchFailure {
    /// No answer within the timeout.
    Timeout,
    /// The connection could not be made.
    Connect,
    /// The body is larger than the cap.
    TooLarge,
    /// Anything else on the way (TLS, reset, bad redirect).
    Transport,
    /// An error status where a file was expected.
    Status(u16),
}

impl FetchFailure {
    /// In words, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Timeout => "timed out",
            Self::Connect => "could not be reached (connection refused or no route)",
            Self::TooLarge => "sent a body over the size limit",
            Self::Transport => "failed in transport (TLS, reset or redirect)",
            Self::Status(_) => "answered with an error status",
        }
    }
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

/// Fetches URLs for the layer builder.
pub trait IndexTransport: Send + Sync {
    /// GETs `url` with the `Accept` header `accept`, giving up after `timeout` and refusing
    /// bodies over `max_bytes`.
    fn get<'a>(
        &'a self,
        url: &'a Url,
        accept: &'a str,
        timeout: Duration,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Fetched, FetchFailure>>;

    /// GETs part of `url` (HTTP range request). A server without range support answers with
    /// the whole file, which is returned as such. The default asks for the whole file.
    fn get_range<'a>(
        &'a self,
        url: &'a Url,
        range: ByteRange,
        timeout: Duration,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Ranged, FetchFailure>> {
        let _ = range;
        Box::pin(async move {
            let whole = self.get(url, "*/*", timeout, max_bytes).await?;
            if (200..300).contains(&whole.status) {
                Ok(Ranged::Whole(whole.body))
            } else {
                Err(FetchFailure::Status(whole.status))
            }
        })
    }
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

/// The transport over reqwest and rustls (the `ring` provider).
#[derive(Clone)]
pub struct ReqwestIndexTransport {
    client: reqwest::Client,
}

impl fmt::Debug for ReqwestIndexTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReqwestIndexTransport")
    }
}

impl ReqwestIndexTransport {
    /// Builds the client: same-origin redirects to plain paths only (at most 5; see
    /// [`super::index::ambiguous_path`]), a 10-second connect timeout,
    /// no proxy from the environment.
    pub fn new() -> Result<Self, Error> {
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
        let client = reqwest::Client::builder()
            .redirect(redirects)
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("cfn-warden/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| Error::HttpClient)?;
        Ok(Self { client })
    }
}

fn failure(error: &reqwest::Error) -> FetchFailure {
    if error.is_timeout() {
        FetchFailure::Timeout
    } else if error.is_connect() {
        FetchFailure::Connect
    } else {
        FetchFailure::Transport
    }
}

/// Reads a body to the end, refusing more than `max_bytes` (announced or sent).
async fn read_capped(
    response: &mut reqwest::Response,
    max_bytes: u64,
) -> Result<Vec<u8>, FetchFailure> {
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(FetchFailure::TooLarge);
    }
    let capacity = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let mut body = Vec::with_capacity(capacity);
    while let Some(chunk) = response.chunk().await.map_err(|e| failure(&e))? {
        if (body.len() + chunk.len()) as u64 > max_bytes {
            return Err(FetchFailure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl IndexTransport for ReqwestIndexTransport {
    fn get<'a>(
        &'a self,
        url: &'a Url,
        accept: &'a str,
        timeout: Duration,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Fetched, FetchFailure>> {
        Box::pin(async move {
            let mut response = self
                .send(url, http::header::ACCEPT, accept.to_owned(), timeout)
                .await?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = read_capped(&mut response, max_bytes).await?;
            Ok(Fetched {
                status,
                content_type,
                body: Bytes::from(body),
            })
        })
    }

    fn get_range<'a>(
        &'a self,
        url: &'a Url,
        range: ByteRange,
        timeout: Duration,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Ranged, FetchFailure>> {
        Box::pin(self.ranged(url, range, timeout, max_bytes))
    }
}

impl ReqwestIndexTransport {
    /// A GET with one extra header.
    async fn send(
        &self,
        url: &Url,
        name: http::header::HeaderName,
        value: String,
        timeout: Duration,
    ) -> Result<reqwest::Response, FetchFailure> {
        self.client
            .get(url.clone())
            .header(name, value)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| failure(&e))
    }

    async fn ranged(
        &self,
        url: &Url,
        range: ByteRange,
        timeout: Duration,
        max_bytes: u64,
    ) -> Result<Ranged, FetchFailure> {
        let header = match range {
            ByteRange::Suffix(n) => format!("bytes=-{n}"),
            ByteRange::Span { start, end } => format!("bytes={start}-{end}"),
        };
        let mut response = self.send(url, http::header::RANGE, header, timeout).await?;
        let status = response.status().as_u16();
        let content_range = response
            .headers()
            .get(http::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        let body = read_capped(&mut response, max_bytes).await?;
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
