//! What the engine tests share: wheels built in memory, an in-memory index (the transport is
//! injected) that records what is asked of it, and builders for a build against it.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "shared by several test crates, each using a part; a panic is how a test fails"
)]

use std::{
    collections::HashMap,
    io::Write as _,
    sync::{Arc, Mutex},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use bytes::Bytes;
use url::Url;
use warden_pip::{
    build::{BuildEvent, BuiltLayer, LayerBuild, Progress},
    client::sha256_hex,
    http::{ByteRange, Fetch, FetchFailure, Fetched, IndexTransport, Limits, Ranged},
    requirements::parse_list,
    target::Target,
    Error,
};

pub const INDEX: &str = "https://index.invalid/simple/";

/// A wheel: `files` plus METADATA (with `requires`) and a computed RECORD.
pub fn wheel(name: &str, version: &str, requires: &[&str]) -> Vec<u8> {
    wheel_with(name, version, requires, "")
}

/// A wheel whose METADATA also has the `extra` header lines.
pub fn wheel_with(name: &str, version: &str, requires: &[&str], extra: &str) -> Vec<u8> {
    wheel_padded(name, version, requires, extra, 0)
}

/// A wheel with an incompressible `padding` file of `pad` bytes (a large wheel).
pub fn wheel_padded(
    name: &str,
    version: &str,
    requires: &[&str],
    extra: &str,
    pad: usize,
) -> Vec<u8> {
    let dist = format!("{name}-{version}.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{extra}");
    for r in requires {
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    // Incompressible, deterministic filler.
    let mut filler = Vec::with_capacity(pad);
    let mut state: u32 = 0x9e37_79b9;
    while filler.len() < pad {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        filler.push(b'a' + (state % 26) as u8);
    }
    let files = vec![
        (
            format!("{name}/padding.txt"),
            String::from_utf8(filler).unwrap(),
        ),
        (
            format!("{name}/__init__.py"),
            format!("VERSION = '{version}'\n"),
        ),
        (format!("{dist}/METADATA"), metadata),
        (
            format!("{dist}/WHEEL"),
            "Wheel-Version: 1.0\nTag: py3-none-any\n".to_owned(),
        ),
    ];
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut record = String::new();
    for (path, contents) in &files {
        writer.start_file(path.as_str(), options).unwrap();
        writer.write_all(contents.as_bytes()).unwrap();
        let digest = ring::digest::digest(&ring::digest::SHA256, contents.as_bytes());
        record.push_str(&format!(
            "{path},sha256={},{}\n",
            URL_SAFE_NO_PAD.encode(digest),
            contents.len()
        ));
    }
    record.push_str(&format!("{dist}/RECORD,,\n"));
    writer
        .start_file(format!("{dist}/RECORD"), options)
        .unwrap();
    writer.write_all(record.as_bytes()).unwrap();
    writer.finish().unwrap().into_inner()
}

#[derive(Clone)]
pub enum Answer {
    Ok(Fetched),
    Fail(FetchFailure),
}

/// An index in memory, recording every URL asked for.
#[derive(Default)]
pub struct MemoryIndex {
    pub answers: Mutex<HashMap<String, Answer>>,
    pub asked: Mutex<Vec<String>>,
    /// Serve range requests (206) instead of whole files.
    pub ranges: bool,
    /// The URLs asked for in parts, with each part's size.
    pub ranged: Mutex<Vec<(String, u64)>>,
}

impl MemoryIndex {
    pub fn put(&self, url: &str, content_type: &str, body: impl Into<Bytes>) {
        self.answers.lock().unwrap().insert(
            url.to_owned(),
            Answer::Ok(Fetched {
                status: 200,
                content_type: content_type.to_owned(),
                body: body.into(),
            }),
        );
    }

    pub fn fail(&self, url: &str, failure: FetchFailure) {
        self.answers
            .lock()
            .unwrap()
            .insert(url.to_owned(), Answer::Fail(failure));
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl IndexTransport for MemoryIndex {
    fn get_range<'a>(&'a self, url: &'a Url, range: ByteRange, cap: Limits) -> Fetch<'a, Ranged> {
        Box::pin(async move {
            if !self.ranges {
                let whole = self.get(url, "*/*", cap).await?;
                return Ok(Ranged::Whole(whole.body));
            }
            let Some(Answer::Ok(f)) = self.answers.lock().unwrap().get(url.as_str()).cloned()
            else {
                return Err(FetchFailure::Status(404));
            };
            let total = f.body.len() as u64;
            let (start, end) = match range {
                ByteRange::Suffix(n) => (total.saturating_sub(n), total - 1),
                ByteRange::Span { start, end } => (start, end.min(total - 1)),
            };
            self.ranged
                .lock()
                .unwrap()
                .push((url.to_string(), end - start + 1));
            Ok(Ranged::Part {
                start,
                total,
                body: f.body.slice(start as usize..=end as usize),
            })
        })
    }
    fn get<'a>(&'a self, url: &'a Url, _accept: &'a str, cap: Limits) -> Fetch<'a, Fetched> {
        Box::pin(async move {
            self.asked.lock().unwrap().push(url.to_string());
            match self.answers.lock().unwrap().get(url.as_str()).cloned() {
                Some(Answer::Ok(f)) if f.body.len() as u64 > cap.max_bytes => {
                    Err(FetchFailure::TooLarge)
                }
                Some(Answer::Ok(f)) => Ok(f),
                Some(Answer::Fail(failure)) => Err(failure),
                None => Ok(Fetched {
                    status: 404,
                    content_type: "text/plain".into(),
                    body: Bytes::new(),
                }),
            }
        })
    }
}

/// A package file on the test index.
pub struct File {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub requires_python: Option<&'static str>,
    pub yanked: bool,
    /// Offer PEP 658 metadata.
    pub metadata: bool,
    /// Override the hash the page states (empty: state none).
    pub stated_hash: Option<String>,
    /// Serve this as the PEP 658 metadata instead of the wheel's own.
    pub served_metadata: Option<String>,
}

pub fn file(filename: &str, bytes: Vec<u8>) -> File {
    File {
        filename: filename.to_owned(),
        bytes,
        requires_python: None,
        yanked: false,
        metadata: false,
        stated_hash: None,
        served_metadata: None,
    }
}

pub fn pure(name: &str, version: &str, requires: &[&str]) -> File {
    file(
        &format!("{name}-{version}-py3-none-any.whl"),
        wheel(name, version, requires),
    )
}

/// Publishes `files` for `project` as a JSON (PEP 691) page, or HTML (PEP 503) when `html`.
pub fn publish(index: &MemoryIndex, project: &str, files: Vec<File>, html: bool) {
    let page = format!("{INDEX}{project}/");
    let mut json = Vec::new();
    let mut anchors = String::new();
    for f in files {
        let url = format!("https://files.invalid/{}", f.filename);
        let hash = f
            .stated_hash
            .clone()
            .unwrap_or_else(|| sha256_hex(&f.bytes));
        let hashes = if hash.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::json!({ "sha256": hash })
        };
        // A yanked file says why (PEP 592).
        let yanked_json = if f.yanked {
            serde_json::json!("broken release")
        } else {
            serde_json::json!(false)
        };
        if f.metadata {
            let meta = f
                .served_metadata
                .clone()
                .unwrap_or_else(|| metadata_of(&f.bytes));
            let meta_hash = sha256_hex(meta.as_bytes());
            index.put(&format!("{url}.metadata"), "binary/octet-stream", meta);
            json.push(serde_json::json!({
                "filename": f.filename, "url": url, "hashes": hashes,
                "requires-python": f.requires_python, "yanked": yanked_json,
                "core-metadata": {"sha256": meta_hash},
            }));
        } else {
            json.push(serde_json::json!({
                "filename": f.filename, "url": url, "hashes": hashes,
                "requires-python": f.requires_python, "yanked": yanked_json,
            }));
        }
        let python = f
            .requires_python
            .map(|p| {
                format!(
                    " data-requires-python=\"{}\"",
                    p.replace('>', "&gt;").replace('<', "&lt;")
                )
            })
            .unwrap_or_default();
        let yanked = if f.yanked {
            " data-yanked=\"broken release\""
        } else {
            ""
        };
        let fragment = if hash.is_empty() {
            String::new()
        } else {
            format!("#sha256={hash}")
        };
        anchors.push_str(&format!(
            "<a href=\"{url}{fragment}\"{python}{yanked}>{}</a><br/>\n",
            f.filename
        ));
        index.put(&url, "binary/octet-stream", f.bytes);
    }
    if html {
        index.put(
            &page,
            "text/html",
            format!("<!DOCTYPE html><html><body>{anchors}</body></html>"),
        );
    } else {
        index.put(
            &page,
            "application/vnd.pypi.simple.v1+json",
            serde_json::json!({"meta": {"api-version": "1.1"}, "name": project, "files": json})
                .to_string(),
        );
    }
}

pub fn metadata_of(wheel: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel)).unwrap();
    let name = archive
        .file_names()
        .find(|n| n.ends_with(".dist-info/METADATA"))
        .unwrap()
        .to_owned();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(&name).unwrap(), &mut out).unwrap();
    out
}

