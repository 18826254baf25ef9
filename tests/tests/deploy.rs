//! `warden deploy` end to end on moto, with the shipped templates:
//!
//! 1. `cfn/boundary.yaml` and `cfn/provider.yaml` are deployed into moto's CloudFormation with
//!    `warden deploy` (roles, ticket key, managed policies, the provider function);
//! 2. the real `warden-provider` binary runs behind a local Lambda Runtime API with exactly the
//!    environment the template gave the function in moto;
//! 3. `cfn/examples/multi-file-function.yaml` is deployed with `warden deploy`, signed and
//!    sealed; moto's CloudFormation invokes the ServiceToken with its own custom-resource event
//!    (through `tests/moto_invoke_bridge.py`, which stands in for Docker), the provider verifies
//!    and answers it on moto's ResponseURL, the stack reaches CREATE_COMPLETE and its outputs
//!    (`Fn::GetAtt` of the custom resource) hold the function's values;
//! 4. the signatures (10 minutes) expire within `warden delete`'s margin: delete and refresh
//!    refuse without a signing key; with one, refresh's UpdateStack carries a new signature
//!    and ticket and the template otherwise unchanged, moto sends the provider CloudFormation's
//!    Update (through the bridge: moto itself sends none), the provider reads the function back
//!    and answers the same Data, and the stack reaches UPDATE_COMPLETE;
//! 5. `warden delete` removes the stack: the provider gets the Delete with the refreshed
//!    properties and deletes the function;
//! 6. the same application with its ticket as a NoEcho parameter: deploy seals the value, the
//!    provider gets it through the Ref, delete refreshes it first (a new parameter value, a
//!    framework-only Update) and then deletes.
//!
//! moto gaps (FACTS §3): no `AWS::Lambda::Alias` or `AWS::Lambda::ResourcePolicy` in its
//! CloudFormation (the test creates the `live` alias through the Lambda API; the invoke policy
//! cannot be exercised), no IAM enforcement, no per-resource stack events (the stack's status
//! stands for the resource's), and no Update or Delete events to custom resources (the bridge
//! adds them).
//!
//! This file stays over 600 lines on purpose: the first test is one scenario told in order
//! (each step needs the stacks, provider and signatures the steps before it left), so cutting
//! it into files would scatter one story without making any part independent.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{path::PathBuf, process::Output, time::Duration};

use base64::Engine as _;
use serde_json::{json, Value};
use warden_e2e::{
    bin, binary_path, moto::Moto, recorder::Recorder, LocalLambda, Provider, ACCOUNT, REGION,
};

const FUNCTION: &str = "cfn-warden-provider";

fn repo_file(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
        .display()
        .to_string()
}

async fn warden(moto: &Moto, args: &[&str]) -> Output {
    warden_via(moto, moto.endpoint(), args).await
}

