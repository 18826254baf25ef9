//! `warden audit`: decision logs (files, stdin, a CloudWatch Logs group) joined with CloudTrail
//! records; the reading and reporting live in `crate::audit`.

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::{block_on, Format};
use crate::audit;

/// The arguments of `warden audit`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Decision-log files (as the provider writes them or CloudWatch Logs exports them).
    #[arg(required_unless_present = "log_group")]
    pub(crate) logs: Vec<PathBuf>,
    /// Read a CloudWatch Logs group instead (FilterLogEvents; the usual AWS environment:
    /// credentials, region, profiles, AWS_ENDPOINT_URL).
    #[arg(long)]
    pub(crate) log_group: Option<String>,
    /// With --log-group or --cloudtrail-lake: only events from this long ago on (e.g.
    /// `24h`, `7d`; for a Lake query the default is `24h`, since queries are billed by the
    /// data they scan).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) since: Option<std::time::Duration>,
    /// Join with the Lambda `Invoke` records of this CloudTrail Lake event data store (id
    /// or ARN; StartQuery/GetQueryResults): decisions whose invoke was not made through
    /// CloudFormation are flagged `invoked-not-by-cloudformation`.
    #[arg(long)]
    pub(crate) cloudtrail_lake: Option<String>,
    /// The longest the Lake query may take, from starting it to its last page.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub(crate) lake_wait: std::time::Duration,
    /// CloudTrail records to join with (log files `{"Records": [...]}` or JSON lines;
    /// repeatable): decisions whose Lambda Invoke was not made through CloudFormation are
    /// flagged `invoked-not-by-cloudformation`.
    #[arg(long = "cloudtrail")]
    pub(crate) cloudtrail: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// Runs the command; `Ok(false)` means exit code 1.
pub(crate) fn exec(args: Args) -> Result<bool> {
    let Args {
        logs,
        log_group,
        since,
        cloudtrail_lake,
        lake_wait,
        cloudtrail,
        format,
    } = args;
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
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
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
            let file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            report.read(std::io::BufReader::new(file), &path.display().to_string())?;
        }
    }
    match format {
        Format::Json => println!("{}", serde_json::to_string(&report)?),
        Format::Text => print!("{}", audit::print_text(&report)),
    }
    Ok(!report.has_anomalies())
}
