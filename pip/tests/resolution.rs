//! Resolution as pip and uv get it right, and every refusal explained, on the in-memory index:
//! unusable metadata skips a version, the runtime's Python is a late patch release, exact pins
//! admit yanked releases, explanations name the user's requirements and the tags that exist,
//! errors name the settings of the surface the build came from, excluded packages and the
//! unzipped budget.
#![cfg(test)] // clippy.toml: test code may unwrap and expect

mod common;

use std::sync::Arc;

use common::*;
use warden_pip::{
    client::sha256_hex, exclude::parse_exclude, layer_zip::MAX_UNZIPPED_BYTES,
    requirements::parse_requirements_txt, target::Target, Error, Surface,
};

/// boto3 1.0 needs botocore>=1; boto3 0.1 has a Requires-Dist that is not PEP 508; with
/// `fallback`, boto3 0.0.9 fits botocore 0.5.0.
fn publish_boto3(index: &MemoryIndex, fallback: bool) {
    let mut versions = vec![
        pure("boto3", "1.0", &["botocore>=1"]),
        pure("boto3", "0.1", &["botocore (==0.5.0) [not pep 508"]),
    ];
    if fallback {
        versions.push(pure("boto3", "0.0.9", &["botocore==0.5.0"]));
    }
    publish(index, "boto3", versions, true);
}

/// [`publish_boto3`] without the fallback, and botocore 0.5.0 and 1.1.
fn boto_world() -> Arc<MemoryIndex> {
    let index = Arc::new(MemoryIndex::default());
    publish_boto3(&index, false);
    publish(
        &index,
        "botocore",
        vec![pure("botocore", "0.5.0", &[]), pure("botocore", "1.1", &[])],
        true,
    );
    index
}

#[tokio::test]
async fn a_version_with_malformed_metadata_is_skipped_and_the_real_conflict_named() {
    let index = boto_world();
    // Nothing forces backtracking: the newest version is used, the broken one never read.
    let layer = build(&index, &["boto3"]).await.unwrap();
    assert_eq!(layer.pins(), ["boto3==1.0", "botocore==1.1"]);
    assert!(layer.warnings.is_empty(), "{:?}", layer.warnings);

    // botocore<1 forces backtracking into boto3 0.1, whose metadata is unusable: the
    // resolution goes on and the error names the real conflict and the skipped version.
    let err = build_err(&index, &["boto3", "botocore<1"]).await;
    assert!(err.starts_with("unsatisfiable requirements:"), "{err}");
    says(&err, "boto3==1.0 depends on botocore >=1");
    says(&err, "`botocore<1` asks for botocore <1");
    says(&err, "boto3==0.1 cannot be used: boto3-0.1-py3-none-any.whl has a Requires-Dist line that is not PEP 508: `botocore (==0.5.0) [not pep 508`");

    // When an older version fits, the build succeeds and records what it skipped.
    publish_boto3(&index, true);
    let layer = build(&index, &["boto3", "botocore<1"]).await.unwrap();
    assert_eq!(layer.pins(), ["boto3==0.0.9", "botocore==0.5.0"]);
    assert_eq!(layer.warnings.len(), 1, "{:?}", layer.warnings);
    assert!(
        layer.warnings[0].starts_with("skipped boto3 0.1: boto3-0.1-py3-none-any.whl has a Requires-Dist line that is not PEP 508"),
        "{:?}",
        layer.warnings
    );
}

#[tokio::test]
async fn the_runtimes_python_is_a_late_patch_release_unless_told_otherwise() {
    // cryptography 44 and later: Requires-Python >=3.7,!=3.9.0,!=3.9.1.
    let index = Arc::new(MemoryIndex::default());
    publish(
        &index,
        "crypto",
        vec![
            pure("crypto", "43.0.3", &[]),
            File {
                requires_python: Some(">=3.7,!=3.9.0,!=3.9.1"),
                ..pure("crypto", "44.0.0", &[])
            },
        ],
        false,
    );
    let py39 = || Target::new("python3.9", "x86_64").unwrap();
    let layer = builder(&index, &["crypto"])
        .target(py39())
        .run_built()
        .await
        .unwrap();
    assert_eq!(layer.pins(), ["crypto==44.0.0"]);
    let early = py39().with_python_version("3.9.1").unwrap();
    let layer = builder(&index, &["crypto"])
        .target(early.clone())
        .run_built()
        .await
        .unwrap();
    assert_eq!(layer.pins(), ["crypto==43.0.3"]);
    let err = builder(&index, &["crypto>=44"])
        .target(early)
        .run_err()
        .await;
    says(
        &err,
        "44.0.0: requires Python >=3.7, !=3.9.0, !=3.9.1; the target is 3.9.1",
    );
}

