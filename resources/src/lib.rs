//! The custom resources shipped with cfn-warden.
//!
//! This crate is the home of `Custom::PipLayer` and `Custom::MultiFileFunction`, and of the
//! `warden-provider` binary that serves them. None of them exists yet: each arrives with its
//! own issue, built on the `cfn-warden` runtime. The crate is in the workspace now so the
//! layout (runtime / resources / cli / examples / tests) is fixed from the start.
#![forbid(unsafe_code)]
