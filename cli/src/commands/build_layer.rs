//! `warden build-layer`: the PipLayer engine on the command line. Requirements in, a
//! deterministic layer zip out, with a progress bar on a terminal and a summary.

use std::{
    io::IsTerminal as _,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use warden_pip::{
    build::{BuildEvent, BuiltLayer, LayerBuild, Progress},
    exclude::parse_exclude,
    index::check_index_url,
    layer_zip::MAX_UNZIPPED_BYTES,
    requirements::{parse_list, parse_requirements_txt, RequirementLine},
    target::Target,
    Error, Surface,
};

/// The arguments of `warden build-layer`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Requirement strings (PEP 508, optionally with --hash=sha256:...).
    pub(crate) requirements: Vec<String>,
    /// A requirements.txt (`-` for stdin).
    #[arg(long = "requirement", short = 'r')]
    pub(crate) requirement_file: Option<PathBuf>,
    /// The Lambda runtime: python3.9 to python3.14.
    #[arg(long, default_value = "python3.12")]
    pub(crate) runtime: String,
    /// The architecture: x86_64 or arm64.
    #[arg(long, default_value = "x86_64")]
    pub(crate) arch: String,
    /// The runtime's Python release, 3.X.Y, checked against Requires-Python and markers
    /// (default: a late patch release per runtime, e.g. 3.9.23 for python3.9).
    #[arg(long, value_name = "3.X.Y")]
    pub(crate) python_version: Option<String>,
    /// Packages the runtime already provides (e.g. boto3,botocore): resolved, not installed;
    /// the bytes saved are reported. Comma-separated, repeatable.
    #[arg(long, value_name = "NAMES")]
    pub(crate) exclude: Vec<String>,
    /// Unzipped bytes of the function and its other layers: the build fails when they and this
    /// layer exceed Lambda's 250 MB unzipped limit (the headroom left is reported).
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub(crate) reserve_unzipped: u64,
    /// The package index (simple API, PEP 691 or PEP 503). No index is built in.
    #[arg(long, env = "WARDEN_INDEX_URL")]
    pub(crate) index_url: Option<String>,
    /// Every requirement must be pinned with == and carry --hash.
    #[arg(long)]
    pub(crate) require_hashes: bool,
    /// Where to write the layer zip.
    #[arg(long, short)]
    pub(crate) output: PathBuf,
    /// Keep downloaded wheels here (by SHA-256) for the next build.
    #[arg(long, env = "WARDEN_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// How many requests to the index run at once, at most (fewer when the server cannot take
    /// them: after connect stalls, or when it closes every connection).
    #[arg(long, default_value_t = 8)]
    pub(crate) concurrency: usize,
    /// The idle timeout: how long to wait for the index to answer, and then for each read of
    /// the answer. It bounds silence, not a whole download: a large wheel on a slow but steady
    /// link is not cut off.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub(crate) timeout: Duration,
    /// Print the summary as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Runs the command; `Ok(false)` (exit 1) when the requirements cannot be built.
pub(crate) fn exec(args: Args) -> Result<bool> {
    match run(&args)? {
        Outcome::Built => Ok(true),
        Outcome::Refused(message) => {
            eprintln!("warden: build-layer: {message}");
            Ok(false)
        }
    }
}

/// How the command ended.
enum Outcome {
    /// Built and written.
    Built,
    /// The requirements cannot be built (exit 1): the message says why.
    Refused(String),
}

/// The progress bar (drawn only on a terminal).
struct Bar(ProgressBar);

impl Progress for Bar {
    fn event(&self, event: &BuildEvent<'_>) {
        match event {
            BuildEvent::LookingUp { package } => {
                self.0.set_message(format!("resolving {package}"));
                self.0.tick();
            }
            BuildEvent::Resolved { packages } => {
                self.0.set_length(*packages as u64 * 2);
                self.0.set_position(0);
                if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}") {
                    self.0.set_style(style);
                }
                self.0.set_message(format!("{packages} packages"));
            }
            BuildEvent::Downloaded {
                filename, cached, ..
            } => {
                let how = if *cached { "cached" } else { "downloaded" };
                self.0.set_message(format!("{how} {filename}"));
                self.0.inc(1);
            }
            BuildEvent::Installed { filename } => {
                self.0.set_message(format!("installed {filename}"));
                self.0.inc(1);
            }
            _ => {}
        }
    }
}