/// `warden` with its AWS calls sent to `endpoint` (a recorder in front of moto).
async fn warden_via(moto: &Moto, endpoint: &str, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(binary_path("warden").unwrap());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in moto.sdk_env() {
        command.env(k, v);
    }
    command.env("AWS_ENDPOINT_URL", endpoint);
    let output = tokio::time::timeout(Duration::from_secs(240), command.args(args).output())
        .await
        .expect("warden finished in time")
        .unwrap();
    eprintln!(
        "$ warden {}\n--- stderr\n{}--- stdout\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    output
}

fn summary(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("--json prints one JSON summary")
}

/// `warden ... --json` that must succeed with `status`: its summary.
async fn warden_settled(moto: &Moto, args: &[&str], status: &str) -> Value {
    let output = warden(moto, args).await;
    assert_eq!(output.status.code(), Some(0));
    let summary = summary(&output);
    assert_eq!(summary["status"], status);
    summary
}

/// `warden deploy` of the repository's `template` with `parameters` (`KEY=VALUE`) and
/// CAPABILITY_NAMED_IAM, which must create the stack: its summary.
async fn deploy_iam_stack(
    moto: &Moto,
    stack: &str,
    template: &str,
    parameters: &[String],
) -> Value {
    let template = repo_file(template);
    let mut args = vec!["deploy", "--stack-name", stack, "--template", &template];
    for parameter in parameters {
        args.extend(["--parameter", parameter.as_str()]);
    }
    args.extend(["--capability", "CAPABILITY_NAMED_IAM", "--json"]);
    warden_settled(moto, &args, "CREATE_COMPLETE").await
}

/// A stack output of a summary, as text.
fn output(summary: &Value, name: &str) -> String {
    summary["outputs"][name]
        .as_str()
        .unwrap_or_else(|| panic!("output {name} in {summary}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_templates_deploy_on_moto_and_the_provider_answers_moto_s_own_request() {
    let lambda = LocalLambda::start().await.unwrap();
    let moto = Moto::start_bridged(&lambda.bridge_url())
        .await
        .expect("moto_server must be installed: pip install 'moto[server]'");
    let keys = tempfile::tempdir().unwrap();

    // The provider's code in S3 (moto does not run it; the real binary runs below).
    moto.create_bucket("warden-code").await.unwrap();
    let zip = base64::engine::general_purpose::STANDARD
        .decode(warden_e2e::moto::EMPTY_ZIP_BASE64)
        .unwrap();
    moto.put_object("warden-code", "warden-provider.zip", zip)
        .await
        .unwrap();

    // The platform stack: boundary and CloudFormation execution role.
    let boundary = deploy_iam_stack(&moto, "app-platform", "cfn/boundary.yaml", &[]).await;
    let boundary_arn = output(&boundary, "ApplicationRuntimeBoundaryArn");
    let execution_role = output(&boundary, "CloudFormationExecutionRoleArn");
    assert_eq!(
        execution_role,
        format!("arn:aws:iam::{ACCOUNT}:role/app-CloudFormationExecutionRole")
    );

    // The provider stack, with a signing key.
    let keygen = warden(
        &moto,
        &[
            "keygen",
            "--kid",
            "deploy-1",
            "--dir",
            &keys.path().display().to_string(),
        ],
    )
    .await;
    assert_eq!(keygen.status.code(), Some(0));
    let signing_keys = String::from_utf8(keygen.stdout).unwrap().trim().to_owned();
    let deployer = format!("arn:aws:iam::{ACCOUNT}:user/moto");
    let provider_stack = deploy_iam_stack(
        &moto,
        "cfn-warden",
        "cfn/provider.yaml",
        &[
            "CodeBucket=warden-code".to_owned(),
            "CodeKey=warden-provider.zip".to_owned(),
            format!("DeployPrincipalArns={deployer}"),
            format!("ApprovedServiceRoleArns={execution_role}"),
            format!("SigningKeys={signing_keys}"),
            // The extension point for a user's own resources (README "Deploying your own
            // handler"): the conditional statements must deploy too.
            "ExtraWorkActions=ssm:PutParameter,ssm:DeleteParameter".to_owned(),
            format!("ExtraWorkResources=arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/*"),
        ],
    )
    .await;
    let ticket_role = output(&provider_stack, "TicketRoleArn");
    let ticket_key = output(&provider_stack, "TicketKeyArn");
    assert_eq!(
        ticket_role,
        format!("arn:aws:iam::{ACCOUNT}:role/{FUNCTION}-ticket")
    );
    assert!(ticket_key.starts_with(&format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/")));

    // What the template gave the function: ticket mode, its key, work role and principals.
    let configuration = moto
        .lambda_get(&format!("/2015-03-31/functions/{FUNCTION}/configuration"))
        .await
        .unwrap();
    assert_eq!(configuration["Runtime"], "provided.al2023");
    let variables = configuration["Environment"]["Variables"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(variables["WARDEN_CREDENTIALS"], "ticket");
    assert_eq!(variables["WARDEN_TICKET_KEY"], ticket_key.as_str());
    assert_eq!(
        variables["WARDEN_TICKET_PRINCIPALS"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{FUNCTION}-ticket/*").as_str()
    );
    assert_eq!(variables["WARDEN_SIGNING_KEYS"], signing_keys.as_str());
    assert!(
        !variables.contains_key("WARDEN_PIP_INDEX_URL"),
        "empty parameters set nothing"
    );

    // moto's CloudFormation has no AWS::Lambda::Alias: make the ServiceToken's alias by API.
    let alias = moto
        .lambda_post(
            &format!("/2015-03-31/functions/{FUNCTION}/aliases"),
            &json!({"Name": "live", "FunctionVersion": "$LATEST"}),
        )
        .await
        .unwrap();
    let service_token = alias["AliasArn"].as_str().unwrap().to_owned();
    assert_eq!(
        service_token,
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}:live")
    );

    // The real provider, configured exactly as the template configured the function.
    let mut env: Vec<(String, String)> = variables
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    env.extend(moto.sdk_env().into_iter().map(|(k, v)| (k.to_owned(), v)));
    env.push((
        "WARDEN_INSECURE_RESPONSE_URL_PREFIX".into(),
        format!("{}/", moto.endpoint()),
    ));
    // moto's DescribeStackResource has no timestamp (FACTS §3).
    env.push((
        "WARDEN_STACK_OPERATION_ALLOW_MISSING_TIMESTAMP".into(),
        "true".into(),
    ));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let provider = Provider::spawn(bin("warden-provider"), &lambda, FUNCTION, &env_refs).unwrap();

    // The application stack: signed, sealed, deployed through a change set.
    let signing_key = keys.path().join("deploy-1.pk8").display().to_string();
    // What every command that seals or refreshes tickets is told.
    let ticket_args = [
        "--ticket-role",
        ticket_role.as_str(),
        "--key",
        ticket_key.as_str(),
    ];
    // `warden deploy` of the example application (or a variant of its template).
    let deploy_app = |stack: &str, template: &str, extra: &[&str]| {
        let mut args: Vec<String> = [
            "deploy",
            "--stack-name",
            stack,
            "--template",
            template,
            "--parameter",
            &format!("ServiceToken={service_token}"),
            "--parameter",
            &format!("PermissionsBoundaryArn={boundary_arn}"),
            "--role-arn",
            &execution_role,
            "--capability",
            "CAPABILITY_NAMED_IAM",
            "--signing-key",
            &signing_key,
        ]
        .iter()
        .chain(&ticket_args)
        .chain(&["--wait", "3m", "--json"])
        .map(|a| (*a).to_owned())
        .collect();
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args
    };
    let args = deploy_app(
        "hello-app",
        &repo_file("cfn/examples/multi-file-function.yaml"),
        // Shorter than delete's 15-minute margin: deleting needs a re-signing below.
        &["--signature-valid-for", "10m"],
    );
    let app = warden(&moto, &args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let stderr = String::from_utf8_lossy(&app.stderr).into_owned();
    if app.status.code() != Some(0) {
        eprintln!("provider output:\n{}", provider.all_output());
    }
    assert_eq!(app.status.code(), Some(0));
    let app_summary = summary(&app);
    assert_eq!(app_summary["status"], "CREATE_COMPLETE");
    assert!(stderr.contains("signed Hello"), "{stderr}");
    assert!(stderr.contains("sealed 1 ticket(s) (Hello)"), "{stderr}");
    assert!(
        stderr.contains("change: Add Hello Custom::MultiFileFunction"),
        "{stderr}"
    );
    assert!(
        stderr.contains("CREATE_COMPLETE"),
        "live stack events: {stderr}"
    );

    // GetAtt of the custom resource: the function the provider made.
    let function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:app-hello");
    assert_eq!(app_summary["outputs"]["FunctionArn"], function_arn.as_str());
    let made = moto
        .lambda_get("/2015-03-31/functions/app-hello/configuration")
        .await
        .unwrap();
    assert_eq!(made["FunctionArn"], function_arn.as_str());
    assert_eq!(
        made["Role"],
        format!("arn:aws:iam::{ACCOUNT}:role/app-hello-function").as_str()
    );
    assert_eq!(made["Handler"], "app.handler");
    assert_eq!(
        app_summary["outputs"]["CodeSha256"], made["CodeSha256"],
        "the output is the code moto stored"
    );

    // The request moto sent: signed and ticketed, with moto's own ResponseURL.
    let bridged = lambda.bridged();
    assert_eq!(bridged.len(), 1, "{bridged:?}");
    let event = &bridged[0];
    assert_eq!(event["RequestType"], "Create");
    assert_eq!(event["ServiceToken"], service_token.as_str());
    assert!(event["ResponseURL"].as_str().unwrap().starts_with(&format!(
        "{}/cloudformation_{REGION}/cfnresponse",
        moto.endpoint()
    )));
    let properties = &event["ResourceProperties"];
    assert!(properties["WardenSignature"].is_string());
    assert!(properties["WardenTicket"].is_string());
    assert_eq!(properties["Role"], made["Role"], "GetAtt resolved by moto");

    // The provider allowed it on a verified signature and an opened ticket.
    let decisions = provider.decisions();
    let allowed = decisions
        .iter()
        .find(|d| d["logical_resource_id"] == "Hello")
        .unwrap_or_else(|| panic!("a decision for Hello: {decisions:?}"));
    assert_eq!(allowed["decision"], "allow", "{allowed}");
    let text = allowed.to_string();
    assert!(text.contains("signed-properties"), "{text}");
    assert!(text.contains("ticket"), "{text}");

    // The signatures expire within delete's margin: without a signing key, neither delete nor
    // refresh goes ahead (the provider would refuse the requests and strand the resources).
    let refused = warden(&moto, &["delete", "--stack-name", "hello-app", "--json"]).await;
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("the signatures of Hello (until ")
            && err.contains("pass --signing-key or --signing-kms-key")
            && err.contains("--allow-expired-signatures"),
        "{err}"
    );
    let refused = warden(
        &moto,
        &[&["refresh", "--stack-name", "hello-app"][..], &ticket_args].concat(),
    )
    .await;
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("the signatures of Hello (until ")
            && err.contains("not valid for the next 15m"),
        "{err}"
    );

    // With the key, refresh signs Hello again (30 days) and re-seals its ticket; the
    // UpdateStack request carries both, with the deployed template otherwise unchanged.
    let deployed =
        std::fs::read_to_string(repo_file("cfn/examples/multi-file-function.yaml")).unwrap();
    let recorder = Recorder::start(moto.endpoint()).await.unwrap();
    let refreshed = warden_via(
        &moto,
        &recorder.endpoint(),
        &[
            &[
                "refresh",
                "--stack-name",
                "hello-app",
                "--signing-key",
                &signing_key,
            ][..],
            &ticket_args,
            &["--wait", "1m"],
        ]
        .concat(),
    )
    .await;
    let update = recorder
        .calls()
        .into_iter()
        .find(|c| c.operation() == "UpdateStack")
        .expect("refresh sent UpdateStack");
    let renewed = update.field("TemplateBody").unwrap();
    let token = |body: &str, key: &str| {
        body.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
            .map(|t| t.trim_matches(|c| c == '"' || c == '\'').to_owned())
            .unwrap_or_else(|| panic!("{key} in {body}"))
    };
    let new_signature = token(&renewed, "WardenSignature");
    assert_ne!(properties["WardenSignature"], new_signature.as_str());
    let envelope = cfn_warden::verify::signed::SignedToken::parse(&new_signature)
        .unwrap()
        .envelope()
        .unwrap();
    assert_eq!(envelope.stack, "hello-app");
    assert_eq!(envelope.logical_id, "Hello");
    let not_after = humantime::parse_rfc3339(&envelope.not_after).unwrap();
    assert!(not_after > std::time::SystemTime::now() + Duration::from_secs(29 * 86_400));
    assert_ne!(
        properties["WardenTicket"],
        token(&renewed, "WardenTicket").as_str()
    );
    let strip = |body: &str| {
        body.lines()
            .filter(|l| !l.contains("WardenSignature:") && !l.contains("WardenTicket:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(&deployed),
        strip(&renewed),
        "only the tokens differ from the source template"
    );
    // The Update (sent by the bridge, as CloudFormation would) changes only framework keys:
    // the provider reads the function back and answers the same Data.
    if refreshed.status.code() != Some(0) {
        eprintln!("provider output:\n{}", provider.all_output());
    }
    assert_eq!(refreshed.status.code(), Some(0));
    let update = lambda
        .bridged()
        .into_iter()
        .find(|e| e["RequestType"] == "Update")
        .expect("an Update reached the provider");
    assert_eq!(update["PhysicalResourceId"], "app-hello");
    assert_eq!(
        update["ResourceProperties"]["WardenSignature"],
        new_signature.as_str()
    );
    assert_eq!(
        update["OldResourceProperties"]["WardenTicket"],
        properties["WardenTicket"]
    );
    let decision = provider
        .decisions()
        .into_iter()
        .find(|d| d["request_type"] == "Update")
        .expect("a decision for the Update");
    assert_eq!(decision["decision"], "allow", "{decision}");
    assert!(
        decision["checks"]
            .to_string()
            .contains("framework-only-update"),
        "{decision}"
    );
    let outputs = moto.describe_stack("hello-app").await.unwrap().1;
    assert!(
        outputs.contains(&("FunctionArn".to_owned(), function_arn.clone())),
        "{outputs:?}"
    );

    // Deleting: tickets and signatures are fresh now. The provider gets CloudFormation's
    // Delete with the refreshed properties and deletes the function.
    let deleted = warden(&moto, &["delete", "--stack-name", "hello-app", "--json"]).await;
    if deleted.status.code() != Some(0) {
        eprintln!("provider output:\n{}", provider.all_output());
    }
    assert_eq!(deleted.status.code(), Some(0));
    assert_eq!(summary(&deleted)["status"], "DELETE_COMPLETE");
    let delete = lambda
        .bridged()
        .into_iter()
        .find(|e| e["RequestType"] == "Delete")
        .expect("a Delete reached the provider");
    assert_eq!(delete["PhysicalResourceId"], "app-hello");
    let gone = moto
        .lambda_get("/2015-03-31/functions/app-hello/configuration")
        .await
        .unwrap();
    assert!(
        gone.to_string().contains("ResourceNotFoundException"),
        "the provider deleted the function: {gone}"
    );
    let again = warden(&moto, &["delete", "--stack-name", "hello-app", "--json"]).await;
    assert_eq!(
        again.status.code(),
        Some(0),
        "deleting a deleted stack is done"
    );

    // The same application with its ticket passed as a NoEcho parameter (`WardenTicket: !Ref
    // HelloTicket`): deploy seals it into the parameter's value; delete cannot read its expiry,
    // so it refreshes it first (UpdateStack with a new value: a framework-only Update), then
    // deletes.
    let source = std::fs::read_to_string(repo_file("cfn/examples/multi-file-function.yaml"))
        .unwrap()
        .replace(
            "    Description: boundary.yaml's ApplicationRuntimeBoundaryArn.\n",
            "    Description: boundary.yaml's ApplicationRuntimeBoundaryArn.\n  HelloTicket:\n    Type: String\n    NoEcho: true\n",
        )
        .replace(
            "      ServiceToken: !Ref ServiceToken\n",
            "      ServiceToken: !Ref ServiceToken\n      WardenTicket: !Ref HelloTicket\n",
        );
    assert!(source.contains("WardenTicket: !Ref HelloTicket") && source.contains("NoEcho"));
    let variant = keys.path().join("parameter-ticket.yaml");
    std::fs::write(&variant, &source).unwrap();
    let args = deploy_app(
        "hello-param",
        &variant.display().to_string(),
        &["--parameter", "AppId=param"],
    );
    warden_settled(
        &moto,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "CREATE_COMPLETE",
    )
    .await;
    let of_param_stack = |kind: &str| {
        lambda
            .bridged()
            .into_iter()
            .filter(|e| {
                e["RequestType"] == kind
                    && e["StackId"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("/hello-param/")
            })
            .collect::<Vec<_>>()
    };
    let created = of_param_stack("Create");
    let first_ticket = created[0]["ResourceProperties"]["WardenTicket"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        first_ticket.starts_with("wt1."),
        "the Ref resolved to the sealed value"
    );
    let refused = warden(&moto, &["delete", "--stack-name", "hello-param"]).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("the tickets of Hello (a parameter: expiry unknown)"));
    let deleted = warden(
        &moto,
        &[
            &["delete", "--stack-name", "hello-param"][..],
            &ticket_args,
            &["--json"],
        ]
        .concat(),
    )
    .await;
    if deleted.status.code() != Some(0) {
        eprintln!("provider output:\n{}", provider.all_output());
    }
    assert_eq!(deleted.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&deleted.stderr).contains("refreshed 1 ticket(s)"));
    let updated = of_param_stack("Update");
    assert_eq!(updated.len(), 1, "{updated:?}");
    let second_ticket = updated[0]["ResourceProperties"]["WardenTicket"]
        .as_str()
        .unwrap();
    assert!(second_ticket.starts_with("wt1.") && second_ticket != first_ticket);
    assert_eq!(of_param_stack("Delete").len(), 1);
    let gone = moto
        .lambda_get("/2015-03-31/functions/param-hello/configuration")
        .await
        .unwrap();
    assert!(
        gone.to_string().contains("ResourceNotFoundException"),
        "{gone}"
    );
}

/// `warden deploy --stack-name s --template <template>` with `more` arguments.
async fn deploy_s(moto: &Moto, template: &str, more: &[&str]) -> Output {
    let mut args = vec!["deploy", "--stack-name", "s", "--template", template];
    args.extend(more);
    warden(moto, &args).await
}

#[tokio::test]
async fn deploy_refuses_bad_input_before_touching_the_stack() {
    let moto = Moto::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t.yaml");
    std::fs::write(
        &template,
        "Parameters:\n  Name: {Type: String}\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: !Ref Name}\n",
    )
    .unwrap();
    let path = template.display().to_string();

    // An undeclared parameter, and one without a value.
    for (parameter, says) in [
        ("Nmae=x", "declares no such parameter"),
        ("novalue", "KEY=VALUE"),
    ] {
        let refused = deploy_s(&moto, &path, &["--parameter", parameter]).await;
        assert_eq!(refused.status.code(), Some(2), "{parameter}");
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains(says),
            "{parameter}"
        );
    }

    let huge = dir.path().join("huge.yaml");
    std::fs::write(
        &huge,
        format!(
            "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Metadata: {{Pad: {}}}\n",
            "x".repeat(60_000)
        ),
    )
    .unwrap();
    let too_big = deploy_s(&moto, &huge.display().to_string(), &[]).await;
    assert_eq!(too_big.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_big.stderr).contains("51200 bytes"));

    let missing = warden(&moto, &["delete", "--stack-name", "never-made", "--json"]).await;
    assert_eq!(missing.status.code(), Some(0), "nothing to delete");

    // None of it created a stack.
    let listed = moto
        .query(
            "cloudformation",
            &[("Action", "ListStacks"), ("Version", "2010-05-15")],
        )
        .await
        .unwrap();
    assert!(!listed.contains("<StackName>s</StackName>"), "{listed}");

    // A plain stack deploys, and the summary says so.
    let ok = deploy_s(&moto, &path, &["--parameter", "Name=topic-1", "--json"]).await;
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(summary(&ok)["status"], "CREATE_COMPLETE");
    assert!(String::from_utf8_lossy(&ok.stderr).contains("change: Add Topic AWS::SNS::Topic"));
}