#[tokio::test]
async fn exact_pins_select_yanked_releases_with_a_warning() {
    let index = Arc::new(MemoryIndex::default());
    let yanked = wheel("lib", "1.2", &[]);
    publish(
        &index,
        "lib",
        vec![
            pure("lib", "1.0", &[]),
            File {
                yanked: true,
                ..pure("lib", "1.2", &[])
            },
        ],
        true,
    );
    let layer = build(&index, &["lib"]).await.unwrap();
    assert_eq!(layer.pins(), ["lib==1.0"]);
    assert!(layer.warnings.is_empty());
    for pin in ["lib==1.2", "lib===1.2"] {
        let layer = build(&index, &[pin]).await.unwrap();
        assert_eq!(layer.pins(), ["lib==1.2"], "{pin}");
        assert_eq!(
            layer.warnings,
            [format!(
                "lib 1.2 is yanked on the index (broken release); installed because it is pinned exactly (requirement `{pin}`)"
            )]
        );
    }
    // Hash-pinned in a lock file (skips resolution).
    let body = format!("lib==1.2 --hash=sha256:{}\n", sha256_hex(&yanked));
    let layer = builder(&index, &[])
        .requirements(parse_requirements_txt(&body).unwrap())
        .require_hashes(true)
        .run_built()
        .await
        .unwrap();
    assert_eq!(layer.pins(), ["lib==1.2"]);
    assert_eq!(layer.warnings.len(), 1);
    // A range is not an exact pin: the yanked release is refused, and the error says so.
    let err = build_err(&index, &["lib>1.0"]).await;
    says(&err, "no version of lib >1.0 can be used (it exists on the index, but 1.2: yanked (broken release); pin it with == to use it anyway)");
}

#[tokio::test]
async fn explanations_name_the_users_requirements_not_resolver_internals() {
    let index = world(false);
    let err = build_err(&index, &["lib<1.5", "lib>=1.5"]).await;
    for internal in ["requirements 0", "∅", " is forbidden"] {
        assert!(!err.contains(internal), "{internal}: {err}");
    }
    assert!(
        err.contains("`lib<1.5` asks for lib <1.5")
            && err.contains("`lib>=1.5` asks for lib >=1.5"),
        "{err}"
    );
    says(&err, "the requirements cannot all be met");

    // A package whose own dependencies on another exclude each other.
    publish(
        &index,
        "odd",
        vec![pure("odd", "1.0", &["lib<1", "lib>2"])],
        false,
    );
    let err = build_err(&index, &["odd"]).await;
    assert!(!err.contains('∅'), "{err}");
    says(
        &err,
        "odd==1.0 depends on lib (no version: the requirements on it exclude each other)",
    );

    // A version that does not exist: what the index offers.
    let err = build_err(&index, &["lib==9.9"]).await;
    says(
        &err,
        "there is no version of lib==9.9 on the index (it offers 1.5, 1.0)",
    );
}

#[tokio::test]
async fn a_version_without_a_wheel_for_this_python_says_which_tags_exist() {
    let index = Arc::new(MemoryIndex::default());
    let mut files: Vec<File> = (7..=9)
        .map(|m| {
            file(
                &format!("numpy-1.21.0-cp3{m}-cp3{m}-manylinux_2_17_aarch64.whl"),
                wheel("numpy", "1.21.0", &[]),
            )
        })
        .collect();
    files.push(file(
        "numpy-2.0.0-cp312-cp312-manylinux_2_17_aarch64.whl",
        wheel("numpy", "2.0.0", &[]),
    ));
    files.push(file(
        "numpy-1.20.0-cp312-cp312-macosx_11_0_arm64.whl",
        wheel("numpy", "1.20.0", &[]),
    ));
    publish(&index, "numpy", files, false);
    let err = build_err(&index, &["numpy==1.21.0"]).await;
    says(&err, "no version of numpy==1.21.0 can be used (it exists on the index, but 1.21.0: no wheel for this Python version (cp312); wheels exist for cp37-cp37, cp38-cp38, cp39-cp39)");
    let err = build_err(&index, &["numpy<2"]).await;
    says(
        &err,
        "1.20.0: no wheel for this platform; wheels exist for macosx_11_0_arm64",
    );
    assert!(!err.contains(" in 1.21.0"), "{err}");
}

