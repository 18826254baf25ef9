//! `warden-demo`: the README's main job. Runs the example resources through the real binaries
//! and a local Lambda Runtime API, and prints what CloudFormation received and each decision
//! line: Create → Update → Delete of `hello-resource`; every failure mode of
//! `faulty-resource`; a forged event that is denied without any PUT; a ticketed request whose
//! handler runs with a work-role session narrowed to its declared policy (moto: STS, KMS, IAM);
//! a long-running operation polled through self-invocations (`Mode=slow`);
//! `warden build-layer`, a ticketed `Custom::PipLayer` and a ticketed
//! `Custom::MultiFileFunction` against a local pypiserver and moto's Lambda and IAM.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, reason = "a demo's output is its purpose")]

use std::time::Duration;

use anyhow::{Context as _, Result};
use cfn_warden::verify::signed::Ed25519SigningKey;
use serde_json::{json, Value};
use warden_e2e::{
    bin, package_index::PackageIndex, sign_properties, CfnEvent, Exchange, Session, TicketWorld,
    ACCOUNT, REGION,
};

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::main]
async fn main() -> Result<()> {
    println!("cfn-warden demo: real provider binaries, a local Lambda Runtime API, a fake CloudFormation.\n");
    let mut hello = Session::start(bin("hello-resource"))
        .await
        .context("starting hello-resource")?;

    section("hello-resource: Create → Update → Delete");
    let create = hello.prepare(CfnEvent::create(
        "Custom::Hello",
        "Greeting",
        json!({"Name": "World"}),
    ));
    let (x, line) = hello.send(&create, LIMIT).await?;
    show("Create Name=World", &x, &line);
    let id = x
        .answer()
        .and_then(|a| a["PhysicalResourceId"].as_str().map(str::to_owned))
        .context("no id")?;
    let update = hello.prepare(CfnEvent::update(
        "Custom::Hello",
        "Greeting",
        &id,
        json!({"Name": "Warden"}),
        json!({"Name": "World"}),
    ));
    let (x, line) = hello.send(&update, LIMIT).await?;
    show("Update Name=Warden", &x, &line);
    let delete = hello.prepare(CfnEvent::delete(
        "Custom::Hello",
        "Greeting",
        &id,
        json!({"Name": "Warden"}),
    ));
    let (x, line) = hello.send(&delete, LIMIT).await?;
    show("Delete", &x, &line);

    section("A forged event: its ResponseURL points elsewhere, so nothing is sent anywhere");
    let forged = hello
        .prepare(CfnEvent::create(
            "Custom::Hello",
            "Greeting",
            json!({"Name": "Mallory"}),
        ))
        .field(
            "ResponseURL",
            json!("https://attacker.example.com/collect?X-Amz-Signature=x"),
        );
    let (x, line) = hello.send(&forged, LIMIT).await?;
    show("Create with a forged ResponseURL", &x, &line);

    section("Signed properties: hello-resource started with WARDEN_SIGNING_KEYS");
    let (key, _) = Ed25519SigningKey::generate("demo-key")?;
    let keys = serde_json::to_string(&vec![key.public_config()])?;
    let mut signed =
        Session::start_with_env(bin("hello-resource"), &[("WARDEN_SIGNING_KEYS", &keys)])
            .await
            .context("starting hello-resource with signing keys")?;
    let props = json!({"Name": "Signed World"});
    let token = sign_properties(&key, "Custom::Hello", "Signed", &props)?;
    let mut genuine = props.clone();
    genuine["WardenSignature"] = json!(token);
    let e = signed.prepare(CfnEvent::create("Custom::Hello", "Signed", genuine));
    let (x, line) = signed.send(&e, LIMIT).await?;
    show("Create with a valid signature", &x, &line);
    let forged = json!({"Name": "Mallory", "WardenSignature": token});
    let forged = signed.prepare(CfnEvent::create("Custom::Hello", "Signed", forged));
    let (x, line) = signed.send(&forged, LIMIT).await?;
    show(
        "Create with the signature copied onto other properties (forged)",
        &x,
        &line,
    );
    let unsigned = signed.prepare(CfnEvent::create("Custom::Hello", "Signed", props));
    let (x, line) = signed.send(&unsigned, LIMIT).await?;
    show("Create without a signature", &x, &line);

    let mut faulty = Session::start(bin("faulty-resource"))
        .await
        .context("starting faulty-resource")?;
    section("faulty-resource: CloudFormation always gets exactly one answer");
    for (mode, limit) in [
        ("ok", LIMIT),
        ("error", LIMIT),
        ("panic", LIMIT),
        ("hang", Duration::from_secs(4)),
        ("big-data", LIMIT),
    ] {
        let e = faulty.prepare(CfnEvent::create(
            "Custom::Faulty",
            "Thing",
            json!({"Mode": mode, "Message": format!("mode {mode}")}),
        ));
        let (x, line) = faulty.send(&e, limit).await?;
        let title = if mode == "hang" {
            "Create Mode=hang (Lambda timeout 4 s)".to_owned()
        } else {
            format!("Create Mode={mode}")
        };
        show(&title, &x, &line);
    }
    section(
        "A failed Create leaves a sentinel id; its Delete succeeds without calling the handler",
    );
    let props = json!({"Mode": "error", "Message": "create refused"});
    let (x, _) = faulty
        .send(
            &faulty.prepare(CfnEvent::create("Custom::Faulty", "Thing", props.clone())),
            LIMIT,
        )
        .await?;
    let sentinel = x
        .answer()
        .and_then(|a| a["PhysicalResourceId"].as_str().map(str::to_owned))
        .context("no id")?;
    let (x, line) = faulty
        .send(
            &faulty.prepare(CfnEvent::delete(
                "Custom::Faulty",
                "Thing",
                &sentinel,
                props,
            )),
            LIMIT,
        )
        .await?;
    show(
        "Delete of the sentinel (Mode=error would fail if the handler ran)",
        &x,
        &line,
    );

    section("Ticket mode: the handler works with the deployer's credentials, narrowed (moto: STS, KMS, IAM)");
    let world = TicketWorld::start("demo").await;
    let ticket_role = format!("arn:aws:iam::{ACCOUNT}:role/cfn-warden-ticket");
    let ticket = world.seal("Probe", &ticket_role).await;
    println!("`warden seal` assumed {ticket_role} and sealed a WardenTicket for warden-demo/Probe ({} characters, KMS-encrypted).", ticket.len());
    let mut ticketed = world.session().await;
    let declare = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["lambda:GetLayerVersion"],
        "Resource": [format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:demo:1")]}]});
    let e = ticketed.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Probe",
        json!({"Mode": "whoami", "Declare": declare, "WardenTicket": ticket}),
    ));
    let (x, line) = ticketed.send(&e, LIMIT).await?;
    show(
        "Create Mode=whoami with a sealed ticket (Data.Arn = who the handler is)",
        &x,
        &line,
    );
    for call in world.recorder.calls() {
        let policy = call
            .field("Policy")
            .map(|p| format!(" Policy={p}"))
            .unwrap_or_default();
        println!("AWS call by the provider: {}{policy}", call.operation());
    }
    let e = ticketed.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Probe",
        json!({"Mode": "whoami", "Declare": declare}),
    ));
    let (x, line) = ticketed.send(&e, LIMIT).await?;
    show(
        "The same Create without a ticket (an invoker without deploy rights)",
        &x,
        &line,
    );

    section("faulty-resource Mode=slow: a long-running operation, polled 3 times 1 s apart; the provider re-invokes its own ARN (Lambda's Invoke API, served locally) with a sealed continuation whose data key comes from KMS (moto)");
    let calls_before = world.recorder.calls().len();
    let mut slow = world
        .builder_in_mode(
            "faulty-resource",
            "none",
            &[("WARDEN_CONTINUATION_KEY", &world.key)],
        )
        .serve_invoke()
        .start()
        .await
        .context("starting faulty-resource with continuations")?;
    let e = slow.prepare(CfnEvent::create(
        "Custom::Faulty",
        "Slow",
        json!({"Mode": "slow", "Polls": 3, "PollSeconds": 1}),
    ));
    let (x, line) = slow.send(&e, LIMIT).await?;
    show(
        "Create Mode=slow: answered in progress, so nothing is PUT yet",
        &x,
        &line,
    );
    let puts = slow.lambda.wait_for_puts(1, LIMIT).await?;
    for (n, call) in slow.lambda.invoke_calls().iter().enumerate() {
        let line = slow
            .provider
            .wait_for_decision_of(&call.request_id, LIMIT)
            .await?;
        println!(
            "\n--- Poll {}: the provider invoked {} ({}, {} bytes; the ResponseURL is inside, encrypted)",
            n + 1,
            call.function_name,
            call.invocation_type,
            call.payload.len()
        );
        print_line(&line);
    }
    println!(
        "CloudFormation received exactly one answer, after the last poll: {}",
        puts.first().map(|p| p.json()).unwrap_or(Value::Null)
    );
    world.print_calls(calls_before);
    let log = std::env::temp_dir().join(format!("warden-demo-slow-{}.log", std::process::id()));
    std::fs::write(&log, slow.provider.stdout().join("\n"))?;
    let audit = std::process::Command::new(warden_e2e::binary_path("warden")?)
        .arg("audit")
        .arg(&log)
        .output()
        .context("running warden audit")?;
    let _ = std::fs::remove_file(&log);
    let text = String::from_utf8_lossy(&audit.stdout);
    println!("$ warden audit <the provider's log>   (the operation as one row)");
    for line in text
        .lines()
        .skip_while(|l| !l.starts_with("long-running operations:"))
    {
        println!("{line}");
    }

    section("Custom::PipLayer: a Python layer built in Rust from a local index (pypiserver), published by a narrowed session (moto: Lambda)");
    let index = PackageIndex::start()
        .await
        .context("starting pypiserver (scripts/fetch-test-wheels.sh fills it)")?;
    let zip = std::env::temp_dir().join(format!("warden-demo-layer-{}.zip", std::process::id()));
    let output = std::process::Command::new(warden_e2e::binary_path("warden")?)
        .args([
            "build-layer",
            "requests[socks]",
            "--runtime",
            "python3.12",
            "--arch",
            "arm64",
        ])
        .args(["--index-url", index.url(), "-o"])
        .arg(&zip)
        .output()
        .context("running warden build-layer")?;
    println!("$ warden build-layer 'requests[socks]' --runtime python3.12 --arch arm64 --index-url {} -o layer.zip", index.url());
    print!("{}", String::from_utf8_lossy(&output.stdout));
    print!("{}", String::from_utf8_lossy(&output.stderr));
    let _ = std::fs::remove_file(&zip);
    let ticket = world.seal("Layer", &ticket_role).await;
    let mut layers = world
        .session_for(
            "warden-provider",
            &[("WARDEN_PIP_INDEX_ALLOW", index.url())],
        )
        .await;
    let before = world.recorder.calls().len();
    let e = layers.prepare(CfnEvent::create(
        "Custom::PipLayer",
        "Layer",
        json!({"LayerName": "demo-requests", "Requirements": ["requests"], "Runtime": "python3.12",
               "Architecture": "arm64", "IndexUrl": index.url(), "WardenTicket": ticket}),
    ));
    let (x, line) = layers.send(&e, Duration::from_secs(60)).await?;
    show("Create Custom::PipLayer with a sealed ticket", &x, &line);
    world.print_calls(before);

    section("Custom::MultiFileFunction: inline files + packages; the session may pass exactly one role, only to Lambda (moto: Lambda, IAM)");
    let role = world.moto.create_role("demo-fn-exec").await?;
    let ticket = world.seal("Fn", &ticket_role).await;
    let before = world.recorder.calls().len();
    let e = layers.prepare(CfnEvent::create(
        "Custom::MultiFileFunction",
        "Fn",
        json!({"FunctionName": "demo-fn", "Runtime": "python3.12", "Handler": "app.handler",
               "Role": role, "Requirements": ["idna"], "IndexUrl": index.url(),
               "Files": {"app.py": "import idna\ndef handler(event, context):\n    return idna.encode('example.test').decode()\n"},
               "SecretEnvironment": {"API_TOKEN": "demo-secret-value"},
               "Publish": "true", "WardenTicket": ticket}),
    ));
    let (x, line) = layers.send(&e, Duration::from_secs(60)).await?;
    show(
        "Create Custom::MultiFileFunction with a sealed ticket",
        &x,
        &line,
    );
    world.print_calls(before);

    println!(
        "\nDone: {} invocations, each with exactly one decision line.",
        hello.sent()
            + signed.sent()
            + faulty.sent()
            + ticketed.sent()
            + slow.sent()
            + slow.lambda.invoke_calls().len()
            + layers.sent()
    );
    Ok(())
}

