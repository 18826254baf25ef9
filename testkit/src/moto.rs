//! A `moto_server` child process on loopback, and the few calls a test needs to set up the
//! world it emulates (roles, keys, any query, JSON or REST call).
//!
//! moto (`pip install 'moto[server]'`) emulates STS, IAM, KMS, SSM, S3, Lambda and
//! CloudFormation. It does not check signatures, so the set-up calls here carry a syntactically
//! valid but fake SigV4 `Authorization` header whose credential scope routes them to the right
//! service; handlers under test reach it through [`Moto::aws`], which records their calls.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::process::{Child, Command};

use crate::{Aws, KitError, ACCOUNT, REGION};

/// A running `moto_server`, stopped when dropped.
pub struct Moto {
    _child: Child,
    endpoint: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for Moto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moto")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// What a REST call answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: String,
}

impl Moto {
    /// Starts `python3 -m moto.server` (`WARDEN_TEST_PYTHON` overrides the interpreter) on a
    /// free loopback port and waits (at most 30 s) until it answers. `WARDEN_TEST_MOTO_LOG=FILE`
    /// keeps its log.
    pub async fn start() -> Result<Self, KitError> {
        Self::launch(None, &[]).await
    }

    /// Like [`Moto::start`], running the Python `script` instead of `-m moto.server` (for
    /// example a wrapper that patches moto), with `MOTO_PORT` and `env` set; the script gets
    /// moto's usual `-H 127.0.0.1 -p PORT` arguments.
    pub async fn start_script(script: &Path, env: &[(&str, &str)]) -> Result<Self, KitError> {
        Self::launch(Some(script), env).await
    }

    async fn launch(script: Option<&Path>, env: &[(&str, &str)]) -> Result<Self, KitError> {
        let port = free_port()?;
        let python = std::env::var("WARDEN_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let mut command = Command::new(python);
        match script {
            None => command.args(["-m", "moto.server"]),
            Some(script) => command.arg(script).env("MOTO_PORT", port.to_string()),
        };
        let child = command
            .envs(env.iter().copied())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::env::var_os("WARDEN_TEST_MOTO_LOG")
                    .and_then(|path| std::fs::File::create(path).ok())
                    .map_or_else(Stdio::null, Stdio::from),
            )
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| KitError::Io {
                what: "starting moto_server (install it with: pip install 'moto[server]')",
                source,
            })?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|source| KitError::Http {
                what: "building the HTTP client",
                source,
            })?;
        let moto = Self {
            _child: child,
            endpoint: format!("http://127.0.0.1:{port}"),
            client,
        };
        for _ in 0..300 {
            let ready = moto
                .client
                .get(format!("{}/moto-api/", moto.endpoint))
                .send()
                .await;
            if ready.is_ok() {
                return Ok(moto);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(KitError::Timeout {
            what: "moto_server to start",
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A recording [`Aws`] in front of this moto, for a harness's handler.
    pub fn aws(&self) -> Aws {
        Aws::endpoint(&self.endpoint)
    }

    /// Environment variables pointing an AWS SDK client (or a provider process) at this moto,
    /// with test credentials and no profile files.
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

    fn authorization(service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=testing/20261122/{REGION}/{service}/aws4_request, \
             SignedHeaders=host, Signature=0000"
        )
    }

    /// A query-protocol call (IAM, STS, CloudFormation, SNS); returns the XML body, or
    /// [`KitError::Unexpected`] when moto answers an error.
    pub async fn query(
        &self,
        service: &'static str,
        params: &[(&str, &str)],
    ) -> Result<String, KitError> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let answer = self
            .rest(
                "POST",
                service,
                "/",
                &[("content-type", "application/x-www-form-urlencoded")],
                body.into_bytes(),
            )
            .await?;
        answer.ok(service)
    }

    /// A JSON-protocol call (`X-Amz-Target`, e.g. KMS `TrentService.CreateKey`, SSM
    /// `AmazonSSM.PutParameter`); returns the parsed body (`null` for an empty one).
    pub async fn json_call(
        &self,
        service: &'static str,
        target: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, KitError> {
        let answer = self
            .rest(
                "POST",
                service,
                "/",
                &[
                    ("x-amz-target", target),
                    ("content-type", "application/x-amz-json-1.1"),
                ],
                body.to_string().into_bytes(),
            )
            .await?;
        let text = answer.ok(service)?;
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&text).map_err(|_| KitError::Unexpected {
            what: service,
            body: bounded(&text),
        })
    }

    /// Any REST call (S3 paths, Lambda's `/2015-03-31/functions`, …) signed for `service`;
    /// the answer whatever its status.
    pub async fn rest(
        &self,
        method: &str,
        service: &'static str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<RestAnswer, KitError> {
        let method =
            reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| KitError::Unexpected {
                what: "an HTTP method",
                body: bounded(method),
            })?;
        let mut request = self
            .client
            .request(method, format!("{}{path_and_query}", self.endpoint))
            .header("authorization", Self::authorization(service))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.map_err(|source| KitError::Http {
            what: service,
            source,
        })?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|source| KitError::Http {
            what: service,
            source,
        })?;
        Ok(RestAnswer { status, body })
    }

    /// Creates an IAM role that the account may assume (with `sts:SetSourceIdentity`);
    /// returns its ARN.
    pub async fn create_role(&self, name: &str) -> Result<String, KitError> {
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}}]}}"#
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
        Ok(format!("arn:aws:iam::{ACCOUNT}:role/{name}"))
    }

    /// Creates a symmetric KMS key (the one tickets are sealed with); returns its id.
    pub async fn create_symmetric_key(&self) -> Result<String, KitError> {
        self.create_key(serde_json::json!({"Description": "cfn-warden tickets"}))
            .await
    }

    /// Creates a KMS `ECC_NIST_P256` signing key (for `warden sign --kms-key`); returns its id.
    pub async fn create_signing_key(&self) -> Result<String, KitError> {
        self.create_key(serde_json::json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "Description": "cfn-warden test"}))
            .await
    }

    async fn create_key(&self, body: serde_json::Value) -> Result<String, KitError> {
        let out = self
            .json_call("kms", "TrentService.CreateKey", &body)
            .await?;
        out["KeyMetadata"]["KeyId"]
            .as_str()
            .map(str::to_owned)
            .ok_or(KitError::Unexpected {
                what: "kms CreateKey",
                body: bounded(&out.to_string()),
            })
    }
}

impl RestAnswer {
    /// The body when the status is 2xx, else [`KitError::Unexpected`] naming `what`.
    pub fn ok(self, what: &'static str) -> Result<String, KitError> {
        if (200..300).contains(&self.status) {
            Ok(self.body)
        } else {
            Err(KitError::Unexpected {
                what,
                body: bounded(&format!("HTTP {}: {}", self.status, self.body)),
            })
        }
    }
}

/// At most 500 characters of an answer, for error messages.
fn bounded(text: &str) -> String {
    text.chars().take(500).collect()
}

/// A free loopback port (bound, read and released).
pub fn free_port() -> Result<u16, KitError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|source| KitError::Io {
            what: "finding a free port",
            source,
        })
}
