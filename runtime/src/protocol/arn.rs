//! The two ARNs the protocol carries: the stack's and the invoked function's.

use std::fmt;

use crate::Error;

/// What every parsed ARN type holds: the text as received and its partition, region and
/// account, each checked.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct ArnHead {
    pub(super) raw: String,
    pub(super) partition: String,
    pub(super) region: String,
    pub(super) account: String,
}

impl ArnHead {
    /// Checks `partition`, `region` and `account`, in that order; the first problem is the
    /// error.
    pub(super) fn checked(
        raw: &str,
        partition: &str,
        region: &str,
        account: &str,
    ) -> Result<Self, &'static str> {
        check_partition(partition)?;
        check_region(region)?;
        check_account(account)?;
        Ok(Self {
            raw: raw.to_owned(),
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
        })
    }
}

/// The accessors every parsed ARN type has over its `head` ([`ArnHead`]); `$what` names what
/// the ARN identifies, for the docs.
macro_rules! arn_accessors {
    ($what:literal) => {
        /// The whole ARN as received.
        pub fn as_str(&self) -> &str {
            &self.head.raw
        }
        #[doc = concat!("The ", $what, "'s partition: `aws`, `aws-cn`, `aws-us-gov`, ...")]
        pub fn partition(&self) -> &str {
            &self.head.partition
        }
        #[doc = concat!("The ", $what, "'s region.")]
        pub fn region(&self) -> &str {
            &self.head.region
        }
        #[doc = concat!("The ", $what, "'s account id (12 digits).")]
        pub fn account(&self) -> &str {
            &self.head.account
        }
    };
}
pub(super) use arn_accessors;

/// `Debug` and `Display` that show an ARN type as its text, as received.
macro_rules! arn_formats_as_text {
    ($type:ty) => {
        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.head.raw)
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.head.raw)
            }
        }
    };
}

/// A parsed CloudFormation stack ARN:
/// `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>`.
#[derive(Clone, PartialEq, Eq)]
pub struct StackArn {
    head: ArnHead,
    name: String,
}

impl StackArn {
    /// Parses a stack ARN; every part is checked.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let invalid = |problem: &'static str| Error::InvalidStackId { problem };
        let mut parts = raw.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("cloudformation"), Some(region), Some(account)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid(
                "not an arn:<partition>:cloudformation:<region>:<account>:... ARN",
            ));
        };
        let resource = parts.next().ok_or_else(|| invalid("no resource part"))?;
        let head = ArnHead::checked(raw, partition, region, account).map_err(invalid)?;
        let mut resource_parts = resource.splitn(3, '/');
        let (Some("stack"), Some(name), Some(id)) = (
            resource_parts.next(),
            resource_parts.next(),
            resource_parts.next(),
        ) else {
            return Err(invalid("resource part is not stack/<name>/<id>"));
        };
        let name_ok = !name.is_empty()
            && name.len() <= 128
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !name_ok {
            return Err(invalid(
                "stack name is not 1-128 letters, digits and hyphens",
            ));
        }
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !id_ok {
            return Err(invalid(
                "stack id suffix is not 1-64 letters, digits and hyphens",
            ));
        }
        Ok(Self {
            head,
            name: name.to_owned(),
        })
    }

    arn_accessors!("stack");
    /// The stack's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

arn_formats_as_text!(StackArn);

/// A parsed Lambda function ARN, optionally qualified:
/// `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
#[derive(Clone, PartialEq, Eq)]
pub struct FunctionArn {
    head: ArnHead,
    name: String,
    qualifier: Option<String>,
}

impl FunctionArn {
    /// Parses a function ARN; every part is checked.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let invalid = |problem: &'static str| Error::InvalidFunctionArn { problem };
        let parts: Vec<&str> = raw.split(':').collect();
        let (partition, region, account, name, qualifier) = match parts.as_slice() {
            ["arn", partition, "lambda", region, account, "function", name] => {
                (*partition, *region, *account, *name, None)
            }
            ["arn", partition, "lambda", region, account, "function", name, qualifier] => {
                (*partition, *region, *account, *name, Some(*qualifier))
            }
            _ => {
                return Err(invalid(
                    "not an arn:<partition>:lambda:<region>:<account>:function:<name> ARN",
                ))
            }
        };
        let head = ArnHead::checked(raw, partition, region, account).map_err(invalid)?;
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(invalid(
                "function name is not 1-64 letters, digits, - and _",
            ));
        }
        if let Some(q) = qualifier {
            let ok = !q.is_empty()
                && q.len() <= 128
                && q.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$');
            if !ok {
                return Err(invalid("function qualifier is not a version or alias"));
            }
        }
        Ok(Self {
            head,
            name: name.to_owned(),
            qualifier: qualifier.map(str::to_owned),
        })
    }

    arn_accessors!("function");
    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The version or alias, when the ARN is qualified.
    pub fn qualifier(&self) -> Option<&str> {
        self.qualifier.as_deref()
    }
}

arn_formats_as_text!(FunctionArn);

pub(super) fn check_partition(p: &str) -> Result<(), &'static str> {
    let ok = p.starts_with("aws") && p.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    if ok {
        Ok(())
    } else {
        Err("partition is not aws, aws-cn, aws-us-gov or another aws-* name")
    }
}

pub(super) fn check_region(r: &str) -> Result<(), &'static str> {
    let ok = (4..=32).contains(&r.len())
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && r.contains('-')
        && !r.starts_with('-')
        && !r.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("region is not of the form xx-name-1")
    }
}

pub(super) fn check_account(a: &str) -> Result<(), &'static str> {
    if a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err("account is not 12 digits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_arn_parts() {
        let s = StackArn::parse(
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/My-Stack/6b2bd1a0-1a2b-11ef-9c3d-0a1b2c3d4e5f",
        )
        .unwrap();
        assert_eq!(s.partition(), "aws");
        assert_eq!(s.region(), "eu-west-1");
        assert_eq!(s.account(), "123456789012");
        assert_eq!(s.name(), "My-Stack");
    }

    #[test]
    fn stack_arn_rejects_bad_parts() {
        for bad in [
            "",
            "arn:aws:lambda:eu-west-1:123456789012:stack/a/b",
            "arn:aws:cloudformation:eu-west-1:12345678901:stack/a/b",
            "arn:aws:cloudformation:EU:123456789012:stack/a/b",
            "arn:aws:cloudformation:eu-west-1:123456789012:stackset/a/b",
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/1a/b",
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/a",
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/a/b|x",
            "arn:evil:cloudformation:eu-west-1:123456789012:stack/a/b",
        ] {
            assert!(StackArn::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn function_arn_with_and_without_qualifier() {
        let f = FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:hello").unwrap();
        assert_eq!(f.name(), "hello");
        assert_eq!(f.qualifier(), None);
        let q = FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:hello:live")
            .unwrap();
        assert_eq!(q.qualifier(), Some("live"));
        assert!(FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:").is_err());
        assert!(FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:layer:x").is_err());
        assert!(FunctionArn::parse("arn:aws:lambda:us-east-1:1234:function:x").is_err());
    }
}
