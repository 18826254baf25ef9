//! Arbitrary `WardenTicket` tokens and declared session policies: parsing never panics, a parsed
//! ticket re-encodes to a token that parses to the same ticket, and a policy that passes the
//! checks has no wildcard action, no negated element and fits the STS limit.
#![no_main]

use cfn_warden::{
    credentials::{ticket::SealedTicket, SessionPolicy},
    session_policy::MAX_POLICY_CHARS,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(ticket) = SealedTicket::parse(text) {
        let again = SealedTicket::parse(&ticket.to_token()).expect("a re-encoded ticket parses");
        assert_eq!(again, ticket);
    }
    let Ok(document) = serde_json::from_str::<serde_json::Value>(text) else { return };
    if let Ok(policy) = SessionPolicy::parse(&document) {
        let json = policy.to_json();
        assert!(json.chars().count() <= MAX_POLICY_CHARS);
        assert!(!json.contains("NotAction") && !json.contains("NotResource"));
        for action in policy.actions() {
            assert!(!action.contains(['*', '?']), "{action}");
        }
    }
});
