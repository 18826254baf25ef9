//! `warden`: the cfn-warden command-line tool.
//!
//! Commands: `check-event` (run the provider's screening on an event offline), `keygen` (make an
//! Ed25519 signing key), `sign` (sign custom resources' properties in a template, with a local
//! or AWS KMS key), `public-key` (a KMS key's provider configuration) and `audit` (decision
//! logs), `lint` (templates), `seal` (sealed credential tickets in a template), `refresh`
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

use std::{io::Read, path::PathBuf, process::ExitCode};

mod audit;
mod build_layer;
mod deploy;
mod scan;
mod seal;
mod sign;

use anyhow::{Context as _, Result};
use cfn_warden::{
    config::{Environment, ProcessEnvironment},
    verify::{screen, Check, Screening},
    Config,
};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};
use warden_lint::{report, Severity};

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
    CheckEvent {
        /// The event JSON file, or `-` for stdin.
        event: PathBuf,
        /// The ARN of the function the event would be sent to.
        #[arg(long)]
        function_arn: String,
        /// Test only: admit response URLs under this loopback prefix.
        #[arg(long)]
        insecure_response_url_prefix: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Make an Ed25519 signing key: `<dir>/<kid>.pk8` (private, mode 0600) and
    /// `<dir>/<kid>.pub.json` (the provider's WARDEN_SIGNING_KEYS value).
    Keygen {
        /// The key id (1-64 letters, digits, '.', '_', '-').
        #[arg(long)]
        kid: String,
        /// Where to write the files.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Audit decision logs (JSONL files, `-` for stdin, or a CloudWatch Logs group): decisions
    /// per stack, resource type and caller, every deny, and anomalies. Exit 1 when there are
    /// anomalies.
    Audit {
        /// Decision-log files (as the provider writes them or CloudWatch Logs exports them).
        #[arg(required_unless_present = "log_group")]
        logs: Vec<PathBuf>,
        /// Read a CloudWatch Logs group instead (FilterLogEvents; the usual AWS environment:
        /// credentials, region, profiles, AWS_ENDPOINT_URL).
        #[arg(long)]
        log_group: Option<String>,
        /// With --log-group or --cloudtrail-lake: only events from this long ago on (e.g.
        /// `24h`, `7d`; for a Lake query the default is `24h`, since queries are billed by the
        /// data they scan).
        #[arg(long, value_parser = humantime::parse_duration)]
        since: Option<std::time::Duration>,
        /// Join with the Lambda `Invoke` records of this CloudTrail Lake event data store (id
        /// or ARN; StartQuery/GetQueryResults): decisions whose invoke was not made through
        /// CloudFormation are flagged `invoked-not-by-cloudformation`.
        #[arg(long)]
        cloudtrail_lake: Option<String>,
        /// The longest the Lake query may take, from starting it to its last page.
        #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
        lake_wait: std::time::Duration,
        /// CloudTrail records to join with (log files `{"Records": [...]}` or JSON lines;
        /// repeatable): decisions whose Lambda Invoke was not made through CloudFormation are
        /// flagged `invoked-not-by-cloudformation`.
        #[arg(long = "cloudtrail")]
        cloudtrail: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Lint CloudFormation templates (YAML or JSON, SAM included) for dangerous custom-resource,
    /// Lambda and IAM configurations. Exit 1 when a finding reaches --fail-on.
    Lint {
        /// Template files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
        /// The lowest severity that makes the exit code 1.
        #[arg(long, default_value_t = Severity::Low)]
        fail_on: Severity,
    },
    /// Scan a live account's Lambda functions (the usual AWS environment: credentials, region,
    /// profiles, AWS_ENDPOINT_URL): functions not created by CloudFormation, shared roles,
    /// several triggers, wildcard role permissions, public resource policies, function URLs
    /// without auth, functions outside a VPC (--require-vpc), event source mappings on
    /// $LATEST, secret-looking environment variables. Read-only. Exit 1 when a finding reaches
    /// --fail-on.
    Scan {
        /// Report functions that are not in a VPC.
        #[arg(long)]
        require_vpc: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
        /// The lowest severity that makes the exit code 1.
        #[arg(long, default_value_t = Severity::Low)]
        fail_on: Severity,
    },
    /// Print the provider configuration (WARDEN_SIGNING_KEYS entry) for an AWS KMS signing key.
    PublicKey {
        /// The KMS key: id, ARN or alias.
        #[arg(long)]
        kms_key: String,
        /// The key id (default: the KMS key's id).
        #[arg(long)]
        kid: Option<String>,
    },
    /// Sign the properties of every custom resource in a template (YAML or JSON): adds a
    /// WardenSignature property to each, keeping the rest of the text as it is.
    Sign {
        /// The template file.
        template: PathBuf,
        /// The private key written by `warden keygen`.
        #[arg(long, required_unless_present = "kms_key", conflicts_with = "kms_key")]
        key: Option<PathBuf>,
        /// Sign with this AWS KMS key (ECC_NIST_P256) instead: id, ARN or alias. Honours the
        /// usual AWS environment (credentials, region, profiles, AWS_ENDPOINT_URL).
        #[arg(long)]
        kms_key: Option<String>,
        /// The key id (default: the key file's name, or the KMS key's id).
        #[arg(long)]
        kid: Option<String>,
        /// The stack name the signature is valid for; `*` matches any run of characters.
        #[arg(long)]
        stack_name: String,
        /// How long the signature stays valid (e.g. `30d`, `12h`).
        #[arg(long, default_value = "30d", value_parser = humantime::parse_duration)]
        valid_for: std::time::Duration,
        /// A regex a dynamic (intrinsic-valued) property must match when resolved:
        /// `[LOGICAL_ID.]KEY=REGEX`. Repeatable.
        #[arg(long = "pattern")]
        patterns: Vec<sign::Pattern>,
        /// Sign only these logical ids (repeatable; default: every custom resource).
        #[arg(long = "resource")]
        only: Vec<String>,
        /// Replace existing signatures.
        #[arg(long)]
        resign: bool,
        /// Write here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Build a Python Lambda layer from pip requirements, with no pip and no Python: resolve
    /// against the index, download and verify wheels, and write a deterministic zip (the same
    /// input gives the same SHA-256 anywhere). Exit 1 when the requirements cannot be built.
    BuildLayer {
        /// Requirement strings (PEP 508, optionally with --hash=sha256:...).
        requirements: Vec<String>,
        /// A requirements.txt (`-` for stdin).
        #[arg(long = "requirement", short = 'r')]
        requirement_file: Option<PathBuf>,
        /// The Lambda runtime: python3.9 to python3.14.
        #[arg(long, default_value = "python3.12")]
        runtime: String,
        /// The architecture: x86_64 or arm64.
        #[arg(long, default_value = "x86_64")]
        arch: String,
        /// The package index (simple API, PEP 691 or PEP 503). No index is built in.
        #[arg(long, env = "WARDEN_INDEX_URL")]
        index_url: Option<String>,
        /// Every requirement must be pinned with == and carry --hash.
        #[arg(long)]
        require_hashes: bool,
        /// Where to write the layer zip.
        #[arg(long, short)]
        output: PathBuf,
        /// Keep downloaded wheels here (by SHA-256) for the next build.
        #[arg(long, env = "WARDEN_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
        /// How many downloads run at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// The timeout of each request to the index.
        #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Seal a credential ticket into every custom resource of a template: assumes the ticket
    /// role as you (SourceIdentity = your name) and adds or replaces a WardenTicket property,
    /// bound to the stack name, the logical id and an expiry. Honours the usual AWS
    /// environment (credentials, region, profiles, AWS_ENDPOINT_URL).
    Seal {
        /// The template file.
        template: PathBuf,
        #[command(flatten)]
        ticket: TicketArgs,
        /// Write here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Where tickets passed as parameters (`WardenTicket: !Ref P`) go: a JSON file of
        /// `[{"ParameterKey", "ParameterValue"}]`, as `aws cloudformation` takes it.
        #[arg(long)]
        parameters_out: Option<PathBuf>,
    },
    /// Deploy a template: sign and seal its custom resources (with the keys given), create the
    /// stack or update it through a change set (parameters not given keep their previous
    /// values), show what changes, and follow the stack events until the stack settles. Honours
    /// the usual AWS environment (credentials, region, profiles, AWS_ENDPOINT_URL). Exit 1 when
    /// the stack rolls back or fails.
    Deploy {
        /// The stack to create or update.
        #[arg(long)]
        stack_name: String,
        /// The template file (YAML or JSON, at most 51,200 bytes after signing and sealing).
        #[arg(long)]
        template: PathBuf,
        /// A template parameter, `KEY=VALUE` (repeatable).
        #[arg(long = "parameter")]
        parameters: Vec<deploy::KeyValue>,
        /// Acknowledge a capability (repeatable).
        #[arg(long = "capability", value_parser = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])]
        capabilities: Vec<String>,
        /// A stack tag, `KEY=VALUE` (repeatable).
        #[arg(long = "tag")]
        tags: Vec<deploy::KeyValue>,
        /// The CloudFormation service role the stack operation runs as.
        #[arg(long)]
        role_arn: Option<String>,
        #[command(flatten)]
        signing: SigningArgs,
        #[command(flatten)]
        tickets: OptionalTicketArgs,
        /// The longest to wait for the stack.
        #[arg(long, default_value = "60m", value_parser = humantime::parse_duration)]
        wait: std::time::Duration,
        /// Print the summary as JSON on stdout (progress stays on stderr).
        #[arg(long)]
        json: bool,
    },
    /// Delete a stack and follow its events. Tickets in its template that would expire within
    /// 15 minutes are refreshed first (`warden refresh`) when --ticket-role and --key are given,
    /// and signatures that would expire are signed again when a signing key is given;
    /// otherwise the delete is refused, since the provider would refuse CloudFormation's
    /// requests and leave the resources behind. Exit 1 when the delete fails.
    Delete {
        /// The stack to delete.
        #[arg(long)]
        stack_name: String,
        #[command(flatten)]
        tickets: OptionalTicketArgs,
        #[command(flatten)]
        signing: SigningArgs,
        /// The provider runs with WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE=true: signatures
        /// about to expire need no re-signing unless the tickets are refreshed too.
        #[arg(long)]
        allow_expired_signatures: bool,
        /// The CloudFormation service role the delete runs as.
        #[arg(long)]
        role_arn: Option<String>,
        /// The longest to wait for the refresh and the delete.
        #[arg(long, default_value = "60m", value_parser = humantime::parse_duration)]
        wait: std::time::Duration,
        /// Print the summary as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Re-seal the tickets of a deployed stack (with --ticket-role and --key) and sign its
    /// signed resources again (with a signing key), then update it with its previous template
    /// otherwise and its previous parameters; waits for UPDATE_COMPLETE. Run before deleting a
    /// stack whose tickets expired. Without a signing key, signatures that expire within 15
    /// minutes are refused: the provider verifies them on the refresh's Update.
    Refresh {
        /// The stack to refresh.
        #[arg(long)]
        stack_name: String,
        #[command(flatten)]
        tickets: OptionalTicketArgs,
        /// Only these logical ids (repeatable; default: every custom resource with a ticket).
        #[arg(long = "resource")]
        only: Vec<String>,
        #[command(flatten)]
        signing: SigningArgs,
        /// The longest to wait for the update.
        #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
        wait: std::time::Duration,
    },
}

impl TicketArgs {
    fn options(self, existing_only: bool) -> seal::SealOptions {
        seal::SealOptions {
            stack_name: self.stack_name,
            ticket_role: self.ticket_role,
            key_id: self.key,
            duration: self.duration,
            source_identity: self.source_identity,
            only: self.only,
            existing_only,
        }
    }
}

fn print_sealed(report: &seal::SealReport) {
    eprintln!(
        "sealed {} ticket(s) ({}) until {} for {} (source identity {})",
        report.logical_ids.len(),
        report.logical_ids.join(", "),
        humantime::format_rfc3339_seconds(report.not_after),
        report.principal,
        report.source_identity
    );
}

/// The ticket options `seal` and `refresh` share.
#[derive(clap::Args)]
struct TicketArgs {
    /// The stack name the tickets are for (exact).
    #[arg(long)]
    stack_name: String,
    /// The ticket role to assume (cfn/provider.yaml's TicketRole).
    #[arg(long)]
    ticket_role: String,
    /// The KMS key tickets are sealed with (the provider's WARDEN_TICKET_KEY).
    #[arg(long)]
    key: String,
    /// How long the tickets stay valid (15m to 1h).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    duration: std::time::Duration,
    /// The SourceIdentity the sessions carry (default: your user or session name).
    #[arg(long)]
    source_identity: Option<String>,
    /// Only these logical ids (repeatable; default: every custom resource).
    #[arg(long = "resource")]
    only: Vec<String>,
}

/// Signing options of `deploy`, `delete` and `refresh`.
#[derive(clap::Args)]
struct SigningArgs {
    /// Sign the custom resources with this private key (from `warden keygen`).
    #[arg(long, conflicts_with = "signing_kms_key")]
    signing_key: Option<PathBuf>,
    /// Sign with this AWS KMS key (ECC_NIST_P256) instead: id, ARN or alias.
    #[arg(long)]
    signing_kms_key: Option<String>,
    /// The signing key id (default: the key file's name, or the KMS key's id).
    #[arg(long)]
    kid: Option<String>,
    /// How long the signatures stay valid.
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration)]
    signature_valid_for: std::time::Duration,
    /// A regex a dynamic property must match when resolved: `[LOGICAL_ID.]KEY=REGEX`.
    #[arg(long = "pattern")]
    patterns: Vec<sign::Pattern>,
}

impl SigningArgs {
    /// The re-signing `refresh` and `delete` do, when a key is given.
    async fn resign(self) -> Result<Option<sign::Resign>> {
        let signer =
            make_signer(self.signing_key, self.signing_kms_key, self.kid.as_deref()).await?;
        Ok(signer.map(|signer| sign::Resign {
            signer,
            valid_for: self.signature_valid_for,
            patterns: self.patterns,
        }))
    }
}

/// Ticket options of `deploy`, `delete` and `refresh` (both or neither).
#[derive(clap::Args)]
struct OptionalTicketArgs {
    /// Seal tickets as this ticket role (cfn/provider.yaml's TicketRole).
    #[arg(long, requires = "key")]
    ticket_role: Option<String>,
    /// The KMS key tickets are sealed with (the provider's WARDEN_TICKET_KEY).
    #[arg(long, requires = "ticket_role")]
    key: Option<String>,
    /// How long the tickets stay valid (15m to 1h).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    ticket_duration: std::time::Duration,
    /// The SourceIdentity the sessions carry (default: your user or session name).
    #[arg(long)]
    source_identity: Option<String>,
}

impl OptionalTicketArgs {
    fn options(self, stack_name: &str, existing_only: bool) -> Option<seal::SealOptions> {
        Some(seal::SealOptions {
            stack_name: stack_name.to_owned(),
            ticket_role: self.ticket_role?,
            key_id: self.key?,
            duration: self.ticket_duration,
            source_identity: self.source_identity,
            only: Vec::new(),
            existing_only,
        })
    }
}

/// The signer from `--key`/`--kms-key` style options.
async fn make_signer(
    key: Option<PathBuf>,
    kms_key: Option<String>,
    kid: Option<&str>,
) -> Result<Option<sign::Signer>> {
    Ok(match (key, kms_key) {
        (Some(path), _) => Some(sign::Signer::Local(sign::load_key(&path, kid)?)),
        (None, Some(kms)) => Some(sign::Signer::Kms(Box::new(
            sign::KmsSigner::new(&kms, kid).await?,
        ))),
        (None, None) => None,
    })
}

fn print_signed(signed: &[sign::Signed]) {
    for s in signed {
        let unconstrained: Vec<_> = s
            .dynamic
            .iter()
            .filter(|(_, p)| p.is_none())
            .map(|(k, _)| k.as_str())
            .collect();
        eprintln!(
            "signed {}: {} literal, {} dynamic properties",
            s.logical_id,
            s.literal,
            s.dynamic.len()
        );
        if !unconstrained.is_empty() {
            eprintln!(
                "  warning: dynamic without --pattern (any resolved value is accepted): {}",
                unconstrained.join(", ")
            );
        }
    }
}

fn print_settled(stack: &str, settled: &deploy::Settled, json: bool) {
    if json {
        println!("{}", settled.to_json());
    } else {
        print!("{}", settled.text(stack));
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum LintFormat {
    Text,
    Json,
    Sarif,
    Junit,
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

/// Returns whether the event passed.
fn run(cli: Cli) -> Result<bool> {
    match cli.command {
        Command::CheckEvent {
            event,
            function_arn,
            insecure_response_url_prefix,
            format,
        } => {
            let bytes = read_input(&event)?;
            // The provider's own settings (WARDEN_* variables), so the verdict matches what a
            // provider configured from this environment would decide.
            let env = Overridden {
                prefix: insecure_response_url_prefix,
            };
            let config = Config::from_env(&env).context("invalid WARDEN_* setting")?;
            let report = check_event(&bytes, &function_arn, &config);
            match format {
                Format::Json => println!("{report}"),
                Format::Text => print_text(&report),
            }
            Ok(report["outcome"] == "accepted")
        }
        Command::Keygen { kid, dir } => {
            let (private, config) = sign::keygen(&kid, &dir)?;
            eprintln!("private key: {} (keep it secret)", private.display());
            println!("{config}");
            Ok(true)
        }
        Command::Lint {
            paths,
            format,
            fail_on,
        } => {
            let mut findings = Vec::new();
            for path in &paths {
                let source = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let name = path.display().to_string();
                findings
                    .extend(warden_lint::lint(&name, &source).with_context(|| format!("linting {name}"))?);
            }
            match format {
                LintFormat::Text => print!("{}", report::text(&findings, colour())),
                LintFormat::Json => println!("{}", report::json(&findings)),
                LintFormat::Sarif => println!("{}", report::sarif(&findings, warden_lint::RULES)),
                LintFormat::Junit => {
                    let files: Vec<String> =
                        paths.iter().map(|p| p.display().to_string()).collect();
                    print!(
                        "{}",
                        report::junit(&files, &findings, warden_lint::RULES, "warden lint")
                    );
                }
            }
            Ok(!findings.iter().any(|f| f.severity >= fail_on))
        }
        Command::Scan {
            require_vpc,
            format,
            fail_on,
        } => {
            let report = block_on(async {
                let config = cfn_warden::aws::sdk_config().await;
                scan::scan(&config, &scan::ScanOptions { require_vpc }).await
            })?;
            let findings = &report.findings;
            match format {
                LintFormat::Text => print!("{}", report::text(findings, colour())),
                LintFormat::Json => println!(
                    "{}",
                    serde_json::json!({"functions": report.functions, "findings": findings})
                ),
                LintFormat::Sarif => println!("{}", report::sarif(findings, scan::SCAN_RULES)),
                LintFormat::Junit => print!(
                    "{}",
                    report::junit(&report.functions, findings, scan::SCAN_RULES, "warden scan")
                ),
            }
            Ok(!findings.iter().any(|f| f.severity >= fail_on))
        }
        Command::Audit {
            logs,
            log_group,
            since,
            cloudtrail_lake,
            lake_wait,
            cloudtrail,
            format,
        } => {
            if since.is_some() && log_group.is_none() && cloudtrail_lake.is_none() {
                anyhow::bail!("--since applies to --log-group and --cloudtrail-lake");
            }
            let mut report = audit::Report::default();
            if let Some(store) = &cloudtrail_lake {
                let ago = since.unwrap_or(std::time::Duration::from_secs(24 * 3600));
                let start = std::time::SystemTime::now()
                    .checked_sub(ago)
                    .unwrap_or(std::time::UNIX_EPOCH);
                block_on(async {
                    let config = cfn_warden::aws::sdk_config().await;
                    let client = aws_sdk_cloudtrail::Client::new(&config);
                    report
                        .read_cloudtrail_lake(&client, store, start, lake_wait)
                        .await
                })?;
            }
            for path in &cloudtrail {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                report.read_cloudtrail(&text, &path.display().to_string())?;
            }
            if let Some(group) = &log_group {
                let start_ms = since.map(|ago| {
                    let start = std::time::SystemTime::now()
                        .checked_sub(ago)
                        .unwrap_or(std::time::UNIX_EPOCH);
                    start
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                        .unwrap_or(0)
                });
                block_on(async {
                    let config = cfn_warden::aws::sdk_config().await;
                    report.read_log_group(&config, group, start_ms).await
                })?;
            }
            for path in &logs {
                if path.as_os_str() == "-" {
                    report.read(std::io::stdin().lock(), "stdin")?;
                } else {
                    let file = std::fs::File::open(path)
                        .with_context(|| format!("opening {}", path.display()))?;
                    report.read(std::io::BufReader::new(file), &path.display().to_string())?;
                }
            }
            match format {
                Format::Json => println!("{}", serde_json::to_string(&report)?),
                Format::Text => print!("{}", audit::print_text(&report)),
            }
            Ok(!report.has_anomalies())
        }
        Command::Seal {
            template,
            ticket,
            output,
            parameters_out,
        } => {
            let source = std::fs::read_to_string(&template)
                .with_context(|| format!("reading {}", template.display()))?;
            let options = ticket.options(false);
            let (sealed_text, report) = block_on(async {
                let config = cfn_warden::aws::sdk_config().await;
                seal::seal_template(&source, &options, &config).await
            })
            .with_context(|| format!("sealing {}", template.display()))?;
            print_sealed(&report);
            match (&parameters_out, report.parameters.is_empty()) {
                (Some(path), _) => {
                    let values: Vec<serde_json::Value> = report
                        .parameters
                        .iter()
                        .map(|(k, v)| serde_json::json!({"ParameterKey": k, "ParameterValue": v.expose()}))
                        .collect();
                    std::fs::write(path, serde_json::to_string_pretty(&values)?)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                (None, false) => anyhow::bail!(
                    "{} take their tickets from parameters; pass --parameters-out FILE to receive the values",
                    report.parameters.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
                ),
                (None, true) => {}
            }
            match output {
                Some(path) => std::fs::write(&path, sealed_text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{sealed_text}"),
            }
            Ok(true)
        }
        Command::Deploy {
            stack_name,
            template,
            parameters,
            capabilities,
            tags,
            role_arn,
            signing,
            tickets,
            wait,
            json,
        } => {
            let source = std::fs::read_to_string(&template)
                .with_context(|| format!("reading {}", template.display()))?;
            let customs = deploy::custom_resource_ids(&source)
                .with_context(|| format!("reading {}", template.display()))?;
            let seal_options = tickets.options(&stack_name, false);
            let mut options = deploy::DeployOptions {
                stack_name: stack_name.clone(),
                parameters,
                capabilities,
                tags,
                role_arn,
                wait,
                poll: deploy::POLL_INTERVAL,
            };
            let settled = block_on(async {
                let config = cfn_warden::aws::sdk_config().await;
                let signer = make_signer(
                    signing.signing_key,
                    signing.signing_kms_key,
                    signing.kid.as_deref(),
                )
                .await?;
                let mut text = source;
                if customs.is_empty() {
                    if signer.is_some() || seal_options.is_some() {
                        eprintln!("no custom resources in the template: nothing to sign or seal");
                    }
                } else {
                    if let Some(signer) = &signer {
                        let now = std::time::SystemTime::now();
                        let sign_options = sign::SignOptions {
                            stack: stack_name.clone(),
                            issued_at: now,
                            not_after: now + signing.signature_valid_for,
                            patterns: signing.patterns,
                            only: Vec::new(),
                            resign: true,
                        };
                        let (signed_text, signed) = signer
                            .sign_template(&text, &sign_options)
                            .await
                            .with_context(|| format!("signing {}", template.display()))?;
                        print_signed(&signed);
                        text = signed_text;
                    }
                    if let Some(seal_options) = &seal_options {
                        let (sealed_text, report) =
                            seal::seal_template(&text, seal_options, &config)
                                .await
                                .with_context(|| format!("sealing {}", template.display()))?;
                        print_sealed(&report);
                        deploy::add_ticket_parameters(&mut options.parameters, report.parameters)?;
                        text = sealed_text;
                    }
                    if signer.is_none() && seal_options.is_none() {
                        eprintln!(
                            "warning: {} carry neither a signature nor a ticket: anyone who may invoke the provider can send the same request",
                            customs.join(", ")
                        );
                    }
                }
                let cfn = aws_sdk_cloudformation::Client::new(&config);
                deploy::deploy(&cfn, &text, &options).await
            })?;
            print_settled(&stack_name, &settled, json);
            Ok(settled.succeeded())
        }
        Command::Delete {
            stack_name,
            tickets,
            signing,
            allow_expired_signatures,
            role_arn,
            wait,
            json,
        } => {
            let seal = tickets.options(&stack_name, true);
            let settled = block_on(async {
                let config = cfn_warden::aws::sdk_config().await;
                let renewal = deploy::DeleteRenewal {
                    seal,
                    resign: signing.resign().await?,
                    allow_expired_signatures,
                };
                deploy::delete(
                    &config,
                    &stack_name,
                    renewal,
                    role_arn,
                    wait,
                    deploy::POLL_INTERVAL,
                )
                .await
            })?;
            print_settled(&stack_name, &settled, json);
            Ok(settled.status == "DELETE_COMPLETE")
        }
        Command::Refresh {
            stack_name,
            tickets,
            only,
            signing,
            wait,
        } => {
            if !only.is_empty() && tickets.ticket_role.is_none() {
                anyhow::bail!(
                    "--resource selects tickets to re-seal: it needs --ticket-role and --key"
                );
            }
            let seal = tickets.options(&stack_name, true).map(|mut options| {
                options.only = only;
                options
            });
            let report = block_on(async {
                let config = cfn_warden::aws::sdk_config().await;
                let renewal = seal::Renewal {
                    stack_name: stack_name.clone(),
                    seal,
                    resign: signing.resign().await?,
                };
                seal::refresh(&renewal, wait, &config).await
            })?;
            if let Some(sealed) = &report.sealed {
                print_sealed(sealed);
            }
            print_signed(&report.resigned);
            println!("{stack_name}: {}", report.final_status);
            Ok(true)
        }
        Command::BuildLayer {
            requirements,
            requirement_file,
            runtime,
            arch,
            index_url,
            require_hashes,
            output,
            cache_dir,
            concurrency,
            timeout,
            json,
        } => {
            let args = build_layer::BuildLayerArgs {
                requirement_file,
                requirements,
                runtime,
                arch,
                index_url,
                require_hashes,
                output,
                cache_dir,
                concurrency,
                timeout,
                json,
            };
            match build_layer::run(&args)? {
                build_layer::Outcome::Built => Ok(true),
                build_layer::Outcome::Refused(message) => {
                    eprintln!("warden: build-layer: {message}");
                    Ok(false)
                }
            }
        }
        Command::PublicKey { kms_key, kid } => {
            let signer = block_on(sign::KmsSigner::new(&kms_key, kid.as_deref()))?;
            println!("{}", serde_json::to_string(&vec![signer.public_config()])?);
            Ok(true)
        }
        Command::Sign {
            template,
            key,
            kms_key,
            kid,
            stack_name,
            valid_for,
            patterns,
            only,
            resign,
            output,
        } => {
            let source = std::fs::read_to_string(&template)
                .with_context(|| format!("reading {}", template.display()))?;
            let now = std::time::SystemTime::now();
            let options = sign::SignOptions {
                stack: stack_name,
                issued_at: now,
                not_after: now + valid_for,
                patterns,
                only,
                resign,
            };
            let (signed_text, signed) = block_on(async {
                let Some(signer) = make_signer(key, kms_key, kid.as_deref()).await? else {
                    anyhow::bail!("pass --key or --kms-key")
                };
                signer.sign_template(&source, &options).await
            })
            .with_context(|| format!("signing {}", template.display()))?;
            print_signed(&signed);
            match output {
                Some(path) => std::fs::write(&path, signed_text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{signed_text}"),
            }
            Ok(true)
        }
    }
}

/// Whether text output is coloured: stdout is a terminal and NO_COLOR is unset.
fn colour() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// The process environment, with `--insecure-response-url-prefix` taking precedence.
struct Overridden {
    prefix: Option<String>,
}

impl Environment for Overridden {
    fn var(&self, name: &str) -> Option<String> {
        match (&self.prefix, name) {
            (Some(p), "WARDEN_INSECURE_RESPONSE_URL_PREFIX") => Some(p.clone()),
            _ => ProcessEnvironment.var(name),
        }
    }
}

/// Runs a future on a small runtime (the CLI is synchronous except for AWS calls).
fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(future)
}

fn read_input(path: &PathBuf) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading stdin")?;
        Ok(buf)
    } else {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))
    }
}

/// Runs the provider's screening; the report never includes the ResponseURL or property values.
fn check_event(bytes: &[u8], function_arn: &str, config: &Config) -> Value {
    let as_json = |check: &Check| serde_json::to_value(check).unwrap_or(Value::Null);
    match screen(
        bytes,
        function_arn,
        config.consistency(),
        config.max_event_bytes(),
    ) {
        Screening::Unroutable(e) => finding("unroutable", "no-envelope", &e.to_string(), None),
        Screening::Denied { check, denial, .. } => finding(
            "denied",
            "request-consistency",
            &denial.detail,
            Some(as_json(&check)),
        ),
        Screening::Invalid { check, error, .. } => finding(
            "failed",
            "bad-input",
            &error.to_string(),
            Some(as_json(&check)),
        ),
        Screening::Accepted { request, check } => json!({
            "outcome": "accepted",
            "request_type": request.request_type().as_str(),
            "resource_type": request.resource_type(),
            "logical_resource_id": request.logical_resource_id(),
            "stack_id": request.stack().as_str(),
            "service_timeout_seconds": request.service_timeout().map(|t| t.duration().as_secs()),
            "unknown_fields": request.unknown_fields(),
            "check": as_json(&check),
        }),
        other => finding("failed", "unknown", &format!("{other:?}"), None),
    }
}

fn finding(outcome: &str, code: &str, message: &str, check: Option<Value>) -> Value {
    json!({"outcome": outcome, "code": code, "message": message, "check": check})
}

fn print_text(report: &Value) {
    match report["outcome"].as_str() {
        Some("accepted") => println!(
            "accepted: {} {} ({})",
            report["request_type"].as_str().unwrap_or_default(),
            report["logical_resource_id"].as_str().unwrap_or_default(),
            report["resource_type"].as_str().unwrap_or_default()
        ),
        Some(outcome) => {
            let what = match outcome {
                "unroutable" => "no answer possible, the provider sends nothing",
                "denied" => "refused, the provider sends nothing",
                _ => "the provider answers FAILED",
            };
            println!(
                "{outcome} [{}]: {} ({what})",
                report["code"].as_str().unwrap_or_default(),
                report["message"].as_str().unwrap_or_default()
            );
        }
        None => println!("{report}"),
    }
}
