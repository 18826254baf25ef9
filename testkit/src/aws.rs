//! AWS as a handler sees it under test: an `SdkConfig` whose HTTP client records every call
//! and either answers from canned replies (no network at all) or forwards to an endpoint such
//! as a local `moto_server`.

use std::{
    collections::{BTreeMap, VecDeque},
    fmt,
    sync::{Arc, Mutex},
};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::{provider::SharedCredentialsProvider, Credentials};
use aws_smithy_runtime_api::client::{
    http::{
        http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient,
        SharedHttpConnector,
    },
    orchestrator::{HttpRequest, HttpResponse},
};
use aws_smithy_types::body::SdkBody;
use serde_json::Value;

/// The region the kit's SDK configuration uses (the harness events' region).
pub const REGION: &str = crate::event::REGION;

/// One AWS call a handler made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsCall {
    /// The signing name (`ssm`, `lambda`, `sts`, …), from the request's SigV4 scope.
    pub service: String,
    /// The operation: `X-Amz-Target`'s (`PutParameter`), a query request's `Action`, or for
    /// REST services `METHOD /path` (`POST /2015-03-31/functions`).
    pub operation: String,
    /// The HTTP method.
    pub method: String,
    /// The request URI.
    pub uri: String,
    /// The request body as text (empty when streamed).
    pub body: String,
}

impl AwsCall {
    /// `service:Operation`, the IAM action for services whose operation names are their
    /// actions (JSON and query protocols).
    pub fn action(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }

    /// The body as JSON (JSON protocols).
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// A field of a form-encoded body (query protocols such as STS and IAM).
    pub fn form(&self, key: &str) -> Option<String> {
        form_field(&self.body, key)
    }
}

fn form_field(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// A canned reply.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

#[derive(Debug, Default)]
struct Replies {
    by_operation: BTreeMap<String, VecDeque<Reply>>,
}

impl Replies {
    /// The next reply for `operation`; the last one given repeats.
    fn next(&mut self, operation: &str) -> Option<Reply> {
        let queue = self.by_operation.get_mut(operation)?;
        if queue.len() > 1 {
            queue.pop_front()
        } else {
            queue.front().cloned()
        }
    }
}

#[derive(Clone, Debug)]
enum Upstream {
    Replay(Arc<Mutex<Replies>>),
    Endpoint(String),
}

/// The AWS a handler talks to under test. Clone it to keep a handle on the recorded calls.
#[derive(Clone)]
pub struct Aws {
    upstream: Upstream,
    calls: Arc<Mutex<Vec<AwsCall>>>,
}

impl fmt::Debug for Aws {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aws")
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}

impl Aws {
    /// No network: every call is answered from the replies given with [`Aws::reply`]; a call
    /// with no reply gets HTTP 400 `NoCannedReply` naming it.
    pub fn replay() -> Self {
        Self {
            upstream: Upstream::Replay(Arc::default()),
            calls: Arc::default(),
        }
    }

    /// Calls go to `endpoint` (e.g. a `moto_server` on loopback), recorded on the way.
    pub fn endpoint(endpoint: impl Into<String>) -> Self {
        Self {
            upstream: Upstream::Endpoint(endpoint.into()),
            calls: Arc::default(),
        }
    }

    /// Answers `operation` (as [`AwsCall::operation`] names it) with `status` and a JSON body.
    /// Several replies for one operation are used in order; the last one repeats.
    #[must_use]
    pub fn reply(self, operation: &str, status: u16, body: Value) -> Self {
        self.reply_raw(
            operation,
            status,
            "application/x-amz-json-1.1",
            body.to_string(),
        )
    }

    /// Like [`Aws::reply`] with a body and content type as given (XML for query protocols).
    #[must_use]
    pub fn reply_raw(
        self,
        operation: &str,
        status: u16,
        content_type: &'static str,
        body: impl Into<String>,
    ) -> Self {
        if let Upstream::Replay(replies) = &self.upstream {
            if let Ok(mut replies) = replies.lock() {
                replies
                    .by_operation
                    .entry(operation.to_owned())
                    .or_default()
                    .push_back(Reply {
                        status,
                        content_type,
                        body: body.into(),
                    });
            }
        }
        self
    }

    /// Every call made so far, in order.
    pub fn calls(&self) -> Vec<AwsCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Forgets the calls recorded so far.
    pub fn clear(&self) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.clear();
        }
    }

    /// An SDK configuration that goes through this recorder: region [`REGION`], fixed test
    /// credentials, and the endpoint when one was given.
    pub fn sdk_config(&self) -> SdkConfig {
        let mut builder = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDCFNWARDENTEST",
                "cfn-warden-test-secret",
                None,
                None,
                "cfn-warden-test",
            )))
            .http_client(self.http_client());
        if let Upstream::Endpoint(endpoint) = &self.upstream {
            builder = builder.endpoint_url(endpoint);
        }
        builder.build()
    }

    /// The recording HTTP client (forwarding or replaying).
    pub(crate) fn http_client(&self) -> SharedHttpClient {
        let upstream = self.upstream.clone();
        let calls = self.calls.clone();
        let real = cfn_warden::aws::https_client();
        http_client_fn(move |settings, components| {
            let forward = match upstream {
                Upstream::Endpoint(_) => Some(real.http_connector(settings, components)),
                Upstream::Replay(_) => None,
            };
            SharedHttpConnector::new(Recording {
                upstream: upstream.clone(),
                forward,
                calls: calls.clone(),
            })
        })
    }
}

