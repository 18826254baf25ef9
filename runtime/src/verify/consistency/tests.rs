//! Unit tests of `consistency`.

use super::*;
use crate::protocol::ResponseUrl;

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/5b6a-11ef";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:provider";

fn good_url() -> String {
    let raw = format!("{STACK}|Res|req-1");
    let path = percent_encoding::utf8_percent_encode(&raw, percent_encoding::NON_ALPHANUMERIC);
    format!(
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/{path}\
         ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261122T000000Z&X-Amz-SignedHeaders=host\
         &X-Amz-Expires=7200&X-Amz-Credential=AKIA%2F20261122%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Signature=abc123"
    )
}

fn envelope(url: &str) -> Envelope {
    Envelope {
        response_url: ResponseUrl::parse(url).unwrap(),
        stack_id: STACK.into(),
        request_id: "req-1".into(),
        logical_resource_id: "Res".into(),
        service_token: Ok(FUNCTION.into()),
        request_type: Some("Create".into()),
        resource_type: Some("Custom::X".into()),
        physical_resource_id: None,
    }
}

fn verdict(e: &Envelope, policy: &ConsistencyPolicy) -> Result<(), String> {
    check(e, FUNCTION, None, policy)
        .1
        .map_err(|d| d.detail.into_owned())
}

#[test]
fn genuine_request_passes_in_every_host_form() {
    let p = ConsistencyPolicy::default();
    assert_eq!(verdict(&envelope(&good_url()), &p), Ok(()));
    for host in [
        "cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com",
        "cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com",
    ] {
        let url = good_url().replace(
            "cloudformation-custom-resource-response-useast1.s3.amazonaws.com",
            host,
        );
        assert_eq!(verdict(&envelope(&url), &p), Ok(()), "{host}");
    }
    let legacy = good_url().split('?').next().unwrap().to_owned()
        + "?AWSAccessKeyId=AKIA&Expires=1700000000&Signature=abc%3D";
    assert_eq!(verdict(&envelope(&legacy), &p), Ok(()));
}

#[test]
fn forged_urls_are_refused() {
    let p = ConsistencyPolicy::default();
    let good = good_url();
    let host = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com";
    let cases = [
        (good.replacen("https://", "http://", 1), "not https"),
        (good.replace(host, "evil.example.com"), "host"),
        (
            good.replace(host, &host.replace("useast1", "euwest1")),
            "host",
        ),
        (good.replace(host, "169.254.169.254"), "IP address"),
        (good.replace(host, "[::1]"), "IP address"),
        (good.replace(host, &format!("user:pw@{host}")), "userinfo"),
        (good.replace(host, &format!("{host}:8443")), "port"),
        (good.replace(host, &format!("{host}.")), "host"),
        (
            good.replace(host, &host.replace("response", "respönse")),
            "host",
        ),
        (good.replace("%7Creq%2D1", "%7Creq%2D2"), "path"),
        (good.replace("%7CRes%7C", "%257CRes%257C"), "path"),
        (good.split('?').next().unwrap().to_owned(), "presigned"),
        (good.clone() + "#frag", "fragment"),
    ];
    for (url, expected) in cases {
        let got = verdict(&envelope(&url), &p).expect_err(&url);
        assert!(got.contains(expected), "{url}: {got}");
    }
}

#[test]
fn explicit_port_443_is_accepted() {
    let host = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com";
    let url = good_url().replace(host, &format!("{host}:443"));
    assert_eq!(
        verdict(&envelope(&url), &ConsistencyPolicy::default()),
        Ok(())
    );
}

#[test]
fn service_token_and_stack_must_match_the_function() {
    let p = ConsistencyPolicy::default();
    let mut e = envelope(&good_url());
    e.service_token = Ok("arn:aws:lambda:us-east-1:123456789012:function:other".into());
    assert!(verdict(&e, &p).unwrap_err().contains("ServiceToken"));
    let mut e = envelope(&good_url());
    e.service_token = Err("ServiceToken is missing");
    assert!(verdict(&e, &p).unwrap_err().contains("missing"));
    let mut e = envelope(&good_url());
    e.stack_id = STACK.replace("123456789012", "210987654321");
    assert!(verdict(&e, &p).unwrap_err().contains("account"));
    let mut e = envelope(&good_url());
    e.stack_id = STACK.replace("us-east-1", "us-west-2");
    assert!(verdict(&e, &p).unwrap_err().contains("region"));
    assert!(check(&envelope(&good_url()), "not-an-arn", None, &p)
        .1
        .is_err());
}

