//! A loopback server that is a Lambda Runtime API, Lambda's `Invoke` API for the function it
//! runs (so a provider's continuations come back to it) and a fake CloudFormation response
//! endpoint.

mod invoke_api;

use std::{
    collections::{HashMap, VecDeque},
    convert::Infallible,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{
    net::TcpListener,
    sync::{mpsc, oneshot, Notify},
};

use crate::KitError;
pub use invoke_api::InvokeCall;

/// How the fake CloudFormation endpoint answers one PUT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfnBehaviour {
    /// Answer with this status.
    Status(u16),
    /// Never answer (hold the connection).
    Hang,
}

/// A PUT the fake CloudFormation endpoint received.
#[derive(Clone, Debug)]
pub struct ReceivedPut {
    /// Path and query as requested.
    pub path_and_query: String,
    /// Request headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// When it arrived.
    pub at: SystemTime,
    /// How it was answered.
    pub answered: CfnBehaviour,
}

impl ReceivedPut {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What the runtime reported to the Runtime API.
#[derive(Clone, Debug, PartialEq)]
pub enum RuntimeResult {
    /// `POST .../response` with this body.
    Response(serde_json::Value),
    /// `POST .../error` with this body.
    Error(String),
}

/// One invocation's observable effects.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The Lambda request id the event was handed out with (the decision line's
    /// `lambda_request_id`).
    pub request_id: String,
    /// What the runtime reported.
    pub result: RuntimeResult,
    /// PUTs received for this event's response URL (path match), in order.
    pub puts: Vec<ReceivedPut>,
    /// When the event was handed out.
    pub sent_at: SystemTime,
    /// The deadline the event carried.
    pub deadline: SystemTime,
    /// When the runtime's result arrived.
    pub result_at: SystemTime,
}

impl Exchange {
    /// The last PUT's body as JSON, if any PUT came.
    pub fn answer(&self) -> Option<serde_json::Value> {
        self.puts.last().map(ReceivedPut::json)
    }
}

struct PendingEvent {
    id: String,
    /// The Lambda timeout, when the deadline is set as the event is handed out.
    timeout: Duration,
    body: Bytes,
    /// The deadline, when fixed at queueing ([`LocalLambda::invoke`]); else handed out + timeout.
    deadline_ms: Option<u64>,
    function_arn: String,
}

#[derive(Default)]
struct CfnState {
    script: VecDeque<CfnBehaviour>,
    received: Vec<ReceivedPut>,
}

struct State {
    queue_tx: mpsc::UnboundedSender<PendingEvent>,
    queue_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<PendingEvent>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<RuntimeResult>>>,
    polls: AtomicU64,
    first_poll: Mutex<Option<Instant>>,
    poll_notify: Notify,
    init_errors: Mutex<Vec<String>>,
    cfn: Mutex<CfnState>,
    bridged: Mutex<Vec<serde_json::Value>>,
    event_ids: AtomicU64,
    invoke_api: Mutex<invoke_api::InvokeState>,
    put_notify: Notify,
    retire: Notify,
    function_timeout_ms: AtomicU64,
    served_function: Mutex<Option<String>>,
}

impl State {
    /// An invocation of `function_arn` with `timeout` (its deadline set when it is handed out)
    /// and the next id after `prefix`.
    fn event(
        &self,
        prefix: &str,
        body: Bytes,
        function_arn: String,
        timeout: Duration,
    ) -> PendingEvent {
        PendingEvent {
            id: format!("{prefix}-{}", self.event_ids.fetch_add(1, Ordering::SeqCst)),
            timeout,
            body,
            deadline_ms: None,
            function_arn,
        }
    }

    /// The Lambda timeout of the function: the last [`LocalLambda::invoke`]'s, else Lambda's
    /// longest.
    fn function_timeout(&self) -> Duration {
        match self.function_timeout_ms.load(Ordering::SeqCst) {
            0 => LAMBDA_TIMEOUT,
            ms => Duration::from_millis(ms),
        }
    }

