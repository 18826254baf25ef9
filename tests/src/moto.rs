//! A `moto_server` child process and the calls the end-to-end tests make to it.
//!
//! moto (`pip install 'moto[server]'`) emulates CloudFormation, IAM and Lambda on loopback.
//! Its CloudFormation keeps a stack with a `Custom::` resource in `CREATE_IN_PROGRESS` until a
//! SUCCESS body is PUT to `<endpoint>/cloudformation_<region>/cfnresponse?stack=<StackId>`.
//! moto does not check signatures, so requests carry a syntactically valid but fake SigV4
//! `Authorization` header whose credential scope routes them to the right service.

use std::ops::Deref;

pub use cfn_warden_test::free_port;

use crate::{HarnessError, REGION};

/// A running `moto_server`: the kit's [`cfn_warden_test::Moto`] (start, roles, keys, query,
/// JSON and REST calls) with the calls only the end-to-end tests need.
pub struct Moto(cfn_warden_test::Moto);

impl Deref for Moto {
    type Target = cfn_warden_test::Moto;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// The smallest valid zip archive (an empty one), as moto's CreateFunction wants some code.
pub const EMPTY_ZIP_BASE64: &str = "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==";

impl Moto {
    /// Starts moto's server on a free loopback port and waits (≤ 30 s) until it answers.
    pub async fn start() -> Result<Self, HarnessError> {
        Ok(Self(cfn_warden_test::Moto::start().await?))
    }

