//! `Custom::MultiFileFunction` through the real `warden-provider` binary against moto's Lambda
//! and IAM: Create → Update (code only) → Update (configuration only) → Update (rename) →
//! Delete, the declared policy (PassRole on exactly the one role, to Lambda only), secrets kept
//! out of every log, and bad input refused before any AWS call.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::{json, Value};
use warden_e2e::{
    declared_actions, moto::Moto, package_index::PackageIndex, CfnEvent, Session, ACCOUNT, REGION,
};

const LIMIT: Duration = Duration::from_secs(60);
const TYPE: &str = "Custom::MultiFileFunction";
const SECRET: &str = "s3cr3t-token-value-7f1c";

async fn world() -> (Moto, PackageIndex, Session, String) {
    let moto = Moto::start().await.unwrap();
    let index = PackageIndex::start().await.unwrap();
    let role = moto.create_role("fn-exec").await.unwrap();
    let session = provider(&moto, &index).await;
    (moto, index, session, role)
}

/// A provider process (one execution environment) on `moto` and `index`.
async fn provider(moto: &Moto, index: &PackageIndex) -> Session {
    warden_e2e::provider_on(moto, index.url(), &[])
        .await
        .unwrap()
}

fn props(index: &PackageIndex, role: &str, code: &str) -> Value {
    json!({
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Role": role,
        "Files": {"app.py": code, "lib/util.py": "X = 1\n"},
        "Requirements": ["idna"],
        "IndexUrl": index.url(),
        "Environment": {"MODE": "a"},
        "SecretEnvironment": {"TOKEN": SECRET},
        "Tags": {"team": "platform"},
        "Publish": "true",
    })
}

