//! The request CloudFormation sends, parsed from untrusted bytes.

use std::{
    fmt,
    time::{Duration, SystemTime},
};

use serde_json::{Map, Value};

use super::{arn::StackArn, physical_id::PhysicalId};
use crate::Error;

/// Property keys that belong to the framework, not to the handler's schema. They are removed
/// before the handler's properties are deserialised. Verification and credential layers add
/// their own keys at run time (see [`crate::Context::reserved_property_keys`]).
pub const FRAMEWORK_PROPERTY_KEYS: &[&str] = &["ServiceToken", "ServiceTimeout"];

/// The property holding a resource's signature (`warden sign`).
pub const SIGNATURE_PROPERTY_KEY: &str = "WardenSignature";

/// The property holding a resource's sealed ticket (`warden seal`).
pub const TICKET_PROPERTY_KEY: &str = "WardenTicket";

/// `Create`, `Update` or `Delete`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestType {
    /// A new resource.
    Create,
    /// Changed properties (or a rollback with old and new swapped).
    Update,
    /// Removal, also after a failed Create and for the old id after a replacement.
    Delete,
}

impl RequestType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Delete => "Delete",
        }
    }

    fn parse(raw: &str) -> Result<Self, Error> {
        match raw {
            "Create" => Ok(Self::Create),
            "Update" => Ok(Self::Update),
            "Delete" => Ok(Self::Delete),
            other => Err(Error::UnknownRequestType {
                value: truncate_for_message(other),
            }),
        }
    }
}

impl fmt::Display for RequestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The presigned S3 URL the answer goes to. It is a bearer credential for that one answer:
/// `Debug` and `Display` show only the scheme and host.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseUrl(url::Url);

impl ResponseUrl {
    /// Parses the URL syntax only; whether it may be used is `verify`'s decision.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        url::Url::parse(raw)
            .map(Self)
            .map_err(|_| Error::InvalidResponseUrl {
                problem: "is not an absolute URL",
            })
    }

    /// The parsed URL. Never log it.
    pub fn expose(&self) -> &url::Url {
        &self.0
    }

    /// The host, for logs and evidence (the host of a presigned URL is not secret).
    pub fn host_for_log(&self) -> String {
        self.0
            .host_str()
            .map(|h| bounded(h, 253))
            .unwrap_or_default()
    }

    /// When the presigned URL stops working, as its query says: SigV4 (`X-Amz-Date` plus
    /// `X-Amz-Expires` seconds) or SigV2 (`Expires`, Unix seconds). `None` when it says
    /// neither (the URL is then not bounded here; the operation's other limits still are).
    pub fn expires_at(&self) -> Option<SystemTime> {
        let (mut date, mut expires, mut v2) = (None, None, None);
        for (key, value) in self.0.query_pairs() {
            match key.as_ref() {
                "X-Amz-Date" => date = amz_date(&value),
                "X-Amz-Expires" => expires = value.parse::<u64>().ok(),
                "Expires" => v2 = value.parse::<u64>().ok(),
                _ => {}
            }
        }
        match (date, expires) {
            (Some(date), Some(seconds)) => date.checked_add(Duration::from_secs(seconds)),
            _ => v2.and_then(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s))),
        }
    }
}

/// `20261206T001500Z` (SigV4's basic ISO 8601).
fn amz_date(value: &str) -> Option<SystemTime> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let (date, time) = (value.get(0..8)?, value.get(9..15)?);
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        date.get(0..4)?,
        date.get(4..6)?,
        date.get(6..8)?,
        time.get(0..2)?,
        time.get(2..4)?,
        time.get(4..6)?
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

impl fmt::Debug for ResponseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ResponseUrl({}://{}/[redacted])",
            self.0.scheme(),
            self.host_for_log()
        )
    }
}

impl fmt::Display for ResponseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// `ServiceTimeout`: how long CloudFormation waits for the answer, 1 to 3600 seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceTimeout(u16);

impl ServiceTimeout {
    /// The largest (and default) value.
    pub const MAX_SECONDS: u16 = 3600;

