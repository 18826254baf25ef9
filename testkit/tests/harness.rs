//! The kit on a small resource: answers, decision lines, declared policies and recorded calls.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use cfn_warden::{
    credentials::SessionPolicy, Context, Created, CustomResource, Deleted, HandlerError, Updated,
};
use cfn_warden_test::{Access, Aws, CfnEvent, Harness};
use serde_json::json;

struct Greeting;

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Props {
    name: String,
}

impl CustomResource for Greeting {
    type Properties = Props;
    fn permissions(&self, _: &Props, _: &Context) -> Result<SessionPolicy, HandlerError> {
        Ok(SessionPolicy::builder()
            .allow_any_resource(["sts:GetCallerIdentity"])
            .build()?)
    }
    async fn create(&self, p: Props, ctx: &Context) -> Result<Created, HandlerError> {
        let sts = aws_sdk_sts::Client::new(ctx.aws()?);
        let me = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| HandlerError::aws("GetCallerIdentity", &e))?;
        Ok(Created::new().data(
            "Greeting",
            format!("Hello {} from {}", p.name, me.account().unwrap_or("?")),
        ))
    }
    /// Greets the new name without asking AWS again.
    async fn update(
        &self,
        new: Props,
        old: Option<Props>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        let before = old.map(|p| p.name).unwrap_or_default();
        Ok(Updated::keep().data("Greeting", format!("Hello {} (was {before})", new.name)))
    }
    async fn delete(&self, _: Option<Props>, _: &Context) -> Result<Deleted, HandlerError> {
        Ok(Deleted)
    }
}

/// A Create of `Hello` for Ada.
fn create_ada() -> CfnEvent {
    CfnEvent::create("Custom::Greeting", "Hello", json!({"Name": "Ada"}))
}

const IDENTITY: &str = "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";

#[tokio::test]
async fn a_create_answers_with_data_and_shows_its_policy_and_calls() {
    let aws = Aws::replay().reply_raw("GetCallerIdentity", 200, "text/xml", IDENTITY);
    let harness = Harness::builder(Greeting).aws(aws).build().unwrap();
    let exchange = harness.send(&create_ada()).await;
    assert_eq!(exchange.status(), "SUCCESS", "{exchange:?}");
    assert_eq!(
        exchange.data("Greeting").unwrap(),
        "Hello Ada from 123456789012"
    );
    assert_eq!(exchange.result(), "success");
    assert_eq!(exchange.granted.len(), 1);
    assert_eq!(exchange.granted[0].actions(), ["sts:GetCallerIdentity"]);
    assert_eq!(exchange.calls.len(), 1);
    assert_eq!(exchange.calls[0].action(), "sts:GetCallerIdentity");
}

#[tokio::test]
async fn an_aws_error_becomes_a_failed_reason_naming_the_operation_and_code() {
    let aws = Aws::replay().reply_raw(
        "GetCallerIdentity",
        403,
        "text/xml",
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
         <Message>not allowed</Message></Error><RequestId>r</RequestId></ErrorResponse>",
    );
    let harness = Harness::builder(Greeting).aws(aws).build().unwrap();
    let exchange = harness.send(&create_ada()).await;
    assert_eq!(exchange.status(), "FAILED");
    assert_eq!(
        exchange.reason().unwrap(),
        "GetCallerIdentity failed: AccessDenied: not allowed"
    );
    assert_eq!(exchange.result(), "handler-error");
}

#[tokio::test]
async fn a_call_without_a_canned_reply_fails_naming_it() {
    let harness = Harness::builder(Greeting).build().unwrap();
    let exchange = harness.send(&create_ada()).await;
    assert_eq!(exchange.status(), "FAILED");
    let reason = exchange.reason().unwrap();
    assert!(reason.starts_with("GetCallerIdentity failed: "), "{reason}");
    assert_eq!(exchange.calls.len(), 1);
}

#[tokio::test]
async fn updates_deletes_and_bad_properties_come_back_as_cloudformation_sees_them() {
    let harness = Harness::builder(Greeting).build().unwrap();
    let update = CfnEvent::update(
        "Custom::Greeting",
        "Hello",
        "greeting-1",
        json!({"Name": "Ada"}),
        json!({"Name": "Bob"}),
    );
    let exchange = harness.send(&update).await;
    assert_eq!(exchange.status(), "SUCCESS");
    assert_eq!(exchange.physical_id(), Some("greeting-1"));
    assert_eq!(
        exchange.answer.as_ref().unwrap()["Data"]["Greeting"],
        "Hello Ada (was Bob)"
    );
    // Properties of an older schema: the Delete still reaches the handler (with None).
    let delete = CfnEvent::delete("Custom::Greeting", "Hello", "greeting-1", json!({"Nom": 1}));
    let exchange = harness.send(&delete).await;
    assert_eq!(exchange.status(), "SUCCESS");
    assert!(exchange
        .line
        .checks
        .iter()
        .any(|c| c.name == "unparsed-delete"));
    // On a Create they are refused, naming the key, and no credentials are granted.
    let create = CfnEvent::create("Custom::Greeting", "Hello", json!({"Nom": 1}));
    let exchange = harness.send(&create).await;
    assert_eq!(exchange.status(), "FAILED");
    assert_eq!(exchange.result(), "bad-input");
    assert!(exchange.reason().unwrap().contains("Name"), "{exchange:?}");
    assert!(exchange.granted.is_empty() && exchange.calls.is_empty());
    assert_eq!(harness.answers().len(), 3);
}

#[tokio::test]
async fn calls_are_judged_against_the_declared_policy() {
    let aws = Aws::replay().reply_raw("GetCallerIdentity", 200, "text/xml", IDENTITY);
    let harness = Harness::builder(Greeting).aws(aws).build().unwrap();
    let exchange = harness.send(&create_ada()).await;
    exchange.assert_calls_allowed(|call| Access::new(call.action(), "*"));
    exchange.assert_denied(&Access::new(
        "sts:AssumeRole",
        "arn:aws:iam::123456789012:role/x",
    ));
    let denied = std::panic::catch_unwind(|| {
        exchange.assert_calls_allowed(|_| Access::new("iam:CreateUser", "*"));
    });
    assert!(
        denied.is_err(),
        "a call outside the declaration must fail the assertion"
    );
}
