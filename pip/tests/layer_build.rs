//! The layer build end to end against an in-memory index (the transport is injected): pages in
//! PEP 691 JSON and PEP 503 HTML, PEP 658 metadata, hash checks, pinned input, the cache and
//! every error a user can meet. The real-index tests (pypiserver) live in `tests/`.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use std::sync::Arc;

use common::*;
use url::Url;
use warden_pip::{
    build::LayerBuild,
    client::sha256_hex,
    http::FetchFailure,
    requirements::{parse_list, parse_requirements_txt},
    target::Target,
    Error, Surface,
};

#[tokio::test]
async fn resolves_installs_and_archives_the_same_bytes_twice() {
    for html in [false, true] {
        let index = world(html);
        let events = Arc::new(Events::default());
        let layer = builder(&index, &["app[fast]"])
            .progress(events.clone())
            .run_built()
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
    let err = build_err(&index, &["lib"]).await;
    assert!(
        err.contains("lib-1.0-py3-none-any.whl has SHA-256")
            && err.contains("but the index expects 0000"),
        "{err}"
    );

    let index = world(false);
    let wrong = "ab".repeat(32);
    let err = build_err(&index, &[&format!("lib==1.5 --hash=sha256:{wrong}")]).await;
    says(&err, "the requirement's --hash expects");
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
        .run_built()
        .await
        .unwrap();
    assert!(!layer.resolved);
    // lib 1.0 is installed as pinned, although 1.5 is newer.
    assert_eq!(layer.pins(), ["app==1.0", "lib==1.0"]);

    let err = build_err(&index, &[&format!("app==1.0 --hash=sha256:{app}")]).await;
    says(&err, "app==1.0 needs lib>=1, which is not pinned");
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
    let err = build_err(&index, &["app"]).await;
    assert!(
        err.starts_with("no compatible wheel for python3.12 arm64"),
        "{err}"
    );
    says(&err, "cext (only an sdist");
    says(
        &err,
        "muslonly (no wheel for this platform; wheels exist for musllinux_1_2_aarch64)",
    );
    says(&err, "macos (no wheel for this platform");
}

#[tokio::test]
async fn unknown_packages_unsatisfiable_constraints_and_dead_indexes_are_clear() {
    let index = world(false);
    let err = build_err(&index, &["nosuchthing"]).await;
    assert_eq!(err, "package `nosuchthing` is not on the index");

    let err = build_err(&index, &["app==1.0", "lib<1"]).await;
    assert!(err.starts_with("unsatisfiable requirements:"), "{err}");
    says(&err, "lib");

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
        let err = build_err(&index, &["app"]).await;
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
        .run_err()
        .await;
    says(
        &err,
        "nothing arrived for 30 s (--timeout bounds the wait for each read",
    );
    let index = world(false);
    index.fail(
        "https://files.invalid/lib-1.5-py3-none-any.whl",
        FetchFailure::TooLarge,
    );
    let err = build_err(&index, &["lib"]).await;
    says(&err, "sent a body over the size limit");
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
        .run_built()
        .await
        .unwrap();
    let events = Arc::new(Events::default());
    let index = world(false);
    let second = builder(&index, &["lib"])
        .cache_dir(&dir)
        .progress(events.clone())
        .run_built()
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
        .run_built()
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
    let err = build_err(&index, &["lib"]).await;
    says(
        &err,
        "the index states no SHA-256 for lib-1.0-py3-none-any.whl",
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
    let err = build_err(&index, &["lib"]).await;
    says(
        &err,
        "has METADATA that differs from the metadata the index served",
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
    let err = build_err(&index, &[&format!("lib==2.0 --hash=sha256:{pin}")]).await;
    says(&err, "lib==2.0 (requires Python >=3.13)");
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