    /// Reads the value leniently: a JSON number or a string of digits (CloudFormation sends
    /// strings), 1 to 3600.
    pub fn from_json(value: &Value) -> Result<Self, Error> {
        let seconds: i64 = match value {
            Value::Number(n) => n.as_i64().ok_or(Error::InvalidServiceTimeout {
                problem: "is not a whole number",
            })?,
            Value::String(s) => {
                if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::InvalidServiceTimeout {
                        problem: "is not a whole number of seconds",
                    });
                }
                s.parse().map_err(|_| Error::InvalidServiceTimeout {
                    problem: "is not a whole number of seconds",
                })?
            }
            _ => {
                return Err(Error::InvalidServiceTimeout {
                    problem: "is neither a number nor a string",
                })
            }
        };
        match u16::try_from(seconds) {
            Ok(s) if (1..=Self::MAX_SECONDS).contains(&s) => Ok(Self(s)),
            _ => Err(Error::ServiceTimeoutOutOfRange { seconds }),
        }
    }

    /// The timeout as a duration.
    pub fn duration(self) -> Duration {
        Duration::from_secs(u64::from(self.0))
    }
}

/// The fields needed to answer a request at all, read before anything else. When an event
/// does not even have these, no answer can be sent and none is.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// Where the answer goes.
    pub response_url: ResponseUrl,
    /// `StackId`, as sent.
    pub stack_id: String,
    /// `RequestId`, as sent.
    pub request_id: String,
    /// `LogicalResourceId`, as sent.
    pub logical_resource_id: String,
    /// `ServiceToken` (top level, else inside `ResourceProperties`), or why it is unusable.
    pub service_token: Result<String, &'static str>,
    /// `RequestType` as sent, when it is a string (for logs).
    pub request_type: Option<String>,
    /// `ResourceType` as sent, when it is a string (for logs).
    pub resource_type: Option<String>,
    /// `PhysicalResourceId` as sent, when it is a string.
    pub physical_resource_id: Option<String>,
}

