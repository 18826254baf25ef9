//! Attacks on sealed tickets: a ticket for another stack, expired, tampered or from another
//! account. Each request is otherwise legitimate (validly signed), so the ticket is what is
//! refused.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde_json::json;
use warden_e2e::{rewrite_ticket, CfnEvent, TICKET_STACK};

use crate::arena::{Arena, LOGICAL_ID, TARGET, TYPE};

#[tokio::test]
async fn ticket_attacks_are_refused_before_any_work() {
    let mut arena = Arena::start("tickets", &[]).await;
    arena.accept_legitimate("legit-tickets").await;
    let role = arena.world.ticket_role();
    let other_stack = arena
        .world
        .seal_for_stack("another-stack", LOGICAL_ID, &role)
        .await;
    let other_account = arena
        .world
        .seal(
            LOGICAL_ID,
            "arn:aws:iam::111111111111:role/cfn-warden-ticket",
        )
        .await;
    let expired = rewrite_ticket(&arena.ticket, &|b| b["x"] = json!(1_700_000_000u64));
    let tampered = rewrite_ticket(&arena.ticket, &|b| {
        let engine = base64::engine::general_purpose::STANDARD;
        let mut c = engine.decode(b["c"].as_str().unwrap()).unwrap();
        c[0] ^= 1;
        b["c"] = json!(engine.encode(c));
    });
    let now = SystemTime::now();
    let signed = arena.signed(
        &arena.key,
        &arena.properties(TARGET),
        TICKET_STACK,
        LOGICAL_ID,
        (now, now + Duration::from_secs(3600)),
    );
    let cases = [
        ("other stack", other_stack, "another stack or logical id"),
        ("other account", other_account, "another account"),
        ("expired ticket", expired, "expired"),
        ("tampered ticket", tampered, "does not open"),
    ];
    for (attack, ticket, reason) in cases {
        let mut properties = signed.clone();
        properties["WardenTicket"] = json!(ticket);
        let event = arena
            .session
            .prepare(CfnEvent::create(TYPE, LOGICAL_ID, properties));
        let secret = event.signature().to_owned();
        let (exchange, line) = arena.send(event.to_bytes()).await;
        arena
            .assert_refused(attack, &exchange, &line, reason, &[&secret, &ticket])
            .await;
    }
}