    /// Queues an invocation for the runtime; the receiver gets its result.
    fn enqueue(&self, event: PendingEvent) -> oneshot::Receiver<RuntimeResult> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.insert(event.id.clone(), tx);
        }
        let _ = self.queue_tx.send(event);
        rx
    }
}

/// The server. Dropping it stops accepting connections.
pub struct LocalLambda {
    addr: SocketAddr,
    state: Arc<State>,
    next_id: AtomicU64,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for LocalLambda {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl LocalLambda {
    /// Starts on an ephemeral loopback port.
    pub async fn start() -> Result<Self, KitError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| KitError::Io {
                what: "binding the local Lambda server",
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| KitError::Io {
            what: "reading the local address",
            source,
        })?;
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            queue_tx,
            queue_rx: tokio::sync::Mutex::new(queue_rx),
            waiting: Mutex::default(),
            polls: AtomicU64::new(0),
            first_poll: Mutex::default(),
            poll_notify: Notify::new(),
            init_errors: Mutex::default(),
            cfn: Mutex::default(),
            bridged: Mutex::default(),
            event_ids: AtomicU64::new(1),
            invoke_api: Mutex::default(),
            put_notify: Notify::new(),
            retire: Notify::new(),
            function_timeout_ms: AtomicU64::new(0),
            served_function: Mutex::default(),
        });
        let accept_state = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = accept_state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| route(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            state,
            next_id: AtomicU64::new(1),
            accept,
        })
    }

    /// The URL moto's invoke bridge (`tests/moto_invoke_bridge.py`) POSTs invocations to:
    /// `{"function_arn": ..., "payload": "<event JSON>"}`. Each is handed to the runtime like
    /// [`LocalLambda::invoke`] (Lambda timeout 900 s) and answered with the runtime's result.
    pub fn bridge_url(&self) -> String {
        format!("http://{}/bridge/invoke", self.addr)
    }

    /// The payloads received through the bridge so far (parsed events), in order.
    pub fn bridged(&self) -> Vec<serde_json::Value> {
        self.state
            .bridged
            .lock()
            .map(|b| b.clone())
            .unwrap_or_default()
    }

    /// `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// The base URL under which response URLs are served (`http://127.0.0.1:PORT/cfn/`).
    pub fn response_base(&self) -> String {
        format!("http://{}/cfn/", self.addr)
    }

    /// The prefix to admit with `WARDEN_INSECURE_RESPONSE_URL_PREFIX`.
    pub fn insecure_prefix(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// How the next PUTs are answered, in order; after the script, 200.
    pub fn script_cfn(&self, behaviours: &[CfnBehaviour]) {
        if let Ok(mut cfn) = self.state.cfn.lock() {
            cfn.script = behaviours.iter().copied().collect();
        }
    }

    /// The function this server runs (set by [`crate::process::Provider::spawn`]): `Invoke`
    /// calls naming another function are answered 404 `ResourceNotFoundException`.
    pub fn serve_function(&self, name: &str) {
        if let Ok(mut served) = self.state.served_function.lock() {
            *served = Some(name.to_owned());
        }
    }

    /// Every PUT received so far.
    pub fn puts(&self) -> Vec<ReceivedPut> {
        self.state
            .cfn
            .lock()
            .map(|c| c.received.clone())
            .unwrap_or_default()
    }

    /// Number of `GET /next` polls so far.
    pub fn polls(&self) -> u64 {
        self.state.polls.load(Ordering::SeqCst)
    }

    /// When the first poll arrived.
    pub fn first_poll(&self) -> Option<Instant> {
        self.state.first_poll.lock().ok().and_then(|p| *p)
    }

    /// Errors the runtime reported at init.
    pub fn init_errors(&self) -> Vec<String> {
        self.state
            .init_errors
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
    }

    /// Waits until at least `n` polls arrived.
    pub async fn wait_for_polls(&self, n: u64, timeout: Duration) -> Result<(), KitError> {
        let wait = async {
            loop {
                let notified = self.state.poll_notify.notified();
                if self.polls() >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| KitError::Timeout {
                what: "a runtime poll",
            })
    }

    /// Ends every `GET /next` that is waiting for an event (answered 410, with no event), so an
    /// event queued next goes to a runtime that polls afterwards. Call it after stopping the
    /// only runtime ([`crate::process::Session::restart_provider`] does): its last poll would
    /// otherwise take the next event to a closed connection. A live runtime's waiting poll is
    /// ended too (lambda_runtime then stops).
    pub fn retire_waiting_runtimes(&self) {
        self.state.retire.notify_waiters();
    }

    /// Waits until at least `n` PUTs arrived in all (answers sent by later invocations, such as
    /// the polls of a long-running operation, arrive after [`LocalLambda::invoke`] returned).
    pub async fn wait_for_puts(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedPut>, KitError> {
        let wait = async {
            loop {
                let notified = self.state.put_notify.notified();
                let puts = self.puts();
                if puts.len() >= n {
                    return puts;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| KitError::Timeout {
                what: "a PUT to the response endpoint",
            })
    }

    /// Hands out `body` as the next invocation and waits for the runtime's result.
    ///
    /// `time_limit` is the Lambda timeout carried in `Lambda-Runtime-Deadline-Ms`; the wait for
    /// the result is bounded by it plus 10 s.
    pub async fn invoke(
        &self,
        body: Vec<u8>,
        function_arn: &str,
        time_limit: Duration,
        response_path_hint: Option<&str>,
    ) -> Result<Exchange, KitError> {
        let id = format!("lambda-req-{}", self.next_id.fetch_add(1, Ordering::SeqCst));
        let sent_at = SystemTime::now();
        let deadline = sent_at + time_limit;
        let deadline_ms = deadline
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let before = self.puts().len();
        self.state.function_timeout_ms.store(
            u64::try_from(time_limit.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
        let rx = self.state.enqueue(PendingEvent {
            id: id.clone(),
            timeout: time_limit,
            body: Bytes::from(body),
            deadline_ms: Some(deadline_ms),
            function_arn: function_arn.to_owned(),
        });
        let result = tokio::time::timeout(time_limit + Duration::from_secs(10), rx)
            .await
            .map_err(|_| KitError::Timeout {
                what: "the runtime's result",
            })?
            .map_err(|_| KitError::Timeout {
                what: "the runtime's result (channel closed)",
            })?;
        let result_at = SystemTime::now();
        let puts = self
            .puts()
            .into_iter()
            .skip(before)
            .filter(|p| response_path_hint.is_none_or(|h| p.path_and_query.contains(h)))
            .collect();
        Ok(Exchange {
            request_id: id,
            result,
            puts,
            sent_at,
            deadline,
            result_at,
        })
    }
}

type Body = Full<Bytes>;

/// A request's body (empty when it cannot be read: the local servers answer what they got).
async fn body_of(req: Request<Incoming>) -> Bytes {
    req.into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

async fn route(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if method == Method::GET && path == "/2018-06-01/runtime/invocation/next" {
        return Ok(next_event(&state).await);
    }
    if method == Method::PUT && path.starts_with("/cfn/") {
        return Ok(cfn_put(&state, req).await);
    }
    if method == Method::POST && path == "/bridge/invoke" {
        return Ok(bridge_invoke(&state, req).await);
    }
    if method == Method::POST {
        if let Some(function) = invoke_api::function_of(&path) {
            return Ok(invoke_api::invoke(&state, function, req).await);
        }
    }
    let body = body_of(req).await;
    if method == Method::POST {
        if path == "/2018-06-01/runtime/init/error" {
            if let Ok(mut e) = state.init_errors.lock() {
                e.push(String::from_utf8_lossy(&body).into_owned());
            }
            return Ok(reply(StatusCode::ACCEPTED, "{}"));
        }
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if let ["2018-06-01", "runtime", "invocation", id, kind] = parts.as_slice() {
            let result = match *kind {
                "response" => RuntimeResult::Response(
                    serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                ),
                "error" => RuntimeResult::Error(String::from_utf8_lossy(&body).into_owned()),
                _ => return Ok(reply(StatusCode::NOT_FOUND, "{}")),
            };
            let waiter = state.waiting.lock().ok().and_then(|mut w| w.remove(*id));
            if let Some(tx) = waiter {
                let _ = tx.send(result);
            }
            return Ok(reply(StatusCode::ACCEPTED, "{\"status\":\"OK\"}"));
        }
    }
    Ok(reply(StatusCode::NOT_FOUND, "{}"))
}

/// The Lambda timeout of invocations that do not come from [`LocalLambda::invoke`] (the bridge,
/// the `Invoke` API): Lambda's longest.
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(900);

/// One invocation from moto's bridge: queue it, wait for the runtime, answer with its result.
async fn bridge_invoke(state: &State, req: Request<Incoming>) -> Response<Body> {
    let body = body_of(req).await;
    let Ok(call) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return reply(StatusCode::BAD_REQUEST, "not JSON");
    };
    let (Some(function_arn), Some(payload)) =
        (call["function_arn"].as_str(), call["payload"].as_str())
    else {
        return reply(StatusCode::BAD_REQUEST, "function_arn and payload expected");
    };
    if let Ok(mut bridged) = state.bridged.lock() {
        bridged.push(serde_json::from_str(payload).unwrap_or(serde_json::Value::Null));
    }
    let event = state.event(
        "bridge-req",
        Bytes::from(payload.as_bytes().to_vec()),
        function_arn.to_owned(),
        LAMBDA_TIMEOUT,
    );
    match run(state, event).await {
        Some(RuntimeResult::Response(value)) => reply(StatusCode::OK, value.to_string()),
        Some(RuntimeResult::Error(error)) => reply(StatusCode::OK, error),
        None => reply(StatusCode::GATEWAY_TIMEOUT, "no result from the runtime"),
    }
}

/// Queues `event` and waits (at most Lambda's longest timeout) for the runtime's result.
async fn run(state: &State, event: PendingEvent) -> Option<RuntimeResult> {
    let rx = state.enqueue(event);
    tokio::time::timeout(LAMBDA_TIMEOUT, rx).await.ok()?.ok()
}

async fn next_event(state: &State) -> Response<Body> {
    state.polls.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut first) = state.first_poll.lock() {
        first.get_or_insert_with(Instant::now);
    }
    state.poll_notify.notify_waiters();
    let retired = state.retire.notified();
    tokio::pin!(retired);
    retired.as_mut().enable();
    let event = tokio::select! {
        biased;
        () = retired => return reply(StatusCode::GONE, "{}"),
        event = async { state.queue_rx.lock().await.recv().await } => event,
    };
    let Some(event) = event else {
        return reply(StatusCode::INTERNAL_SERVER_ERROR, "{}");
    };
    let deadline_ms = event.deadline_ms.unwrap_or_else(|| {
        (SystemTime::now() + event.timeout)
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    });
    let mut response = reply(StatusCode::OK, event.body);
    let headers = response.headers_mut();
    let pairs = [
        ("lambda-runtime-aws-request-id", event.id),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", event.function_arn),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ];
    for (name, value) in pairs {
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}

async fn cfn_put(state: &State, req: Request<Incoming>) -> Response<Body> {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = body_of(req).await;
    let behaviour = {
        let Ok(mut cfn) = state.cfn.lock() else {
            return reply(StatusCode::INTERNAL_SERVER_ERROR, "");
        };
        let behaviour = cfn.script.pop_front().unwrap_or(CfnBehaviour::Status(200));
        cfn.received.push(ReceivedPut {
            path_and_query,
            headers,
            body,
            at: SystemTime::now(),
            answered: behaviour,
        });
        behaviour
    };
    state.put_notify.notify_waiters();
    match behaviour {
        CfnBehaviour::Status(code) => reply(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "",
        ),
        CfnBehaviour::Hang => {
            // Hold the connection well past any test deadline; the client gives up first.
            tokio::time::sleep(Duration::from_secs(120)).await;
            reply(StatusCode::OK, "")
        }
    }
}
