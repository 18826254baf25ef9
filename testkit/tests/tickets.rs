//! The ticket world: the real ticket layer in process against moto (STS, KMS, IAM).
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use cfn_warden::{
    credentials::SessionPolicy, Context, Created, CustomResource, Deleted, HandlerError, Updated,
};
use cfn_warden_test::{Access, CfnEvent, TicketWorld};
use serde_json::json;

/// Answers with the identity its credentials carry.
struct WhoAmI;

impl CustomResource for WhoAmI {
    type Properties = serde_json::Value;
    fn permissions(
        &self,
        _: &serde_json::Value,
        _: &Context,
    ) -> Result<SessionPolicy, HandlerError> {
        Ok(SessionPolicy::builder()
            .allow_any_resource(["sts:GetCallerIdentity"])
            .build()?)
    }
    async fn create(&self, _: serde_json::Value, ctx: &Context) -> Result<Created, HandlerError> {
        let me = aws_sdk_sts::Client::new(ctx.aws()?)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| HandlerError::aws("GetCallerIdentity", &e))?;
        Ok(Created::new().data("Arn", me.arn().unwrap_or_default()))
    }
    async fn update(
        &self,
        _: serde_json::Value,
        _: Option<serde_json::Value>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        Ok(Updated::keep())
    }
    async fn delete(
        &self,
        _: Option<serde_json::Value>,
        _: &Context,
    ) -> Result<Deleted, HandlerError> {
        Ok(Deleted)
    }
}

fn create() -> CfnEvent {
    CfnEvent::create("Custom::WhoAmI", "Me", json!({}))
}

#[tokio::test]
async fn a_sealed_request_runs_with_the_work_role_narrowed_to_the_declaration() {
    let world = TicketWorld::start().await.unwrap();
    let harness = world.harness(WhoAmI).build().unwrap();

    let exchange = harness.send(&world.seal(create()).await.unwrap()).await;
    assert_eq!(exchange.status(), "SUCCESS", "{:?}", exchange.reason());
    let arn = exchange.data("Arn").unwrap().as_str().unwrap();
    assert!(arn.contains(":assumed-role/cfn-warden-work/"), "{arn}");
    assert!(exchange.line.checks.iter().any(|c| c.name == "ticket"));
    assert_eq!(exchange.granted.len(), 1);
    assert_eq!(exchange.granted[0].actions(), ["sts:GetCallerIdentity"]);
    // Only the handler's call: the ticket layer's STS and KMS calls are not the handler's.
    let actions: Vec<String> = exchange.calls.iter().map(|c| c.action()).collect();
    assert_eq!(actions, ["sts:GetCallerIdentity"]);
    exchange.assert_calls_allowed(|call| Access::new(call.action(), "*"));
    exchange.assert_denied(&Access::new(
        "iam:PassRole",
        "arn:aws:iam::123456789012:role/x",
    ));
}

#[tokio::test]
async fn requests_without_a_fitting_ticket_are_refused_before_the_handler() {
    let world = TicketWorld::start().await.unwrap();
    let harness = world.harness(WhoAmI).build().unwrap();

    let unsealed = harness.send(&create()).await;
    assert_eq!(unsealed.status(), "FAILED");
    assert!(unsealed.calls.is_empty() && unsealed.granted.is_empty());

    // A ticket sealed for another logical id, copied into this resource.
    let other = world
        .seal(CfnEvent::create("Custom::WhoAmI", "Other", json!({})))
        .await
        .unwrap();
    let ticket = other.to_value()["ResourceProperties"]["WardenTicket"].clone();
    let moved = harness
        .send(&create().property("WardenTicket", ticket))
        .await;
    assert_eq!(moved.status(), "FAILED");
    assert_eq!(moved.result(), "denied", "{:?}", moved.reason());
    assert!(moved.calls.is_empty() && moved.granted.is_empty());
}
