//! The request under evaluation: action, resource and the request context (condition keys
//! with one or many values, names compared without case as IAM does).

use std::collections::BTreeMap;

use crate::Error;

/// Condition keys and their values for one request.
///
/// By default the context is *open*: a key it lacks may still be present in the real request,
/// so a condition on it evaluates to unknown. A *complete* context (see
/// [`ContextBuilder::complete`]) states that it holds every key of the request: absent keys
/// then follow IAM's rules (the condition is false, true for negated operators, `...IfExists`
/// and `Null` test presence).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    values: BTreeMap<String, Vec<String>>,
    complete: bool,
}

impl Context {
    /// Starts a context.
    pub fn builder() -> ContextBuilder {
        ContextBuilder::default()
    }

    /// An open context with no keys.
    pub fn empty() -> Context {
        Context::default()
    }

    /// The values of a key (any case), if the context has it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.values
            .get(&key.to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    /// Whether the context holds every key of the request.
    pub fn is_complete(&self) -> bool {
        self.complete
    }
}

/// Builds a [`Context`].
#[derive(Debug, Clone, Default)]
pub struct ContextBuilder {
    context: Context,
}

impl ContextBuilder {
    /// Adds one value to a key (a second call makes the key multi-valued).
    pub fn value(mut self, key: impl AsRef<str>, value: impl Into<String>) -> Self {
        self.context
            .values
            .entry(key.as_ref().to_ascii_lowercase())
            .or_default()
            .push(value.into());
        self
    }

    /// Sets a key to these values (an empty list is a present key with an empty set, as in a
    /// request naming no tags).
    pub fn values<I, V>(mut self, key: impl AsRef<str>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.context.values.insert(
            key.as_ref().to_ascii_lowercase(),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// States that the context holds every key of the request (default: false).
    pub fn complete(mut self, complete: bool) -> Self {
        self.context.complete = complete;
        self
    }

    /// The context.
    pub fn build(self) -> Context {
        self.context
    }
}

/// One request: an action (`service:Action`), a resource (an ARN, or `*` for actions that
/// take none) and its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    action: String,
    resource: String,
    context: Context,
}

impl Request {
    /// Starts a request.
    pub fn builder() -> RequestBuilder {
        RequestBuilder::default()
    }

    /// The action.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The resource.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The request context.
    pub fn context(&self) -> &Context {
        &self.context
    }
}

/// Builds a [`Request`].
#[derive(Debug, Clone, Default)]
pub struct RequestBuilder {
    action: Option<String>,
    resource: Option<String>,
    context: Context,
}

impl RequestBuilder {
    /// The action (`iam:PassRole`).
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// The resource ARN.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The request context (replaces one set before).
    pub fn context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// The request; refused without an action or a resource.
    pub fn build(self) -> Result<Request, Error> {
        Ok(Request {
            action: self
                .action
                .ok_or(Error::IncompleteRequest { field: "action" })?,
            resource: self
                .resource
                .ok_or(Error::IncompleteRequest { field: "resource" })?,
            context: self.context,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_multi_valued() {
        let c = Context::builder()
            .value("aws:TagKeys", "a")
            .value("AWS:tagkeys", "b")
            .build();
        assert_eq!(c.get("Aws:TagKeys").unwrap(), ["a", "b"]);
        assert!(c.get("aws:username").is_none());
        assert!(!c.is_complete());
    }

    #[test]
    fn requests_need_action_and_resource() {
        assert!(matches!(
            Request::builder().resource("*").build(),
            Err(Error::IncompleteRequest { field: "action" })
        ));
        assert!(matches!(
            Request::builder().action("s3:GetObject").build(),
            Err(Error::IncompleteRequest { field: "resource" })
        ));
        let r = Request::builder()
            .action("s3:GetObject")
            .resource("arn:aws:s3:::b/k")
            .build()
            .unwrap();
        assert_eq!(
            (r.action(), r.resource()),
            ("s3:GetObject", "arn:aws:s3:::b/k")
        );
    }
}