    /// Starts moto through `tests/moto_invoke_bridge.py`: the Lambda functions it invokes
    /// (e.g. a custom resource's ServiceToken while its CloudFormation creates a stack) are
    /// handed to `bridge_url` ([`crate::LocalLambda::bridge_url`]) instead of Docker, with the
    /// event exactly as moto builds it and a ResponseURL on moto's own loopback address.
    pub async fn start_bridged(bridge_url: &str) -> Result<Self, HarnessError> {
        let script = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/moto_invoke_bridge.py"
        ));
        Ok(Self(
            cfn_warden_test::Moto::start_script(
                script,
                &[("WARDEN_MOTO_INVOKE_BRIDGE", bridge_url)],
            )
            .await?,
        ))
    }

    /// The URL moto completes a custom resource on (what the provider must PUT to).
    pub fn cfn_response_url(&self, stack_id: &str) -> String {
        let stack: String = url::form_urlencoded::byte_serialize(stack_id.as_bytes()).collect();
        format!(
            "{}/cloudformation_{REGION}/cfnresponse?stack={stack}",
            self.endpoint()
        )
    }

    /// Creates an S3 bucket (path-style).
    pub async fn create_bucket(&self, bucket: &str) -> Result<(), HarnessError> {
        self.s3_put(bucket, Vec::new(), "s3 CreateBucket").await
    }

    /// Stores an object in an S3 bucket (path-style PUT).
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), HarnessError> {
        self.s3_put(&format!("{bucket}/{key}"), body, "s3 PutObject")
            .await
    }

    /// A path-style S3 PUT that must succeed.
    async fn s3_put(
        &self,
        path: &str,
        body: Vec<u8>,
        what: &'static str,
    ) -> Result<(), HarnessError> {
        self.rest(
            "PUT",
            "s3",
            &format!("/{path}"),
            &[("content-type", "application/octet-stream")],
            body,
        )
        .await?
        .ok(what)?;
        Ok(())
    }

    /// The keys in an S3 bucket.
    pub async fn list_keys(&self, bucket: &str) -> Result<Vec<String>, HarnessError> {
        let text = self
            .rest(
                "GET",
                "s3",
                &format!("/{bucket}?list-type=2"),
                &[],
                Vec::new(),
            )
            .await?
            .ok("s3 ListObjectsV2")?;
        Ok(text
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect())
    }

    /// A Lambda REST GET (e.g. `/2018-10-31/layers/NAME/versions`); returns the JSON body
    /// whatever the status.
    pub async fn lambda_get(&self, path: &str) -> Result<serde_json::Value, HarnessError> {
        let answer = self.rest("GET", "lambda", path, &[], Vec::new()).await?;
        json(answer.body, "a lambda GET")
    }

    /// A Lambda REST POST (e.g. `/2015-03-31/functions/NAME/aliases`); returns the JSON body.
    pub async fn lambda_post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, HarnessError> {
        let text = self
            .rest(
                "POST",
                "lambda",
                path,
                &[("content-type", "application/json")],
                body.to_string().into_bytes(),
            )
            .await?
            .ok("a lambda POST")?;
        json(text, "a lambda POST")
    }

    /// Creates an IAM role and a Lambda function named `name` (moto wants both before a stack
    /// may reference the function). Returns the function ARN.
    pub async fn create_function(&self, name: &str) -> Result<String, HarnessError> {
        let role = format!("{name}-role");
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        self.query(
            "iam",
            &[
                ("Action", "CreateRole"),
                ("Version", "2010-05-08"),
                ("RoleName", &role),
                ("AssumeRolePolicyDocument", trust),
            ],
        )
        .await?;
        let body = serde_json::json!({
            "FunctionName": name,
            "Runtime": "provided.al2023",
            "Role": format!("arn:aws:iam::{}:role/{role}", crate::ACCOUNT),
            "Handler": "bootstrap",
            "Code": {"ZipFile": EMPTY_ZIP_BASE64},
        });
        let created = self.lambda_post("/2015-03-31/functions", &body).await?;
        created["FunctionArn"]
            .as_str()
            .map(str::to_owned)
            .ok_or(HarnessError::Unexpected {
                what: "lambda CreateFunction",
                body: created.to_string(),
            })
    }

    /// Creates a stack from a JSON template; returns its StackId.
    pub async fn create_stack(
        &self,
        name: &str,
        template: &serde_json::Value,
    ) -> Result<String, HarnessError> {
        let template = template.to_string();
        let xml = self
            .cloudformation(&[
                ("Action", "CreateStack"),
                ("StackName", name),
                ("TemplateBody", &template),
            ])
            .await?;
        xml_value(&xml, "StackId").ok_or(HarnessError::Unexpected {
            what: "CreateStack",
            body: xml,
        })
    }

    /// DescribeStacks for one stack: (status, [(output key, value)]).
    pub async fn describe_stack(
        &self,
        stack_id: &str,
    ) -> Result<(String, Vec<(String, String)>), HarnessError> {
        let xml = self
            .cloudformation(&[("Action", "DescribeStacks"), ("StackName", stack_id)])
            .await?;
        let status = xml_value(&xml, "StackStatus").ok_or(HarnessError::Unexpected {
            what: "DescribeStacks",
            body: xml.clone(),
        })?;
        let outputs = xml
            .split("<member>")
            .filter_map(|m| Some((xml_value(m, "OutputKey")?, xml_value(m, "OutputValue")?)))
            .collect();
        Ok((status, outputs))
    }

    /// DescribeStackResource: the resource's status.
    pub async fn resource_status(
        &self,
        stack_id: &str,
        logical_id: &str,
    ) -> Result<String, HarnessError> {
        let xml = self
            .cloudformation(&[
                ("Action", "DescribeStackResource"),
                ("StackName", stack_id),
                ("LogicalResourceId", logical_id),
            ])
            .await?;
        xml_value(&xml, "ResourceStatus").ok_or(HarnessError::Unexpected {
            what: "DescribeStackResource",
            body: xml,
        })
    }

    /// A CloudFormation query call (API version added).
    async fn cloudformation(&self, params: &[(&str, &str)]) -> Result<String, HarnessError> {
        let mut all = vec![("Version", "2010-05-15")];
        all.extend_from_slice(params);
        Ok(self.query("cloudformation", &all).await?)
    }

    /// Runs the workspace's `warden` binary against this emulator with only `PATH`, the
    /// variables of [`cfn_warden_test::Moto::sdk_env`] and `extra` set: (exit code, -1 if
    /// killed, stdout, stderr).
    pub async fn warden(
        &self,
        args: &[&str],
        extra: &[(&str, &str)],
    ) -> Result<(i32, String, String), HarnessError> {
        let mut command = tokio::process::Command::new(crate::binary_path("warden")?);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.sdk_env())
            .envs(extra.iter().copied());
        let out = command.output().await.map_err(|source| HarnessError::Io {
            what: "running warden",
            source,
        })?;
        Ok((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }
}

/// `text` as JSON, or [`HarnessError::Unexpected`] naming `what`.
fn json(text: String, what: &'static str) -> Result<serde_json::Value, HarnessError> {
    serde_json::from_str(&text).map_err(|_| HarnessError::Unexpected { what, body: text })
}

/// The text of the first `<tag>...</tag>` (moto's XML is flat enough for this).
fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\""),
    )
}
