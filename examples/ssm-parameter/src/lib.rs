//! `Custom::SsmParameter`: an SSM parameter owned by a stack, written as a user of cfn-warden
//! would write their own resource. In ticket mode it works with a session narrowed to exactly
//! the calls it declares on exactly its parameter; it tags what it makes with the owner tag and
//! touches nothing without it; a Delete works from the physical id alone; an Update that only
//! refreshes a ticket or signature is answered by reading the parameter back.

use aws_sdk_ssm::{
    types::{ParameterType, ResourceTypeForTagging, Tag},
    Client,
};
use cfn_warden::{
    credentials::SessionPolicy, Context, Created, CustomResource, Deleted, HandlerError,
    PhysicalId, Updated,
};

/// The resource type served.
pub const RESOURCE_TYPE: &str = "Custom::SsmParameter";

/// `Name` and `Value` of the parameter (a `String` parameter).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Props {
    /// The parameter's name (`/app/db-url` or `db-url`).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// The resource.
#[derive(Debug)]
pub struct SsmParameter;

/// The parameter's ARN, refused when the name could widen it (a wildcard) or is not a name.
fn arn(ctx: &Context, name: &str) -> Result<String, HandlerError> {
    let ok = !name.is_empty()
        && name.len() <= 1011
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
    if !ok {
        return Err(HandlerError::new(
            "Name must be 1-1011 letters, digits, '_', '.', '-' or '/'",
        ));
    }
    let resource = format!("parameter/{}", name.trim_start_matches('/'));
    Ok(ctx.arn("ssm", &resource)?.into())
}

fn policy(actions: &[&str], arn: String) -> Result<SessionPolicy, HandlerError> {
    Ok(SessionPolicy::builder()
        .allow(actions.iter().copied(), [arn])
        .build()?)
}

/// A PutParameter of `p` as a `String` parameter (the caller says whether to overwrite).
fn put_request(
    ssm: &Client,
    p: &Props,
) -> aws_sdk_ssm::operation::put_parameter::builders::PutParameterFluentBuilder {
    ssm.put_parameter()
        .name(&p.name)
        .value(&p.value)
        .r#type(ParameterType::String)
}

/// Whether the parameter carries this resource's owner tag.
async fn owned(ssm: &Client, ctx: &Context, name: &str) -> Result<bool, HandlerError> {
    let tags = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await
        .map_err(|e| HandlerError::aws("ListTagsForResource", &e))?;
    let (key, digest) = ctx.owner_tag();
    Ok(tags
        .tag_list()
        .iter()
        .any(|t| t.key() == key && t.value() == digest))
}

impl SsmParameter {
    /// Creates parameter `p.name`, tagged as ours; an existing parameter is never taken over.
    /// Returns its physical id, ARN and version.
    async fn make(
        &self,
        p: &Props,
        ctx: &Context,
    ) -> Result<(PhysicalId, String, String), HandlerError> {
        let ssm = Client::new(ctx.aws()?);
        let (key, digest) = ctx.owner_tag();
        let tag = Tag::builder().key(key).value(digest).build()?;
        let put = put_request(&ssm, p)
            .overwrite(false)
            .tags(tag)
            .send()
            .await
            .map_err(|e| HandlerError::aws("PutParameter", &e))?;
        // Only now that it exists and is ours: a failure after this still gets our Delete.
        let id = PhysicalId::new(p.name.clone())?;
        ctx.record_physical_id(id.clone());
        Ok((id, arn(ctx, &p.name)?, put.version().to_string()))
    }
}

impl CustomResource for SsmParameter {
    type Properties = Props;
    const RESOURCE_TYPES: &'static [&'static str] = &[RESOURCE_TYPE];

    fn permissions(&self, p: &Props, ctx: &Context) -> Result<SessionPolicy, HandlerError> {
        let actions: &[&str] = match ctx.request().request_type() {
            cfn_warden::RequestType::Create => &["ssm:PutParameter", "ssm:AddTagsToResource"],
            cfn_warden::RequestType::Update => &[
                "ssm:PutParameter",
                "ssm:AddTagsToResource",
                "ssm:ListTagsForResource",
            ],
            cfn_warden::RequestType::Delete => return self.unparsed_delete_permissions(ctx),
        };
        policy(actions, arn(ctx, &p.name)?)
    }

    fn unchanged_permissions(
        &self,
        p: &Props,
        ctx: &Context,
    ) -> Result<SessionPolicy, HandlerError> {
        policy(
            &["ssm:ListTagsForResource", "ssm:GetParameter"],
            arn(ctx, &p.name)?,
        )
    }

    fn unparsed_delete_permissions(&self, ctx: &Context) -> Result<SessionPolicy, HandlerError> {
        match ctx.request().physical_resource_id() {
            Some(id) => policy(
                &["ssm:ListTagsForResource", "ssm:DeleteParameter"],
                arn(ctx, id.as_str())?,
            ),
            None => Ok(SessionPolicy::none()),
        }
    }

    async fn create(&self, p: Props, ctx: &Context) -> Result<Created, HandlerError> {
        let (id, arn, version) = self.make(&p, ctx).await?;
        Ok(Created::with_physical_id(id)
            .data("Arn", arn)
            .data("Version", version))
    }

    async fn update(
        &self,
        p: Props,
        _: Option<Props>,
        ctx: &Context,
    ) -> Result<Updated, HandlerError> {
        if !ctx.request().has_physical_id(&p.name) {
            // A new name is a new parameter; CloudFormation then deletes the old one.
            let (id, arn, version) = self.make(&p, ctx).await?;
            return Ok(Updated::replace(id)
                .data("Arn", arn)
                .data("Version", version));
        }
        let ssm = Client::new(ctx.aws()?);
        if !owned(&ssm, ctx, &p.name).await? {
            return Err(HandlerError::new(format!(
                "parameter {} was not created by this resource; not changing it",
                p.name
            )));
        }
        let put = put_request(&ssm, &p)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| HandlerError::aws("PutParameter", &e))?;
        Ok(Updated::keep()
            .data("Arn", arn(ctx, &p.name)?)
            .data("Version", put.version().to_string()))
    }

    async fn unchanged(&self, p: &Props, ctx: &Context) -> Result<Option<Updated>, HandlerError> {
        let ssm = Client::new(ctx.aws()?);
        if !owned(&ssm, ctx, &p.name).await? {
            return Ok(None);
        }
        let got = ssm
            .get_parameter()
            .name(&p.name)
            .send()
            .await
            .map_err(|e| HandlerError::aws("GetParameter", &e))?;
        Ok(got.parameter().map(|parameter| {
            Updated::keep()
                .data("Arn", parameter.arn().unwrap_or_default())
                .data("Version", parameter.version().to_string())
        }))
    }

    // Works from the physical id: properties of an older schema (`None`) do not matter.
    async fn delete(&self, _: Option<Props>, ctx: &Context) -> Result<Deleted, HandlerError> {
        let Some(id) = ctx.request().physical_resource_id() else {
            return Ok(Deleted);
        };
        let ssm = Client::new(ctx.aws()?);
        match owned(&ssm, ctx, id.as_str()).await {
            Ok(true) => {}
            Ok(false) => {
                ctx.logger()
                    .warn(format!("{id} is not ours; leaving it in place"));
                return Ok(Deleted);
            }
            Err(e) if e.reason().contains("InvalidResourceId") => return Ok(Deleted), // gone
            Err(e) => return Err(e),
        }
        let deleted = ssm.delete_parameter().name(id.as_str()).send().await;
        Deleted::from_aws("DeleteParameter", deleted, |e| e.is_parameter_not_found())
    }
}
