//! Realistic CloudFormation events: Create, Update and Delete with the ids, ResponseURL and
//! fields CloudFormation sends, and signed properties as `warden sign` makes them.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

/// The region every harness event uses.
pub(crate) const REGION: &str = "us-east-1";
/// The account every harness event uses (moto's default).
pub const ACCOUNT: &str = "123456789012";
/// The default StackId.
pub const STACK_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/warden-demo/6b2bd1a0-8f1c-11ef-9c3d-0a1b2c3d4e5f";

/// A CloudFormation event under construction.
#[derive(Clone, Debug)]
pub struct CfnEvent {
    fields: Map<String, Value>,
    response_base: Option<String>,
    signature: String,
    presigned_at: std::time::SystemTime,
}

impl CfnEvent {
    fn new(request_type: &str, resource_type: &str, logical_id: &str, properties: Value) -> Self {
        let mut fields = Map::new();
        fields.insert("RequestType".into(), json!(request_type));
        fields.insert("StackId".into(), json!(STACK_ID));
        fields.insert("RequestId".into(), json!(uuid_like()));
        fields.insert("ResourceType".into(), json!(resource_type));
        fields.insert("LogicalResourceId".into(), json!(logical_id));
        fields.insert("ResourceProperties".into(), properties);
        Self {
            fields,
            response_base: None,
            signature: format!("sig{}", uuid_like().replace('-', "")),
            presigned_at: std::time::SystemTime::now(),
        }
    }

    /// A Create.
    pub fn create(resource_type: &str, logical_id: &str, properties: Value) -> Self {
        Self::new("Create", resource_type, logical_id, properties)
    }

    /// An Update of `physical_id` from `old` to `new` properties.
    pub fn update(
        resource_type: &str,
        logical_id: &str,
        physical_id: &str,
        new: Value,
        old: Value,
    ) -> Self {
        let mut e = Self::new("Update", resource_type, logical_id, new);
        e.fields
            .insert("PhysicalResourceId".into(), json!(physical_id));
        e.fields.insert("OldResourceProperties".into(), old);
        e
    }

    /// A Delete of `physical_id`.
    pub fn delete(
        resource_type: &str,
        logical_id: &str,
        physical_id: &str,
        properties: Value,
    ) -> Self {
        let mut e = Self::new("Delete", resource_type, logical_id, properties);
        e.fields
            .insert("PhysicalResourceId".into(), json!(physical_id));
        e
    }

    /// Sets `ServiceToken` (top level and in the properties) to the function ARN.
    pub fn service_token(mut self, function_arn: &str) -> Self {
        self.fields
            .insert("ServiceToken".into(), json!(function_arn));
        for key in ["ResourceProperties", "OldResourceProperties"] {
            if let Some(Value::Object(p)) = self.fields.get_mut(key) {
                p.insert("ServiceToken".into(), json!(function_arn));
            }
        }
        self
    }

    /// Response URLs go under `base` (e.g. the local endpoint's `/cfn/`).
    pub fn respond_to(mut self, base: &str) -> Self {
        self.response_base = Some(base.to_owned());
        self
    }

