//! Through moto's CloudFormation: a stack with a `Custom::Hello` resource stays
//! CREATE_IN_PROGRESS until the real `hello-resource` binary PUTs its answer, then reaches
//! CREATE_COMPLETE and `Fn::GetAtt` returns the Data.
//!
//! moto cannot invoke the provider itself (it would need Docker), so the test sends the event
//! moto would send, with the ResponseURL moto listens on (FACTS §3).
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::time::Duration;

use serde_json::json;
use warden_e2e::{bin, moto::Moto, Exchange, LocalLambda, Provider};

/// Invokes the function with `event` through the local Lambda, as moto's CloudFormation would.
async fn invoke(lambda: &LocalLambda, function_arn: &str, event: &serde_json::Value) -> Exchange {
    lambda
        .invoke(
            serde_json::to_vec(event).unwrap(),
            function_arn,
            Duration::from_secs(30),
            None,
        )
        .await
        .unwrap()
}

/// The provider's first `n` decision lines, waiting up to `seconds` for them.
async fn decisions_of(provider: &Provider, n: usize, seconds: u64) -> Vec<serde_json::Value> {
    provider
        .wait_for_decisions(n, Duration::from_secs(seconds))
        .await
        .unwrap()
}

#[tokio::test]
async fn hello_completes_a_moto_stack_and_getatt_reads_its_data() {
    let moto = Moto::start()
        .await
        .expect("moto_server must be installed: pip install 'moto[server]'");
    let function_arn = moto.create_function("hello-resource").await.unwrap();
    let template = json!({
        "Resources": {
            "Greeting": {
                "Type": "Custom::Hello",
                "Properties": {"ServiceToken": function_arn, "Name": "Moto"}
            }
        },
        "Outputs": {"Greeting": {"Value": {"Fn::GetAtt": ["Greeting", "Greeting"]}}}
    });
    let stack_id = moto.create_stack("warden-moto", &template).await.unwrap();
    assert_eq!(
        moto.resource_status(&stack_id, "Greeting").await.unwrap(),
        "CREATE_IN_PROGRESS"
    );
    let (status, _) = moto.describe_stack(&stack_id).await.unwrap();
    assert_eq!(status, "CREATE_IN_PROGRESS");

    let lambda = LocalLambda::start().await.unwrap();
    let prefix = format!("{}/", moto.endpoint());
    let provider = Provider::spawn(
        bin("hello-resource"),
        &lambda,
        "hello-resource",
        &[("WARDEN_INSECURE_RESPONSE_URL_PREFIX", &prefix)],
    )
    .unwrap();
    assert_eq!(
        provider.function_arn(),
        function_arn,
        "the harness invokes the function moto knows"
    );
    let event = json!({
        "RequestType": "Create",
        "ResponseURL": moto.cfn_response_url(&stack_id),
        "StackId": stack_id,
        "RequestId": "5d5c1e3a-2b6f-4a8e-9c1d-0e2f3a4b5c6d",
        "ResourceType": "Custom::Hello",
        "LogicalResourceId": "Greeting",
        "ServiceToken": function_arn,
        "ResourceProperties": {"ServiceToken": function_arn, "Name": "Moto"}
    });
    let exchange = invoke(&lambda, &function_arn, &event).await;
    assert_eq!(
        exchange.result,
        warden_e2e::RuntimeResult::Response(
            json!({"decision": "allow", "status": "SUCCESS", "delivered": true})
        )
    );

    let (status, outputs) = moto.describe_stack(&stack_id).await.unwrap();
    assert_eq!(status, "CREATE_COMPLETE");
    assert_eq!(
        outputs,
        vec![("Greeting".to_owned(), "Hello, Moto".to_owned())]
    );
    let decisions = decisions_of(&provider, 1, 5).await;
    assert_eq!(decisions[0]["stack_id"], stack_id.as_str());
    assert_eq!(
        decisions[0]["checks"][0]["evidence"]["insecure_response_url_prefix"],
        prefix.as_str()
    );
}

#[tokio::test]
async fn the_stack_operation_check_asks_moto_whether_the_create_is_in_flight() {
    let moto = Moto::start()
        .await
        .expect("moto_server must be installed: pip install 'moto[server]'");
    let function_arn = moto.create_function("hello-resource").await.unwrap();
    let template = json!({
        "Resources": {"Greeting": {"Type": "Custom::Hello", "Properties": {"ServiceToken": function_arn, "Name": "InFlight"}}},
        "Outputs": {"Greeting": {"Value": {"Fn::GetAtt": ["Greeting", "Greeting"]}}}
    });
    let stack_id = moto
        .create_stack("warden-inflight", &template)
        .await
        .unwrap();

    let lambda = LocalLambda::start().await.unwrap();
    let prefix = format!("{}/", moto.endpoint());
    let mut env: Vec<(&str, String)> = moto.sdk_env();
    env.push(("WARDEN_INSECURE_RESPONSE_URL_PREFIX", prefix));
    env.push(("WARDEN_VERIFY_STACK_OPERATION", "true".to_owned()));
    // moto gives resource statuses without timestamps (FACTS §3).
    env.push((
        "WARDEN_STACK_OPERATION_ALLOW_MISSING_TIMESTAMP",
        "true".to_owned(),
    ));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let provider =
        Provider::spawn(bin("hello-resource"), &lambda, "hello-resource", &env_refs).unwrap();

    let event = |logical: &str, request_id: &str| {
        json!({
            "RequestType": "Create", "ResponseURL": moto.cfn_response_url(&stack_id), "StackId": stack_id,
            "RequestId": request_id, "ResourceType": "Custom::Hello", "LogicalResourceId": logical,
            "ServiceToken": function_arn, "ResourceProperties": {"ServiceToken": function_arn, "Name": "InFlight"}
        })
    };
    // A resource CloudFormation is not creating: refused before the handler.
    let ghost = event("Ghost", "0d5c1e3a-2b6f-4a8e-9c1d-0e2f3a4b5c6d");
    invoke(&lambda, &function_arn, &ghost).await;
    let decisions = decisions_of(&provider, 1, 10).await;
    assert_eq!(decisions[0]["decision"], "deny", "{}", decisions[0]);
    assert!(
        decisions[0]["detail"]
            .as_str()
            .unwrap()
            .contains("stack-operation: DescribeStackResource failed"),
        "{}",
        decisions[0]
    );
    assert_eq!(
        moto.describe_stack(&stack_id).await.unwrap().0,
        "CREATE_IN_PROGRESS"
    );

    // The resource moto is creating: allowed, answered, and the stack completes.
    let real = event("Greeting", "1d5c1e3a-2b6f-4a8e-9c1d-0e2f3a4b5c6d");
    invoke(&lambda, &function_arn, &real).await;
    let decisions = decisions_of(&provider, 2, 10).await;
    assert_eq!(decisions[1]["decision"], "allow", "{}", decisions[1]);
    let check = &decisions[1]["checks"][1];
    assert_eq!(check["name"], "stack-operation");
    assert_eq!(check["evidence"]["source"], "DescribeStackResource");
    let (status, outputs) = moto.describe_stack(&stack_id).await.unwrap();
    assert_eq!(status, "CREATE_COMPLETE");
    assert_eq!(
        outputs,
        vec![("Greeting".to_owned(), "Hello, InFlight".to_owned())]
    );
}