#[derive(Debug)]
struct Recording {
    upstream: Upstream,
    forward: Option<SharedHttpConnector>,
    calls: Arc<Mutex<Vec<AwsCall>>>,
}

impl HttpConnector for Recording {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let call = describe(&request);
        let operation = call.operation.clone();
        let action = call.action();
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
        match (&self.upstream, &self.forward) {
            (_, Some(forward)) => forward.call(request),
            (Upstream::Replay(replies), None) => {
                let reply = replies
                    .lock()
                    .ok()
                    .and_then(|mut r| r.next(&operation))
                    .unwrap_or_else(|| Reply {
                        status: 400,
                        content_type: "application/x-amz-json-1.1",
                        body: serde_json::json!({
                            "__type": "NoCannedReply",
                            "message": format!("cfn-warden-test: no canned reply for {action}"),
                        })
                        .to_string(),
                    });
                HttpConnectorFuture::ready(Ok(response(reply)))
            }
            (Upstream::Endpoint(_), None) => HttpConnectorFuture::ready(Ok(response(Reply {
                status: 500,
                content_type: "text/plain",
                body: "cfn-warden-test: no upstream connector".to_owned(),
            }))),
        }
    }
}

fn response(reply: Reply) -> HttpResponse {
    let status = aws_smithy_runtime_api::http::StatusCode::try_from(reply.status)
        .unwrap_or_else(|_| http::StatusCode::INTERNAL_SERVER_ERROR.into());
    let mut response = HttpResponse::new(status, SdkBody::from(reply.body));
    response
        .headers_mut()
        .insert("content-type", reply.content_type);
    response
}

/// What a request is: service from the SigV4 scope, operation from the target header, the
/// query action or the REST path.
fn describe(request: &HttpRequest) -> AwsCall {
    let headers = request.headers();
    let service = headers
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned();
    let body = request
        .body()
        .bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let path = request
        .uri()
        .split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_owned();
    let operation = headers
        .get("x-amz-target")
        .and_then(|t| t.rsplit('.').next())
        .map(str::to_owned)
        .or_else(|| form_field(&body, "Action"))
        .unwrap_or_else(|| format!("{} {path}", request.method()));
    AwsCall {
        service,
        operation,
        method: request.method().to_owned(),
        uri: request.uri().to_owned(),
        body,
    }
}