fn read_requirements(args: &Args) -> Result<Vec<RequirementLine>, String> {
    let mut lines = Vec::new();
    if let Some(path) = &args.requirement_file {
        let body = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| format!("reading stdin: {e}"))?
        } else {
            std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?
        };
        lines.extend(parse_requirements_txt(&body).map_err(|e| e.to_string())?);
    }
    lines.extend(parse_list(&args.requirements).map_err(|e| e.to_string())?);
    if lines.is_empty() {
        return Err("no requirements: give -r requirements.txt or requirement strings".into());
    }
    Ok(lines)
}

/// Errors that come from the input (exit 1) rather than the tool or the network (exit 2).
fn is_input_error(error: &Error) -> bool {
    !matches!(
        error,
        Error::IndexUnreachable { .. }
            | Error::IndexStatus { .. }
            | Error::HttpClient
            | Error::BuildWorker
            | Error::ZipWrite { .. }
    )
}

/// Runs the command.
fn run(args: &Args) -> Result<Outcome> {
    let requirements = match read_requirements(args) {
        Ok(lines) => lines,
        Err(message) => return Ok(Outcome::Refused(message)),
    };
    let target = match target(args) {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::Refused(e.for_surface(Surface::Cli).to_string())),
    };
    let exclude = match parse_exclude(&args.exclude) {
        Ok(names) => names,
        Err(e) => return Ok(Outcome::Refused(e.for_surface(Surface::Cli).to_string())),
    };
    let Some(given) = args.index_url.as_deref() else {
        anyhow::bail!(
            "no package index: give --index-url URL or set WARDEN_INDEX_URL (no index is built in)"
        );
    };
    // On the command line the index given is the allow-list; the https rule still holds.
    let index = match check_index_url(Some(given), &[given.to_owned()]) {
        Ok(url) => url,
        Err(e) => return Ok(Outcome::Refused(e.for_surface(Surface::Cli).to_string())),
    };
    let bar = if std::io::stderr().is_terminal() && !args.json {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut builder = LayerBuild::builder()
        .requirements(requirements)
        .target(target.clone())
        .index(index)
        .require_hashes(args.require_hashes)
        .concurrency(args.concurrency)
        .timeout(args.timeout)
        .exclude(exclude)
        .reserve_unzipped(args.reserve_unzipped)
        .surface(Surface::Cli)
        .progress(Arc::new(Bar(bar.clone())));
    if let Some(dir) = &args.cache_dir {
        builder = builder.cache_dir(dir);
    }
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let built = builder
        .build()
        .and_then(|build| runtime.block_on(build.run()));
    bar.finish_and_clear();
    let layer = match built {
        Ok(layer) => layer,
        Err(e) if is_input_error(&e) => return Ok(Outcome::Refused(e.to_string())),
        Err(e) => return Err(e).context("building the layer"),
    };
    let seconds = started.elapsed().as_secs_f64();
    write_atomically(&args.output, &layer.zip.bytes)?;
    let summary = summary(&layer, &target, &args.output, seconds);
    if args.json {
        println!("{summary}");
    } else {
        print!("{}", text(&summary));
    }
    Ok(Outcome::Built)
}

/// The target, with the Python release given (if any).
fn target(args: &Args) -> Result<Target, Error> {
    let target = Target::new(&args.runtime, &args.arch)?;
    match &args.python_version {
        Some(version) => target.with_python_version(version),
        None => Ok(target),
    }
}

/// Writes next to the destination, then renames: a failed build never leaves a partial file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, bytes).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))
}

