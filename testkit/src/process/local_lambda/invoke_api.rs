//! Lambda's `Invoke` API (`POST /2015-03-31/functions/{name}/invocations`) for the function the
//! local Runtime API runs: point the provider's `AWS_ENDPOINT_URL_LAMBDA` here and its
//! self-invocations (the continuations of long-running operations) come back to it as the next
//! events, as they would in Lambda. `Event` invocations are answered 202 at once and queued (or
//! held, see [`LocalLambda::hold_event_invocations`]); `RequestResponse` ones wait for the
//! runtime's result (200, with `X-Amz-Function-Error: Unhandled` for an error or no result);
//! `DryRun` is answered 204. As Lambda does: payloads over 1 MB (`Event`) or 6 MB refused 413
//! `RequestTooLargeException`, another function than the one served 404
//! `ResourceNotFoundException`, each invocation's deadline the function's timeout (the last
//! [`LocalLambda::invoke`]'s) from when the runtime gets it. Not emulated: Lambda's retries of
//! failed asynchronous invocations, aliases and versions (any qualifier is accepted).

use std::{sync::Arc, time::SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::{reply, run, Body, LocalLambda, PendingEvent, RuntimeResult, State};

/// One call of the `Invoke` API. Its `Debug` shows the payload's size only: a payload may be
/// an event with its ResponseURL.
#[derive(Clone)]
pub struct InvokeCall {
    /// `FunctionName` as given (a name, a partial or a full ARN, possibly qualified).
    pub function_name: String,
    /// The `Qualifier` query parameter, when given.
    pub qualifier: Option<String>,
    /// The ARN the invocation was handed to the runtime as (`Lambda-Runtime-Invoked-Function-Arn`).
    pub invoked_arn: String,
    /// The Lambda request id the invocation was handed to the runtime with (its decision
    /// line's `lambda_request_id`); empty for a `DryRun`.
    pub request_id: String,
    /// `X-Amz-Invocation-Type` (`RequestResponse` when absent).
    pub invocation_type: String,
    /// The payload.
    pub payload: Bytes,
    /// When it arrived.
    pub at: SystemTime,
    /// The runtime's result, once it reported one (`None` for a `DryRun`, a held event and
    /// while running).
    pub result: Option<RuntimeResult>,
}

impl std::fmt::Debug for InvokeCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvokeCall")
            .field("function_name", &self.function_name)
            .field("qualifier", &self.qualifier)
            .field("invoked_arn", &self.invoked_arn)
            .field("request_id", &self.request_id)
            .field("invocation_type", &self.invocation_type)
            .field("payload_bytes", &self.payload.len())
            .field("at", &self.at)
            .field("result", &self.result.as_ref().map(|_| "reported"))
            .finish()
    }
}

/// The `Invoke` API's record and held events.
#[derive(Default)]
pub(super) struct InvokeState {
    calls: Vec<InvokeCall>,
    hold: bool,
    held: Vec<(usize, PendingEvent)>,
}

/// Lambda's largest asynchronous payload (API reference, `Invoke`).
const MAX_EVENT_PAYLOAD: usize = 1024 * 1024;
/// Lambda's largest synchronous payload.
const MAX_SYNC_PAYLOAD: usize = 6 * 1024 * 1024;

/// The function named by an `Invoke` path, percent-decoded.
pub(super) fn function_of(path: &str) -> Option<String> {
    let name = path
        .strip_prefix("/2015-03-31/functions/")?
        .strip_suffix("/invocations")?;
    let name = percent_encoding::percent_decode_str(name)
        .decode_utf8()
        .ok()?
        .into_owned();
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// The ARN Lambda would report as invoked for `name` (a name, a partial ARN
/// `123456789012:function:name` or an ARN, possibly qualified) and `qualifier`.
fn invoked_arn(name: &str, qualifier: Option<&str>) -> String {
    let base = if name.starts_with("arn:") {
        name.to_owned()
    } else if name.contains(":function:") {
        format!("arn:aws:lambda:{}:{name}", crate::REGION)
    } else {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            crate::REGION,
            crate::ACCOUNT
        )
    };
    match qualifier {
        Some(q) if !base.ends_with(&format!(":{q}")) => format!("{base}:{q}"),
        _ => base,
    }
}

