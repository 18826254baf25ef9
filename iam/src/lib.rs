//! A local IAM policy evaluator: what a principal may do, decided from its policies without
//! calling AWS (moto ignores session policies; this does not).
//!
//! It owns the IAM policy language as cfn-warden needs it: the policy model and its parser
//! (`policy`), IAM wildcard and ARN matching (`pattern`), policy variables (`variables`),
//! condition operators and their values (`condition`, `values`), the request and its context
//! (`context`), the evaluation of identity-based policies ∩ permissions boundary ∩ session
//! policies (∩ SCP levels) with explicit `Deny` winning (`eval`), and probes for the linter
//! (`probe`). It imports nothing of the workspace: `warden lint`, `warden scan`, the test kit and
//! `warden explain` can all link it.
//!
//! Never silently true: a condition whose key the request context lacks, or a policy variable
//! it cannot resolve, makes the statement *unknown*, and a decision that depends on an unknown
//! statement is [`Decision::Unknown`] with its reasons. A context marked complete
//! ([`ContextBuilder::complete`]) follows IAM's rules for absent keys instead.
//!
//! The public API:
//! - [`Policy`] (`Policy::parse(&Value)`, `"…".parse::<Policy>()`), its [`Statement`]s
//!   ([`Effect`], [`Polarity`], [`Principals`], [`Version`]) and [`Condition`]s
//!   ([`Operator`], [`OperatorKind`], [`SetQualifier`]);
//! - [`Request`] / [`RequestBuilder`] and [`Context`] / [`ContextBuilder`];
//! - [`Evaluator`] / [`EvaluatorBuilder`], [`Decision`] (with a `Display` explanation),
//!   [`Layer`], [`StatementRef`], [`Reason`];
//! - probes: [`Policy::statements_allowing`], [`Policy::grants`], [`Policy::denials`] →
//!   [`Grant`]; [`action_matches`], [`resource_matches`], [`is_well_formed_action`];
//! - [`Error`].
//!
//! ```
//! use warden_iam::{Context, Decision, Evaluator, Layer, Policy, Request};
//!
//! let identity: Policy = r#"{"Version": "2012-10-17", "Statement": [
//!     {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}"#.parse()?;
//! let session: Policy = r#"{"Version": "2012-10-17", "Statement": [
//!     {"Effect": "Allow", "Action": "ssm:PutParameter",
//!      "Resource": "arn:aws:ssm:eu-west-1:111122223333:parameter/app/*"}]}"#.parse()?;
//! let evaluator = Evaluator::builder().identity([identity]).session(session).build()?;
//! let put = Request::builder()
//!     .action("ssm:PutParameter")
//!     .resource("arn:aws:ssm:eu-west-1:111122223333:parameter/app/db")
//!     .build()?;
//! assert!(evaluator.evaluate(&put).is_allowed());
//! let delete = Request::builder()
//!     .action("ssm:DeleteParameter")
//!     .resource("arn:aws:ssm:eu-west-1:111122223333:parameter/app/db")
//!     .context(Context::empty())
//!     .build()?;
//! assert_eq!(evaluator.evaluate(&delete), Decision::ImplicitDeny { missing: Layer::Session });
//! # Ok::<(), warden_iam::Error>(())
//! ```
#![forbid(unsafe_code)]

mod condition;
mod context;
mod error;
mod eval;
mod layer;
mod pattern;
mod policy;
mod probe;
mod values;
mod variables;

pub use condition::{Condition, Operator, OperatorKind, SetQualifier};
pub use context::{Context, ContextBuilder, Request, RequestBuilder};
pub use error::Error;
pub use eval::{Decision, Evaluator, EvaluatorBuilder, Layer, Reason, StatementRef};
pub use pattern::{action_matches, is_well_formed_action, resource_matches};
pub use policy::{Effect, Polarity, Policy, Principals, Statement, Version};
pub use probe::Grant;
