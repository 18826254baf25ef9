//! The innermost service: parses the typed properties, grants the declared credentials and
//! calls the handler.

use std::{marker::PhantomData, sync::Arc};

use crate::{
    checks::{Check, Evidence, Verdict},
    pipeline::{
        credential_source::{grant, withdraw},
        Invocation, Outcome, Rejection,
    },
    protocol::{CfnRequest, RequestType, SIGNATURE_PROPERTY_KEY, TICKET_PROPERTY_KEY},
    response::BoxFuture,
    service::{parse_properties, Context, CustomResource, HandlerError},
    Error,
};

/// A failure of a permissions hook: cfn-warden's own errors (a declared policy breaking a
/// rule) are bad input, anything else the handler's.
fn refused(error: HandlerError) -> Rejection {
    match error.into_framework_error() {
        Ok(error) => Rejection::BadInput(error),
        Err(error) => Rejection::Handler(error),
    }
}

/// The check recorded when an Update changes only framework keys.
const FRAMEWORK_ONLY_CHECK: &str = "framework-only-update";

/// The check recorded when a Delete goes ahead without its (unparseable) properties.
const UNPARSED_DELETE_CHECK: &str = "unparsed-delete";

/// The innermost service: parses the typed properties and calls the handler.
pub struct HandlerService<H> {
    handler: Arc<H>,
    _marker: PhantomData<fn() -> H>,
}

impl<H> Clone for HandlerService<H> {
    fn clone(&self) -> Self {
        Self {
            handler: self.handler.clone(),
            _marker: PhantomData,
        }
    }
}

impl<H: CustomResource> HandlerService<H> {
    /// Wraps a handler.
    pub fn new(handler: H) -> Self {
        Self {
            handler: Arc::new(handler),
            _marker: PhantomData,
        }
    }

    fn answer(&self, invocation: Invocation) -> BoxFuture<'static, Result<Outcome, Rejection>> {
        let handler = self.handler.clone();
        Box::pin(async move { dispatch(&*handler, invocation.context).await })
    }
}

innermost_service!(HandlerService<H>, H: CustomResource);

/// For an Update: the framework keys that changed, when nothing else did.
fn framework_only_change(request: &CfnRequest, reserved: &[String]) -> Option<Vec<String>> {
    let old = request.old_resource_properties()?;
    let new = request.resource_properties();
    let is_reserved = |k: &String| reserved.contains(k);
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut changed = Vec::new();
    for key in keys {
        if old.get(key) != new.get(key) {
            if !is_reserved(key) {
                return None;
            }
            changed.push(key.clone());
        }
    }
    Some(changed)
}

/// A Delete whose properties do not parse: the handler deletes by the physical id, with the
/// credentials of `unparsed_delete_permissions`; the decision line says so.
async fn delete_unparsed<H: CustomResource>(
    handler: &H,
    mut ctx: Context,
    problem: Error,
) -> Result<Outcome, Rejection> {
    let mut evidence = Evidence::new();
    evidence.insert("unparsed".into(), serde_json::json!(problem.to_string()));
    ctx.checks().record(Check::new(
        UNPARSED_DELETE_CHECK,
        Verdict::Pass,
        evidence,
        0,
    ));
    let policy = handler.unparsed_delete_permissions(&ctx).map_err(refused)?;
    grant(&policy, &mut ctx).await?;
    handler
        .delete(None, &ctx)
        .await
        .map(Outcome::Deleted)
        .map_err(Rejection::Handler)
}

/// A signature or ticket that no stage consumed: the provider is not configured to verify it.
/// Refused with the setting to fix, rather than passed on or reported as an unknown property.
fn unconfigured_framework_keys(request: &CfnRequest, reserved: &[String]) -> Result<(), Error> {
    let expectations = [
        (SIGNATURE_PROPERTY_KEY, "WARDEN_SIGNING_KEYS"),
        (TICKET_PROPERTY_KEY, "WARDEN_CREDENTIALS=ticket"),
    ];
    for (key, setting) in expectations {
        if request.resource_properties().contains_key(key) && !reserved.iter().any(|r| r == key) {
            return Err(Error::UnconfiguredFrameworkKey { key, setting });
        }
    }
    Ok(())
}

pub(super) async fn dispatch<H: CustomResource>(
    handler: &H,
    mut ctx: Context,
) -> Result<Outcome, Rejection> {
    // What the stages used for themselves stays with them.
    #[cfg(feature = "aws")]
    ctx.extensions_mut()
        .remove::<crate::aws::VerificationConfig>();
    let request = ctx.request_arc();
    if !H::RESOURCE_TYPES.is_empty() && !H::RESOURCE_TYPES.contains(&request.resource_type()) {
        return Err(Rejection::BadInput(Error::UnsupportedResourceType {
            resource_type: request.resource_type().to_owned(),
        }));
    }
    let reserved = ctx.reserved_property_keys().to_vec();
    unconfigured_framework_keys(&request, &reserved).map_err(Rejection::BadInput)?;
    let properties: H::Properties = match parse_properties(
        request.resource_properties(),
        &reserved,
        H::ALLOW_UNKNOWN_PROPERTIES,
    ) {
        Ok(properties) => properties,
        Err(problem) if request.request_type() == RequestType::Delete => {
            return delete_unparsed(handler, ctx, problem).await;
        }
        Err(problem) => return Err(Rejection::BadInput(problem)),
    };
    if request.request_type() == RequestType::Update {
        if let Some(changed) = framework_only_change(&request, &reserved) {
            let mut evidence = Evidence::new();
            evidence.insert("changed".into(), serde_json::json!(changed));
            ctx.checks()
                .record(Check::new(FRAMEWORK_ONLY_CHECK, Verdict::Pass, evidence, 0));
            let policy = handler
                .unchanged_permissions(&properties, &ctx)
                .map_err(refused)?;
            grant(&policy, &mut ctx).await?;
            if let Some(updated) = handler
                .unchanged(&properties, &ctx)
                .await
                .map_err(Rejection::Handler)?
            {
                return Ok(Outcome::Unchanged(updated));
            }
            // The read-back session is not for `update`: it gets what `permissions` declares.
            withdraw(&mut ctx);
        }
    }
    let policy = handler.permissions(&properties, &ctx).map_err(refused)?;
    grant(&policy, &mut ctx).await?;
    let reserved = &reserved;
    match request.request_type() {
        RequestType::Create => handler
            .create(properties, &ctx)
            .await
            .map(Outcome::Created)
            .map_err(Rejection::Handler),
        RequestType::Update => {
            let old = request
                .old_resource_properties()
                .and_then(|o| parse_properties(o, reserved, H::ALLOW_UNKNOWN_PROPERTIES).ok());
            handler
                .update(properties, old, &ctx)
                .await
                .map(Outcome::Updated)
                .map_err(Rejection::Handler)
        }
        RequestType::Delete => handler
            .delete(Some(properties), &ctx)
            .await
            .map(Outcome::Deleted)
            .map_err(Rejection::Handler),
    }
}
