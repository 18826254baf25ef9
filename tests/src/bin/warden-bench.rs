//! `warden-bench`: hello-resource (cfn-warden, Rust) against the same resource written with
//! crhelper on awslambdaric (Python), both driven through the same local Lambda Runtime API and
//! fake CloudFormation endpoint in the same run. Prints a table with ratios.
//!
//! Measured per peer: init (process start → first `GET /next`), warm invoke round trip (event
//! handed out → answer PUT and result posted), and peak RSS (`VmHWM` after the warm invokes).
//! Run it through `bench/run.sh`, which installs the Python peer and builds in release mode.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, reason = "a benchmark report is printed")]

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _, Result};
use serde_json::json;
use tokio::process::Command;
use warden_e2e::{bin, binary_path, CfnEvent, LocalLambda, Provider};

#[derive(Clone, Copy)]
enum Peer {
    Warden,
    Crhelper,
}

struct Settings {
    cold_runs: usize,
    warm_invokes: usize,
    python: String,
    python_dir: PathBuf,
}

struct Measured {
    init_ms: Vec<f64>,
    warm_ms: Vec<f64>,
    peak_rss_kib: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let settings = settings()?;
    println!(
        "warden-bench: {} cold starts and {} warm invokes per peer (after 20 warm-up invokes)\n",
        settings.cold_runs, settings.warm_invokes
    );
    let rust = measure(Peer::Warden, &settings)
        .await
        .context("measuring hello-resource")?;
    let python = measure(Peer::Crhelper, &settings)
        .await
        .context("measuring crhelper + awslambdaric")?;
    report(&rust, &python);
    Ok(())
}

fn settings() -> Result<Settings> {
    let mut s = Settings {
        cold_runs: 20,
        warm_invokes: 500,
        python: std::env::var("WARDEN_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_owned()),
        python_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../bench/python"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--cold-runs" => s.cold_runs = value.parse().context("--cold-runs")?,
            "--warm-invokes" => s.warm_invokes = value.parse().context("--warm-invokes")?,
            "--python" => s.python = value.clone(),
            other => bail!(
                "unknown flag {other} (flags: --cold-runs N, --warm-invokes N, --python PATH)"
            ),
        }
    }
    if s.cold_runs == 0 || s.warm_invokes == 0 {
        bail!("--cold-runs and --warm-invokes must be at least 1");
    }
    Ok(s)
}

fn spawn(peer: Peer, lambda: &LocalLambda, s: &Settings) -> Result<Provider> {
    let provider = match peer {
        Peer::Warden => Provider::spawn(
            bin("hello-resource"),
            lambda,
            "hello",
            &[("WARDEN_LOG", "warn")],
        )?,
        Peer::Crhelper => {
            let mut command = Command::new(&s.python);
            command
                .args(["-m", "awslambdaric", "hello_crhelper.handler"])
                .current_dir(&s.python_dir);
            let dir = s.python_dir.to_string_lossy().into_owned();
            Provider::spawn_command(
                command,
                lambda,
                "hello",
                &[("LAMBDA_TASK_ROOT", &dir), ("PYTHONDONTWRITEBYTECODE", "1")],
            )?
        }
    };
    Ok(provider)
}

async fn measure(peer: Peer, s: &Settings) -> Result<Measured> {
    if matches!(peer, Peer::Warden) {
        binary_path("hello-resource")?;
    }
    let mut init_ms = Vec::with_capacity(s.cold_runs);
    for _ in 0..s.cold_runs {
        let lambda = LocalLambda::start().await?;
        let started = Instant::now();
        let provider = spawn(peer, &lambda, s)?;
        lambda.wait_for_polls(1, Duration::from_secs(30)).await?;
        let first = lambda.first_poll().context("no first poll")?;
        init_ms.push(first.duration_since(started).as_secs_f64() * 1000.0);
        drop(provider);
    }

    let lambda = LocalLambda::start().await?;
    let provider = spawn(peer, &lambda, s)?;
    lambda.wait_for_polls(1, Duration::from_secs(30)).await?;
    let mut warm_ms = Vec::with_capacity(s.warm_invokes);
    for i in 0..(20 + s.warm_invokes) {
        let event = CfnEvent::create("Custom::Hello", "Greeting", json!({"Name": "Bench"}))
            .service_token(provider.function_arn())
            .respond_to(&lambda.response_base());
        let started = Instant::now();
        let x = lambda
            .invoke(
                event.to_bytes(),
                provider.function_arn(),
                Duration::from_secs(30),
                None,
            )
            .await
            .with_context(|| format!("the peer's stderr:\n{}", provider.stderr().join("\n")))?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let answer = x.answer().context("the peer sent no answer")?;
        if answer["Status"] != "SUCCESS" || answer["Data"]["Greeting"] != "Hello, Bench" {
            bail!("unexpected answer: {answer}");
        }
        if i >= 20 {
            warm_ms.push(elapsed);
        }
    }
    let pid = provider.pid().context("no pid")?;
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading /proc status")?;
    let peak_rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM")?;
    Ok(Measured {
        init_ms,
        warm_ms,
        peak_rss_kib,
    })
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[rank.min(v.len() - 1)]
}

/// One row of the report.
#[derive(Clone, Copy)]
enum Metric {
    /// This percentile of init → first poll.
    Init(f64),
    /// This percentile of the warm round trip.
    Warm(f64),
    /// Peak resident memory.
    PeakRss,
}

impl Metric {
    fn of(self, m: &Measured) -> f64 {
        match self {
            Self::Init(p) => percentile(&m.init_ms, p),
            Self::Warm(p) => percentile(&m.warm_ms, p),
            Self::PeakRss => m.peak_rss_kib as f64 / 1024.0,
        }
    }
}

const ROWS: [(&str, Metric); 5] = [
    ("init → first poll, median (ms)", Metric::Init(50.0)),
    ("init → first poll, p95 (ms)", Metric::Init(95.0)),
    ("warm invoke round trip, median (ms)", Metric::Warm(50.0)),
    ("warm invoke round trip, p95 (ms)", Metric::Warm(95.0)),
    ("peak RSS (MiB)", Metric::PeakRss),
];

fn report(rust: &Measured, python: &Measured) {
    let rows = ROWS.map(|(name, metric)| (name, metric.of(rust), metric.of(python)));
    println!(
        "| metric | cfn-warden hello-resource | crhelper + awslambdaric | ratio (Python / Rust) |"
    );
    println!("|---|---:|---:|---:|");
    for (name, r, p) in rows {
        println!("| {name} | {r:.2} | {p:.2} | {:.1}× |", p / r);
    }
}