    /// Sets any top-level field.
    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.into(), value);
        self
    }

    /// Removes a top-level field.
    pub fn without(mut self, key: &str) -> Self {
        self.fields.remove(key);
        self
    }

    /// Sets one resource property (in `ResourceProperties`).
    pub fn property(mut self, key: &str, value: Value) -> Self {
        if let Some(Value::Object(p)) = self.fields.get_mut("ResourceProperties") {
            p.insert(key.into(), value);
        }
        self
    }

    /// A top-level text field (`""` when absent or not text).
    pub(crate) fn text(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The stack name in the StackId (`arn:...:stack/NAME/ID`).
    pub fn stack_name(&self) -> &str {
        self.text("StackId").split('/').nth(1).unwrap_or_default()
    }

    /// The RequestId.
    pub fn request_id(&self) -> &str {
        self.text("RequestId")
    }

    /// The LogicalResourceId.
    pub fn logical_id(&self) -> &str {
        self.text("LogicalResourceId")
    }

    /// The owner digest a resource writes for this event's stack and logical id
    /// ([`cfn_warden::Context::owner_digest`]), to put in canned replies.
    pub fn owner_digest(&self) -> String {
        cfn_warden::service::owner_digest(self.text("StackId"), self.text("LogicalResourceId"))
    }

    /// The presign signature in the response URL: a secret that must never be logged.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// When the ResponseURL was presigned (its `X-Amz-Date`; it expires 2 hours later, as
    /// CloudFormation's do). Default: when the event was built.
    pub fn presigned_at(mut self, at: std::time::SystemTime) -> Self {
        self.presigned_at = at;
        self
    }

    /// The response URL this event will carry.
    pub fn response_url(&self) -> String {
        let path = format!(
            "{}|{}|{}",
            self.text("StackId"),
            self.text("LogicalResourceId"),
            self.text("RequestId")
        );
        let base = self.response_base.clone().unwrap_or_else(|| {
            format!(
                "https://cloudformation-custom-resource-response-{}.s3.amazonaws.com/",
                REGION.replace('-', "")
            )
        });
        // RFC 3339 "2026-11-22T00:00:00.000Z" → SigV4 "20261122T000000Z".
        let stamp: String = cfn_warden::decision::format_time(self.presigned_at)
            .chars()
            .take(19)
            .filter(|c| c.is_ascii_digit() || *c == 'T')
            .collect();
        let day = stamp.get(..8).unwrap_or_default();
        format!(
            "{base}{}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}Z&X-Amz-SignedHeaders=host\
             &X-Amz-Expires=7200&X-Amz-Credential=AKIAEXAMPLE%2F{day}%2F{REGION}%2Fs3%2Faws4_request\
             &X-Amz-Signature={}",
            utf8_percent_encode(&path, NON_ALPHANUMERIC),
            self.signature
        )
    }

    /// The event as JSON (ResponseURL filled in unless already set).
    pub fn to_value(&self) -> Value {
        let mut fields = self.fields.clone();
        fields
            .entry("ResponseURL")
            .or_insert_with(|| json!(self.response_url()));
        Value::Object(fields)
    }

    /// The event as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_value()).unwrap_or_default()
    }
}

/// A random-looking id without a random-number dependency: time and a counter.
pub(crate) fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let x = (t as u64) ^ (n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) ^ u64::from(std::process::id());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        n & 0xfff,
        t & 0xffff_ffff_ffff
    )
}

/// Signs `properties` for `logical_id` in the default stack (as `warden sign` would), returning
/// the `WardenSignature` token. Valid for an hour.
pub fn sign_properties(
    key: &cfn_warden::verify::signed::Ed25519SigningKey,
    resource_type: &str,
    logical_id: &str,
    properties: &Value,
) -> Result<String, cfn_warden::Error> {
    let now = std::time::SystemTime::now();
    sign_properties_for(
        key,
        resource_type,
        logical_id,
        properties,
        "warden-demo",
        (now, now + std::time::Duration::from_secs(3600)),
    )
}

/// Like [`sign_properties`], for stack `stack` and validity `(issued_at, not_after)`.
pub fn sign_properties_for(
    key: &cfn_warden::verify::signed::Ed25519SigningKey,
    resource_type: &str,
    logical_id: &str,
    properties: &Value,
    stack: &str,
    (issued_at, not_after): (std::time::SystemTime, std::time::SystemTime),
) -> Result<String, cfn_warden::Error> {
    use cfn_warden::verify::signed::{cfn_normalise, Algorithm, SignedEnvelope};
    let literal = match cfn_normalise(properties) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let envelope = SignedEnvelope {
        v: 1,
        kid: key.kid().to_owned(),
        alg: Algorithm::Ed25519,
        stack: stack.into(),
        logical_id: logical_id.into(),
        resource_type: resource_type.into(),
        issued_at: cfn_warden::decision::format_time(issued_at),
        not_after: cfn_warden::decision::format_time(not_after),
        properties: literal,
        dynamic: Default::default(),
    };
    Ok(key.sign(&envelope)?.encode())
}
