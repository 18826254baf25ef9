//! `Custom::Setting`: one SSM String parameter per resource, written as a new user would.
use aws_sdk_ssm::{types::ParameterType, Client};
use cfn_warden::{
    credentials::SessionPolicy, Context, Created, CustomResource, Deleted, HandlerError,
    HandlerResult, PhysicalId, Updated,
};

/// The resource's properties.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Props {
    /// The parameter's name (no leading `/`).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// The handler.
pub struct Setting;

/// `actions` on exactly this parameter (a wildcard in `name` is refused by `ctx.arn`).
fn on(ctx: &Context, name: &str, actions: &[&str]) -> HandlerResult<SessionPolicy> {
    let arn: String = ctx.arn("ssm", &format!("parameter/{name}"))?.into();
    Ok(SessionPolicy::builder()
        .allow(actions.iter().copied(), [arn])
        .build()?)
}

async fn put(p: &Props, ctx: &Context, overwrite: bool) -> HandlerResult<()> {
    Client::new(ctx.aws()?)
        .put_parameter()
        .name(&p.name)
        .value(&p.value)
        .r#type(ParameterType::String)
        .overwrite(overwrite)
        .send()
        .await
        .map_err(|e| HandlerError::aws("PutParameter", &e))?;
    Ok(())
}

impl CustomResource for Setting {
    type Properties = Props;
    const RESOURCE_TYPES: &'static [&'static str] = &["Custom::Setting"];

    fn permissions(&self, p: &Props, ctx: &Context) -> HandlerResult<SessionPolicy> {
        on(ctx, &p.name, &["ssm:PutParameter", "ssm:DeleteParameter"])
    }

    fn unparsed_delete_permissions(&self, ctx: &Context) -> HandlerResult<SessionPolicy> {
        match ctx.request().physical_resource_id() {
            Some(id) => on(ctx, id.as_str(), &["ssm:DeleteParameter"]),
            None => Ok(SessionPolicy::none()),
        }
    }

    async fn create(&self, p: Props, ctx: &Context) -> HandlerResult<Created> {
        put(&p, ctx, false).await?; // record the id only once the parameter is ours
        Ok(Created::with_physical_id(PhysicalId::new(p.name)?))
    }

    async fn update(&self, p: Props, _: Option<Props>, ctx: &Context) -> HandlerResult<Updated> {
        if ctx.request().has_physical_id(&p.name) {
            put(&p, ctx, true).await?;
            return Ok(Updated::keep());
        }
        put(&p, ctx, false).await?; // a new name: CloudFormation deletes the old one
        Ok(Updated::replace(PhysicalId::new(p.name)?))
    }

    async fn delete(&self, _: Option<Props>, ctx: &Context) -> HandlerResult<Deleted> {
        let Some(id) = ctx.request().physical_resource_id() else {
            return Ok(Deleted);
        };
        let ssm = Client::new(ctx.aws()?);
        let deleted = ssm.delete_parameter().name(id.as_str()).send().await;
        Deleted::from_aws("DeleteParameter", deleted, |e| e.is_parameter_not_found())
    }
}