#[test]
fn cross_account_stacks_only_from_listed_accounts() {
    let other = STACK.replace("123456789012", "210987654321");
    let raw = format!("{other}|Res|req-1");
    let path = percent_encoding::utf8_percent_encode(&raw, percent_encoding::NON_ALPHANUMERIC);
    let url = good_url().replacen(
        &good_url()[good_url().find(".com/").unwrap() + 5..good_url().find('?').unwrap()],
        &path.to_string(),
        1,
    );
    let mut e = envelope(&url);
    e.stack_id = other;
    let err = verdict(&e, &ConsistencyPolicy::default()).unwrap_err();
    assert!(err.contains("WARDEN_ALLOWED_STACK_ACCOUNTS"), "{err}");
    let allowed = ConsistencyPolicy {
        allowed_stack_accounts: vec!["210987654321".into()],
        ..Default::default()
    };
    let (c, r) = check(&e, FUNCTION, None, &allowed);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(c.evidence["cross_account"], true);
    // The response host still follows the stack's partition and region.
    let moved = envelope(&url.replace("useast1", "euwest1"));
    let mut moved = moved;
    moved.stack_id = e.stack_id.clone();
    assert!(verdict(&moved, &allowed).unwrap_err().contains("host"));
}

#[test]
fn extra_response_hosts_apply_to_their_partition_and_region_only() {
    let host = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com";
    let url = good_url().replace(host, "responses.example.com");
    let e = envelope(&url);
    let for_here = ConsistencyPolicy {
        extra_response_hosts: vec![
            ExtraResponseHost::parse("aws/us-east-1=responses.example.com").unwrap(),
        ],
        ..Default::default()
    };
    assert_eq!(verdict(&e, &for_here), Ok(()));
    for elsewhere in [
        "aws/us-west-2=responses.example.com",
        "aws-us-gov/us-east-1=responses.example.com",
        "aws/us-east-1=other.example.com",
    ] {
        let p = ConsistencyPolicy {
            extra_response_hosts: vec![ExtraResponseHost::parse(elsewhere).unwrap()],
            ..Default::default()
        };
        assert!(verdict(&e, &p).unwrap_err().contains("host"), "{elsewhere}");
    }
    for bad in [
        "responses.example.com",
        "aws=responses.example.com",
        "aws/us-east-1=",
        "aws/us-east-1=Responses.example.com",
        "aws/us-east-1=.example.com",
    ] {
        assert!(ExtraResponseHost::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn ids_that_could_not_be_cloudformation_s_are_refused() {
    let p = ConsistencyPolicy::default();
    let mut e = envelope(&good_url());
    e.request_id = "req\u{1}".into();
    assert!(verdict(&e, &p).unwrap_err().contains("RequestId"));
    let mut e = envelope(&good_url());
    e.request_id = "a".repeat(257);
    assert!(verdict(&e, &p).unwrap_err().contains("RequestId"));
    let mut e = envelope(&good_url());
    e.logical_resource_id = "Has-Hyphen".into();
    assert!(verdict(&e, &p).unwrap_err().contains("LogicalResourceId"));
}

#[test]
fn china_partition_host() {
    let stack = "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/demo/5b6a";
    let function = "arn:aws-cn:lambda:cn-north-1:123456789012:function:provider";
    let raw = format!("{stack}|Res|req-1");
    let path = percent_encoding::utf8_percent_encode(&raw, percent_encoding::NON_ALPHANUMERIC);
    let url = format!(
        "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/{path}?AWSAccessKeyId=a&Expires=1&Signature=s"
    );
    let mut e = envelope(&url);
    e.stack_id = stack.into();
    e.service_token = Ok(function.into());
    assert!(check(&e, function, None, &ConsistencyPolicy::default())
        .1
        .is_ok());
}

#[test]
fn insecure_prefix_admits_only_urls_under_it_and_only_loopback() {
    let prefix = InsecureResponseUrlPrefix::new("http://127.0.0.1:8123/").unwrap();
    let p = ConsistencyPolicy {
        insecure_prefix: Some(prefix),
        ..Default::default()
    };
    let (c, r) = check(&envelope("http://127.0.0.1:8123/cfn/x"), FUNCTION, None, &p);
    assert!(r.is_ok());
    assert_eq!(
        c.evidence["insecure_response_url_prefix"],
        "http://127.0.0.1:8123/"
    );
    assert!(verdict(&envelope("http://127.0.0.1:9999/cfn/x"), &p).is_err());
    assert!(verdict(&envelope("http://127.0.0.1:8123@evil.com/cfn/"), &p).is_err());
    for bad in [
        "http://10.0.0.1/",
        "https://example.com/",
        "http://127.0.0.1:8123",
        "ftp://127.0.0.1/",
        "http://u@127.0.0.1/",
    ] {
        assert!(InsecureResponseUrlPrefix::new(bad).is_err(), "{bad}");
    }
    assert!(InsecureResponseUrlPrefix::new("http://localhost:80/x/").is_ok());
    // Prefixes are normalised like the URLs they are compared with.
    for (prefix, url) in [
        ("http://[::1]:80/", "http://[::1]/cfn/x"),
        ("http://LOCALHOST:8123/", "http://localhost:8123/cfn/x"),
        ("http://127.1:8123/", "http://127.0.0.1:8123/cfn/x"),
    ] {
        let p = ConsistencyPolicy {
            insecure_prefix: Some(InsecureResponseUrlPrefix::new(prefix).unwrap()),
            ..Default::default()
        };
        assert_eq!(verdict(&envelope(url), &p), Ok(()), "{prefix} vs {url}");
    }
}
