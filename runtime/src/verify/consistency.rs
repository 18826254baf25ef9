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
mod tests;
