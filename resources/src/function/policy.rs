//! The session policy each request of `Custom::MultiFileFunction` declares: exactly this
//! function, exactly the one role passed to Lambda, exactly the named layers.

use cfn_warden::{credentials::SessionPolicy, protocol::RequestType, Context};

use super::{
    properties::{check_name, FunctionProperties},
    MultiFileFunction,
};

/// The function's ARN.
pub(super) fn function_arn(ctx: &Context, name: &str) -> String {
    let stack = ctx.request().stack();
    format!(
        "arn:{}:lambda:{}:{}:function:{name}",
        stack.partition(),
        stack.region(),
        stack.account()
    )
}

/// The session policy for a request on function `function` (its ARN). Also what `warden
/// explain` shows ([`crate::declared`]).
pub(crate) fn policy(
    request: RequestType,
    function: &str,
    role: &str,
    layers: &[String],
) -> Result<SessionPolicy, cfn_warden::Error> {
    if request == RequestType::Delete {
        // ListTags: the owner tag is checked before anything is deleted.
        return SessionPolicy::builder()
            .allow(
                ["lambda:ListTags", "lambda:DeleteFunction"],
                [function.to_owned()],
            )
            .build();
    }
    let mut builder = SessionPolicy::builder()
        .allow(
            [
                "lambda:CreateFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PublishVersion",
                "lambda:ListTags",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
            [function.to_owned()],
        )
        .pass_role(role, "lambda.amazonaws.com");
    if !layers.is_empty() {
        builder = builder.allow(["lambda:GetLayerVersion"], layers.iter().cloned());
    }
    builder.build()
}

impl MultiFileFunction {
    /// The session policy for deleting the function in the physical id (none when the id is
    /// not a function name: nothing is deleted then).
    pub fn delete_permissions(&self, ctx: &Context) -> Result<SessionPolicy, cfn_warden::Error> {
        match ctx.request().physical_resource_id() {
            Some(id) if check_name(id.as_str()).is_ok() => policy(
                RequestType::Delete,
                &function_arn(ctx, id.as_str()),
                "",
                &[],
            ),
            _ => Ok(SessionPolicy::none()),
        }
    }

    /// For an Update that changes only a ticket or signature: reading the function back needs
    /// `lambda:ListTags` (the owner tag), `lambda:GetFunctionConfiguration` and, when
    /// published, `lambda:ListVersionsByFunction`, on exactly the function in the physical id.
    pub fn read_back_permissions(
        &self,
        p: &FunctionProperties,
        ctx: &Context,
    ) -> Result<SessionPolicy, cfn_warden::Error> {
        match ctx.request().physical_resource_id() {
            Some(id) if check_name(id.as_str()).is_ok() => {
                let mut actions = vec!["lambda:ListTags", "lambda:GetFunctionConfiguration"];
                if p.publish {
                    actions.push("lambda:ListVersionsByFunction");
                }
                SessionPolicy::builder()
                    .allow(actions, [function_arn(ctx, id.as_str())])
                    .build()
            }
            _ => Ok(SessionPolicy::none()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    const FUNCTION: &str = "arn:aws:lambda:eu-west-1:123456789012:function:app";
    const ROLE: &str = "arn:aws:iam::123456789012:role/app-exec";

    #[test]
    fn the_declared_policy_passes_exactly_the_one_role_to_lambda() {
        let layers = vec!["arn:aws:lambda:eu-west-1:123456789012:layer:deps:3".to_owned()];
        let document: Value = serde_json::from_str(
            policy(RequestType::Create, FUNCTION, ROLE, &layers)
                .unwrap()
                .to_json(),
        )
        .unwrap();
        let statements = document["Statement"].as_array().unwrap();
        assert_eq!(statements[0]["Resource"], json!([FUNCTION]));
        assert!(statements[0]["Action"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.as_str().unwrap().starts_with("lambda:")));
        let pass = statements
            .iter()
            .find(|s| s["Action"] == json!(["iam:PassRole"]))
            .unwrap();
        assert_eq!(pass["Resource"], json!([ROLE]));
        assert_eq!(
            pass["Condition"],
            json!({"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}})
        );
        assert!(statements
            .iter()
            .any(|s| s["Action"] == json!(["lambda:GetLayerVersion"])
                && s["Resource"] == json!(layers)));
        let delete: Value = serde_json::from_str(
            policy(RequestType::Delete, FUNCTION, ROLE, &[])
                .unwrap()
                .to_json(),
        )
        .unwrap();
        assert_eq!(
            delete["Statement"],
            json!([{"Effect": "Allow", "Action": ["lambda:ListTags", "lambda:DeleteFunction"], "Resource": [FUNCTION]}])
        );
    }
}
