//! Request consistency: the first, always-on check.
//!
//! Before a single byte is sent anywhere, the event must agree with itself and with the function
//! that received it:
//! - `ServiceToken` equals the invoked function ARN (or, for a request delivered through SNS,
//!   the topic that delivered it, when that topic is on `WARDEN_SNS_TOPICS`);
//! - the StackId's partition and account equal the function's (another account only when it is
//!   on `WARDEN_ALLOWED_STACK_ACCOUNTS`), its region the function's (or the SNS topic's);
//! - the ResponseURL is `https`, port 443, without userinfo or fragment, on the CloudFormation
//!   response bucket host for the stack's partition and region (or an extra host configured
//!   for exactly that partition and region), with the path
//!   `/<StackId>|<LogicalResourceId>|<RequestId>` and a presigned query.
//!
//! A request failing any of these gets **no PUT at all**: a forged URL is never fetched.
//! For local tests only, an insecure prefix (loopback only) admits URLs under it.

use std::{borrow::Cow, net::IpAddr, time::Instant};

use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};

use super::{Check, Denial, Verdict};
use crate::{
    protocol::{sns::TopicArn, Envelope, FunctionArn, StackArn},
    Error,
};

/// The check's name in the decision log.
pub const CHECK_NAME: &str = "request-consistency";

/// A loopback URL prefix under which response URLs are admitted without the S3 host checks.
/// Test-only: every decision taken while it is set says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsecureResponseUrlPrefix(String);

impl InsecureResponseUrlPrefix {
    /// Accepts `http(s)://<loopback host>[:port]/...` ending with `/`.
    pub fn new(prefix: &str) -> Result<Self, Error> {
        let invalid = |problem: &'static str| Error::InvalidSetting {
            name: "WARDEN_INSECURE_RESPONSE_URL_PREFIX",
            problem,
        };
        let url = url::Url::parse(prefix).map_err(|_| invalid("is not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("scheme is not http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(invalid("must not carry userinfo or a query"));
        }
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        };
        if !loopback {
            return Err(invalid(
                "host is not a loopback address (127.0.0.0/8, ::1, localhost)",
            ));
        }
        if !prefix.ends_with('/') {
            return Err(invalid("must end with /"));
        }
        // Compared with parsed (normalised) URLs, so keep the normalised form: `:80` dropped
        // for http, host lower-cased, `127.1` written out.
        Ok(Self(url.as_str().to_owned()))
    }

    /// The prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Settings of the consistency check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsistencyPolicy {
    /// Test-only loopback prefix.
    pub insecure_prefix: Option<InsecureResponseUrlPrefix>,
    /// Extra exact response hosts, each for one partition and region (for partitions whose
    /// host forms are unverified).
    pub extra_response_hosts: Vec<ExtraResponseHost>,
    /// Stack accounts other than the function's that may use it (cross-account stacks);
    /// empty: only the function's own account.
    pub allowed_stack_accounts: Vec<String>,
    /// SNS topics (exact ARNs) allowed as `ServiceToken` of requests delivered through SNS;
    /// empty: SNS delivery is refused.
    pub sns_topics: Vec<String>,
}

/// An extra response host for one partition and region, written
/// `<partition>/<region>=<host>` (e.g. `aws-us-gov/us-gov-west-1=HOST`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraResponseHost {
    partition: String,
    region: String,
    host: String,
}

impl ExtraResponseHost {
    /// Parses `<partition>/<region>=<host>`; the host is a lowercase DNS name.
    pub fn parse(spec: &str) -> Result<Self, Error> {
        let invalid = |problem: &'static str| Error::InvalidSetting {
            name: "WARDEN_EXTRA_RESPONSE_HOSTS",
            problem,
        };
        let (place, host) = spec.trim().split_once('=').ok_or(invalid(
            "holds an entry that is not <partition>/<region>=<host> (e.g. aws-us-gov/us-gov-west-1=HOST)",
        ))?;
        let (partition, region) = place.split_once('/').ok_or(invalid(
            "holds an entry that is not <partition>/<region>=<host> (e.g. aws-us-gov/us-gov-west-1=HOST)",
        ))?;
        let name = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !name(partition) || !name(region) {
            return Err(invalid(
                "holds a partition or region that is not lowercase letters, digits and hyphens",
            ));
        }
        let plausible = host.contains('.')
            && !host.starts_with('.')
            && !host.ends_with('.')
            && host
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !plausible {
            return Err(invalid("holds something that is not a lowercase host name"));
        }
        Ok(Self {
            partition: partition.to_owned(),
            region: region.to_owned(),
            host: host.to_owned(),
        })
    }

    fn admits(&self, stack: &StackArn, host: &str) -> bool {
        self.partition == stack.partition() && self.region == stack.region() && self.host == host
    }
}

