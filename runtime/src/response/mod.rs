//! Getting the answer to CloudFormation: the 4096-byte budget and the PUT with bounded retries.
//!
//! This module owns the bytes on the wire and their delivery. It never decides *what* to answer
//! (that is `runtime`'s job), and it is only ever handed a URL that `verify` accepted.

mod budget;
mod sender;

pub use budget::{fit, Adjustment, Fitted, MAX_RESPONSE_BYTES};
pub use sender::{
    deliver, Attempt, AttemptOutcome, BoxFuture, Delivery, GaveUp, Jitter, ReqwestTransport,
    ResponseTransport, RetryPolicy, SystemJitter,
};