impl Envelope {
    /// Reads the envelope from a parsed event.
    pub fn from_value(event: &Value) -> Result<Self, Error> {
        let object = event.as_object().ok_or(Error::EventNotObject)?;
        let response_url = ResponseUrl::parse(required_str(object, "ResponseURL")?)?;
        let stack_id = required_str(object, "StackId")?.to_owned();
        let request_id = required_str(object, "RequestId")?.to_owned();
        let logical_resource_id = required_str(object, "LogicalResourceId")?.to_owned();
        let optional = |k: &str| {
            object
                .get(k)
                .and_then(Value::as_str)
                .map(truncate_for_message)
        };
        Ok(Self {
            response_url,
            stack_id,
            request_id,
            logical_resource_id,
            service_token: service_token(object),
            request_type: optional("RequestType"),
            resource_type: optional("ResourceType"),
            physical_resource_id: object
                .get("PhysicalResourceId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Whether the event's own `PhysicalResourceId` is a well-formed failure sentinel (never
    /// an id computed in its place when the event's is missing or unusable).
    pub fn carries_sentinel(&self) -> bool {
        self.physical_resource_id
            .as_deref()
            .is_some_and(super::physical_id::is_sentinel)
    }
}

fn service_token(object: &Map<String, Value>) -> Result<String, &'static str> {
    let top = match object.get("ServiceToken") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err("ServiceToken is not a string"),
    };
    let nested = match object
        .get("ResourceProperties")
        .and_then(|p| p.get("ServiceToken"))
    {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err("ResourceProperties.ServiceToken is not a string"),
    };
    match (top, nested) {
        (Some(a), Some(b)) if a != b => {
            Err("ServiceToken differs between the event and its ResourceProperties")
        }
        (Some(a), _) | (None, Some(a)) => Ok(a.to_owned()),
        (None, None) => Err("ServiceToken is missing"),
    }
}

fn required_str<'a>(object: &'a Map<String, Value>, field: &'static str) -> Result<&'a str, Error> {
    match object.get(field) {
        None | Some(Value::Null) => Err(Error::MissingField { field }),
        Some(Value::String(s)) if s.is_empty() => Err(Error::EmptyField { field }),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Error::WrongFieldType {
            field,
            expected: "a string",
        }),
    }
}

const KNOWN_FIELDS: &[&str] = &[
    "RequestType",
    "ResponseURL",
    "StackId",
    "RequestId",
    "ResourceType",
    "LogicalResourceId",
    "PhysicalResourceId",
    "ResourceProperties",
    "OldResourceProperties",
    "ServiceToken",
    "ServiceTimeout",
];

/// A fully checked CloudFormation request.
///
/// `Debug` lists property *names* only: property values may hold NoEcho parameters.
pub struct CfnRequest {
    request_type: RequestType,
    envelope: Envelope,
    stack: StackArn,
    service_token: String,
    resource_type: String,
    physical_resource_id: Option<PhysicalId>,
    resource_properties: Map<String, Value>,
    old_resource_properties: Option<Map<String, Value>>,
    service_timeout: Option<ServiceTimeout>,
    unknown_fields: Vec<String>,
}

impl CfnRequest {
    /// Checks every field of an event whose envelope was already read.
    pub fn from_value(event: &Value, envelope: Envelope) -> Result<Self, Error> {
        let object = event.as_object().ok_or(Error::EventNotObject)?;
        let request_type = RequestType::parse(required_str(object, "RequestType")?)?;
        let stack = StackArn::parse(&envelope.stack_id)?;
        let service_token = envelope
            .service_token
            .clone()
            .map_err(|problem| Error::UnusableServiceToken { problem })?;
        check_logical_id(&envelope.logical_resource_id)?;
        if envelope.request_id.len() > 256 {
            return Err(Error::FieldTooLong {
                field: "RequestId",
                limit: 256,
            });
        }
        let resource_type = required_str(object, "ResourceType")?;
        check_resource_type(resource_type)?;
        let physical_resource_id = match (request_type, object.get("PhysicalResourceId")) {
            (RequestType::Create, None) => None,
            (RequestType::Create, Some(_)) => {
                return Err(Error::FieldNotAllowed {
                    field: "PhysicalResourceId",
                    request_type,
                })
            }
            (_, None | Some(Value::Null)) => {
                return Err(Error::MissingFieldFor {
                    field: "PhysicalResourceId",
                    request_type,
                })
            }
            (_, Some(Value::String(id))) => Some(PhysicalId::from_event(id)?),
            (_, Some(_)) => {
                return Err(Error::WrongFieldType {
                    field: "PhysicalResourceId",
                    expected: "a string",
                })
            }
        };
        let resource_properties = match object.get("ResourceProperties") {
            Some(Value::Object(map)) => map.clone(),
            None | Some(Value::Null) => {
                return Err(Error::MissingFieldFor {
                    field: "ResourceProperties",
                    request_type,
                })
            }
            Some(_) => {
                return Err(Error::WrongFieldType {
                    field: "ResourceProperties",
                    expected: "an object",
                })
            }
        };
        let old_resource_properties = match (request_type, object.get("OldResourceProperties")) {
            (RequestType::Update, Some(Value::Object(map))) => Some(map.clone()),
            (RequestType::Update, None | Some(Value::Null)) => {
                return Err(Error::MissingFieldFor {
                    field: "OldResourceProperties",
                    request_type,
                })
            }
            (RequestType::Update, Some(_)) => {
                return Err(Error::WrongFieldType {
                    field: "OldResourceProperties",
                    expected: "an object",
                })
            }
            (_, None) => None,
            (_, Some(_)) => {
                return Err(Error::FieldNotAllowed {
                    field: "OldResourceProperties",
                    request_type,
                })
            }
        };
        // Lenient: top level first, then inside the properties; string or number.
        let service_timeout = object
            .get("ServiceTimeout")
            .or_else(|| resource_properties.get("ServiceTimeout"))
            .map(ServiceTimeout::from_json)
            .transpose()?;
        let unknown_fields = object
            .keys()
            .filter(|k| !KNOWN_FIELDS.contains(&k.as_str()))
            .map(|k| truncate_for_message(k))
            .collect();
        Ok(Self {
            request_type,
            envelope,
            stack,
            service_token,
            resource_type: resource_type.to_owned(),
            physical_resource_id,
            resource_properties,
            old_resource_properties,
            service_timeout,
            unknown_fields,
        })
    }