fn section(title: &str) {
    println!("\n=== {title} ===");
}

fn show(title: &str, exchange: &Exchange, line: &Value) {
    println!("\n--- {title}");
    match exchange.puts.len() {
        0 => println!("CloudFormation received: nothing (no PUT)"),
        n => {
            let answer = exchange.answer().unwrap_or(Value::Null);
            let attempts = if n > 1 {
                format!(" after {n} attempts")
            } else {
                String::new()
            };
            println!(
                "CloudFormation received{attempts} ({} bytes): {answer}",
                exchange.puts[n - 1].body.len()
            );
        }
    }
    print_line(line);
}

/// A decision line: its verdicts, then the line without the noisiest fields.
fn print_line(line: &Value) {
    let checks: Vec<String> = line["checks"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| {
                    format!(
                        "{}={}",
                        c["name"].as_str().unwrap_or("?"),
                        c["verdict"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let detail = line["detail"]
        .as_str()
        .map(|d| format!(" | detail: {d}"))
        .unwrap_or_default();
    println!(
        "decision: {} | result: {} | checks: {}{detail}",
        line["decision"].as_str().unwrap_or("?"),
        line["result"].as_str().unwrap_or("?"),
        checks.join(", ")
    );
    let mut compact = line.clone();
    if let Some(o) = compact.as_object_mut() {
        for noisy in [
            "schema",
            "time",
            "function_arn",
            "stack_id",
            "insecure_response_url_prefix",
        ] {
            o.remove(noisy);
        }
    }
    println!("decision line: {compact}");
}