/// Records progress events.
#[derive(Default)]
pub struct Events(pub Mutex<Vec<String>>);

impl Progress for Events {
    fn event(&self, event: &BuildEvent<'_>) {
        self.0.lock().unwrap().push(format!("{event:?}"));
    }
}

pub fn builder(
    index: &Arc<MemoryIndex>,
    requirements: &[&str],
) -> warden_pip::build::LayerBuildBuilder {
    LayerBuild::builder()
        .requirements(parse_list(requirements).unwrap())
        .target(Target::new("python3.12", "arm64").unwrap())
        .index(Url::parse(INDEX).unwrap())
        .transport(index.clone())
}

/// Each surface with the name a setting has there: `resource` in a resource's properties, `cli`
/// on the command line.
pub fn each_surface<'a>(resource: &'a str, cli: &'a str) -> [(warden_pip::Surface, &'a str); 2] {
    [
        (warden_pip::Surface::Resource, resource),
        (warden_pip::Surface::Cli, cli),
    ]
}

/// The error of a build that must fail, as text.
pub async fn build_err(index: &Arc<MemoryIndex>, requirements: &[&str]) -> String {
    build(index, requirements).await.unwrap_err().to_string()
}

/// Asserts that the error text `err` says `needle`.
#[track_caller]
pub fn says(err: &str, needle: &str) {
    assert!(err.contains(needle), "{err}");
}

