//! The layer build end to end against an in-memory index (the transport is injected): pages in
//! PEP 691 JSON and PEP 503 HTML, PEP 658 metadata, hash checks, pinned input, the cache and
//! every error a user can meet. The real-index tests (pypiserver) live in `tests/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a panic is how a test fails"
)]

use std::{
    collections::HashMap,
    io::Write as _,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use bytes::Bytes;
use url::Url;
use warden_pip::{
    build::{BuildEvent, BuiltLayer, LayerBuild, Progress},
    client::sha256_hex,
    http::{BoxFuture, ByteRange, FetchFailure, Fetched, IndexTransport, Ranged},
    requirements::{parse_list, parse_requirements_txt},
    target::Target,
    Error, Surface,
};

const INDEX: &str = "https://index.invalid/simple/";

/// A wheel: `files` plus METADATA (with `requires`) and a computed RECORD.
fn wheel(name: &str, version: &str, requires: &[&str]) -> Vec<u8> {
    wheel_with(name, version, requires, "")
}

/// A wheel whose METADATA also has the `extra` header lines.
fn wheel_with(name: &str, version: &str, requires: &[&str], extra: &str) -> Vec<u8> {
    wheel_padded(name, version, requires, extra, 0)
}

/// A wheel with an incompressible `padding` file of `pad` bytes (a large wheel).
fn wheel_padded(name: &str, version: &str, requires: &[&str], extra: &str, pad: usize) -> Vec<u8> {
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
enum Answer {
    Ok(Fetched),
    Fail(FetchFailure),
}

/// An index in memory, recording every URL asked for.
#[derive(Default)]
struct MemoryIndex {
    answers: Mutex<HashMap<String, Answer>>,
    asked: Mutex<Vec<String>>,
    /// Serve range requests (206) instead of whole files.
    ranges: bool,
    /// The URLs asked for in parts, with each part's size.
    ranged: Mutex<Vec<(String, u64)>>,
}

impl MemoryIndex {
    fn put(&self, url: &str, content_type: &str, body: impl Into<Bytes>) {
        self.answers.lock().unwrap().insert(
            url.to_owned(),
            Answer::Ok(Fetched {
                status: 200,
                content_type: content_type.to_owned(),
                body: body.into(),
            }),
        );
    }

    fn fail(&self, url: &str, failure: FetchFailure) {
        self.answers
            .lock()
            .unwrap()
            .insert(url.to_owned(), Answer::Fail(failure));
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl IndexTransport for MemoryIndex {
    fn get_range<'a>(
        &'a self,
        url: &'a Url,
        range: ByteRange,
        timeout: Duration,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Ranged, FetchFailure>> {
        Box::pin(async move {
            if !self.ranges {
                let whole = self.get(url, "*/*", timeout, max_bytes).await?;
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
    fn get<'a>(
        &'a self,
        url: &'a Url,
        _accept: &'a str,
        _timeout: Duration,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Fetched, FetchFailure>> {
        Box::pin(async move {
            self.asked.lock().unwrap().push(url.to_string());
            match self.answers.lock().unwrap().get(url.as_str()).cloned() {
                Some(Answer::Ok(f)) if f.body.len() as u64 > max_bytes => {
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
struct File {
    filename: String,
    bytes: Vec<u8>,
    requires_python: Option<&'static str>,
    yanked: bool,
    /// Offer PEP 658 metadata.
    metadata: bool,
    /// Override the hash the page states (empty: state none).
    stated_hash: Option<String>,
    /// Serve this as the PEP 658 metadata instead of the wheel's own.
    served_metadata: Option<String>,
}

fn file(filename: &str, bytes: Vec<u8>) -> File {
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

fn pure(name: &str, version: &str, requires: &[&str]) -> File {
    file(
        &format!("{name}-{version}-py3-none-any.whl"),
        wheel(name, version, requires),
    )
}

/// Publishes `files` for `project` as a JSON (PEP 691) page, or HTML (PEP 503) when `html`.
fn publish(index: &MemoryIndex, project: &str, files: Vec<File>, html: bool) {
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
        if f.metadata {
            let meta = f
                .served_metadata
                .clone()
                .unwrap_or_else(|| metadata_of(&f.bytes));
            let meta_hash = sha256_hex(meta.as_bytes());
            index.put(&format!("{url}.metadata"), "binary/octet-stream", meta);
            json.push(serde_json::json!({
                "filename": f.filename, "url": url, "hashes": hashes,
                "requires-python": f.requires_python, "yanked": f.yanked,
                "core-metadata": {"sha256": meta_hash},
            }));
        } else {
            json.push(serde_json::json!({
                "filename": f.filename, "url": url, "hashes": hashes,
                "requires-python": f.requires_python, "yanked": f.yanked,
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
        let yanked = if f.yanked { " data-yanked=\"\"" } else { "" };
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

fn metadata_of(wheel: &[u8]) -> String {
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
struct Events(Mutex<Vec<String>>);

impl Progress for Events {
    fn event(&self, event: &BuildEvent<'_>) {
        self.0.lock().unwrap().push(format!("{event:?}"));
    }
}

fn builder(
    index: &Arc<MemoryIndex>,
    requirements: &[&str],
) -> warden_pip::build::LayerBuildBuilder {
    LayerBuild::builder()
        .requirements(parse_list(requirements).unwrap())
        .target(Target::new("python3.12", "arm64").unwrap())
        .index(Url::parse(INDEX).unwrap())
        .transport(index.clone())
}

async fn build(index: &Arc<MemoryIndex>, requirements: &[&str]) -> Result<BuiltLayer, Error> {
    builder(index, requirements).build()?.run().await
}

/// A small world: app needs lib>=1 and, with [fast], speedups; lib 2.0 needs python >= 3.13.
fn world(html: bool) -> Arc<MemoryIndex> {
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

#[tokio::test]
async fn resolves_installs_and_archives_the_same_bytes_twice() {
    for html in [false, true] {
        let index = world(html);
        let events = Arc::new(Events::default());
        let layer = builder(&index, &["app[fast]"])
            .progress(events.clone())
            .build()
            .unwrap()
            .run()
            .await
            .unwrap();
        // Yanked 1.2, sdist-only 1.3, lib 2.0 (Requires-Python) and the win32-only
        // dependency are all left out.
        assert_eq!(
            layer.pins(),
            ["app==1.1", "lib==1.5", "speedups==0.3"],
            "html={html}"
        );
        assert!(layer.resolved);
        let again = build(&index, &["app[fast]"]).await.unwrap();
        assert_eq!(layer.zip.sha256, again.zip.sha256);
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(layer.zip.bytes.clone())).unwrap();
        assert!(archive.by_name("python/app/__init__.py").is_ok());
        assert!(archive.by_name("python/lib/__init__.py").is_ok());
        let events = events.0.lock().unwrap();
        assert!(events
            .iter()
            .any(|e| e.contains("LookingUp { package: \"app\" }")));
        assert!(events
            .iter()
            .any(|e| e.contains("Resolved { packages: 3 }")));
        assert_eq!(
            events.iter().filter(|e| e.starts_with("Installed")).count(),
            3
        );
    }
}

#[tokio::test]
async fn pep_658_metadata_avoids_downloading_wheels_that_are_not_installed() {
    let index = Arc::new(MemoryIndex::default());
    publish(
        &index,
        "app",
        vec![File {
            metadata: true,
            ..pure("app", "1.0", &["lib<1.5"])
        }],
        false,
    );
    publish(
        &index,
        "lib",
        vec![
            File {
                metadata: true,
                ..pure("lib", "1.0", &[])
            },
            File {
                metadata: true,
                ..pure("lib", "1.5", &[])
            },
        ],
        false,
    );
    let layer = build(&index, &["app", "lib"]).await.unwrap();
    assert_eq!(layer.pins(), ["app==1.0", "lib==1.0"]);
    let asked = index.asked();
    assert!(asked
        .iter()
        .any(|u| u.ends_with("app-1.0-py3-none-any.whl.metadata")));
    assert!(
        !asked
            .iter()
            .any(|u| u.ends_with("lib-1.5-py3-none-any.whl")),
        "{asked:?}"
    );
}

#[tokio::test]
async fn downloads_are_checked_against_the_index_and_the_pins() {
    let index = Arc::new(MemoryIndex::default());
    publish(
        &index,
        "lib",
        vec![File {
            stated_hash: Some("0".repeat(64)),
            ..pure("lib", "1.0", &[])
        }],
        false,
    );
    let err = build(&index, &["lib"]).await.unwrap_err().to_string();
    assert!(
        err.contains("lib-1.0-py3-none-any.whl has SHA-256")
            && err.contains("but the index expects 0000"),
        "{err}"
    );

    let index = world(false);
    let wrong = "ab".repeat(32);
    let err = build(&index, &[&format!("lib==1.5 --hash=sha256:{wrong}")])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("the requirement's --hash expects"), "{err}");
    assert!(err.contains(&wrong), "{err}");
}

#[tokio::test]
async fn pinned_and_hashed_input_skips_resolution_and_checks_the_closure() {
    let index = world(false);
    let app = sha256_hex(&wheel("app", "1.0", &["lib>=1"]));
    let lib = sha256_hex(&wheel("lib", "1.0", &[]));
    let body = format!("app==1.0 --hash=sha256:{app}\nlib==1.0 \\\n    --hash=sha256:{lib}\n");
    let layer = LayerBuild::builder()
        .requirements(parse_requirements_txt(&body).unwrap())
        .target(Target::new("python3.12", "x86_64").unwrap())
        .index(Url::parse(INDEX).unwrap())
        .transport(index.clone())
        .require_hashes(true)
        .build()
        .unwrap()
        .run()
        .await
        .unwrap();
    assert!(!layer.resolved);
    // lib 1.0 is installed as pinned, although 1.5 is newer.
    assert_eq!(layer.pins(), ["app==1.0", "lib==1.0"]);

    let err = build(&index, &[&format!("app==1.0 --hash=sha256:{app}")])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("app==1.0 needs lib>=1, which is not pinned"),
        "{err}"
    );
}

#[tokio::test]
async fn require_hashes_wants_every_line_pinned_and_hashed() {
    let index = world(false);
    for (line, needle) in [
        ("lib>=1", "requirement line 1 (`lib`) is not pinned with =="),
        ("lib==1.0", "requirement line 1 (`lib`) has no --hash"),
    ] {
        let err = builder(&index, &[line])
            .require_hashes(true)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{line}: {err}");
    }
}

#[tokio::test]
async fn every_package_without_a_usable_wheel_is_named_in_one_error() {
    let index = Arc::new(MemoryIndex::default());
    publish(
        &index,
        "app",
        vec![pure("app", "1.0", &["cext", "muslonly", "macos"])],
        false,
    );
    publish(
        &index,
        "cext",
        vec![file("cext-1.0.tar.gz", b"x".to_vec())],
        false,
    );
    publish(
        &index,
        "muslonly",
        vec![file(
            "muslonly-1.0-cp312-cp312-musllinux_1_2_aarch64.whl",
            wheel("muslonly", "1.0", &[]),
        )],
        false,
    );
    publish(
        &index,
        "macos",
        vec![file(
            "macos-1.0-cp312-cp312-macosx_11_0_arm64.whl",
            wheel("macos", "1.0", &[]),
        )],
        false,
    );
    let err = build(&index, &["app"]).await.unwrap_err().to_string();
    assert!(
        err.starts_with("no compatible wheel for python3.12 arm64"),
        "{err}"
    );
    assert!(err.contains("cext (only an sdist"), "{err}");
    assert!(
        err.contains(
            "muslonly (no wheel for this platform; wheels exist for musllinux_1_2_aarch64)"
        ),
        "{err}"
    );
    assert!(err.contains("macos (no wheel for this platform"), "{err}");
}

#[tokio::test]
async fn unknown_packages_unsatisfiable_constraints_and_dead_indexes_are_clear() {
    let index = world(false);
    let err = build(&index, &["nosuchthing"])
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(err, "package `nosuchthing` is not on the index");

    let err = build(&index, &["app==1.0", "lib<1"])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("unsatisfiable requirements:"), "{err}");
    assert!(err.contains("lib"), "{err}");

    for (failure, needle) in [
        (
            FetchFailure::Timeout,
            "timed out: nothing arrived for 30 s (the provider's index timeout bounds the wait for each read, not a whole download)",
        ),
        (FetchFailure::Connect, "could not be reached"),
        (
            FetchFailure::Dns,
            "could not be found: its host name does not resolve (DNS lookup failed)",
        ),
        (
            FetchFailure::Refused,
            "refused the connection (nothing listens on that host and port)",
        ),
    ] {
        let index = world(false);
        index.fail(&format!("{INDEX}app/"), failure);
        let err = build(&index, &["app"]).await.unwrap_err().to_string();
        assert!(
            err.starts_with("the package index at https://index.invalid/simple/app/"),
            "{err}"
        );
        assert!(err.contains(needle), "{err}");
        // Only a timeout mentions the timeout.
        assert_eq!(
            err.contains("30 s"),
            failure == FetchFailure::Timeout,
            "{err}"
        );
    }
    // On the command line, the flag is named.
    let index = world(false);
    index.fail(&format!("{INDEX}app/"), FetchFailure::Timeout);
    let err = builder(&index, &["app"])
        .surface(Surface::Cli)
        .build()
        .unwrap()
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nothing arrived for 30 s (--timeout bounds the wait for each read"),
        "{err}"
    );
    let index = world(false);
    index.fail(
        "https://files.invalid/lib-1.5-py3-none-any.whl",
        FetchFailure::TooLarge,
    );
    let err = build(&index, &["lib"]).await.unwrap_err().to_string();
    assert!(err.contains("sent a body over the size limit"), "{err}");
}

#[tokio::test]
async fn the_configuration_is_checked_before_any_request() {
    let index = world(false);
    let err = LayerBuild::builder()
        .requirements(parse_list(&["lib"]).unwrap())
        .target(Target::new("python3.12", "arm64").unwrap())
        .transport(index.clone())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::NoIndexConfigured { .. }), "{err}");
    let err = builder(&index, &["lib"])
        .allow_sdist(true)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("AllowSdist"), "{err}");
    let err = builder(&index, &[]).build().unwrap_err();
    assert!(err.to_string().contains("no requirements"), "{err}");
    assert!(index.asked().is_empty());
}

#[tokio::test]
async fn the_cache_directory_serves_wheels_on_the_next_build() {
    let dir = std::env::temp_dir().join(format!("warden-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let index = world(false);
    let first = builder(&index, &["lib"])
        .cache_dir(&dir)
        .build()
        .unwrap()
        .run()
        .await
        .unwrap();
    let events = Arc::new(Events::default());
    let index = world(false);
    let second = builder(&index, &["lib"])
        .cache_dir(&dir)
        .progress(events.clone())
        .build()
        .unwrap()
        .run()
        .await
        .unwrap();
    assert_eq!(first.zip.sha256, second.zip.sha256);
    assert!(
        !index.asked().iter().any(|u| u.ends_with(".whl")),
        "{:?}",
        index.asked()
    );
    assert!(events
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.contains("cached: true")));
    // A corrupted cache entry is not trusted: the wheel is downloaded again.
    for entry in std::fs::read_dir(&dir).unwrap() {
        std::fs::write(entry.unwrap().path(), b"corrupt").unwrap();
    }
    let index = world(false);
    let third = builder(&index, &["lib"])
        .cache_dir(&dir)
        .build()
        .unwrap()
        .run()
        .await
        .unwrap();
    assert_eq!(first.zip.sha256, third.zip.sha256);
    assert!(index.asked().iter().any(|u| u.ends_with(".whl")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn files_without_any_hash_are_never_installed() {
    let index = Arc::new(MemoryIndex::default());
    publish(
        &index,
        "lib",
        vec![File {
            stated_hash: Some(String::new()),
            ..pure("lib", "1.0", &[])
        }],
        true,
    );
    let err = build(&index, &["lib"]).await.unwrap_err().to_string();
    assert!(
        err.contains("the index states no SHA-256 for lib-1.0-py3-none-any.whl"),
        "{err}"
    );
    // A --hash pin makes it verifiable.
    let pin = sha256_hex(&wheel("lib", "1.0", &[]));
    let layer = build(&index, &[&format!("lib==1.0 --hash=sha256:{pin}")])
        .await
        .unwrap();
    assert_eq!(layer.pins(), ["lib==1.0"]);
}

#[tokio::test]
async fn metadata_served_apart_from_the_wheel_must_match_it() {
    let index = Arc::new(MemoryIndex::default());
    publish(
        &index,
        "lib",
        vec![File {
            metadata: true,
            served_metadata: Some("Metadata-Version: 2.1\nName: lib\nVersion: 1.0\n".into()),
            ..pure("lib", "1.0", &["evil"])
        }],
        false,
    );
    publish(&index, "evil", vec![pure("evil", "1.0", &[])], false);
    let err = build(&index, &["lib"]).await.unwrap_err().to_string();
    assert!(
        err.contains("has METADATA that differs from the metadata the index served"),
        "{err}"
    );
}

#[tokio::test]
async fn requires_python_in_the_wheels_own_metadata_is_honoured() {
    // The page states no Requires-Python for lib 2.0; its METADATA does.
    let index = Arc::new(MemoryIndex::default());
    let newer = wheel_with("lib", "2.0", &[], "Requires-Python: >=3.13\n");
    publish(
        &index,
        "lib",
        vec![
            pure("lib", "1.0", &[]),
            file("lib-2.0-py3-none-any.whl", newer.clone()),
        ],
        true,
    );
    let layer = build(&index, &["lib"]).await.unwrap();
    assert_eq!(layer.pins(), ["lib==1.0"]);
    // Pinned input gets the same check.
    let pin = sha256_hex(&newer);
    let err = build(&index, &[&format!("lib==2.0 --hash=sha256:{pin}")])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("lib==2.0 (requires Python >=3.13)"), "{err}");
}

#[tokio::test]
async fn pins_choose_among_compatible_wheels_and_missing_wheels_are_listed_together() {
    let index = Arc::new(MemoryIndex::default());
    let generic = wheel("lib", "1.0", &[]);
    let native = wheel_with("lib", "1.0", &[], "Summary: native\n");
    publish(
        &index,
        "lib",
        vec![
            file("lib-1.0-cp312-cp312-manylinux_2_17_aarch64.whl", native),
            file("lib-1.0-py3-none-any.whl", generic.clone()),
        ],
        false,
    );
    // Unpinned, the native wheel ranks first; pinned to the generic one, that one is used.
    let layer = build(&index, &["lib==1.0"]).await.unwrap();
    assert!(layer.packages[0].filename.contains("manylinux"));
    let pin = sha256_hex(&generic);
    let layer = build(&index, &[&format!("lib==1.0 --hash=sha256:{pin}")])
        .await
        .unwrap();
    assert_eq!(layer.packages[0].filename, "lib-1.0-py3-none-any.whl");

    publish(
        &index,
        "a",
        vec![file("a-1.0.tar.gz", b"x".to_vec())],
        false,
    );
    publish(
        &index,
        "b",
        vec![file(
            "b-1.0-cp39-cp39-win_amd64.whl",
            wheel("b", "1.0", &[]),
        )],
        false,
    );
    let hash = "0".repeat(64);
    let err = build(
        &index,
        &[
            &format!("a==1.0 --hash=sha256:{hash}"),
            &format!("b==1.0 --hash=sha256:{hash}"),
        ],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("a==1.0 (no usable wheel") && err.contains("b==1.0 (no usable wheel"),
        "{err}"
    );
}

#[tokio::test]
async fn range_requests_read_metadata_without_downloading_candidates() {
    // lib 2.0 (2 MB) is examined and backtracked from: it needs dep>=5, which does not exist.
    let big = wheel_padded("lib", "2.0", &["dep>=5"], "", 2 * 1024 * 1024);
    let world = |ranges: bool| {
        let index = Arc::new(MemoryIndex {
            ranges,
            ..MemoryIndex::default()
        });
        publish(
            &index,
            "lib",
            vec![
                pure("lib", "1.0", &["dep"]),
                file("lib-2.0-py3-none-any.whl", big.clone()),
            ],
            true,
        );
        publish(&index, "dep", vec![pure("dep", "1.0", &[])], true);
        index
    };
    let index = world(true);
    let layer = build(&index, &["lib"]).await.unwrap();
    assert_eq!(layer.pins(), ["dep==1.0", "lib==1.0"]);
    let big_url = "https://files.invalid/lib-2.0-py3-none-any.whl";
    let ranged = index.ranged.lock().unwrap().clone();
    let fetched: u64 = ranged
        .iter()
        .filter(|(u, _)| u == big_url)
        .map(|(_, n)| n)
        .sum();
    assert!(fetched > 0, "lib 2.0 was never looked at: {ranged:?}");
    assert!(
        fetched < big.len() as u64 / 4,
        "{fetched} of {} bytes",
        big.len()
    );
    assert!(
        !index.asked().iter().any(|u| u == big_url),
        "{:?}",
        index.asked()
    );
    // The same layer as without range support (where lib 2.0 is downloaded to be read).
    let plain = world(false);
    let again = build(&plain, &["lib"]).await.unwrap();
    assert_eq!(layer.zip.sha256, again.zip.sha256);
    assert!(plain.asked().iter().any(|u| u == big_url));
}
