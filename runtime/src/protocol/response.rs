//! The answer CloudFormation receives.

use std::{collections::BTreeMap, fmt};

use serde::Serialize;
use serde_json::Value;

use super::physical_id::PhysicalId;
use crate::secret::REDACTED;

/// `SUCCESS` or `FAILED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The operation succeeded.
    Success,
    /// The operation failed; `Reason` says why.
    Failed,
}

impl Status {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Failed => "FAILED",
        }
    }
}

/// The `Data` of a response: values readable with `Fn::GetAtt`.
///
/// Values inserted with [`ResponseData::insert_secret`] are redacted in `Debug` and force
/// `NoEcho` on the response, so CloudFormation masks them in outputs and events.
#[derive(Clone, Default, PartialEq)]
pub struct ResponseData {
    values: BTreeMap<String, (Value, bool)>,
}

impl ResponseData {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value readable with `Fn::GetAtt`.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.values.insert(key.into(), (value.into(), false));
        self
    }

    /// Adds a secret value: never logged, and the response is sent with `NoEcho: true`.
    pub fn insert_secret(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.values.insert(key.into(), (value.into(), true));
        self
    }

    /// Whether any value is secret.
    pub fn has_secrets(&self) -> bool {
        self.values.values().any(|(_, secret)| *secret)
    }

    /// Whether there is no value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The keys, for logs.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Reads a value (secret or not).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key).map(|(v, _)| v)
    }

    pub(crate) fn to_wire(&self) -> BTreeMap<&str, &Value> {
        self.values
            .iter()
            .map(|(k, (v, _))| (k.as_str(), v))
            .collect()
    }
}

impl fmt::Debug for ResponseData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, (value, secret)) in &self.values {
            if *secret {
                map.entry(key, &REDACTED);
            } else {
                map.entry(key, value);
            }
        }
        map.finish()
    }
}

/// A complete response body.
#[derive(Clone, Debug, PartialEq)]
pub struct CfnResponse {
    /// SUCCESS or FAILED.
    pub status: Status,
    /// Why, for FAILED (required then); optional for SUCCESS.
    pub reason: Option<String>,
    /// The resource's id.
    pub physical_resource_id: PhysicalId,
    /// Copied from the request.
    pub stack_id: String,
    /// Copied from the request.
    pub request_id: String,
    /// Copied from the request.
    pub logical_resource_id: String,
    /// Mask `Data` in `Fn::GetAtt` output and events.
    pub no_echo: bool,
    /// Values for `Fn::GetAtt`.
    pub data: ResponseData,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Wire<'a> {
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    physical_resource_id: &'a str,
    stack_id: &'a str,
    request_id: &'a str,
    logical_resource_id: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    no_echo: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    data: BTreeMap<&'a str, &'a Value>,
}

impl CfnResponse {
    /// The JSON body, exactly as it will be sent.
    pub fn to_body(&self) -> Vec<u8> {
        let wire = Wire {
            status: self.status,
            reason: self.reason.as_deref(),
            physical_resource_id: self.physical_resource_id.as_str(),
            stack_id: &self.stack_id,
            request_id: &self.request_id,
            logical_resource_id: &self.logical_resource_id,
            no_echo: self.no_echo || self.data.has_secrets(),
            data: self.data.to_wire(),
        };
        // Serialising borrowed strings and `Value`s into a Vec cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> CfnResponse {
        CfnResponse {
            status: Status::Success,
            reason: None,
            physical_resource_id: PhysicalId::new("id-1").unwrap(),
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
            request_id: "r".into(),
            logical_resource_id: "L".into(),
            no_echo: false,
            data: ResponseData::new(),
        }
    }

    #[test]
    fn body_shape() {
        let mut r = response();
        r.data.insert("Greeting", "Hello");
        let body: Value = serde_json::from_slice(&r.to_body()).unwrap();
        assert_eq!(body["Status"], "SUCCESS");
        assert_eq!(body["PhysicalResourceId"], "id-1");
        assert_eq!(body["Data"]["Greeting"], "Hello");
        assert!(body.get("NoEcho").is_none());
        assert!(body.get("Reason").is_none());
    }

    #[test]
    fn secret_data_forces_no_echo_and_is_redacted_in_debug() {
        let mut r = response();
        r.data.insert_secret("Password", "hunter2");
        let body: Value = serde_json::from_slice(&r.to_body()).unwrap();
        assert_eq!(body["NoEcho"], true);
        assert_eq!(body["Data"]["Password"], "hunter2");
        assert!(!format!("{r:?}").contains("hunter2"));
    }
}
