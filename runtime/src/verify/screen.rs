//! Screening: the fixed first steps every invocation goes through, in order.
//!
//! JSON → (the request inside an SNS notification, when it is one) → [`Envelope`] → consistency check → size limit → full [`CfnRequest`]. The driver and
//! the `warden check-event` command both use this, so they cannot drift apart.

use serde_json::Value;

use super::{
    consistency::{self, ConsistencyPolicy},
    Check, Denial,
};
use crate::{
    protocol::{sns, CfnRequest, Envelope},
    Error,
};

/// Where screening stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum Screening {
    /// No usable envelope (not JSON, not an object, no ResponseURL/StackId/RequestId/
    /// LogicalResourceId): nobody can be answered.
    Unroutable(Error),
    /// The consistency check failed: nothing may be sent anywhere.
    Denied {
        /// The envelope read.
        envelope: Envelope,
        /// The failed check, for the decision log.
        check: Check,
        /// Why.
        denial: Denial,
    },
    /// Consistent, but the request is invalid: it is answered FAILED with the error.
    Invalid {
        /// The envelope read.
        envelope: Envelope,
        /// The passed check.
        check: Check,
        /// What is wrong.
        error: Error,
    },
    /// Consistent and valid.
    Accepted {
        /// The request.
        request: Box<CfnRequest>,
        /// The passed check.
        check: Check,
    },
}

impl Screening {
    /// The envelope, when one was read.
    pub fn envelope(&self) -> Option<&Envelope> {
        match self {
            Self::Unroutable(_) => None,
            Self::Denied { envelope, .. } | Self::Invalid { envelope, .. } => Some(envelope),
            Self::Accepted { request, .. } => Some(request.envelope()),
        }
    }
}

/// Screens raw event bytes received by `invoked_function_arn`.
pub fn screen(
    body: &[u8],
    invoked_function_arn: &str,
    policy: &ConsistencyPolicy,
    max_event_bytes: usize,
) -> Screening {
    let event: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(source) => return Screening::Unroutable(Error::EventNotJson { source }),
    };
    // An SNS notification carries the request as its message; the consistency check decides
    // whether the topic may deliver it.
    let (topic, event) = if sns::is_notification(&event) {
        match sns::unwrap(&event) {
            Ok((topic, request)) => (Some(topic), request),
            Err(e) => return Screening::Unroutable(e),
        }
    } else {
        (None, event)
    };
    let envelope = match Envelope::from_value(&event) {
        Ok(e) => e,
        Err(e) => return Screening::Unroutable(e),
    };
    let (check, verdict) =
        consistency::check(&envelope, invoked_function_arn, topic.as_ref(), policy);
    if let Err(denial) = verdict {
        return Screening::Denied {
            envelope,
            check,
            denial,
        };
    }
    if body.len() > max_event_bytes {
        let error = Error::EventTooLarge {
            size: body.len(),
            limit: max_event_bytes,
        };
        return Screening::Invalid {
            envelope,
            check,
            error,
        };
    }
    match CfnRequest::from_value(&event, envelope.clone()) {
        Ok(request) => Screening::Accepted {
            request: Box::new(request),
            check,
        },
        Err(error) => Screening::Invalid {
            envelope,
            check,
            error,
        },
    }
}
