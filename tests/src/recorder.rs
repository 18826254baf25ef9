//! A recording reverse proxy in front of moto: every AWS call a provider makes passes through
//! it, so tests can assert exactly what was asked (e.g. the `Policy` of `sts:AssumeRole`, which
//! moto accepts but ignores) and that nothing was asked at all (no AWS call on a deny). It can
//! also answer one call with an injected error, for the AWS errors moto never produces (e.g.
//! STS's `PackedPolicyTooLarge`).

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::HarnessError;

/// One call that went through the proxy.
#[derive(Clone, Debug)]
pub struct RecordedCall {
    /// `X-Amz-Target` (JSON protocols, e.g. `TrentService.Decrypt`), if any.
    pub target: Option<String>,
    /// The request body.
    pub body: String,
    /// The `X-Amz-Security-Token` the request was signed with (a session token: secret).
    pub security_token: Option<String>,
    /// The response body moto gave.
    pub response: String,
    /// `METHOD /path?query` (REST protocols such as Lambda's are told apart by it).
    pub request_line: String,
}

impl RecordedCall {
    /// For query-protocol calls (STS, IAM, CloudFormation): the form fields.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    /// A form field's value.
    pub fn field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The query `Action`, the JSON target's operation, or (REST) the request line.
    pub fn operation(&self) -> String {
        match &self.target {
            Some(t) => t.rsplit('.').next().unwrap_or_default().to_owned(),
            None => self
                .field("Action")
                .unwrap_or_else(|| self.request_line.clone()),
        }
    }
}

/// An answer the proxy gives instead of forwarding (fault injection).
#[derive(Clone, Debug)]
struct Injected {
    operation: String,
    status: http::StatusCode,
    body: String,
}

/// The proxy.
pub struct Recorder {
    addr: SocketAddr,
    calls: Arc<Mutex<Vec<RecordedCall>>>,
    injected: Arc<Mutex<Vec<Injected>>>,
    accept: tokio::task::JoinHandle<()>,
}

/// An STS error document (the query protocol's `ErrorResponse`), as STS sends it.
pub fn query_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Recorder {
    /// Starts on a loopback port, forwarding to `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> Result<Self, HarnessError> {
        let listener =
            TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|source| HarnessError::Io {
                    what: "binding the recorder",
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| HarnessError::Io {
            what: "reading the recorder's address",
            source,
        })?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|source| HarnessError::Http {
                what: "building the recorder's client",
                source,
            })?;
        let calls: Arc<Mutex<Vec<RecordedCall>>> = Arc::default();
        let injected: Arc<Mutex<Vec<Injected>>> = Arc::default();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let state = (client, upstream, calls.clone(), injected.clone());
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| forward(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            calls,
            injected,
            accept,
        })
    }

    /// Answers the next call of `operation` (as [`RecordedCall::operation`] names it) with
    /// `status` and `body` instead of forwarding it; the call is still recorded.
    pub fn fail_next(&self, operation: &str, status: u16, body: String) {
        if let Ok(mut i) = self.injected.lock() {
            i.push(Injected {
                operation: operation.to_owned(),
                status: http::StatusCode::from_u16(status)
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
                body,
            });
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Forgets the calls so far and any injected answer not yet given.
    pub fn clear(&self) {
        if let Ok(mut c) = self.calls.lock() {
            c.clear();
        }
        if let Ok(mut i) = self.injected.lock() {
            i.clear();
        }
    }
}

type State = (
    reqwest::Client,
    String,
    Arc<Mutex<Vec<RecordedCall>>>,
    Arc<Mutex<Vec<Injected>>>,
);

async fn forward(
    (client, upstream, calls, injected): State,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let mut call = RecordedCall {
        request_line: format!("{} {path}", parts.method),
        target: parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8_lossy(&body).into_owned(),
        security_token: parts
            .headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        response: String::new(),
    };
    let fault = injected.lock().ok().and_then(|mut i| {
        let operation = call.operation();
        let at = i.iter().position(|f| f.operation == operation)?;
        Some(i.remove(at))
    });
    let (status, headers, answer) = match fault {
        Some(f) => {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/xml"),
            );
            (f.status, headers, Bytes::from(f.body))
        }
        None => {
            let mut request = client.request(parts.method.clone(), format!("{upstream}{path}"));
            for (name, value) in &parts.headers {
                if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
                    request = request.header(name, value);
                }
            }
            match request.body(body).send().await {
                Ok(r) => {
                    let status = r.status();
                    let headers = r.headers().clone();
                    (status, headers, r.bytes().await.unwrap_or_default())
                }
                Err(_) => (
                    http::StatusCode::BAD_GATEWAY,
                    http::HeaderMap::new(),
                    Bytes::from_static(b"recorder: upstream unreachable"),
                ),
            }
        }
    };
    call.response = String::from_utf8_lossy(&answer).into_owned();
    if let Ok(mut c) = calls.lock() {
        c.push(call);
    }
    let mut response = Response::new(Full::new(answer));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if name != http::header::CONTENT_LENGTH && name != http::header::TRANSFER_ENCODING {
            response.headers_mut().insert(name, value.clone());
        }
    }
    Ok(response)
}
