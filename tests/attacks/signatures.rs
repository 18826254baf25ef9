//! Attacks on signed properties: forged, tampered, foreign or stale signatures, and replays.

use std::time::{Duration, SystemTime};

use serde_json::json;
use warden_e2e::{CfnEvent, TICKET_STACK};

use crate::arena::{Arena, LOGICAL_ID, TARGET, TYPE};

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn signature_attacks_are_refused_before_any_work() {
    let mut arena = Arena::start("signatures", &[]).await;
    arena.accept_legitimate("legit-signatures").await;
    let now = SystemTime::now();
    let valid = (now, now + HOUR);
    let props = arena.properties(TARGET);

    // Forged unsigned event: the right ticket, no signature.
    let mut unsigned = props.clone();
    unsigned["WardenTicket"] = json!(arena.ticket);

    // Tampered signed property: signed for one role, sent with another.
    let mut tampered = arena.signed(&arena.key, &props, TICKET_STACK, LOGICAL_ID, valid);
    tampered["Role"] = json!("arn:aws:iam::123456789012:role/admin");

    // Signed by a key the provider does not know, and by a retired key.
    let unknown = arena.signed(&arena.stranger, &props, TICKET_STACK, LOGICAL_ID, valid);
    let retired = arena.signed(&arena.retired, &props, TICKET_STACK, LOGICAL_ID, valid);

    // Expired: valid yesterday.
    let expired = arena.signed(
        &arena.key,
        &props,
        TICKET_STACK,
        LOGICAL_ID,
        (now - 2 * HOUR * 24, now - HOUR * 24),
    );

    // Replays: a signature for another stack, and one for another logical id.
    let other_stack = arena.signed(&arena.key, &props, "another-stack", LOGICAL_ID, valid);
    let other_id = arena.signed(&arena.key, &props, TICKET_STACK, "Other", valid);

    // A property shadowing a framework key (case variant): not signed, so refused.
    let mut shadow = arena.signed(&arena.key, &props, TICKET_STACK, LOGICAL_ID, valid);
    shadow["wardenSignature"] = json!("x");

    // (attack, properties, a part of the refusal's detail).
    let cases = [
        ("forged unsigned", unsigned, "no WardenSignature property"),
        ("tampered property", tampered, "property `Role` differs"),
        ("unknown key", unknown, "signing key id is not configured"),
        ("retired key", retired, "the signing key is retired"),
        ("expired signature", expired, "the signature has expired"),
        ("other stack", other_stack, "for another stack"),
        ("other logical id", other_id, "for another logical id"),
        ("framework key shadowed", shadow, "wardenSignature"),
    ];
    for (attack, properties, reason) in cases {
        let event = arena
            .session
            .prepare(CfnEvent::create(TYPE, LOGICAL_ID, properties));
        let secret = event.signature().to_owned();
        let (exchange, line) = arena.send(event.to_bytes()).await;
        assert_eq!(line["decision"], "deny", "{attack}: {line}");
        arena
            .assert_refused(attack, &exchange, &line, reason, &[&secret])
            .await;
    }
}
