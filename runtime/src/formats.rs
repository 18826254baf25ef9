//! Every wire format cfn-warden reads or writes, and the one typed module that owns both
//! directions of each. Nothing here is a second definition: these are re-exports, so a reader
//! (and the CLI, the tests and the fuzz targets) finds each format in one place.
//!
//! | Format | Type | Read by | Written by | Owner |
//! |---|---|---|---|---|
//! | CloudFormation request (direct or inside an SNS notification) | [`CfnRequest`], [`Envelope`] | the runtime | CloudFormation | [`crate::protocol`] |
//! | CloudFormation response (the PUT body) | [`CfnResponse`] | CloudFormation | the runtime | [`crate::protocol`] |
//! | Signed properties token (`WardenSignature`) | [`SignedToken`] (carries a [`SignedEnvelope`]) | the signature verifier | `warden sign` | [`crate::verify::signed`] |
//! | Public key ring (`WARDEN_SIGNING_KEYS`) | [`KeyRing`] | the signature verifier | `warden keygen`, `warden public-key` | [`crate::verify::signed`] |
//! | Sealed ticket (`WardenTicket`) | [`SealedTicket`] | the ticket layer | `warden seal` | [`crate::credentials::ticket`] |
//! | Decision line (`cfn-warden.decision/1`) | [`DecisionLine`] | `warden audit` | the runtime | [`crate::decision`] |
//! | CloudTrail `Invoke` record | [`InvokeRecord`] | the CloudTrail verifier, `warden audit` | CloudTrail | [`crate::cloudtrail`] |
//! | Session policy (IAM JSON) | [`SessionPolicy`] | `SessionPolicy::parse` (same rules as the builder) | handlers, for `sts:AssumeRole` | [`crate::session_policy`] |
//!
//! Each owner has a fuzz target for its parser under `fuzz/` (`event`, `response_budget`,
//! `signature`, `canonical_json`, `ticket`, `decision_line`, …) and tests that write then read.

pub use crate::{
    cloudtrail::InvokeRecord,
    credentials::ticket::SealedTicket,
    decision::DecisionLine,
    protocol::{CfnRequest, CfnResponse, Envelope},
    session_policy::SessionPolicy,
    verify::signed::{KeyRing, SignedEnvelope, SignedToken},
};