fn summary(layer: &BuiltLayer, target: &Target, output: &Path, seconds: f64) -> Value {
    json!({
        "output": output.display().to_string(),
        "runtime": target.runtime(),
        "architecture": target.arch().lambda_name(),
        "sha256": layer.zip.sha256,
        "zipped_bytes": layer.zip.bytes.len(),
        "unzipped_bytes": layer.zip.unzipped_bytes,
        "files": layer.zip.files,
        "resolved": layer.resolved,
        "python_version": target.python_full_version().to_string(),
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "packages": layer.packages.iter().map(|p| json!({
            "name": p.name,
            "version": p.version,
            "wheel": p.filename,
            "sha256": p.sha256,
            "wheel_bytes": p.wheel_bytes,
            "unzipped_bytes": p.unzipped_bytes,
        })).collect::<Vec<_>>(),
        "excluded": layer.excluded.iter().map(|e| json!({
            "name": e.name,
            "version": e.version,
            "unzipped_bytes": e.unzipped_bytes,
        })).collect::<Vec<_>>(),
        "excluded_unzipped_bytes": layer.excluded_bytes(),
        "reserved_unzipped_bytes": layer.reserved_unzipped_bytes,
        "unzipped_limit_bytes": MAX_UNZIPPED_BYTES,
        "headroom_bytes": layer.headroom_bytes(),
        "warnings": layer.warnings,
    })
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn text(summary: &Value) -> String {
    let field = |key: &str| summary[key].as_u64().unwrap_or(0);
    let mut out = format!(
        "built {} for {} {} in {:.2} s{}\n",
        summary["output"].as_str().unwrap_or_default(),
        summary["runtime"].as_str().unwrap_or_default(),
        summary["architecture"].as_str().unwrap_or_default(),
        summary["seconds"].as_f64().unwrap_or(0.0),
        if summary["resolved"] == true {
            ""
        } else {
            " (pinned input, closure checked)"
        },
    );
    let packages = summary["packages"].as_array().cloned().unwrap_or_default();
    let widest = |key: &str| {
        packages
            .iter()
            .map(|p| p[key].as_str().unwrap_or_default().len())
            .max()
            .unwrap_or(0)
    };
    let (name_width, version_width) = (widest("name"), widest("version"));
    for p in &packages {
        out.push_str(&format!(
            "  {:name_width$}  {:version_width$}  {:>10} wheel  {:>10} installed\n",
            p["name"].as_str().unwrap_or_default(),
            p["version"].as_str().unwrap_or_default(),
            size(p["wheel_bytes"].as_u64().unwrap_or(0)),
            size(p["unzipped_bytes"].as_u64().unwrap_or(0)),
        ));
    }
    for e in summary["excluded"].as_array().cloned().unwrap_or_default() {
        let saved = match e["unzipped_bytes"].as_u64() {
            Some(bytes) => format!("{} saved", size(bytes)),
            None => "size unknown".to_owned(),
        };
        out.push_str(&format!(
            "  excluded {} {} (the runtime provides it; {saved})\n",
            e["name"].as_str().unwrap_or_default(),
            e["version"].as_str().unwrap_or_default(),
        ));
    }
    out.push_str(&format!(
        "{} packages, {} files, {} zipped, {} unzipped\nsha256 {}\n",
        packages.len(),
        field("files"),
        size(field("zipped_bytes")),
        size(field("unzipped_bytes")),
        summary["sha256"].as_str().unwrap_or_default(),
    ));
    let reserved = field("reserved_unzipped_bytes");
    let reserved = if reserved > 0 {
        format!(" and {} reserved", size(reserved))
    } else {
        String::new()
    };
    out.push_str(&format!(
        "headroom {} of Lambda's {} unzipped limit (function and all layers) after this layer{reserved}\n",
        size(field("headroom_bytes")),
        size(field("unzipped_limit_bytes")),
    ));
    for warning in summary["warnings"].as_array().cloned().unwrap_or_default() {
        out.push_str(&format!(
            "warning: {}\n",
            warning.as_str().unwrap_or_default()
        ));
    }
    out
}