async fn function(moto: &Moto, name: &str) -> Value {
    moto.lambda_get(&format!("/2015-03-31/functions/{name}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn create_update_code_update_config_rename_and_delete() {
    let (moto, index, mut session, role) = world().await;
    let v1 = "def handler(event, context):\n    return 'v1'\n";

    let create = session.prepare(CfnEvent::create(TYPE, "Fn", props(&index, &role, v1)));
    let (exchange, line) = session.send(&create, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let name = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("warden-demo-Fn-") && name.len() <= 64,
        "{name}"
    );
    let data = &answer["Data"];
    assert_eq!(
        data["Arn"],
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
    );
    assert_eq!(data["Version"], "1");
    let sha1 = data["CodeSha256"].as_str().unwrap().to_owned();
    let actions = declared_actions(&line);
    assert!(actions.contains(&"iam:PassRole".to_owned()), "{actions:?}");
    assert!(actions.contains(&"lambda:CreateFunction".to_owned()));
    let live = function(&moto, &name).await;
    let config = &live["Configuration"];
    assert_eq!(config["Handler"], "app.handler");
    assert_eq!(config["CodeSha256"], sha1.as_str());
    assert_eq!(config["Environment"]["Variables"]["MODE"], "a");
    assert_eq!(config["Environment"]["Variables"]["TOKEN"], SECRET);
    assert_eq!(live["Tags"]["team"], "platform");

    // Code only.
    let v2 = "def handler(event, context):\n    return 'v2'\n";
    let update = session.prepare(CfnEvent::update(
        TYPE,
        "Fn",
        &name,
        props(&index, &role, v2),
        props(&index, &role, v1),
    ));
    let before = session.provider.stderr().len();
    let (exchange, _) = session.send(&update, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], name.as_str());
    let sha2 = answer["Data"]["CodeSha256"].as_str().unwrap().to_owned();
    assert_ne!(sha1, sha2);
    assert_eq!(answer["Data"]["Version"], "2");
    let logs = session.provider.stderr()[before..].join("\n");
    assert!(
        logs.contains("code of") && !logs.contains("configuration of"),
        "{logs}"
    );

    // Configuration only.
    let mut config_change = props(&index, &role, v2);
    config_change["MemorySize"] = json!("256");
    config_change["Environment"] = json!({"MODE": "b"});
    let update = session.prepare(CfnEvent::update(
        TYPE,
        "Fn",
        &name,
        config_change.clone(),
        props(&index, &role, v2),
    ));
    let before = session.provider.stderr().len();
    let (exchange, _) = session.send(&update, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Data"]["CodeSha256"], sha2.as_str());
    let logs = session.provider.stderr()[before..].join("\n");
    assert!(
        logs.contains("configuration of") && logs.contains("MemorySize, Environment"),
        "{logs}"
    );
    assert!(!logs.contains("code of"), "{logs}");
    let config = &function(&moto, &name).await["Configuration"];
    assert_eq!(config["MemorySize"], 256);
    assert_eq!(config["Environment"]["Variables"]["MODE"], "b");

    // Rename: a replacement; the old function stays until CloudFormation deletes it.
    let mut renamed = config_change.clone();
    renamed["FunctionName"] = json!("renamed-fn");
    let update = session.prepare(CfnEvent::update(
        TYPE,
        "Fn",
        &name,
        renamed.clone(),
        config_change.clone(),
    ));
    let (exchange, _) = session.send(&update, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], "renamed-fn");
    assert_eq!(
        function(&moto, "renamed-fn").await["Configuration"]["MemorySize"],
        256
    );

    // A rollback of the rename: old properties, the new id. The old function (still there,
    // still this resource's) is updated in place and answered again.
    let rollback = session.prepare(CfnEvent::update(
        TYPE,
        "Fn",
        "renamed-fn",
        config_change.clone(),
        renamed.clone(),
    ));
    let (exchange, _) = session.send(&rollback, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["PhysicalResourceId"], name.as_str());

    // Deletes: the old one (cleanup), the renamed one (stack delete), and again (gone).
    for (target, properties) in [
        (name.as_str(), &config_change),
        ("renamed-fn", &renamed),
        ("renamed-fn", &renamed),
    ] {
        let delete = session.prepare(CfnEvent::delete(TYPE, "Fn", target, properties.clone()));
        let (exchange, line) = session.send(&delete, LIMIT).await.unwrap();
        assert_eq!(exchange.answer().unwrap()["Status"], "SUCCESS", "{line}");
        assert_eq!(
            declared_actions(&line),
            ["lambda:DeleteFunction", "lambda:ListTags"]
        );
    }
    let listed = moto.lambda_get("/2015-03-31/functions").await.unwrap();
    assert_eq!(listed["Functions"], json!([]), "{listed}");

    // The secret value never reached a log or an answer.
    let everything = session.provider.all_output();
    assert!(!everything.contains(SECRET));
}

#[tokio::test]
async fn bad_functions_are_refused_before_any_aws_call() {
    let (moto, index, mut session, role) = world().await;
    let code = "def handler(e, c):\n    return 1\n";
    let huge = "x".repeat(256 * 1024 + 1);
    let cases = [
        (
            json!({"Files": {"../app.py": code}}),
            "`../app.py` must not contain",
        ),
        (
            json!({"Files": {"/etc/app.py": code}}),
            "must be a relative path",
        ),
        (
            json!({"Files": {"app.py": huge}}),
            "over the limit of 262144",
        ),
        (json!({"Files": {}}), "Files is empty"),
        (json!({"Handler": "main.handler"}), "needs main.py in Files"),
        (
            json!({"Runtime": "nodejs20.x"}),
            "needs app.js or app.mjs or app.cjs",
        ),
        (
            json!({"Role": "arn:aws:iam::999999999999:role/fn-exec"}),
            "is not in this stack's account",
        ),
        (json!({"Role": "not-an-arn"}), "is not an IAM role ARN"),
        (
            json!({"Role": "arn:aws:iam::123456789012:user/bob"}),
            "is not an IAM role ARN",
        ),
        (json!({"FunctionName": "bad name"}), "must be 1-64 letters"),
        (
            json!({"MemorySize": "64"}),
            "MemorySize must be 128 to 10240",
        ),
        (
            json!({"SecretEnvironment": {"MODE": SECRET}}),
            "in both Environment and SecretEnvironment",
        ),
    ];
    for (change, needle) in cases {
        let mut p = props(&index, &role, code);
        for (k, v) in change.as_object().unwrap() {
            p[k] = v.clone();
        }
        let create = session.prepare(CfnEvent::create(TYPE, "Fn", p.clone()));
        let (exchange, _) = session.send(&create, LIMIT).await.unwrap();
        let answer = exchange.answer().unwrap();
        assert_eq!(answer["Status"], "FAILED", "{needle}");
        let reason = answer["Reason"].as_str().unwrap();
        assert!(reason.contains(needle), "{needle}: {reason}");
        assert!(!reason.contains(SECRET));
    }
    let listed = moto.lambda_get("/2015-03-31/functions").await.unwrap();
    assert_eq!(listed["Functions"], json!([]), "{listed}");
    assert!(!session.provider.all_output().contains(SECRET));
}

#[tokio::test]
async fn in_ticket_mode_the_function_is_created_by_a_session_that_can_pass_only_its_role() {
    let world = warden_e2e::TicketWorld::start("function").await;
    let index = PackageIndex::start().await.unwrap();
    let role = world.moto.create_role("fn-exec").await.unwrap();
    let (ticket, mut session) = world
        .provider("Fn", &[("WARDEN_PIP_INDEX_ALLOW", index.url())])
        .await;
    let mut p = props(&index, &role, "def handler(e, c):\n    return 1\n");
    p["WardenTicket"] = json!(ticket);
    p["FunctionName"] = json!("ticketed-fn");
    let create = session.prepare(CfnEvent::create(TYPE, "Fn", p.clone()));
    let (exchange, line) = session.send(&create, LIMIT).await.unwrap();
    let answer = exchange.answer().unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer} {line}");
    assert_eq!(line["credentials"], "ticket");

    let calls = world.recorder.calls();
    let (assume, policy) = world.work_session().expect("the work session was assumed");
    let statements = policy["Statement"].as_array().unwrap();
    let function = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:ticketed-fn");
    assert!(statements.iter().all(|s| s["Effect"] == "Allow"));
    let pass: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Action"].to_string().contains("iam:"))
        .collect();
    assert_eq!(pass.len(), 1);
    assert_eq!(pass[0]["Action"], json!(["iam:PassRole"]));
    assert_eq!(pass[0]["Resource"], json!([role]));
    assert_eq!(
        pass[0]["Condition"]["StringEquals"]["iam:PassedToService"],
        json!(["lambda.amazonaws.com"])
    );
    for s in statements
        .iter()
        .filter(|s| !s["Action"].to_string().contains("iam:"))
    {
        assert_eq!(s["Resource"], json!([function]), "{s}");
    }
    // CreateFunction went out with the work session's credentials.
    let create_call = calls
        .iter()
        .find(|c| c.request_line.starts_with("POST /2015-03-31/functions"))
        .expect("CreateFunction was called");
    assert!(warden_e2e::TicketWorld::made_by_work_session(
        create_call,
        &assume
    ));

    // `warden refresh`'s Update: only the ticket changes. The function is read back with a
    // session that may only read it, nothing is built or changed, and the Data are the same.
    let mut fresh = p.clone();
    fresh["WardenTicket"] = json!(world.seal("Fn", &world.ticket_role()).await);
    assert_ne!(fresh["WardenTicket"], p["WardenTicket"]);
    world.recorder.clear();
    let refresh = session.prepare(CfnEvent::update(TYPE, "Fn", "ticketed-fn", fresh, p));
    let (exchange, line) = session.send(&refresh, LIMIT).await.unwrap();
    let refreshed = exchange.answer().unwrap();
    assert_eq!(refreshed["Status"], "SUCCESS", "{refreshed} {line}");
    assert_eq!(refreshed["PhysicalResourceId"], "ticketed-fn");
    assert_eq!(
        refreshed["Data"], answer["Data"],
        "the Data are answered again"
    );
    assert_eq!(answer["Data"]["Version"], "1", "{answer}");
    let (_, policy) = world.work_session().expect("a read-back session");
    assert_eq!(
        policy["Statement"],
        json!([{"Effect": "Allow",
            "Action": ["lambda:ListTags", "lambda:GetFunctionConfiguration", "lambda:ListVersionsByFunction"],
            "Resource": [function]}]),
        "{policy}"
    );
    let lambda_calls: Vec<String> = world
        .recorder
        .calls()
        .iter()
        .filter(|c| c.request_line.contains("/2015-03-31/functions"))
        .map(|c| c.request_line.clone())
        .collect();
    assert!(
        lambda_calls.iter().all(|c| c.starts_with("GET ")),
        "reads only: {lambda_calls:?}"
    );
    assert!(
        line["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "framework-only-update"),
        "{line}"
    );
    assert!(!session.provider.all_output().contains(SECRET));
}

#[tokio::test]
async fn functions_this_resource_did_not_create_are_never_touched() {
    let (moto, index, mut session, role) = world().await;
    // A function made outside cfn-warden (no owner tag), e.g. someone else's.
    moto.create_function("victim").await.unwrap();
    let code = "def handler(e, c):\n    return 'pwned'\n";
    let mut p = props(&index, &role, code);
    p["FunctionName"] = json!("victim");
    for event in [
        CfnEvent::create(TYPE, "Fn", p.clone()),
        CfnEvent::update(TYPE, "Fn", "victim", p.clone(), p.clone()),
        CfnEvent::delete(TYPE, "Fn", "victim", p.clone()),
    ] {
        let event = session.prepare(event);
        let (exchange, _) = session.send(&event, LIMIT).await.unwrap();
        let answer = exchange.answer().unwrap();
        assert_eq!(answer["Status"], "FAILED", "{answer}");
        assert!(
            answer["Reason"]
                .as_str()
                .unwrap()
                .contains("was not created by this resource"),
            "{answer}"
        );
    }
    // Untouched: still there, still its own code.
    let config = &function(&moto, "victim").await["Configuration"];
    assert_eq!(config["Runtime"], "provided.al2023");
    // A wildcard-looking physical id declares nothing and deletes nothing.
    let delete = session.prepare(CfnEvent::delete(TYPE, "Fn", "prod-*", p));
    let (exchange, line) = session.send(&delete, LIMIT).await.unwrap();
    assert_eq!(exchange.answer().unwrap()["Status"], "SUCCESS");
    assert!(
        !line["checks"].to_string().contains("DeleteFunction"),
        "{line}"
    );
}

#[tokio::test]
async fn a_duplicated_create_adopts_what_the_first_made_and_a_duplicated_delete_succeeds() {
    let (moto, index, mut session, role) = world().await;
    let mut p = props(&index, &role, "def handler(e, c):\n    return 1\n");
    p["FunctionName"] = json!("dup-fn");
    let create = session.prepare(CfnEvent::create(TYPE, "Fn", p.clone()));
    // Twice to the same environment: the same answer again, no work.
    let first = warden_e2e::send_twice(&mut session, &create, LIMIT)
        .await
        .unwrap();
    // Delivered to another environment (nothing in memory): the function is found by its
    // owner tag and adopted, not created twice and not refused.
    let mut other = provider(&moto, &index).await;
    let create = other.prepare(CfnEvent::create(TYPE, "Fn", p.clone()));
    let (adopted, _) = other.send(&create, LIMIT).await.unwrap();
    let adopted = adopted.answer().unwrap();
    assert_eq!(adopted["Status"], "SUCCESS", "{adopted}");
    assert_eq!(adopted["PhysicalResourceId"], first["PhysicalResourceId"]);
    assert_eq!(adopted["Data"]["Arn"], first["Data"]["Arn"]);
    // Delete, then the same Delete in another environment: gone is success.
    let delete = session.prepare(CfnEvent::delete(TYPE, "Fn", "dup-fn", p.clone()));
    let (deleted, _) = session.send(&delete, LIMIT).await.unwrap();
    assert_eq!(deleted.answer().unwrap()["Status"], "SUCCESS");
    let delete = other.prepare(CfnEvent::delete(TYPE, "Fn", "dup-fn", p));
    let (again, _) = other.send(&delete, LIMIT).await.unwrap();
    assert_eq!(again.answer().unwrap()["Status"], "SUCCESS");
    let listed = moto.lambda_get("/2015-03-31/functions").await.unwrap();
    assert_eq!(listed["Functions"], json!([]), "{listed}");
}
