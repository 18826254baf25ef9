//! `warden-demo`: the README's main job. Runs the example resources through the real binaries
//! and a local Lambda Runtime API, and prints what CloudFormation received and each decision
//! line: Create → Update → Delete of `hello-resource`; every failure mode of
//! `faulty-resource`; a forged event that is denied without any PUT.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, reason = "a demo's output is its purpose")]

use std::time::Duration;

use anyhow::{Context as _, Result};
use serde_json::{json, Value};
use warden_e2e::{CfnEvent, Exchange, Session};

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::main]
async fn main() -> Result<()> {
    println!("cfn-warden demo: real provider binaries, a local Lambda Runtime API, a fake CloudFormation.\n");
    let mut hello = Session::start("hello-resource")
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

    let mut faulty = Session::start("faulty-resource")
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

    println!(
        "\nDone: {} invocations, each with exactly one decision line.",
        hello.sent() + faulty.sent()
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
