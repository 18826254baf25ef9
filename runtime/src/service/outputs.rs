//! What handlers return. The types encode the PhysicalResourceId rules: Create produces an id
//! (derived by default), Update keeps it unless it explicitly replaces, Delete cannot change it.

use std::fmt;

use serde_json::Value;

use crate::protocol::{PhysicalId, ResponseData};

macro_rules! data_setters {
    () => {
        /// Adds a value readable with `Fn::GetAtt`.
        pub fn data(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
            self.data.insert(key, value);
            self
        }

        /// Adds a secret value: never logged, and the response is sent with `NoEcho`.
        pub fn secret_data(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
            self.data.insert_secret(key, value);
            self
        }

        /// Sends the response with `NoEcho: true` (all `Data` masked).
        pub fn no_echo(mut self) -> Self {
            self.no_echo = true;
            self
        }

        /// The data set so far.
        pub fn response_data(&self) -> &ResponseData {
            &self.data
        }
    };
}

/// A successful Create.
#[derive(Clone, Debug, Default)]
pub struct Created {
    pub(crate) physical_id: Option<PhysicalId>,
    pub(crate) data: ResponseData,
    pub(crate) no_echo: bool,
}

impl Created {
    /// Created, with the id derived from StackId and LogicalResourceId
    /// (see [`PhysicalId::derived`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Created, with the handler's own id (e.g. the ARN of what it created).
    pub fn with_physical_id(id: PhysicalId) -> Self {
        Self {
            physical_id: Some(id),
            ..Self::default()
        }
    }

    data_setters!();
}

/// A successful Update.
#[derive(Clone, Debug, Default)]
pub struct Updated {
    pub(crate) replacement: Option<PhysicalId>,
    pub(crate) data: ResponseData,
    pub(crate) no_echo: bool,
}

impl Updated {
    /// Updated in place: the PhysicalResourceId stays the same.
    pub fn keep() -> Self {
        Self::default()
    }

    /// Replaced: a new resource with a new id. CloudFormation then sends a Delete for the old id.
    pub fn replace(new_id: PhysicalId) -> Self {
        Self {
            replacement: Some(new_id),
            ..Self::default()
        }
    }

    data_setters!();
}

/// A successful Delete. It carries nothing: a Delete cannot change the id, and `Data` after a
/// Delete is meaningless.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deleted;

/// What a handler method returns: `Result<T, HandlerError>`.
pub type HandlerResult<T> = Result<T, HandlerError>;

/// A handler failure. Its reason is sent to CloudFormation (visible in stack events), so it
/// must not contain secrets.
///
/// Any `std::error::Error` converts into it with `?`; the reason is the error's chain of
/// messages.
pub struct HandlerError {
    reason: String,
    /// Set when the failure is one of cfn-warden's own errors (a declared policy breaking a
    /// rule, say): the request is then logged as `bad-input`, not `handler-error`.
    framework: Option<Box<crate::Error>>,
}

impl HandlerError {
    /// A failure with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            framework: None,
        }
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The framework error this failure came from, if it is one.
    pub(crate) fn into_framework_error(self) -> Result<crate::Error, Self> {
        match self.framework {
            Some(error) => Ok(*error),
            None => Err(self),
        }
    }
}

impl<E: std::error::Error + 'static> From<E> for HandlerError {
    fn from(error: E) -> Self {
        let mut reason = error.to_string();
        let mut source = error.source();
        while let Some(s) = source {
            reason.push_str(": ");
            reason.push_str(&s.to_string());
            source = s.source();
        }
        let any: Box<dyn std::any::Any> = Box::new(error);
        Self {
            reason,
            framework: any.downcast::<crate::Error>().ok(),
        }
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerError")
            .field("reason", &self.reason)
            .finish()
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chain_becomes_the_reason() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("could not write")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e: HandlerError = Outer(std::io::Error::other("disk full")).into();
        assert_eq!(e.reason(), "could not write: disk full");
    }

    #[test]
    fn secret_data_is_redacted_in_debug() {
        let c = Created::new()
            .data("Plain", "visible")
            .secret_data("Key", "hunter2");
        let debug = format!("{c:?}");
        assert!(debug.contains("visible"));
        assert!(!debug.contains("hunter2"));
        assert!(c.response_data().has_secrets());
    }
}
