//! A `moto_server` child process and the calls the end-to-end tests make to it.
//!
//! moto (`pip install 'moto[server]'`) emulates CloudFormation, IAM and Lambda on loopback.
//! Its CloudFormation keeps a stack with a `Custom::` resource in `CREATE_IN_PROGRESS` until a
//! SUCCESS body is PUT to `<endpoint>/cloudformation_<region>/cfnresponse?stack=<StackId>`.
//! moto does not check signatures, so requests carry a syntactically valid but fake SigV4
//! `Authorization` header whose credential scope routes them to the right service.

use std::{process::Stdio, time::Duration};

use tokio::process::{Child, Command};

use crate::{HarnessError, REGION};

/// A running `moto_server`.
pub struct Moto {
    _child: Child,
    endpoint: String,
    client: reqwest::Client,
}

/// The smallest valid zip archive (an empty one), as moto's CreateFunction wants some code.
pub const EMPTY_ZIP_BASE64: &str = "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==";

impl Moto {
    /// Starts moto's server on a free loopback port and waits (≤ 30 s) until it answers.
    pub async fn start() -> Result<Self, HarnessError> {
        Self::launch(None).await
    }

    /// Starts moto through `tests/moto_invoke_bridge.py`: the Lambda functions it invokes
    /// (e.g. a custom resource's ServiceToken while its CloudFormation creates a stack) are
    /// handed to `bridge_url` ([`crate::LocalLambda::bridge_url`]) instead of Docker, with the
    /// event exactly as moto builds it and a ResponseURL on moto's own loopback address.
    pub async fn start_bridged(bridge_url: &str) -> Result<Self, HarnessError> {
        Self::launch(Some(bridge_url)).await
    }

