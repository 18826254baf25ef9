//! The CloudFormation custom-resource protocol: request and response types.
//!
//! This module owns the wire format and nothing else. Requests are parsed from untrusted bytes in
//! two steps: first the [`Envelope`] (the fields needed to answer at all), then the full
//! [`CfnRequest`] with every field checked against the request type. Response bodies are built
//! from [`CfnResponse`]. Which answer to give, and whether to give one, is decided elsewhere
//! (`verify`, `runtime`).

mod arn;
mod physical_id;
mod request;
mod response;
pub mod sns;

pub use arn::{FunctionArn, StackArn};
pub(crate) use physical_id::sha256_hex;
pub use physical_id::{PhysicalId, SENTINEL_PREFIX};
pub(crate) use request::{bounded, truncate_for_message};
pub use request::{
    CfnRequest, Envelope, RequestType, ResponseUrl, ServiceTimeout, FRAMEWORK_PROPERTY_KEYS,
    SIGNATURE_PROPERTY_KEY, TICKET_PROPERTY_KEY,
};
pub use response::{CfnResponse, ResponseData, Status};
