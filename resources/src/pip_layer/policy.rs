//! The names `Custom::PipLayer` acts on (the layer's ARN, the version in a physical id, the
//! staging objects) and the session policy each request declares. Imports only the crate's
//! name checks.

use cfn_warden::{
    credentials::SessionPolicy, protocol::RequestType, Context, HandlerError, PhysicalId,
};

/// Checks a layer name as Lambda does (a name, not an ARN).
pub(super) fn check_layer_name(name: &str) -> Result<(), HandlerError> {
    crate::names::check_lambda_name("LayerName", name, 140)
}

/// `arn:<partition>:lambda:<region>:<account>:layer:<name>`.
pub(super) fn layer_arn(ctx: &Context, name: &str) -> String {
    let stack = ctx.request().stack();
    format!(
        "arn:{}:lambda:{}:{}:layer:{name}",
        stack.partition(),
        stack.region(),
        stack.account()
    )
}

/// The version number in a LayerVersionArn of this stack's account and region and this layer.
pub(super) fn version_of(ctx: &Context, id: &PhysicalId, name: &str) -> Option<i64> {
    let prefix = format!("{}:", layer_arn(ctx, name));
    id.as_str()
        .strip_prefix(&prefix)?
        .parse()
        .ok()
        .filter(|v| *v > 0)
}

/// The layer name and version in a LayerVersionArn of this stack's account and region.
pub(super) fn layer_of(ctx: &Context, id: &PhysicalId) -> Option<(String, i64)> {
    layer_in(ctx.request().stack(), id.as_str())
}

pub(super) fn layer_in(stack: &cfn_warden::protocol::StackArn, id: &str) -> Option<(String, i64)> {
    let prefix = format!(
        "arn:{}:lambda:{}:{}:layer:",
        stack.partition(),
        stack.region(),
        stack.account()
    );
    let (name, version) = id.strip_prefix(&prefix)?.rsplit_once(':')?;
    check_layer_name(name).ok()?;
    let version = version.parse().ok().filter(|v: &i64| *v > 0)?;
    Some((name.to_owned(), version))
}

/// The session policy for a request on the layer `layer` (its ARN); `version` is the version
/// in the physical id, for a Delete. Also what `warden explain` shows ([`crate::declared`]).
pub(crate) fn policy(
    request: RequestType,
    layer: &str,
    version: Option<i64>,
    staging: Option<&str>,
) -> Result<SessionPolicy, cfn_warden::Error> {
    match (request, version) {
        (RequestType::Delete, Some(v)) => SessionPolicy::builder()
            .allow(["lambda:DeleteLayerVersion"], [format!("{layer}:{v}")])
            .build(),
        // Not a version of this layer: nothing to delete, no permissions needed.
        (RequestType::Delete, None) => Ok(SessionPolicy::none()),
        _ => {
            let mut builder = SessionPolicy::builder()
                .allow(
                    ["lambda:PublishLayerVersion", "lambda:ListLayerVersions"],
                    [layer],
                )
                .allow(["lambda:GetLayerVersion"], [format!("{layer}:*")]);
            if let Some(objects) = staging {
                // Lambda reads the staged object with the caller's credentials.
                builder = builder.allow(
                    ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                    [objects.to_owned()],
                );
            }
            builder.build()
        }
    }
}

/// Where this resource's staged zips go: `cfn-warden/layers/<LayerName>/<owner>/`.
pub(super) fn staging_prefix(ctx: &Context, layer_name: &str) -> String {
    format!("cfn-warden/layers/{layer_name}/{}/", ctx.owner_digest())
}

/// The ARN pattern of this resource's staged objects.
pub(super) fn staging_arn(ctx: &Context, bucket: &str, layer_name: &str) -> String {
    format!(
        "arn:{}:s3:::{bucket}/{}*",
        ctx.request().stack().partition(),
        staging_prefix(ctx, layer_name)
    )
}
