//! `warden`: the cfn-warden command-line tool.
//!
//! Commands: `check-event` (run the provider's screening on an event offline), `keygen` (make an
//! Ed25519 signing key), `sign` (sign custom resources' properties in a template, with a local
//! or AWS KMS key), `public-key` (a KMS key's provider configuration) and `audit` (decision
//! logs), `lint` (templates), `explain` (what a template's providers can do), `seal` (sealed credential tickets in a template), `refresh`
//! (re-seal a deployed stack's tickets), `deploy` (sign, seal, change set, live events) and
//! `delete` (refresh expiring tickets, then delete), and `build-layer` (a Python layer from pip
//! requirements), and `scan` (a live account's Lambda functions).
//!
//! Exit codes: 0 = success (`check-event`: the event would be accepted; `audit`: no anomaly);
//! 1 = `check-event` found the event would be refused or answered FAILED, `audit` found
//! anomalies, `lint` or `scan` found something at or above `--fail-on`, or `build-layer` cannot build the
//! requirements (unknown package, no wheel, hash mismatch, conflict, size), or `deploy` /
//! `delete` saw the stack end anywhere but CREATE_COMPLETE, UPDATE_COMPLETE (or no changes) /
//! DELETE_COMPLETE (a rollback, a failed delete); 2 = the tool failed
//! (unreadable file, bad arguments, a template that cannot be signed, an index that cannot be
//! reached).
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, reason = "a CLI prints its results")]

use std::process::ExitCode;

mod audit;
mod commands;
mod deploy;
mod explain;
mod scan;
mod seal;
mod sign;
mod signer;
mod stack;
mod template;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// cfn-warden: hardened CloudFormation custom resources.
#[derive(Parser)]
#[command(name = "warden", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a custom-resource event as the provider would: envelope, request consistency
    /// (ResponseURL, ServiceToken, StackId) and every request field. Nothing is sent anywhere.
    CheckEvent(commands::check_event::Args),
    /// Make an Ed25519 signing key: `<dir>/<kid>.pk8` (private, mode 0600) and
    /// `<dir>/<kid>.pub.json` (the provider's WARDEN_SIGNING_KEYS value).
    Keygen(commands::keygen::Args),
    /// Audit decision logs (JSONL files, `-` for stdin, or a CloudWatch Logs group): decisions
    /// per stack, resource type and caller, every deny, and anomalies. Exit 1 when there are
    /// anomalies.
    Audit(commands::audit::Args),
    /// Lint CloudFormation templates (YAML or JSON, SAM included) for dangerous custom-resource,
    /// Lambda and IAM configurations. Exit 1 when a finding reaches --fail-on.
    Lint(commands::lint::Args),
    /// Explain what each custom resource's provider can do: its own role, the ticket role and
    /// the work session (work role ∩ boundary ∩ the policy the handler would declare), judged
    /// by the local IAM evaluator on the requests the policies name and on escalation probes.
    Explain(commands::explain::Args),
    /// Scan a live account's Lambda functions (the usual AWS environment: credentials, region,
    /// profiles, AWS_ENDPOINT_URL): functions not created by CloudFormation, shared roles,
    /// several triggers, wildcard role permissions, public resource policies, function URLs
    /// without auth, functions outside a VPC (--require-vpc), event source mappings on
    /// $LATEST, secret-looking environment variables. Read-only. Exit 1 when a finding reaches
    /// --fail-on.
    Scan(commands::scan::Args),
    /// Print the provider configuration (WARDEN_SIGNING_KEYS entry) for an AWS KMS signing key.
    PublicKey(commands::public_key::Args),
    /// Sign the properties of every custom resource in a template (YAML or JSON): adds a
    /// WardenSignature property to each, keeping the rest of the text as it is.
    Sign(commands::sign::Args),
    /// Build a Python Lambda layer from pip requirements, with no pip and no Python: resolve
    /// against the index, download and verify wheels, and write a deterministic zip (the same
    /// input gives the same SHA-256 anywhere). Exit 1 when the requirements cannot be built.
    BuildLayer(commands::build_layer::Args),
    /// Seal a credential ticket into every custom resource of a template: assumes the ticket
    /// role as you (SourceIdentity = your name) and adds or replaces a WardenTicket property,
    /// bound to the stack name, the logical id and an expiry. Honours the usual AWS
    /// environment (credentials, region, profiles, AWS_ENDPOINT_URL).
    Seal(commands::seal::Args),
    /// Deploy a template: sign and seal its custom resources (with the keys given), create the
    /// stack or update it through a change set (parameters not given keep their previous
    /// values), show what changes, and follow the stack events until the stack settles. Honours
    /// the usual AWS environment (credentials, region, profiles, AWS_ENDPOINT_URL). Exit 1 when
    /// the stack rolls back or fails.
    Deploy(commands::deploy::Args),
    /// Delete a stack and follow its events. Tickets in its template that would expire within
    /// 15 minutes are refreshed first (`warden refresh`) when --ticket-role and --key are given,
    /// and signatures that would expire are signed again when a signing key is given;
    /// otherwise the delete is refused, since the provider would refuse CloudFormation's
    /// requests and leave the resources behind. Exit 1 when the delete fails.
    Delete(commands::delete::Args),
    /// Re-seal the tickets of a deployed stack (with --ticket-role and --key) and sign its
    /// signed resources again (with a signing key), then update it with its previous template
    /// otherwise and its previous parameters; waits for UPDATE_COMPLETE. Run before deleting a
    /// stack whose tickets expired. Without a signing key, signatures that expire within 15
    /// minutes are refused: the provider verifies them on the refresh's Update.
    Refresh(commands::refresh::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("warden: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the command; `Ok(false)` means exit code 1.
fn run(cli: Cli) -> Result<bool> {
    match cli.command {
        Command::CheckEvent(args) => commands::check_event::exec(args),
        Command::Keygen(args) => commands::keygen::exec(args),
        Command::Audit(args) => commands::audit::exec(args),
        Command::Lint(args) => commands::lint::exec(args),
        Command::Explain(args) => commands::explain::exec(args),
        Command::Scan(args) => commands::scan::exec(args),
        Command::PublicKey(args) => commands::public_key::exec(args),
        Command::Sign(args) => commands::sign::exec(args),
        Command::BuildLayer(args) => commands::build_layer::exec(args),
        Command::Seal(args) => commands::seal::exec(args),
        Command::Deploy(args) => commands::deploy::exec(args),
        Command::Delete(args) => commands::delete::exec(args),
        Command::Refresh(args) => commands::refresh::exec(args),
    }
}