    /// Create, Update or Delete.
    pub fn request_type(&self) -> RequestType {
        self.request_type
    }
    /// The presigned answer URL. Never log it.
    pub fn response_url(&self) -> &ResponseUrl {
        &self.envelope.response_url
    }
    /// The parsed StackId.
    pub fn stack(&self) -> &StackArn {
        &self.stack
    }
    /// `RequestId`.
    pub fn request_id(&self) -> &str {
        &self.envelope.request_id
    }
    /// `LogicalResourceId`.
    pub fn logical_resource_id(&self) -> &str {
        &self.envelope.logical_resource_id
    }
    /// `ResourceType`, e.g. `Custom::Hello`.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }
    /// `PhysicalResourceId` (Update and Delete only).
    pub fn physical_resource_id(&self) -> Option<&PhysicalId> {
        self.physical_resource_id.as_ref()
    }
    /// Whether the request's `PhysicalResourceId` is `id` (an Update whose new properties name
    /// another id replaces the resource).
    pub fn has_physical_id(&self, id: &str) -> bool {
        self.physical_resource_id
            .as_ref()
            .is_some_and(|current| current.as_str() == id)
    }
    /// `ServiceToken`.
    pub fn service_token(&self) -> &str {
        &self.service_token
    }
    /// `ServiceTimeout`, when sent.
    pub fn service_timeout(&self) -> Option<ServiceTimeout> {
        self.service_timeout
    }
    /// `ResourceProperties` verbatim (framework keys included). Values may be NoEcho secrets.
    pub fn resource_properties(&self) -> &Map<String, Value> {
        &self.resource_properties
    }
    /// `OldResourceProperties` (Update only).
    pub fn old_resource_properties(&self) -> Option<&Map<String, Value>> {
        self.old_resource_properties.as_ref()
    }
    /// Top-level fields this version of the protocol does not know (tolerated and logged).
    pub fn unknown_fields(&self) -> &[String] {
        &self.unknown_fields
    }
    /// The envelope the request was read from.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }
}

impl fmt::Debug for CfnRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CfnRequest")
            .field("request_type", &self.request_type)
            .field("stack_id", &self.stack)
            .field("request_id", &self.envelope.request_id)
            .field("logical_resource_id", &self.envelope.logical_resource_id)
            .field("resource_type", &self.resource_type)
            .field("physical_resource_id", &self.physical_resource_id)
            .field("response_url", &self.envelope.response_url)
            .field(
                "property_keys",
                &self.resource_properties.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn check_logical_id(id: &str) -> Result<(), Error> {
    if id.len() > 255 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidLogicalId {
            problem: "is not 1-255 letters and digits",
        });
    }
    Ok(())
}

fn check_resource_type(t: &str) -> Result<(), Error> {
    if t.len() > 60 {
        return Err(Error::FieldTooLong {
            field: "ResourceType",
            limit: 60,
        });
    }
    let custom = t.strip_prefix("Custom::").is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_@-".contains(c))
    });
    if custom || t == "AWS::CloudFormation::CustomResource" {
        Ok(())
    } else {
        Err(Error::InvalidResourceType {
            problem: "is neither Custom::<Name> nor AWS::CloudFormation::CustomResource",
        })
    }
}

/// Bounds a piece of untrusted text (64 bytes) before it goes into a message or a log line.
pub(crate) fn truncate_for_message(s: &str) -> String {
    bounded(s, 64)
}

/// At most `limit` bytes of `s` (cut on a char boundary, marked with `…`), control characters
/// replaced by `?`, so untrusted text cannot forge or flood log lines.
pub(crate) fn bounded(s: &str, limit: usize) -> String {
    let mut end = s.len().min(limit);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: String = s[..end]
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if end < s.len() {
        out.push('…');
    }
    out
}
