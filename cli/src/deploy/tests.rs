//! Unit tests of `deploy`.

#![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

use super::*;

#[test]
fn key_values_split_at_the_first_equals_sign() {
    let kv: KeyValue = "Policy=a=b".parse().unwrap();
    assert_eq!((kv.key.as_str(), kv.value.as_str()), ("Policy", "a=b"));
    let empty: KeyValue = "Empty=".parse().unwrap();
    assert_eq!(empty.value, "");
    assert!("=x".parse::<KeyValue>().is_err());
    assert!("novalue".parse::<KeyValue>().is_err());
    let secret: KeyValue = "HelloTicket=wt1.sealed".parse().unwrap();
    let shown = format!("{secret:?}");
    assert!(
        shown.contains("HelloTicket") && !shown.contains("wt1.sealed"),
        "{shown}"
    );
}

#[test]
fn templates_name_their_custom_resources_and_parameters() {
    let t = "Parameters:\n  Token: {Type: String}\nResources:\n  A:\n    Type: Custom::X\n    Properties: {ServiceToken: !Ref Token}\n  B:\n    Type: AWS::SNS::Topic\n";
    assert_eq!(custom_resource_ids(t).unwrap(), vec!["A".to_owned()]);
    assert_eq!(
        declared_parameters(&Template::parse(t).unwrap()).unwrap(),
        HashSet::from(["Token".to_owned()])
    );
}

#[test]
fn unreadable_parameter_and_soon_expiring_tickets_need_a_refresh() {
    let t = "Parameters:\n  CTicket: {Type: String, NoEcho: true}\nResources:\n  A:\n    Type: Custom::X\n    Properties: {ServiceToken: x, WardenTicket: not-a-ticket}\n  B:\n    Type: Custom::X\n    Properties: {ServiceToken: x}\n  C:\n    Type: Custom::X\n    Properties: {ServiceToken: x, WardenTicket: !Ref CTicket}\n";
    let tickets = ticket_expiries(t).unwrap();
    assert_eq!(
        tickets,
        [
            ("A".to_owned(), Expiry::Unreadable),
            ("C".to_owned(), Expiry::Parameter)
        ]
    );
    let now = SystemTime::now();
    let described = expiring(
        tickets.iter().map(|(id, e)| (id.as_str(), *e)),
        now,
        TICKET_MARGIN,
    );
    assert_eq!(
        described.as_deref(),
        Some("A (unreadable), C (a parameter: expiry unknown)")
    );
    let soon = Expiry::At(now + Duration::from_secs(60));
    let later = Expiry::At(now + 2 * TICKET_MARGIN);
    let described = expiring([("S", soon), ("L", later)], now, TICKET_MARGIN).unwrap();
    assert!(
        described.starts_with("S (until ") && !described.contains('L'),
        "{described}"
    );
    assert!(ticket_expiries("Resources: {}").unwrap().is_empty());
}

#[test]
fn delete_renews_what_would_be_refused_or_says_which_option_is_missing() {
    let plan = |t: Option<&str>, s: Option<&str>, seal: bool, sign: bool, allow: bool| {
        plan_renewal(t, s, seal, sign, allow).map_err(|e| e.to_string())
    };
    let (t, s) = (Some("A (until T)"), Some("B (until T)"));
    assert_eq!(plan(None, None, false, false, false), Ok((false, false)));
    assert_eq!(plan(t, None, true, false, false), Ok((true, false)));
    assert_eq!(plan(None, s, false, true, false), Ok((false, true)));
    assert_eq!(
        plan(t, s, true, true, true),
        Ok((true, true)),
        "the refresh needs them"
    );
    assert_eq!(
        plan(None, s, false, false, true),
        Ok((false, false)),
        "accepted on Delete"
    );
    let err = plan(t, None, false, true, false).unwrap_err();
    assert!(
        err.contains("tickets of A (until T)") && err.contains("--ticket-role and --key"),
        "{err}"
    );
    let err = plan(t, s, true, false, true).unwrap_err();
    assert!(
        err.contains("Update that refreshes the tickets") && !err.contains("--allow-expired"),
        "{err}"
    );
    let err = plan(None, s, true, false, false).unwrap_err();
    assert!(
        err.contains("Delete requests") && err.contains("--allow-expired-signatures"),
        "{err}"
    );
}

#[test]
fn sealed_ticket_parameters_join_the_given_ones_but_never_replace_them() {
    let given = |k: &str| KeyValue {
        key: k.into(),
        value: "v".into(),
    };
    let mut parameters = vec![given("Env")];
    add_ticket_parameters(
        &mut parameters,
        vec![(
            "HelloTicket".into(),
            cfn_warden::Secret::new("wt1.x".into()),
        )],
    )
    .unwrap();
    assert_eq!(
        parameters,
        [
            given("Env"),
            KeyValue {
                key: "HelloTicket".into(),
                value: "wt1.x".into()
            }
        ]
    );
    let err = add_ticket_parameters(
        &mut parameters,
        vec![("Env".into(), cfn_warden::Secret::new("wt1.y".into()))],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("Env carries a WardenTicket"), "{err}");
}
