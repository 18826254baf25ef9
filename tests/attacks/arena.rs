//! The arena every attack runs in: the real `warden-provider` in its hardened configuration
//! (signed properties with an active and a retired key, ticket mode against moto through the
//! recording proxy), a legitimate request it must accept, a canary server that must never be
//! contacted, and the one assertion every attack ends with ([`Arena::assert_refused`]).

use std::time::{Duration, SystemTime};

use cfn_warden::verify::signed::Ed25519SigningKey;
use serde_json::{json, Value};
use warden_e2e::{
    sign_properties_for, CfnEvent, Exchange, LocalLambda, Session, TicketWorld, ACCOUNT, REGION,
    TICKET_STACK,
};

/// The Lambda timeout of each attack invocation.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);
/// The resource type under attack: creating functions is the privilege-escalation path.
pub(crate) const TYPE: &str = "Custom::MultiFileFunction";
/// Its logical id.
pub(crate) const LOGICAL_ID: &str = "Fn";
/// The function an accepted request would create.
pub(crate) const TARGET: &str = "attack-target";
/// A SecretEnvironment value: it must never reach a log, a Reason or Data.
pub(crate) const CANARY_SECRET: &str = "canary-secret-5f1c0d7e";
/// AWS operations verification may make before any handler runs (reads only).
const READ_ONLY: &[&str] = &[
    "GetCallerIdentity",
    "Decrypt",
    "DescribeStackEvents",
    "DescribeStackResource",
];

/// The provider, its world and its keys.
pub(crate) struct Arena {
    /// moto, the recorder, the ticket key and roles.
    pub(crate) world: TicketWorld,
    /// `warden-provider` behind a local Runtime API.
    pub(crate) session: Session,
    /// The configured, active signing key.
    pub(crate) key: Ed25519SigningKey,
    /// A configured key retired an hour ago.
    pub(crate) retired: Ed25519SigningKey,
    /// A key the provider does not know.
    pub(crate) stranger: Ed25519SigningKey,
    /// A valid ticket for [`LOGICAL_ID`] in [`TICKET_STACK`].
    pub(crate) ticket: String,
    /// The execution role the function would get.
    pub(crate) role: String,
    /// A server that must never be contacted (used as a ResponseURL target).
    pub(crate) canary: LocalLambda,
}

impl Arena {
    /// Starts everything; `extra` adds provider settings.
    pub(crate) async fn start(name: &str, extra: &[(&str, &str)]) -> Self {
        let world = TicketWorld::start(&format!("attack-{name}")).await;
        let role = world.moto.create_role("app-target-role").await.unwrap();
        let (key, _) = Ed25519SigningKey::generate("deploy-active").unwrap();
        let (retired, _) = Ed25519SigningKey::generate("deploy-retired").unwrap();
        let (stranger, _) = Ed25519SigningKey::generate("deploy-unknown").unwrap();
        let mut retired_config = serde_json::to_value(retired.public_config()).unwrap();
        retired_config["retired_after"] = json!(cfn_warden::decision::format_time(
            SystemTime::now() - Duration::from_secs(3600)
        ));
        let keys = json!([key.public_config(), retired_config]).to_string();
        let ticket = world.seal(LOGICAL_ID, &world.ticket_role()).await;
        let mut env = vec![("WARDEN_SIGNING_KEYS", keys.as_str())];
        env.extend_from_slice(extra);
        let session = world.session_for("warden-provider", &env).await;
        let canary = LocalLambda::start().await.unwrap();
        Self {
            world,
            session,
            key,
            retired,
            stranger,
            ticket,
            role,
            canary,
        }
    }

    /// The properties a legitimate deployment of [`TARGET`] sends (before signing).
    pub(crate) fn properties(&self, function_name: &str) -> Value {
        json!({
            "FunctionName": function_name,
            "Runtime": "python3.12",
            "Handler": "app.handler",
            "Role": self.role,
            "Files": {"app.py": "def handler(event, context):\n    return 'ok'\n"},
            "SecretEnvironment": {"TOKEN": CANARY_SECRET},
        })
    }

    /// `properties` signed by `key` for `stack`/`logical_id`, valid `validity`, plus the ticket.
    pub(crate) fn signed(
        &self,
        key: &Ed25519SigningKey,
        properties: &Value,
        stack: &str,
        logical_id: &str,
        validity: (SystemTime, SystemTime),
    ) -> Value {
        let token =
            sign_properties_for(key, TYPE, logical_id, properties, stack, validity).unwrap();
        let mut out = properties.clone();
        out["WardenSignature"] = json!(token);
        out["WardenTicket"] = json!(self.ticket);
        out
    }