/// Builds and runs a configured layer build (a configuration that does not build panics).
pub trait RunBuild {
    /// `.build().unwrap().run()`.
    fn run_built(self) -> impl std::future::Future<Output = Result<BuiltLayer, Error>>;

    /// The error of a run that must fail, as text.
    fn run_err(self) -> impl std::future::Future<Output = String>
    where
        Self: Sized,
    {
        let run = self.run_built();
        async move {
            match run.await {
                Ok(_) => panic!("the build succeeded"),
                Err(e) => e.to_string(),
            }
        }
    }
}

impl RunBuild for warden_pip::build::LayerBuildBuilder {
    fn run_built(self) -> impl std::future::Future<Output = Result<BuiltLayer, Error>> {
        let build = self.build().unwrap();
        async move { build.run().await }
    }
}

pub async fn build(index: &Arc<MemoryIndex>, requirements: &[&str]) -> Result<BuiltLayer, Error> {
    builder(index, requirements).build()?.run().await
}

/// A small world: app needs lib>=1 and, with [fast], speedups; lib 2.0 needs python >= 3.13.
pub fn world(html: bool) -> Arc<MemoryIndex> {
    let index = Arc::new(MemoryIndex::default());
    publish(
        &index,
        "app",
        vec![
            pure("app", "1.0", &["lib>=1"]),
            pure(
                "app",
                "1.1",
                &[
                    "lib>=1",
                    "speedups; extra == \"fast\"",
                    "winonly; sys_platform == \"win32\"",
                ],
            ),
            File {
                yanked: true,
                ..pure("app", "1.2", &["lib>=1"])
            },
            file("app-1.3.tar.gz", b"sdist".to_vec()),
        ],
        html,
    );
    publish(
        &index,
        "lib",
        vec![
            pure("lib", "1.0", &[]),
            pure("lib", "1.5", &[]),
            File {
                requires_python: Some(">=3.13"),
                ..pure("lib", "2.0", &[])
            },
        ],
        html,
    );
    publish(&index, "speedups", vec![pure("speedups", "0.3", &[])], html);
    index
}