/// The expected CloudFormation response-bucket hosts for a partition and region (FACTS §1).
pub fn response_hosts(partition: &str, region: &str) -> Vec<String> {
    let compact: String = region.chars().filter(|c| *c != '-').collect();
    let bucket = format!("cloudformation-custom-resource-response-{compact}");
    match partition {
        "aws" => vec![
            format!("{bucket}.s3.amazonaws.com"),
            format!("{bucket}.s3-{region}.amazonaws.com"),
            format!("{bucket}.s3.{region}.amazonaws.com"),
        ],
        "aws-cn" => vec![format!("{bucket}.s3.{region}.amazonaws.com.cn")],
        _ => Vec::new(),
    }
}

/// Runs the check on a request that reached `invoked_function_arn` directly (`topic` is
/// `None`) or through the SNS topic `topic`. Returns the record for the decision log and, on
/// failure, the denial.
pub fn check(
    envelope: &Envelope,
    invoked_function_arn: &str,
    topic: Option<&TopicArn>,
    policy: &ConsistencyPolicy,
) -> (Check, Result<(), Denial>) {
    let started = Instant::now();
    let mut evidence = Map::new();
    let result = run(envelope, invoked_function_arn, topic, policy, &mut evidence);
    if let Err(detail) = &result {
        evidence.insert("problem".into(), Value::String(detail.to_string()));
    }
    let check = Check {
        name: Cow::Borrowed(CHECK_NAME),
        verdict: if result.is_ok() {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        evidence,
        latency_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    };
    let denial = result.map_err(|detail| Denial {
        check: Cow::Borrowed(CHECK_NAME),
        detail,
    });
    (check, denial)
}

fn run(
    envelope: &Envelope,
    invoked: &str,
    topic: Option<&TopicArn>,
    policy: &ConsistencyPolicy,
    evidence: &mut Map<String, Value>,
) -> Result<(), Cow<'static, str>> {
    let function = FunctionArn::parse(invoked)
        .map_err(|_| Cow::Borrowed("the invoked function ARN is malformed"))?;
    evidence.insert("function".into(), json!(function.as_str()));
    let token = envelope
        .service_token
        .as_deref()
        .map_err(|p| Cow::Borrowed(*p))?;
    // Who the request names as its service: the invoked function, or the SNS topic that
    // delivered it (opt-in, exact ARNs).
    let (service, service_region) = match topic {
        None => (function.as_str(), function.region()),
        Some(topic) => {
            evidence.insert("delivery".into(), json!("sns"));
            evidence.insert("topic".into(), json!(topic.as_str()));
            if policy.sns_topics.is_empty() {
                return Err("the request came through SNS, but no topic is allowed (WARDEN_SNS_TOPICS is not set)".into());
            }
            if !policy.sns_topics.iter().any(|t| t == topic.as_str()) {
                return Err(
                    "the SNS topic that delivered the request is not on WARDEN_SNS_TOPICS".into(),
                );
            }
            if topic.partition() != function.partition() {
                return Err("the SNS topic's partition differs from the function's".into());
            }
            (topic.as_str(), topic.region())
        }
    };
    if token != service {
        evidence.insert(
            "service_token".into(),
            json!(crate::protocol::truncate_for_message(token)),
        );
        return Err(match topic {
            None => "ServiceToken does not equal the invoked function ARN".into(),
            Some(_) => {
                "ServiceToken does not equal the SNS topic that delivered the request".into()
            }
        });
    }
    // Legitimate ids are short and plain. Bounding them here keeps every answer within the
    // 4096-byte budget (they are copied into it) and keeps forged text out of responses.
    let request_id_ok = (1..=256).contains(&envelope.request_id.len())
        && envelope
            .request_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !request_id_ok {
        return Err("RequestId is not 1-256 letters, digits and hyphens".into());
    }
    let logical_ok = (1..=255).contains(&envelope.logical_resource_id.len())
        && envelope
            .logical_resource_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric());
    if !logical_ok {
        return Err("LogicalResourceId is not 1-255 letters and digits".into());
    }
    let stack = StackArn::parse(&envelope.stack_id).map_err(|e| Cow::Owned(e.to_string()))?;
    evidence.insert("stack_account".into(), json!(stack.account()));
    evidence.insert("stack_region".into(), json!(stack.region()));
    if stack.partition() != function.partition() {
        return Err("StackId partition differs from the function's".into());
    }
    if stack.account() != function.account() {
        if !policy
            .allowed_stack_accounts
            .iter()
            .any(|a| a == stack.account())
        {
            return Err("StackId account differs from the function's (a cross-account stack must be on WARDEN_ALLOWED_STACK_ACCOUNTS)".into());
        }
        evidence.insert("cross_account".into(), json!(true));
    }
    if stack.region() != service_region {
        return Err(match topic {
            None => "StackId region differs from the function's".into(),
            Some(_) => "StackId region differs from the SNS topic's".into(),
        });
    }
    check_response_url(envelope, &stack, policy, evidence)
}

