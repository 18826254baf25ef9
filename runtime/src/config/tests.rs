//! Unit tests of `config`.

use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn ticket_mode_settings_are_required_and_checked() {
    let good = [
        ("WARDEN_CREDENTIALS", "ticket"),
        ("WARDEN_TICKET_KEY", "alias/t"),
        (
            "WARDEN_WORK_ROLE_ARN",
            "arn:aws:iam::123456789012:role/work",
        ),
        (
            "WARDEN_TICKET_PRINCIPALS",
            "arn:aws:sts::123456789012:assumed-role/ticket/*",
        ),
    ];
    let c = Config::from_env(&env(&good)).unwrap();
    match c.credentials() {
        CredentialMode::Ticket(t) => {
            assert_eq!(t.session_duration, Duration::from_secs(900));
            assert_eq!(t.principals.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    for missing in [
        "WARDEN_TICKET_KEY",
        "WARDEN_WORK_ROLE_ARN",
        "WARDEN_TICKET_PRINCIPALS",
    ] {
        let pairs: Vec<_> = good
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        let err = Config::from_env(&env(&pairs)).unwrap_err().to_string();
        assert!(err.contains(missing), "{err}");
    }
    for (name, value) in [
        ("WARDEN_TICKET_PRINCIPALS", "*"),
        ("WARDEN_TICKET_PRINCIPALS", "arn:*"),
        (
            "WARDEN_TICKET_PRINCIPALS",
            "arn:aws:sts::*:assumed-role/ticket/*",
        ),
        (
            "WARDEN_TICKET_PRINCIPALS",
            "arn:aws:sts::123456789012:assumed-role/*",
        ),
        (
            "WARDEN_TICKET_PRINCIPALS",
            "arn:aws:iam::123456789012:user/alice",
        ),
        ("WARDEN_WORK_ROLE_ARN", "work"),
        ("WARDEN_WORK_SESSION_SECONDS", "60"),
        ("WARDEN_WORK_SESSION_SECONDS", "7200"),
        ("WARDEN_CREDENTIALS", "sometimes"),
    ] {
        let mut pairs: Vec<_> = good.iter().copied().filter(|(k, _)| *k != name).collect();
        pairs.push((name, value));
        let err = Config::from_env(&env(&pairs)).unwrap_err().to_string();
        assert!(err.contains(name), "{name}={value}: {err}");
    }
    assert_eq!(
        Config::from_env(&env(&[("WARDEN_CREDENTIALS", "provider-role")]))
            .unwrap()
            .credentials(),
        &CredentialMode::ProviderRole
    );
}

#[test]
fn defaults_without_variables() {
    assert_eq!(Config::from_env(&env(&[])).unwrap(), Config::default());
}

#[test]
fn every_variable_is_read() {
    let c = Config::from_env(&env(&[
        ("WARDEN_RESPONSE_RESERVE_MS", "1500"),
        ("WARDEN_MAX_EVENT_BYTES", "2048"),
        ("WARDEN_PUT_MAX_ATTEMPTS", "3"),
        ("WARDEN_PUT_ATTEMPT_TIMEOUT_MS", "700"),
        (
            "WARDEN_EXTRA_RESPONSE_HOSTS",
            "aws-us-gov/us-gov-west-1=a.example.com, aws-iso/us-iso-east-1=b.example.com",
        ),
        (
            "WARDEN_ALLOWED_STACK_ACCOUNTS",
            "210987654321, 111122223333",
        ),
        (
            "WARDEN_SNS_TOPICS",
            "arn:aws:sns:us-east-1:123456789012:cfn-requests",
        ),
        (
            "WARDEN_INSECURE_RESPONSE_URL_PREFIX",
            "http://127.0.0.1:9000/",
        ),
    ]))
    .unwrap();
    assert_eq!(
        c.consistency.allowed_stack_accounts,
        ["210987654321", "111122223333"]
    );
    assert_eq!(
        c.consistency.sns_topics,
        ["arn:aws:sns:us-east-1:123456789012:cfn-requests"]
    );
    assert_eq!(c.response_reserve, Duration::from_millis(1500));
    assert_eq!(c.max_event_bytes, 2048);
    assert_eq!(c.retry.max_attempts, 3);
    assert_eq!(c.retry.attempt_timeout, Duration::from_millis(700));
    assert_eq!(
        c.consistency.extra_response_hosts,
        [
            ExtraResponseHost::parse("aws-us-gov/us-gov-west-1=a.example.com").unwrap(),
            ExtraResponseHost::parse("aws-iso/us-iso-east-1=b.example.com").unwrap()
        ]
    );
    assert_eq!(
        c.insecure_response_url_prefix(),
        Some("http://127.0.0.1:9000/")
    );
}

#[test]
fn signing_keys_are_read() {
    let (key, _) = crate::verify::signed::Ed25519SigningKey::generate("k1").unwrap();
    let json = serde_json::to_string(&vec![key.public_config()]).unwrap();
    let c = Config::from_env(&env(&[
        ("WARDEN_SIGNING_KEYS", &json),
        ("WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE", "true"),
    ]))
    .unwrap();
    assert!(c.signing_keys().unwrap().get("k1").is_some());
    assert!(c.allow_expired_signatures_on_delete);
    for (k, v, needle) in [
        ("WARDEN_SIGNING_KEYS", "not json", "warden keygen"),
        ("WARDEN_SIGNING_KEYS", "[]", "holds no key"),
        (
            "WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE",
            "yes",
            "neither true nor false",
        ),
    ] {
        let err = Config::from_env(&env(&[(k, v)])).unwrap_err().to_string();
        assert!(err.contains(k) && err.contains(needle), "{k}={v}: {err}");
    }
}

#[test]
fn cloudtrail_settings_are_read_with_cloudformation_defaults() {
    let c = Config::from_env(&env(&[
        ("WARDEN_CLOUDTRAIL_EVENT_DATA_STORE", "eds-1"),
        (
            "WARDEN_CLOUDTRAIL_PRINCIPALS",
            "arn:aws:sts::123456789012:assumed-role/Deployer/*, arn:aws:iam::123456789012:role/cfn",
        ),
        ("WARDEN_CLOUDTRAIL_REQUIRE_SOURCE_IP", ""),
        ("WARDEN_CLOUDTRAIL_NOT_FOUND", "allow-with-alert"),
    ]))
    .unwrap();
    let ct = c.cloudtrail().unwrap();
    assert_eq!(ct.principals.len(), 2);
    assert_eq!(ct.require_invoked_by, ["cloudformation.amazonaws.com"]);
    assert!(
        ct.require_source_ip.is_empty(),
        "an empty value turns the rule off"
    );
    assert!(ct.allow_when_not_found);
    assert_eq!(ct.budget, Duration::from_secs(300));
    let err = Config::from_env(&env(&[
        ("WARDEN_CLOUDTRAIL_EVENT_DATA_STORE", "e"),
        ("WARDEN_CLOUDTRAIL_NOT_FOUND", "maybe"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.contains("WARDEN_CLOUDTRAIL_NOT_FOUND"), "{err}");
}

#[test]
fn bad_values_are_clear_errors() {
    const HOSTS: &str = "WARDEN_EXTRA_RESPONSE_HOSTS";
    const TOPICS: &str = "WARDEN_SNS_TOPICS";
    const INSECURE: &str = "WARDEN_INSECURE_RESPONSE_URL_PREFIX";
    const SNS_WILDCARD: &str = "arn:aws:sns:us-east-1:123456789012:*";
    const LAMBDA_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:x";
    for (k, v, needle) in [
        ("WARDEN_PUT_MAX_ATTEMPTS", "zero", "whole number"),
        ("WARDEN_PUT_MAX_ATTEMPTS", "0", "at least 1"),
        ("WARDEN_MAX_EVENT_BYTES", "-1", "whole number"),
        (INSECURE, "http://10.1.2.3/", "loopback"),
        (HOSTS, "aws/us-east-1=Evil Host", "host name"),
        // A bare host (the old form) would admit it for every partition and region.
        (HOSTS, "a.example.com", "<partition>/<region>=<host>"),
        (HOSTS, "AWS/us-east-1=a.example.com", "partition or region"),
        ("WARDEN_ALLOWED_STACK_ACCOUNTS", "12345", "12-digit"),
        ("WARDEN_ALLOWED_STACK_ACCOUNTS", "*", "12-digit"),
        (TOPICS, SNS_WILDCARD, "SNS topic ARN"),
        (TOPICS, LAMBDA_ARN, "SNS topic ARN"),
    ] {
        let err = Config::from_env(&env(&[(k, v)])).unwrap_err().to_string();
        assert!(err.contains(k) && err.contains(needle), "{k}={v}: {err}");
    }
}
