//! What IAM authorises for the AWS calls the shipped resources and typical handlers make: the
//! action, the resource ARN and the context keys, per the Lambda, S3, SSM and STS service
//! authorization references. REST services (Lambda, S3) are read from the method and path;
//! JSON services from the body. A call not in this table has no known access: tests map it
//! themselves with [`crate::Exchange::assert_calls_allowed`].

use percent_encoding::percent_decode_str;

use super::Access;
use crate::{AwsCall, ACCOUNT, REGION};

/// The accesses `call` needs, or `None` when the table does not know it.
pub(crate) fn accesses(call: &AwsCall) -> Option<Vec<Access>> {
    match call.service.as_str() {
        "lambda" => lambda(call),
        "s3" => s3(call),
        "sts" if call.operation == "GetCallerIdentity" => {
            Some(vec![Access::new(call.action(), "*")])
        }
        "ssm" => {
            let name = call.json()?.get("Name")?.as_str()?.to_owned();
            let resource = format!(
                "arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{}",
                name.trim_start_matches('/')
            );
            Some(vec![Access::new(call.action(), resource)])
        }
        _ => None,
    }
}

/// The decoded path segments after the host, without the query.
fn segments(call: &AwsCall) -> Vec<String> {
    let path = call
        .uri
        .split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect()
}

fn function_arn(name: &str) -> String {
    if name.starts_with("arn:") {
        // A qualified ARN names a version or alias of the same function resource.
        name.to_owned()
    } else {
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
    }
}

fn layer_arn(name: &str) -> String {
    if name.starts_with("arn:") {
        name.to_owned()
    } else {
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}")
    }
}

/// `iam:PassRole` on the role in the body's `Role`, passed to Lambda.
fn pass_role(call: &AwsCall) -> Option<Access> {
    let role = call.json()?.get("Role")?.as_str()?.to_owned();
    Some(Access::new("iam:PassRole", role).with("iam:PassedToService", "lambda.amazonaws.com"))
}

fn lambda(call: &AwsCall) -> Option<Vec<Access>> {
    let segments = segments(call);
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = call.method.as_str();
    let one = |action: &str, resource: String| Some(vec![Access::new(action, resource)]);
    match (method, parts.as_slice()) {
        ("POST", [_, "functions"]) => {
            let name = call.json()?.get("FunctionName")?.as_str()?.to_owned();
            let mut out = vec![Access::new("lambda:CreateFunction", function_arn(&name))];
            out.extend(pass_role(call));
            Some(out)
        }
        ("GET", [_, "functions", f]) => one("lambda:GetFunction", function_arn(f)),
        ("DELETE", [_, "functions", f]) => one("lambda:DeleteFunction", function_arn(f)),
        ("GET", [_, "functions", f, "configuration"]) => {
            one("lambda:GetFunctionConfiguration", function_arn(f))
        }
        ("PUT", [_, "functions", f, "configuration"]) => {
            let mut out = vec![Access::new(
                "lambda:UpdateFunctionConfiguration",
                function_arn(f),
            )];
            out.extend(pass_role(call));
            Some(out)
        }
        ("PUT", [_, "functions", f, "code"]) => one("lambda:UpdateFunctionCode", function_arn(f)),
        ("POST", [_, "functions", f, "versions"]) => one("lambda:PublishVersion", function_arn(f)),
        ("GET", [_, "functions", f, "versions"]) => {
            one("lambda:ListVersionsByFunction", function_arn(f))
        }
        ("GET", [_, "tags", arn]) => one("lambda:ListTags", (*arn).to_owned()),
        ("POST", [_, "tags", arn]) => one("lambda:TagResource", (*arn).to_owned()),
        ("DELETE", [_, "tags", arn]) => one("lambda:UntagResource", (*arn).to_owned()),
        ("POST", [_, "layers", l, "versions"]) => one("lambda:PublishLayerVersion", layer_arn(l)),
        ("GET", [_, "layers", l, "versions"]) => one("lambda:ListLayerVersions", layer_arn(l)),
        ("GET", [_, "layers", l, "versions", v]) => {
            one("lambda:GetLayerVersion", format!("{}:{v}", layer_arn(l)))
        }
        ("DELETE", [_, "layers", l, "versions", v]) => {
            one("lambda:DeleteLayerVersion", format!("{}:{v}", layer_arn(l)))
        }
        _ => None,
    }
}

/// Path-style object calls (`/bucket/key`), as the emulators and the kit address them.
fn s3(call: &AwsCall) -> Option<Vec<Access>> {
    let segments = segments(call);
    let (bucket, key) = segments.split_first()?;
    if key.is_empty() {
        return None;
    }
    let action = match call.method.as_str() {
        "PUT" | "POST" => "s3:PutObject",
        "GET" | "HEAD" => "s3:GetObject",
        "DELETE" => "s3:DeleteObject",
        _ => return None,
    };
    Some(vec![Access::new(
        action,
        format!("arn:aws:s3:::{bucket}/{}", key.join("/")),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &str, method: &str, path: &str, body: &str) -> AwsCall {
        AwsCall {
            service: service.into(),
            operation: String::new(),
            method: method.into(),
            uri: format!("http://127.0.0.1:5000{path}"),
            body: body.into(),
        }
    }

    #[test]
    fn lambda_calls_name_their_action_resource_and_passed_role() {
        let create = call(
            "lambda",
            "POST",
            "/2015-03-31/functions",
            r#"{"FunctionName":"f","Role":"arn:aws:iam::123456789012:role/r"}"#,
        );
        let created = accesses(&create).unwrap();
        assert_eq!(created[0].action, "lambda:CreateFunction");
        assert_eq!(
            created[0].resource,
            "arn:aws:lambda:us-east-1:123456789012:function:f"
        );
        assert_eq!(created[1].action, "iam:PassRole");
        assert_eq!(
            created[1].context,
            [(
                "iam:PassedToService".to_owned(),
                "lambda.amazonaws.com".to_owned()
            )]
        );
        let version = call("lambda", "GET", "/2018-10-31/layers/l/versions/3", "");
        assert_eq!(
            accesses(&version).unwrap()[0].resource,
            "arn:aws:lambda:us-east-1:123456789012:layer:l:3"
        );
        let tags = call(
            "lambda",
            "GET",
            "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af",
            "",
        );
        assert_eq!(
            accesses(&tags).unwrap()[0].resource,
            "arn:aws:lambda:us-east-1:123456789012:function:f"
        );
        assert!(accesses(&call("lambda", "PATCH", "/2015-03-31/functions/f", "")).is_none());
    }

    #[test]
    fn s3_objects_and_ssm_parameters_are_their_arns() {
        let put = call("s3", "PUT", "/bucket/a/b.zip?x-id=PutObject", "");
        assert_eq!(
            accesses(&put).unwrap()[0].resource,
            "arn:aws:s3:::bucket/a/b.zip"
        );
        assert!(accesses(&call("s3", "PUT", "/bucket", "")).is_none());
        let mut get = call("ssm", "POST", "/", r#"{"Name":"/app/x"}"#);
        get.operation = "GetParameter".into();
        let access = &accesses(&get).unwrap()[0];
        assert_eq!(access.action, "ssm:GetParameter");
        assert_eq!(
            access.resource,
            "arn:aws:ssm:us-east-1:123456789012:parameter/app/x"
        );
        assert!(accesses(&call("kms", "POST", "/", "{}")).is_none());
    }
}