#[tokio::test]
async fn errors_name_cli_flags_on_the_command_line_and_properties_in_resources() {
    let index = world(false);
    for (surface, flag) in each_surface("RequireHashes", "--require-hashes") {
        let err = builder(&index, &["lib"])
            .require_hashes(true)
            .surface(surface)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.ends_with(&format!("and {flag} is on")), "{err}");
    }
    let err = warden_pip::build::LayerBuild::builder()
        .requirements(warden_pip::requirements::parse_list(&["lib"]).unwrap())
        .target(Target::new("python3.12", "arm64").unwrap())
        .surface(Surface::Cli)
        .build()
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "no package index: give --index-url URL or set WARDEN_INDEX_URL; no index is built in"
    );
    let err = warden_pip::index::check_index_url(Some("ftp://x.invalid/"), &["ftp://x".into()])
        .unwrap_err();
    assert_eq!(err.to_string(), "IndexUrl `ftp://x.invalid/` is not https");
    assert_eq!(
        err.for_surface(Surface::Cli).to_string(),
        "--index-url `ftp://x.invalid/` is not https"
    );
    let err = Target::new("python3.12", "aarch64")
        .unwrap_err()
        .for_surface(Surface::Cli)
        .to_string();
    assert_eq!(
        err,
        "unsupported --arch `aarch64`: expected x86_64 or arm64"
    );
}

#[tokio::test]
async fn excluded_packages_are_resolved_not_installed_and_what_they_saved_is_reported() {
    for ranges in [true, false] {
        let index = Arc::new(MemoryIndex {
            ranges,
            ..MemoryIndex::default()
        });
        let big = wheel_padded("botocore", "1.1", &[], "", 300_000);
        publish(
            &index,
            "app",
            vec![pure("app", "1.0", &["boto3", "botocore>=1"])],
            true,
        );
        publish(
            &index,
            "boto3",
            vec![pure("boto3", "1.0", &["botocore"])],
            true,
        );
        publish(
            &index,
            "botocore",
            vec![file("botocore-1.1-py3-none-any.whl", big.clone())],
            true,
        );
        let layer = builder(&index, &["app"])
            .exclude(parse_exclude(&["boto3,botocore"]).unwrap())
            .run_built()
            .await
            .unwrap();
        assert_eq!(layer.pins(), ["app==1.0"]);
        let excluded: Vec<(&str, &str)> = layer
            .excluded
            .iter()
            .map(|e| (e.name.as_str(), e.version.as_str()))
            .collect();
        assert_eq!(excluded, [("boto3", "1.0"), ("botocore", "1.1")]);
        // What botocore's wheel holds unzipped (its padding alone is 300 000 bytes).
        let botocore = layer.excluded[1].unzipped_bytes.unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(big.clone())).unwrap();
        let expected: u64 = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().size())
            .sum();
        assert_eq!(botocore, expected, "ranges={ranges}");
        assert!(layer.excluded_bytes() > 300_000);
        let zip = zip::ZipArchive::new(std::io::Cursor::new(layer.zip.bytes.clone())).unwrap();
        assert!(
            zip.file_names().all(|n| !n.contains("boto")),
            "ranges={ranges}"
        );
        if ranges {
            let url = "https://files.invalid/botocore-1.1-py3-none-any.whl";
            assert!(
                !index.asked().iter().any(|u| u == url),
                "{:?}",
                index.asked()
            );
        }
    }
}

#[tokio::test]
async fn the_unzipped_limit_counts_the_function_and_other_layers() {
    let index = world(false);
    let layer = build(&index, &["lib"]).await.unwrap();
    assert_eq!(
        layer.headroom_bytes(),
        MAX_UNZIPPED_BYTES - layer.zip.unzipped_bytes
    );
    let reserved = 100 * 1024 * 1024;
    let layer = builder(&index, &["lib"])
        .reserve_unzipped(reserved)
        .run_built()
        .await
        .unwrap();
    assert_eq!(
        layer.headroom_bytes(),
        MAX_UNZIPPED_BYTES - reserved - layer.zip.unzipped_bytes
    );
    let size = layer.zip.unzipped_bytes;
    let reserved = MAX_UNZIPPED_BYTES - size + 1;
    for (surface, name) in each_surface("ReserveUnzippedBytes", "--reserve-unzipped") {
        let err = builder(&index, &["lib"])
            .reserve_unzipped(reserved)
            .surface(surface)
            .run_built()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::OverUnzippedLimit { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            format!("the layer is {size} bytes unzipped and {name} reserves {reserved} for the function and its other layers: 1 bytes over Lambda's limit of {MAX_UNZIPPED_BYTES} bytes (function and all layers, unzipped)")
        );
    }
}