/// The function's name in an ARN Lambda reports (`...:function:<name>[:<qualifier>]`).
fn function_name_of(arn: &str) -> &str {
    arn.split_once(":function:")
        .map(|(_, rest)| rest.split(':').next().unwrap_or(rest))
        .unwrap_or(arn)
}

/// Serves one `Invoke` call.
pub(super) async fn invoke(
    state: &Arc<State>,
    function_name: String,
    req: Request<Incoming>,
) -> Response<Body> {
    let qualifier = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "Qualifier")
            .map(|(_, v)| v.into_owned())
    });
    let invocation_type = req
        .headers()
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_owned();
    let Ok(payload) = req.into_body().collect().await.map(|b| b.to_bytes()) else {
        return reply(StatusCode::BAD_REQUEST, "unreadable payload");
    };
    if !payload.is_empty() && serde_json::from_slice::<serde_json::Value>(&payload).is_err() {
        return error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "Could not parse request body into json",
        );
    }
    let arn = invoked_arn(&function_name, qualifier.as_deref());
    let limit = match invocation_type.as_str() {
        "Event" => MAX_EVENT_PAYLOAD,
        "RequestResponse" | "DryRun" => MAX_SYNC_PAYLOAD,
        _ => {
            return error_reply(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                "X-Amz-Invocation-Type must be Event, RequestResponse or DryRun",
            )
        }
    };
    if payload.len() > limit {
        return error_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestTooLargeException",
            &format!("Request must be smaller than {limit} bytes for the Invoke operation"),
        );
    }
    let served = state.served_function.lock().ok().and_then(|s| s.clone());
    if served.is_some_and(|served| served != function_name_of(&arn)) {
        return error_reply(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {arn}"),
        );
    }
    let timeout = state.function_timeout();
    let event = (invocation_type != "DryRun")
        .then(|| state.event("invoke-req", payload.clone(), arn.clone(), timeout));
    let request_id = event.as_ref().map(|e| e.id.clone()).unwrap_or_default();
    let call = InvokeCall {
        function_name,
        qualifier,
        invoked_arn: arn,
        request_id,
        invocation_type: invocation_type.clone(),
        payload,
        at: SystemTime::now(),
        result: None,
    };
    let Some(index) = register(state, call) else {
        return reply(StatusCode::INTERNAL_SERVER_ERROR, "");
    };
    let Some(event) = event else {
        return reply(StatusCode::NO_CONTENT, "");
    };
    if invocation_type == "Event" {
        spawn_unless_held(state, index, event);
        return reply(StatusCode::ACCEPTED, "");
    }
    let result = run(state, event).await;
    record(state, index, result.clone());
    let (body, failed) = match result {
        Some(RuntimeResult::Response(value)) => (value.to_string(), false),
        Some(RuntimeResult::Error(error)) => (error, true),
        None => (
            serde_json::json!({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"})
                .to_string(),
            true,
        ),
    };
    let mut response = reply(StatusCode::OK, body);
    if failed {
        response.headers_mut().insert(
            "x-amz-function-error",
            http::HeaderValue::from_static("Unhandled"),
        );
    }
    response.headers_mut().insert(
        "x-amz-executed-version",
        http::HeaderValue::from_static("$LATEST"),
    );
    response
}

/// Lambda's JSON error shape.
fn error_reply(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let mut r = reply(
        status,
        serde_json::json!({"Type": "User", "message": message}).to_string(),
    );
    if let Ok(v) = http::HeaderValue::from_str(code) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

/// Records `call`; returns its index.
fn register(state: &State, call: InvokeCall) -> Option<usize> {
    let mut api = state.invoke_api.lock().ok()?;
    api.calls.push(call);
    Some(api.calls.len() - 1)
}

/// Hands an `Event` invocation to the runtime, or holds it.
fn spawn_unless_held(state: &Arc<State>, index: usize, event: PendingEvent) {
    // Decided and queued under the lock, so a release keeps the order of arrival.
    match state.invoke_api.lock() {
        Ok(mut api) if api.hold => api.held.push((index, event)),
        _ => spawn_recorded(state, index, event),
    }
}

fn record(state: &State, index: usize, result: Option<RuntimeResult>) {
    if let Ok(mut api) = state.invoke_api.lock() {
        if let Some(call) = api.calls.get_mut(index) {
            call.result = result;
        }
    }
}

/// Queues an `Event` invocation and records its result when the runtime reports it.
fn spawn_recorded(state: &Arc<State>, index: usize, event: PendingEvent) {
    let rx = state.enqueue(event);
    let state = state.clone();
    tokio::spawn(async move {
        if let Ok(Ok(result)) = tokio::time::timeout(super::LAMBDA_TIMEOUT, rx).await {
            record(&state, index, Some(result));
        }
    });
}

impl LocalLambda {
    /// The endpoint to give a provider as `AWS_ENDPOINT_URL_LAMBDA`: Lambda's `Invoke` API for
    /// the function this server runs (other Lambda operations are not served).
    pub fn invoke_endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every `Invoke` call so far, in order.
    pub fn invoke_calls(&self) -> Vec<InvokeCall> {
        self.state
            .invoke_api
            .lock()
            .map(|api| api.calls.clone())
            .unwrap_or_default()
    }

    /// While `hold` is true, `Event` invocations are recorded and answered 202 but not handed
    /// to the runtime; setting it false hands the held ones out in order
    /// ([`LocalLambda::release_held`]). A test uses it to deliver a continuation to another
    /// process (another execution environment).
    pub fn hold_event_invocations(&self, hold: bool) {
        if hold {
            if let Ok(mut api) = self.state.invoke_api.lock() {
                api.hold = true;
            }
        } else {
            self.release_held();
        }
    }

    /// How many `Event` invocations are held.
    pub fn held(&self) -> usize {
        self.state
            .invoke_api
            .lock()
            .map(|api| api.held.len())
            .unwrap_or(0)
    }

    /// Stops holding and hands the held `Event` invocations to the runtime, in order (before
    /// any later one); returns how many.
    pub fn release_held(&self) -> usize {
        let Ok(mut api) = self.state.invoke_api.lock() else {
            return 0;
        };
        api.hold = false;
        let held = std::mem::take(&mut api.held);
        let n = held.len();
        for (index, event) in held {
            spawn_recorded(&self.state, index, event);
        }
        n
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    use super::*;

    #[test]
    fn the_function_is_read_from_the_path_percent_decoded() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:p:live";
        let path = format!(
            "/2015-03-31/functions/{}/invocations",
            percent_encoding::utf8_percent_encode(arn, percent_encoding::NON_ALPHANUMERIC)
        );
        assert_eq!(function_of(&path).as_deref(), Some(arn));
        assert_eq!(
            function_of("/2015-03-31/functions/p/invocations").as_deref(),
            Some("p")
        );
        assert_eq!(function_of("/2015-03-31/functions//invocations"), None);
        assert_eq!(function_of("/2015-03-31/functions/a/b/invocations"), None);
        assert_eq!(function_of("/2018-06-01/runtime/invocation/next"), None);
        assert_eq!(invoked_arn(arn, Some("live")), arn);
        assert_eq!(
            invoked_arn("p", Some("live")),
            "arn:aws:lambda:us-east-1:123456789012:function:p:live"
        );
        assert_eq!(
            invoked_arn("123456789012:function:p", None),
            "arn:aws:lambda:us-east-1:123456789012:function:p"
        );
        assert_eq!(function_name_of(arn), "p");
    }

    fn client() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    /// Plays the runtime: takes the next event and answers it with `answer`.
    async fn answer_next(lambda: &LocalLambda, answer: &str) -> (String, String) {
        let client = client();
        let base = format!(
            "http://{}/2018-06-01/runtime/invocation",
            lambda.runtime_api()
        );
        let next = client.get(format!("{base}/next")).send().await.unwrap();
        let id = next.headers()["lambda-runtime-aws-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let arn = next.headers()["lambda-runtime-invoked-function-arn"]
            .to_str()
            .unwrap()
            .to_owned();
        client
            .post(format!("{base}/{id}/response"))
            .body(answer.to_owned())
            .send()
            .await
            .unwrap();
        (id, arn)
    }

    async fn call(lambda: &LocalLambda, kind: &str, body: &str) -> reqwest::Response {
        client()
            .post(format!(
                "{}/2015-03-31/functions/p/invocations?Qualifier=live",
                lambda.invoke_endpoint()
            ))
            .header("x-amz-invocation-type", kind)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn each_invocation_type_is_served_as_lambda_serves_it() {
        let lambda = LocalLambda::start().await.unwrap();
        assert_eq!(call(&lambda, "DryRun", "{}").await.status(), 204);
        let bad = call(&lambda, "Later", "{}").await;
        assert_eq!(bad.status(), 400);
        assert_eq!(
            bad.headers()["x-amzn-errortype"],
            "InvalidParameterValueException"
        );
        assert_eq!(call(&lambda, "Event", "not json").await.status(), 400);
        let big = format!("\"{}\"", "x".repeat(MAX_EVENT_PAYLOAD));
        let refused = call(&lambda, "Event", &big).await;
        assert_eq!(refused.status(), 413);
        assert_eq!(
            refused.headers()["x-amzn-errortype"],
            "RequestTooLargeException"
        );
        lambda.serve_function("p");
        let other = client()
            .post(format!(
                "{}/2015-03-31/functions/q/invocations",
                lambda.invoke_endpoint()
            ))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404);

        let waiting = tokio::spawn({
            let endpoint = lambda.invoke_endpoint();
            async move {
                client()
                    .post(format!("{endpoint}/2015-03-31/functions/p/invocations"))
                    .body(r#"{"n":1}"#)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        });
        let (id, arn) = answer_next(&lambda, r#"{"ok":true}"#).await;
        assert_eq!(waiting.await.unwrap(), r#"{"ok":true}"#);
        assert_eq!(arn, "arn:aws:lambda:us-east-1:123456789012:function:p");

        lambda.hold_event_invocations(true);
        assert_eq!(call(&lambda, "Event", r#"{"n":2}"#).await.status(), 202);
        assert_eq!(lambda.held(), 1);
        assert_eq!(lambda.release_held(), 1);
        assert_eq!(lambda.held(), 0);
        let (event_id, arn) = answer_next(&lambda, "{}").await;
        assert_eq!(arn, "arn:aws:lambda:us-east-1:123456789012:function:p:live");

        let calls = lambda.invoke_calls();
        let kinds: Vec<&str> = calls.iter().map(|c| c.invocation_type.as_str()).collect();
        assert_eq!(kinds, ["DryRun", "RequestResponse", "Event"]);
        assert_eq!(calls[1].request_id, id);
        assert_eq!(
            calls[1].result,
            Some(RuntimeResult::Response(serde_json::json!({"ok": true})))
        );
        assert_eq!(calls[2].request_id, event_id);
        assert_eq!(calls[2].qualifier.as_deref(), Some("live"));
        let shown = format!("{:?}", calls[1]);
        assert!(
            shown.contains("payload_bytes: 7") && !shown.contains("\"n\""),
            "{shown}"
        );
    }
}