    /// The legitimate request for `function_name`: signed by the active key for an hour.
    pub(crate) fn legitimate(&self, function_name: &str) -> CfnEvent {
        let now = SystemTime::now();
        let props = self.signed(
            &self.key,
            &self.properties(function_name),
            TICKET_STACK,
            LOGICAL_ID,
            (now, now + Duration::from_secs(3600)),
        );
        self.session
            .prepare(CfnEvent::create(TYPE, LOGICAL_ID, props))
    }

    /// Sends the legitimate request for `function_name` and checks it is accepted and creates
    /// the function: the arena really lets good requests through, so every refusal below is
    /// the attack's doing.
    pub(crate) async fn accept_legitimate(&mut self, function_name: &str) {
        let event = self.legitimate(function_name);
        let (exchange, line) = self.session.send(&event, LIMIT).await.unwrap();
        let answer = exchange
            .answer()
            .unwrap_or_else(|| panic!("no answer: {line}"));
        assert_eq!(answer["Status"], "SUCCESS", "{answer} {line}");
        assert_eq!(line["decision"], "allow", "{line}");
        self.function(function_name)
            .await
            .unwrap_or_else(|| panic!("{function_name} was not created"));
    }

    /// The function's configuration in moto, if it exists.
    pub(crate) async fn function(&self, name: &str) -> Option<Value> {
        let got = self
            .world
            .moto
            .lambda_get(&format!("/2015-03-31/functions/{name}/configuration"))
            .await
            .ok()?;
        got.get("FunctionArn").is_some().then_some(got)
    }

    /// Sends raw bytes; returns the exchange and the decision line.
    pub(crate) async fn send(&mut self, body: Vec<u8>) -> (Exchange, Value) {
        self.world.recorder.clear();
        self.session.send_raw(body, LIMIT).await.unwrap()
    }

    /// The checks every attack ends with. `attack` names it in messages; `reason` must appear
    /// in the decision line's detail (or, for bad input, its Reason); `secrets` must appear
    /// nowhere in the provider's output.
    pub(crate) async fn assert_refused(
        &self,
        attack: &str,
        exchange: &Exchange,
        line: &Value,
        reason: &str,
        secrets: &[&str],
    ) {
        // The deny line names the reason.
        assert!(
            matches!(line["decision"].as_str(), Some("deny" | "error")),
            "{attack}: not refused: {line}"
        );
        assert_ne!(line["decision"], "allow", "{attack}");
        let said = format!(
            "{} {}",
            line["detail"].as_str().unwrap_or_default(),
            line["reason"].as_str().unwrap_or_default()
        );
        assert!(
            said.contains(reason),
            "{attack}: `{said}` lacks `{reason}`: {line}"
        );
        assert!(
            matches!(
                line["result"].as_str(),
                Some("denied" | "unroutable" | "bad-input")
            ),
            "{attack}: result {}",
            line["result"]
        );

        // No handler ran and nothing changed in AWS: only verification's reads, no work
        // session, no Lambda, IAM or S3 call; the target function does not exist.
        for call in self.world.recorder.calls() {
            let op = call.operation();
            assert!(
                READ_ONLY.contains(&op.as_str()),
                "{attack}: the provider called {op} ({})",
                call.request_line
            );
        }
        assert!(
            self.function(TARGET).await.is_none(),
            "{attack}: {TARGET} was created"
        );

        // Nothing went to a host other than the CloudFormation stand-in, and a refusal tells
        // CloudFormation nothing about the properties.
        assert!(
            self.canary.puts().is_empty(),
            "{attack}: the canary host was contacted"
        );
        for put in &exchange.puts {
            assert!(
                put.path_and_query.starts_with("/cfn/"),
                "{attack}: PUT to {}",
                put.path_and_query
            );
            let body = put.json();
            assert_eq!(body["Status"], "FAILED", "{attack}");
            assert!(
                body.get("Data").is_none(),
                "{attack}: Data on a refusal: {body}"
            );
            let text = body.to_string();
            for leaked in [CANARY_SECRET, TARGET, "def handler", self.role.as_str()] {
                assert!(
                    !text.contains(leaked),
                    "{attack}: the answer carries {leaked}: {text}"
                );
            }
        }
        if line["result"] == "denied" && !exchange.puts.is_empty() {
            assert_eq!(
                exchange.puts[0].json()["Reason"],
                cfn_warden::DENIED_REASON,
                "{attack}: a verifier denial answers generically"
            );
        }

        // No secret reached a log.
        let output = self.session.provider.all_output();
        for secret in [CANARY_SECRET, self.ticket.as_str()].iter().chain(secrets) {
            assert!(
                secret.is_empty() || !output.contains(secret),
                "{attack}: a secret reached the provider's output"
            );
        }
    }
}

/// The ARN of a function in the harness account.
pub(crate) fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}