fn check_response_url(
    envelope: &Envelope,
    stack: &StackArn,
    policy: &ConsistencyPolicy,
    evidence: &mut Map<String, Value>,
) -> Result<(), Cow<'static, str>> {
    let url = envelope.response_url.expose();
    evidence.insert(
        "response_host".into(),
        json!(envelope.response_url.host_for_log()),
    );
    if let Some(prefix) = &policy.insecure_prefix {
        if url.as_str().starts_with(prefix.as_str()) {
            evidence.insert(
                "insecure_response_url_prefix".into(),
                json!(prefix.as_str()),
            );
            return Ok(());
        }
    }
    if url.scheme() != "https" {
        return Err("ResponseURL is not https".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("ResponseURL carries userinfo".into());
    }
    if url.port().is_some_and(|p| p != 443) {
        return Err("ResponseURL port is not 443".into());
    }
    if url.fragment().is_some() {
        return Err("ResponseURL carries a fragment".into());
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d,
        Some(_) => return Err("ResponseURL host is an IP address".into()),
        None => return Err("ResponseURL has no host".into()),
    };
    let allowed = response_hosts(stack.partition(), stack.region())
        .iter()
        .any(|h| h == host)
        || policy
            .extra_response_hosts
            .iter()
            .any(|extra| extra.admits(stack, host));
    if !allowed {
        return Err(
            "ResponseURL host is not the CloudFormation response bucket of the stack's region"
                .into(),
        );
    }
    let path = percent_decode_str(url.path())
        .decode_utf8()
        .map_err(|_| "ResponseURL path is not UTF-8")?;
    let expected_path = format!(
        "/{}|{}|{}",
        envelope.stack_id, envelope.logical_resource_id, envelope.request_id
    );
    if path != expected_path {
        return Err("ResponseURL path is not <StackId>|<LogicalResourceId>|<RequestId>".into());
    }
    let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let has = |k: &str| keys.iter().any(|x| x == k);
    let sigv4 = has("X-Amz-Algorithm") && has("X-Amz-Credential") && has("X-Amz-Signature");
    let legacy = has("AWSAccessKeyId") && has("Expires") && has("Signature");
    if !(sigv4 || legacy) {
        return Err("ResponseURL has no presigned query".into());
    }
    evidence.insert(
        "presign".into(),
        json!(if sigv4 { "sigv4" } else { "legacy" }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
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
            extra_response_hosts: vec![ExtraResponseHost::parse(
                "aws/us-east-1=responses.example.com",
            )
            .unwrap()],
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
}
