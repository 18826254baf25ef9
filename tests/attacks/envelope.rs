//! Attacks on the event envelope: a ServiceToken naming another function, an oversized event,
//! deeply nested JSON. The provider keeps serving after each.

use serde_json::json;

use crate::arena::{function_arn, Arena, TARGET};

#[tokio::test]
async fn envelope_attacks_are_refused_and_the_provider_keeps_serving() {
    let mut arena = Arena::start("envelope", &[]).await;
    arena.accept_legitimate("legit-envelope-1").await;

    // ServiceToken mismatch: an event meant for another function, replayed at this one.
    let mut event = arena.legitimate(TARGET).to_value();
    let other = function_arn("some-other-provider");
    event["ServiceToken"] = json!(other);
    event["ResourceProperties"]["ServiceToken"] = json!(other);
    let (exchange, line) = arena.send(serde_json::to_vec(&event).unwrap()).await;
    assert!(
        exchange.puts.is_empty(),
        "a mismatched ServiceToken gets no answer"
    );
    arena
        .assert_refused(
            "ServiceToken mismatch",
            &exchange,
            &line,
            "ServiceToken",
            &[],
        )
        .await;

    // Oversized: 1.1 MiB of padding in a property (the limit is 1 MiB).
    let mut event = arena.legitimate(TARGET).to_value();
    event["ResourceProperties"]["Padding"] = json!("x".repeat(1_150_000));
    let (exchange, line) = arena.send(serde_json::to_vec(&event).unwrap()).await;
    arena
        .assert_refused("oversized event", &exchange, &line, "bytes", &[])
        .await;

    // Deeply nested JSON: 100,000 levels of arrays inside the properties.
    let legitimate = arena.legitimate(TARGET).to_bytes();
    let text = String::from_utf8(legitimate).unwrap();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let nested = text.replacen("\"Handler\":", &format!("\"Deep\":{deep},\"Handler\":"), 1);
    assert!(nested.len() > 200_000);
    let (exchange, line) = arena.send(nested.into_bytes()).await;
    assert!(exchange.puts.is_empty(), "unparseable events get no answer");
    arena
        .assert_refused("deeply nested JSON", &exchange, &line, "not JSON", &[])
        .await;

    // Still serving, and still accepting what is legitimate.
    arena.accept_legitimate("legit-envelope-2").await;
}
