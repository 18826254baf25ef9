//! Secret values: newtypes whose `Debug` and `Display` never show what they hold.
//!
//! Everything that must not reach a log (the presigned ResponseURL, credentials, NoEcho data,
//! properties a handler marks sensitive) is wrapped in one of these types. Reading the value is
//! an explicit, greppable call to [`Secret::expose`].

use std::fmt;

use serde::{Deserialize, Deserializer};

/// The text every redacted value prints as.
pub(crate) const REDACTED: &str = "[redacted]";

/// A value that prints as `[redacted]` in `Debug` and `Display`.
///
/// Use it for sensitive resource properties:
///
/// ```
/// use cfn_warden::Secret;
/// #[derive(serde::Deserialize)]
/// struct Props {
///     #[serde(rename = "ApiKey")]
///     api_key: Secret<String>,
/// }
/// let props: Props = serde_json::from_str(r#"{"ApiKey":"hunter2"}"#).unwrap();
/// assert_eq!(format!("{:?}", props.api_key), "[redacted]");
/// assert_eq!(props.api_key.expose(), "hunter2");
/// ```
///
/// `Secret` implements `Deserialize` but deliberately not `Serialize`: to put a secret into a
/// response, use [`crate::ResponseData::insert_secret`], which also forces `NoEcho`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Returns the wrapped value. Every call site is a place where the secret leaves its box.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(
            format!("{:#?}", Some(&s)),
            format!("Some(\n    {REDACTED},\n)")
        );
        assert_eq!(s.expose(), "hunter2");
    }
}
