//! Per-poll overhead of a long-running operation, without network and without the handler:
//! parse the continuation event, open it (data key from the warm environment's cache, AES-GCM
//! over the header and a body holding a ~3 KB CloudFormation event and a 1 KB state), then
//! seal the next one with the new state and write its event. The KMS `Decrypt` a cold
//! environment makes once per operation is not included (it is a network call; see
//! `docs/long-running.md`).
//! Run: `cargo bench -p cfn-warden --bench poll`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs,
    reason = "benchmark code"
)]

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use cfn_warden::{
    continuation::{
        ContinuationBody, Continuations, LocalKeys, PollIds, Scheduler, SealedContinuation,
    },
    response::BoxFuture,
};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

struct Nowhere;

impl Scheduler for Nowhere {
    fn schedule<'a>(
        &'a self,
        _: &'a str,
        _: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), cfn_warden::Error>> {
        Box::pin(async { Ok(()) })
    }
}

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/warden-demo/6b2bd1a0-8f1c-11ef-9c3d-0a1b2c3d4e5f";

fn event() -> String {
    let properties: serde_json::Map<_, _> = (0..40)
        .map(|i| {
            (
                format!("Property{i:02}"),
                json!(format!("value-{i}-{}", "x".repeat(60))),
            )
        })
        .collect();
    json!({
        "RequestType": "Create",
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:warden-provider:live",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Date=20261206T000000Z&X-Amz-Expires=7200&X-Amz-Signature=abc",
        "StackId": STACK,
        "RequestId": "5f3c1a2b-0000-4000-8000-000000000001",
        "ResourceType": "Custom::Slow",
        "LogicalResourceId": "Slow",
        "ResourceProperties": properties,
    })
    .to_string()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let continuations = Continuations::builder()
        .keys(Arc::new(LocalKeys::random().unwrap()))
        .key_id("local")
        .scheduler(Arc::new(Nowhere))
        .build()
        .unwrap();
    let now = SystemTime::now();
    let ids = |attempt| PollIds {
        stack_id: STACK,
        logical_resource_id: "Slow",
        request_id: "5f3c1a2b-0000-4000-8000-000000000001",
        attempt,
        started_at: now,
        not_before: now + Duration::from_secs(30),
        deadline: now + Duration::from_secs(3600),
    };
    let state = json!({ "build": "x".repeat(1000), "seen": 1 });
    let key = rt
        .block_on(continuations.new_key("5f3c1a2b-0000-4000-8000-000000000001"))
        .unwrap();
    let first = continuations
        .seal(&ids(1), &key, &ContinuationBody::new(event(), state, None))
        .unwrap()
        .to_event();
    println!("continuation event: {} bytes", first.len());
    c.bench_function("poll_overhead", |b| {
        b.iter(|| {
            let sealed = SealedContinuation::parse(&first).unwrap();
            let key = rt.block_on(continuations.key_of(sealed.header())).unwrap();
            let body = rt.block_on(continuations.open(&sealed)).unwrap();
            let next = ContinuationBody::new(body.event, body.state, body.recorded_id);
            continuations.seal(&ids(2), &key, &next).unwrap().to_event()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
