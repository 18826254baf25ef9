//! The ticket-mode world shared by the e2e tests and the demo.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "harness set-up: a failure is a broken environment, reported by the panic"
)]

use crate::{
    moto::Moto,
    recorder::{RecordedCall, Recorder},
    Session, SessionBuilder, ACCOUNT, REGION,
};

/// The stack name tickets are sealed for (the harness StackId's name).
pub const TICKET_STACK: &str = "warden-demo";

/// moto with the ticket topology (ticket role, work role, a symmetric key), a recording proxy in
/// front of it, and `warden seal`.
pub struct TicketWorld {
    /// moto.
    pub moto: Moto,
    /// The proxy the provider's AWS calls go through.
    pub recorder: Recorder,
    /// The ticket key's id.
    pub key: String,
    /// The work role's ARN.
    pub work_role: String,
    dir: std::path::PathBuf,
}

impl TicketWorld {
    /// Starts moto and creates the roles and key (panics when moto is missing).
    pub async fn start(name: &str) -> Self {
        let moto = Moto::start()
            .await
            .expect("moto must be installed: pip install 'moto[server]'");
        moto.create_role("cfn-warden-ticket").await.unwrap();
        moto.create_role("not-the-ticket-role").await.unwrap();
        let work_role = moto.create_role("cfn-warden-work").await.unwrap();
        let key = moto.create_symmetric_key().await.unwrap();
        let recorder = Recorder::start(moto.endpoint()).await.unwrap();
        let dir =
            std::env::temp_dir().join(format!("warden-tickets-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            moto,
            recorder,
            key,
            work_role,
            dir,
        }
    }

    /// Runs the `warden` CLI against moto; returns exit code, stdout and stderr.
    pub async fn warden(&self, args: &[&str]) -> (i32, String, String) {
        self.moto.warden(args, &[]).await.unwrap()
    }

    /// Runs `warden seal` for `logical_id` with `ticket_role`; returns the ticket.
    pub async fn seal(&self, logical_id: &str, ticket_role: &str) -> String {
        self.seal_for_stack(TICKET_STACK, logical_id, ticket_role)
            .await
    }

    /// Like [`TicketWorld::seal`], for stack `stack`.
    pub async fn seal_for_stack(&self, stack: &str, logical_id: &str, ticket_role: &str) -> String {
        let template = self.dir.join(format!("{stack}-{logical_id}.yaml"));
        std::fs::write(
            &template,
            format!("Resources:\n  {logical_id}:\n    Type: Custom::Faulty\n    Properties:\n      ServiceToken: arn:aws:lambda:{REGION}:{ACCOUNT}:function:faulty-resource\n      Mode: whoami\n"),
        )
        .unwrap();
        let (code, stdout, stderr) = self
            .warden(&[
                "seal",
                template.to_str().unwrap(),
                "--stack-name",
                stack,
                "--ticket-role",
                ticket_role,
                "--key",
                &self.key,
                "--duration",
                "15m",
                "--source-identity",
                "alice",
            ])
            .await;
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("sealed 1 ticket(s)"), "{stderr}");
        stdout
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("WardenTicket: \"")
                    .map(|t| t.trim_end_matches('"').to_owned())
            })
            .unwrap_or_else(|| panic!("no ticket in {stdout}"))
    }

    /// `faulty-resource` in ticket mode, its AWS calls through the recorder.
    pub async fn session(&self) -> Session {
        self.session_for("faulty-resource", &[]).await
    }

    /// The ticket role `warden seal` assumes.
    pub fn ticket_role(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket")
    }

    /// Seals a ticket for `logical_id` and starts `warden-provider` in ticket mode with `extra`
    /// variables.
    pub async fn provider(&self, logical_id: &str, extra: &[(&str, &str)]) -> (String, Session) {
        let ticket = self.seal(logical_id, &self.ticket_role()).await;
        (ticket, self.session_for("warden-provider", extra).await)
    }

    /// The recorded `AssumeRole` that made a work session, and the session policy it carried.
    pub fn work_session(&self) -> Option<(RecordedCall, serde_json::Value)> {
        let call = self.recorder.calls().into_iter().find(|c| {
            c.operation() == "AssumeRole" && c.field("RoleArn").is_some_and(|r| r == self.work_role)
        })?;
        let policy = serde_json::from_str(&call.field("Policy")?).ok()?;
        Some((call, policy))
    }

    /// Whether any recorded call (since the last clear) was an `AssumeRole`: a handler that
    /// never got credentials made none.
    pub fn assumed_a_role(&self) -> bool {
        self.recorder
            .calls()
            .iter()
            .any(|c| c.operation() == "AssumeRole")
    }

    /// Whether `call` was signed with the credentials the work session `assume` returned.
    pub fn made_by_work_session(call: &RecordedCall, assume: &RecordedCall) -> bool {
        call.security_token
            .as_deref()
            .is_some_and(|token| !token.is_empty() && assume.response.contains(token))
    }

    /// Prints each recorded call from the `from`-th on, with its session policy if any.
    pub fn print_calls(&self, from: usize) {
        for call in self.recorder.calls().iter().skip(from) {
            let policy = call
                .field("Policy")
                .map(|p| format!(" Policy={p}"))
                .unwrap_or_default();
            println!("AWS call by the provider: {}{policy}", call.operation());
        }
    }

    /// Starts `binary` in ticket mode like [`TicketWorld::session`], with `extra` variables.
    pub async fn session_for(&self, binary: &'static str, extra: &[(&str, &str)]) -> Session {
        self.builder_for(binary, extra).start().await.unwrap()
    }

    /// `binary` in ticket mode with `extra` variables, its AWS calls through the recorder, not
    /// yet started.
    pub fn builder_for(&self, binary: &'static str, extra: &[(&str, &str)]) -> SessionBuilder {
        self.builder_in_mode(binary, "ticket", extra)
    }

    /// `binary` with `WARDEN_CREDENTIALS=mode` and `extra` variables, its AWS calls (moto)
    /// through the recorder, not yet started.
    pub fn builder_in_mode(
        &self,
        binary: &'static str,
        mode: &str,
        extra: &[(&str, &str)],
    ) -> SessionBuilder {
        let mut env: Vec<(&str, String)> = self.moto.sdk_env();
        env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
        env.push(("AWS_ENDPOINT_URL", self.recorder.endpoint()));
        env.push(("WARDEN_CREDENTIALS", mode.into()));
        env.push(("WARDEN_TICKET_KEY", self.key.clone()));
        env.push(("WARDEN_WORK_ROLE_ARN", self.work_role.clone()));
        env.push((
            "WARDEN_TICKET_PRINCIPALS",
            format!("arn:aws:sts::{ACCOUNT}:assumed-role/cfn-warden-ticket/*"),
        ));
        env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Session::builder(crate::bin(binary)).envs(&env)
    }
}

/// Rewrites a sealed ticket's JSON body (labels, expiry, ciphertext) without resealing it: the
/// forged tickets of the tests.
pub fn rewrite_ticket(token: &str, change: &dyn Fn(&mut serde_json::Value)) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let body = token
        .strip_prefix("wt1.")
        .and_then(|b| engine.decode(b).ok())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let Some(mut body) = body else {
        return token.to_owned();
    };
    change(&mut body);
    format!("wt1.{}", engine.encode(body.to_string()))
}
