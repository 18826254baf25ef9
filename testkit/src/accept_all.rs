//! [`AcceptAll`]: a resource that accepts any properties and succeeds, for tests of what runs
//! around a handler (verifiers, routing, the decision log, `warden audit`).

use cfn_warden::{Context, Created, CustomResource, Deleted, HandlerError, Updated};
use serde_json::Value;

/// Serves every resource type, takes any properties, answers SUCCESS without Data and declares
/// no permissions.
#[derive(Clone, Copy, Debug, Default)]
pub struct AcceptAll;

impl CustomResource for AcceptAll {
    type Properties = Value;
    const ALLOW_UNKNOWN_PROPERTIES: bool = true;

    async fn create(&self, _: Value, _: &Context) -> Result<Created, HandlerError> {
        Ok(Created::new())
    }

    async fn update(
        &self,
        _: Value,
        _: Option<Value>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        Ok(Updated::keep())
    }

    async fn delete(&self, _: Option<Value>, _: &Context) -> Result<Deleted, HandlerError> {
        Ok(Deleted)
    }
}