    async fn launch(bridge_url: Option<&str>) -> Result<Self, HarnessError> {
        let port = free_port()?;
        // `python3 -m moto.server` works wherever `pip install 'moto[server]'` did, even when
        // the `moto_server` script is not on PATH. WARDEN_TEST_PYTHON overrides the interpreter.
        let python = std::env::var("WARDEN_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let mut command = Command::new(python);
        match bridge_url {
            None => {
                command.args(["-m", "moto.server"]);
            }
            Some(url) => {
                command
                    .arg(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/moto_invoke_bridge.py"
                    ))
                    .env("WARDEN_MOTO_INVOKE_BRIDGE", url)
                    .env("MOTO_PORT", port.to_string());
            }
        }
        let child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // WARDEN_TEST_MOTO_LOG=FILE keeps moto's log (its tracebacks) for debugging.
            .stderr(
                std::env::var_os("WARDEN_TEST_MOTO_LOG")
                    .and_then(|path| std::fs::File::create(path).ok())
                    .map_or_else(Stdio::null, Stdio::from),
            )
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| HarnessError::Io {
                what: "starting moto_server (install it with: pip install 'moto[server]')",
                source,
            })?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|source| HarnessError::Http {
                what: "building the HTTP client",
                source,
            })?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let moto = Self {
            _child: child,
            endpoint,
            client,
        };
        for _ in 0..300 {
            if moto
                .client
                .get(format!("{}/moto-api/", moto.endpoint))
                .send()
                .await
                .is_ok()
            {
                return Ok(moto);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(HarnessError::Timeout {
            what: "moto_server to start",
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The URL moto completes a custom resource on (what the provider must PUT to).
    pub fn cfn_response_url(&self, stack_id: &str) -> String {
        let stack: String = url::form_urlencoded::byte_serialize(stack_id.as_bytes()).collect();
        format!(
            "{}/cloudformation_{REGION}/cfnresponse?stack={stack}",
            self.endpoint
        )
    }

    fn authorization(service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=testing/20261122/{REGION}/{service}/aws4_request, \
             SignedHeaders=host, Signature=0000"
        )
    }

    /// A query-protocol call (IAM, CloudFormation); returns the XML body.
    pub async fn query(
        &self,
        service: &'static str,
        params: &[(&str, &str)],
    ) -> Result<String, HarnessError> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let response = self
            .client
            .post(format!("{}/", self.endpoint))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", Self::authorization(service))
            .body(body)
            .send()
            .await
            .map_err(|source| HarnessError::Http {
                what: service,
                source,
            })?;
        let ok = response.status().is_success();
        let text = response.text().await.map_err(|source| HarnessError::Http {
            what: service,
            source,
        })?;
        if ok {
            Ok(text)
        } else {
            Err(HarnessError::Unexpected {
                what: service,
                body: text.chars().take(500).collect(),
            })
        }
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
        let response = self
            .client
            .put(format!("{}/{path}", self.endpoint))
            .header("authorization", Self::authorization("s3"))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(|source| HarnessError::Http { what, source })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(HarnessError::Unexpected {
                what,
                body: response.text().await.unwrap_or_default(),
            })
        }
    }

    /// The keys in an S3 bucket.
    pub async fn list_keys(&self, bucket: &str) -> Result<Vec<String>, HarnessError> {
        let text = self
            .client
            .get(format!("{}/{bucket}?list-type=2", self.endpoint))
            .header("authorization", Self::authorization("s3"))
            .send()
            .await
            .map_err(|source| HarnessError::Http {
                what: "s3 ListObjectsV2",
                source,
            })?
            .text()
            .await
            .map_err(|source| HarnessError::Http {
                what: "s3 ListObjectsV2",
                source,
            })?;
        Ok(text
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect())
    }

    /// A Lambda REST GET (e.g. `/2018-10-31/layers/NAME/versions`); returns the JSON body.
    pub async fn lambda_get(&self, path: &str) -> Result<serde_json::Value, HarnessError> {
        let response = self
            .client
            .get(format!("{}{path}", self.endpoint))
            .header("authorization", Self::authorization("lambda"))
            .send()
            .await
            .map_err(|source| HarnessError::Http {
                what: "a lambda GET",
                source,
            })?;
        let text = response.text().await.map_err(|source| HarnessError::Http {
            what: "a lambda GET",
            source,
        })?;
        serde_json::from_str(&text).map_err(|_| HarnessError::Unexpected {
            what: "a lambda GET",
            body: text,
        })
    }

    /// A Lambda REST POST (e.g. `/2015-03-31/functions/NAME/aliases`); returns the JSON body.
    pub async fn lambda_post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, HarnessError> {
        let response = self
            .client
            .post(format!("{}{path}", self.endpoint))
            .header("authorization", Self::authorization("lambda"))
            .json_body(body)
            .send()
            .await
            .map_err(|source| HarnessError::Http {
                what: "a lambda POST",
                source,
            })?;
        let ok = response.status().is_success();
        let text = response.text().await.map_err(|source| HarnessError::Http {
            what: "a lambda POST",
            source,
        })?;
        match serde_json::from_str(&text) {
            Ok(value) if ok => Ok(value),
            _ => Err(HarnessError::Unexpected {
                what: "a lambda POST",
                body: text,
            }),
        }
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
        let response = self
            .client
            .post(format!("{}/2015-03-31/functions", self.endpoint))
            .header("authorization", Self::authorization("lambda"))
            .json_body(&body)
            .send()
            .await
            .map_err(|source| HarnessError::Http {
                what: "lambda CreateFunction",
                source,
            })?;
        let status = response.status();
        let text = response.text().await.map_err(|source| HarnessError::Http {
            what: "lambda CreateFunction",
            source,
        })?;
        if !status.is_success() {
            return Err(HarnessError::Unexpected {
                what: "lambda CreateFunction",
                body: text,
            });
        }
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| HarnessError::Unexpected {
                what: "lambda CreateFunction",
                body: text.clone(),
            })?;
        value["FunctionArn"]
            .as_str()
            .map(str::to_owned)
            .ok_or(HarnessError::Unexpected {
                what: "lambda CreateFunction",
                body: text,
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
            .query(
                "cloudformation",
                &[
                    ("Action", "CreateStack"),
                    ("Version", "2010-05-15"),
                    ("StackName", name),
                    ("TemplateBody", &template),
                ],
            )
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
            .query(
                "cloudformation",
                &[
                    ("Action", "DescribeStacks"),
                    ("Version", "2010-05-15"),
                    ("StackName", stack_id),
                ],
            )
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
            .query(
                "cloudformation",
                &[
                    ("Action", "DescribeStackResource"),
                    ("Version", "2010-05-15"),
                    ("StackName", stack_id),
                    ("LogicalResourceId", logical_id),
                ],
            )
            .await?;
        xml_value(&xml, "ResourceStatus").ok_or(HarnessError::Unexpected {
            what: "DescribeStackResource",
            body: xml,
        })
    }
}

impl Moto {
    /// A JSON-protocol call (`X-Amz-Target`), e.g. KMS; returns the parsed body.
    pub async fn json_call(
        &self,
        service: &'static str,
        target: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, HarnessError> {
        let response = self
            .client
            .post(format!("{}/", self.endpoint))
            .header("authorization", Self::authorization(service))
            .header("x-amz-target", target)
            .header("content-type", "application/x-amz-json-1.1")
            .body(body.to_string())
            .send()
            .await
            .map_err(|source| HarnessError::Http {
                what: service,
                source,
            })?;
        let status = response.status();
        let text = response.text().await.map_err(|source| HarnessError::Http {
            what: service,
            source,
        })?;
        if !status.is_success() {
            let body: String = text.chars().take(500).collect();
            return Err(HarnessError::Unexpected {
                what: service,
                body: format!("HTTP {status}: {body}"),
            });
        }
        // Some calls (CreateLogGroup) answer 200 with an empty body.
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&text).map_err(|_| HarnessError::Unexpected {
            what: service,
            body: text,
        })
    }

    /// Creates a KMS `ECC_NIST_P256` signing key; returns its id.
    pub async fn create_signing_key(&self) -> Result<String, HarnessError> {
        self.create_key(serde_json::json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "Description": "cfn-warden test"}))
            .await
    }

    /// `CreateKey` with `body`; returns the key id.
    async fn create_key(&self, body: serde_json::Value) -> Result<String, HarnessError> {
        let out = self
            .json_call("kms", "TrentService.CreateKey", &body)
            .await?;
        out["KeyMetadata"]["KeyId"]
            .as_str()
            .map(str::to_owned)
            .ok_or(HarnessError::Unexpected {
                what: "kms CreateKey",
                body: out.to_string(),
            })
    }

    /// Creates an IAM role trusted by the account (for AssumeRole from the test's
    /// credentials); returns its ARN.
    pub async fn create_role(&self, name: &str) -> Result<String, HarnessError> {
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}}]}}"#,
            crate::ACCOUNT
        );
        self.query(
            "iam",
            &[
                ("Action", "CreateRole"),
                ("Version", "2010-05-08"),
                ("RoleName", name),
                ("AssumeRolePolicyDocument", &trust),
            ],
        )
        .await?;
        Ok(format!("arn:aws:iam::{}:role/{name}", crate::ACCOUNT))
    }

    /// Creates a symmetric KMS key (tickets); returns its id.
    pub async fn create_symmetric_key(&self) -> Result<String, HarnessError> {
        self.create_key(serde_json::json!({"Description": "cfn-warden tickets"}))
            .await
    }

    /// Runs the workspace's `warden` binary against this emulator with only `PATH`, the
    /// variables of [`Moto::sdk_env`] and `extra` set: (exit code, -1 if killed, stdout,
    /// stderr).
    pub async fn warden(
        &self,
        args: &[&str],
        extra: &[(&str, &str)],
    ) -> Result<(i32, String, String), HarnessError> {
        let mut command = Command::new(crate::binary_path("warden")?);
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

    /// Environment variables pointing an AWS SDK client at this moto.
    pub fn sdk_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            ("AWS_CONFIG_FILE", "/nonexistent".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".to_owned()),
        ]
    }
}

trait JsonBody {
    fn json_body(self, value: &serde_json::Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, value: &serde_json::Value) -> Self {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }
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

/// A free loopback port (bound, read and released).
pub fn free_port() -> Result<u16, HarnessError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|source| HarnessError::Io {
            what: "finding a free port",
            source,
        })?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| HarnessError::Io {
            what: "finding a free port",
            source,
        })
}
