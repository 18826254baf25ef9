//! Exact ARNs for session policies: built from a property value, a wildcard there would widen
//! what the handler declares (`parameter/*` instead of one parameter), so these refuse `*` and
//! `?` and anything that is not a well-formed ARN.

use std::fmt;

use crate::{protocol::bounded, Error};

/// An ARN with no wildcard: safe to build from a property value and give to
/// [`super::SessionPolicyBuilder::allow`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactArn(String);

impl ExactArn {
    /// Checks a full ARN (`arn:partition:service:region:account:resource`): six parts, a
    /// service and a resource, and no `*`, `?` or control character anywhere.
    pub fn parse(arn: &str) -> Result<Self, Error> {
        let invalid = |problem: &'static str| Error::InvalidExactArn {
            arn: bounded(arn, 128),
            problem,
        };
        if arn.contains(['*', '?']) {
            return Err(invalid("holds a wildcard"));
        }
        if arn.chars().any(char::is_control) {
            return Err(invalid("holds a control character"));
        }
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        match parts.as_slice() {
            ["arn", partition, service, _, _, resource]
                if !partition.is_empty() && !service.is_empty() && !resource.is_empty() =>
            {
                Ok(Self(arn.to_owned()))
            }
            _ => Err(invalid(
                "is not arn:<partition>:<service>:<region>:<account>:<resource>",
            )),
        }
    }

    /// The ARN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExactArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ExactArn> for String {
    fn from(arn: ExactArn) -> Self {
        arn.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_arns_refuse_wildcards_and_malformed_input() {
        assert!(ExactArn::parse("arn:aws:ssm:eu-west-1:123456789012:parameter/app/url").is_ok());
        assert!(ExactArn::parse("arn:aws:iam::123456789012:role/app").is_ok());
        for bad in [
            "arn:aws:ssm:eu-west-1:123456789012:parameter/*",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/ap?",
            "arn:aws:ssm:eu-west-1:123456789012:",
            "arn:aws:ssm:eu-west-1",
            "aws:ssm:eu-west-1:123456789012:parameter/x:y",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/a\nb",
        ] {
            let e = ExactArn::parse(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidExactArn { .. }), "{bad}: {e}");
        }
    }
}
