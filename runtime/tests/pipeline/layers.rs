//! Layers written by the user around the handler: one hands an extension to the handler and
//! reserves a property key, one answers with an outcome of the wrong kind.

use super::*;

/// A layer that attaches an extension and reserves a property key, as a signature layer will.
#[derive(Clone)]
struct AttachLayer;
#[derive(Clone)]
struct Attach<S>(S);
impl<S> tower::Layer<S> for AttachLayer {
    type Service = Attach<S>;
    fn layer(&self, inner: S) -> Attach<S> {
        Attach(inner)
    }
}
impl<S> tower::Service<cfn_warden::pipeline::Invocation> for Attach<S>
where
    S: tower::Service<cfn_warden::pipeline::Invocation>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;
    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }
    fn call(&mut self, mut invocation: cfn_warden::pipeline::Invocation) -> S::Future {
        invocation
            .context
            .extensions_mut()
            .insert(Marker("from-layer"));
        invocation.context.reserve_property_key("RequestNonce");
        self.0.call(invocation)
    }
}

#[tokio::test]
async fn layers_can_hand_extensions_to_the_handler_and_reserve_keys() {
    let h = Harness::new(Behaviour::ExpectExtension, |b| b.layer(AttachLayer));
    let mut event = fixture("create.json");
    event["ResourceProperties"]["RequestNonce"] = json!("n-1");
    let (answer, _) = h.send(&event).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Data"]["Marker"], "from-layer");

    // Without the layer, the same key is an unknown property.
    let plain = Harness::new(Behaviour::ExpectExtension, |b| b);
    let (answer, _) = plain.send(&event).await;
    assert_eq!(
        answer.unwrap()["Reason"],
        "unknown properties: RequestNonce"
    );
}

/// A layer that answers every request itself with `Deleted`, as a buggy cache might.
#[derive(Clone)]
struct AlwaysDeleted;
impl<S> tower::Layer<S> for AlwaysDeleted {
    type Service = AlwaysDeletedService;
    fn layer(&self, _: S) -> AlwaysDeletedService {
        AlwaysDeletedService
    }
}
#[derive(Clone)]
struct AlwaysDeletedService;
impl tower::Service<cfn_warden::pipeline::Invocation> for AlwaysDeletedService {
    type Response = cfn_warden::pipeline::Outcome;
    type Error = cfn_warden::pipeline::Rejection;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;
    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: cfn_warden::pipeline::Invocation) -> Self::Future {
        Box::pin(async { Ok(cfn_warden::pipeline::Outcome::Deleted(Deleted)) })
    }
}

#[tokio::test]
async fn an_outcome_of_the_wrong_kind_is_refused() {
    let h = Harness::new(Behaviour::Greet, |b| b.layer(AlwaysDeleted));
    let (answer, line) = h.send(&fixture("create.json")).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert_eq!(
        answer["Reason"],
        "the pipeline answered a Create request with a Delete result"
    );
    assert!(answer["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .starts_with("cfn-warden-create-failed-"));
    assert_eq!(
        serde_json::to_value(line.result).unwrap(),
        "invalid-outcome"
    );
    // A Delete answered with Deleted is fine.
    let (answer, _) = h.send(&fixture("delete.json")).await;
    assert_eq!(answer.unwrap()["Status"], "SUCCESS");
}
