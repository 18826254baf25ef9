//! `warden build-layer` against a real local index (pypiserver on loopback) filled with real
//! wheels: cross builds for arm64, a layer this machine's Python imports, hash pins, and every
//! error a user can meet, with the documented exit codes (0 built, 1 cannot be built, 2 tool
//! or index failure).
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;
use warden_e2e::{binary_path, moto::free_port, package_index::PackageIndex};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("warden-build-layer-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn warden(args: &[&str]) -> Output {
    Command::new(binary_path("warden").unwrap())
        .args(args)
        .env_remove("WARDEN_INDEX_URL")
        .env_remove("WARDEN_CACHE_DIR")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn build(index: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "build-layer",
        "--index-url",
        index,
        "-o",
        out.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    warden(&args)
}

fn names(zip_path: &Path) -> Vec<String> {
    let file = std::fs::File::open(zip_path).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().to_owned())
        .collect()
}

fn summary(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `name==version` of every package a summary lists.
fn pins(summary: &Value) -> Vec<String> {
    summary["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}=={}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn builds_a_cross_layer_for_arm64_with_the_same_bytes_every_time() {
    let index = PackageIndex::start().await.unwrap();
    let dir = scratch("cross");
    let out = dir.join("layer.zip");
    let args = [
        "requests[socks]",
        "--runtime",
        "python3.12",
        "--arch",
        "arm64",
    ];
    let first = summary(&build(index.url(), &out, &args));
    let pins: Vec<String> = pins(&first);
    assert_eq!(
        pins,
        [
            "certifi==2024.8.30",
            "charset-normalizer==3.4.0",
            "idna==3.10",
            "pysocks==1.7.1",
            "requests==2.32.3",
            "urllib3==2.2.3"
        ]
    );
    assert_eq!(first["resolved"], true);
    let files = names(&out);
    assert!(files.iter().all(|f| f.starts_with("python/")));
    assert!(files.contains(&"python/requests/__init__.py".to_owned()));
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("python/charset_normalizer/md.cpython-312-aarch64")),
        "{files:?}"
    );
    assert!(!files
        .iter()
        .any(|f| f.ends_with(".pyc") || f.contains("x86_64")));
    // Same input, same bytes.
    let again = summary(&build(index.url(), &dir.join("again.zip"), &args));
    assert_eq!(first["sha256"], again["sha256"]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(dir.join("again.zip")).unwrap()
    );
    // The text summary names every package and the hash.
    let text = warden(&[
        "build-layer",
        "requests",
        "--arch",
        "arm64",
        "--index-url",
        index.url(),
        "-o",
        dir.join("text.zip").to_str().unwrap(),
    ]);
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(shown.contains("for python3.12 arm64"), "{shown}");
    assert!(shown.contains("charset-normalizer  3.4.0"), "{shown}");
    assert!(
        shown.contains("5 packages,") && shown.contains("sha256 "),
        "{shown}"
    );
}

#[tokio::test]
async fn the_layer_imports_in_this_machines_python() {
    let index = PackageIndex::start().await.unwrap();
    let python = std::env::var("WARDEN_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let probe = Command::new(&python)
        .args([
            "-c",
            "import sys, platform; print(sys.version_info[1], platform.machine())",
        ])
        .output()
        .unwrap();
    let probe = String::from_utf8(probe.stdout).unwrap();
    let (minor, machine) = probe.trim().split_once(' ').unwrap();
    let arch = if machine == "aarch64" {
        "arm64"
    } else {
        "x86_64"
    };
    let runtime = format!("python3.{minor}");
    let dir = scratch("import");
    let out = dir.join("layer.zip");
    summary(&build(
        index.url(),
        &out,
        &["requests", "--runtime", &runtime, "--arch", arch],
    ));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let root = dir.join("unpacked");
    archive.extract(&root).unwrap();
    // -I: no user site, no PYTHONPATH; the layer goes first on the path, as on Lambda.
    let check = Command::new(&python)
        .args([
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import requests, charset_normalizer.md; \
             assert requests.__file__.startswith(sys.argv[1]), requests.__file__; \
             assert charset_normalizer.md.__file__.endswith('.so'); print(requests.__version__)",
        ])
        .arg(root.join("python"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "2.32.3");
}

#[tokio::test]
async fn hash_pins_are_honoured_and_pinned_input_must_be_complete() {
    let index = PackageIndex::start().await.unwrap();
    let dir = scratch("hashes");
    let wheels = [
        "requests-2.32.3-py3-none-any.whl",
        "charset_normalizer-3.4.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        "idna-3.10-py3-none-any.whl",
        "urllib3-2.2.3-py3-none-any.whl",
        "certifi-2024.8.30-py3-none-any.whl",
    ];
    let pins = [
        "requests==2.32.3",
        "charset-normalizer==3.4.0",
        "idna==3.10",
        "urllib3==2.2.3",
        "certifi==2024.8.30",
    ];
    let line = |i: usize, hash: &str| format!("{} \\\n    --hash=sha256:{hash}\n", pins[i]);
    let mut body = String::from("# fully pinned\n");
    for (i, wheel) in wheels.iter().enumerate() {
        body.push_str(&line(i, &index.sha256(wheel).unwrap()));
    }
    let file = dir.join("requirements.txt");
    std::fs::write(&file, &body).unwrap();
    let out = dir.join("layer.zip");
    let args = [
        "-r",
        file.to_str().unwrap(),
        "--arch",
        "arm64",
        "--require-hashes",
    ];
    let built = summary(&build(index.url(), &out, &args));
    assert_eq!(built["resolved"], false);
    assert_eq!(built["packages"].as_array().unwrap().len(), 5);

    // One wrong hash: exit 1, the file and both digests named, nothing written.
    let wrong = body.replace(&index.sha256(wheels[2]).unwrap(), &"0".repeat(64));
    std::fs::write(&file, wrong).unwrap();
    let bad_out = dir.join("bad.zip");
    let failed = build(index.url(), &bad_out, &args);
    assert_eq!(failed.status.code(), Some(1));
    let message = stderr(&failed);
    assert!(
        message.contains("idna-3.10-py3-none-any.whl has SHA-256")
            && message.contains("the requirement's --hash expects 0000"),
        "{message}"
    );
    assert!(!bad_out.exists() && !dir.join("bad.zip.partial").exists());

    // A dependency left out of pinned input.
    let mut incomplete = String::new();
    for (i, wheel) in wheels.iter().enumerate() {
        if i != 3 {
            incomplete.push_str(&line(i, &index.sha256(wheel).unwrap()));
        }
    }
    std::fs::write(&file, incomplete).unwrap();
    let failed = build(index.url(), &bad_out, &args);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed).contains("requests==2.32.3 needs urllib3"),
        "{}",
        stderr(&failed)
    );

    // RequireHashes with a requirement that has no hash.
    std::fs::write(&file, "requests==2.32.3\n").unwrap();
    let failed = build(index.url(), &bad_out, &args);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed)
            .contains("requirement line 1 (`requests`) has no --hash, and --require-hashes is on"),
        "{}",
        stderr(&failed)
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_the_documented_exit_code() {
    let index = PackageIndex::start().await.unwrap();
    // An sdist-only package and a wheel for another platform, published next to the real ones.
    std::fs::write(index.dir().join("onlysdist-1.0.tar.gz"), b"not built").unwrap();
    std::fs::copy(
        warden_e2e::package_index::test_wheels().join(
            "charset_normalizer-3.4.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        ),
        index
            .dir()
            .join("armonly-1.0-cp312-cp312-manylinux_2_17_aarch64.whl"),
    )
    .unwrap();
    let dir = scratch("errors");
    let out = dir.join("layer.zip");
    let refused = |args: &[&str], needle: &str| {
        let output = build(index.url(), &out, args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!out.exists());
    };
    refused(
        &["nosuchpackage"],
        "package `nosuchpackage` is not on the index",
    );
    refused(
        &["onlysdist", "armonly", "--arch", "x86_64"],
        "no compatible wheel for python3.12 x86_64: armonly (no wheel for this platform; wheels exist for manylinux_2_17_aarch64), onlysdist (only an sdist",
    );
    refused(
        &["requests==2.32.3", "urllib3<1"],
        "unsatisfiable requirements:",
    );
    refused(&["requests", "requests >= = 2"], "requirement line 2");
    refused(
        &["requests", "--runtime", "python3.8"],
        "unsupported --runtime `python3.8`",
    );
    refused(
        &[
            "requests",
            "--runtime",
            "python3.9",
            "--python-version",
            "3.10.1",
        ],
        "--python-version `3.10.1` is not a 3.X.Y release of python3.9's Python (e.g. 3.9.23)",
    );
    refused(
        &["requests", "--exclude", "boto3,not/a-name"],
        "--exclude: `not/a-name` is not a package name",
    );
    refused(
        &["requests", "--require-hashes"],
        "is not pinned with ==, and --require-hashes is on",
    );
    // A version that exists, without a wheel for this Python: the tags that exist.
    refused(
        &[
            "charset-normalizer==3.4.0",
            "--runtime",
            "python3.13",
            "--arch",
            "arm64",
        ],
        "no wheel for this Python version (cp313); wheels exist for cp312-cp312",
    );
    // No resolver internals.
    let output = build(index.url(), &out, &["urllib3<2", "urllib3>=2"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("`urllib3<2` asks for urllib3 <2") && !text.contains("requirements 0"),
        "{text}"
    );
    let file = dir.join("requirements.txt");
    std::fs::write(&file, "requests\n-r other.txt\n").unwrap();
    refused(&["-r", file.to_str().unwrap()], "requirement line 2");

    // Not https and not loopback: refused before any request.
    let output = build("http://index.invalid/simple/", &out, &["requests"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is not https"),
        "{}",
        stderr(&output)
    );

    // Nothing listening: a tool failure (exit 2) naming the index.
    let dead = format!("http://127.0.0.1:{}/simple/", free_port().unwrap());
    let output = build(&dead, &out, &["requests", "--timeout", "5s"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("refused the connection (nothing listens on that host and port)"),
        "{}",
        stderr(&output)
    );
    // A host name that does not resolve (.invalid never does): said so, without a timeout.
    let output = build("https://index.invalid/simple/", &out, &["requests"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("its host name does not resolve (DNS lookup failed)")
            && !text.contains("timeout"),
        "{text}"
    );

    // No index at all: exit 2 and how to give one.
    let output = warden(&["build-layer", "requests", "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("give --index-url URL or set WARDEN_INDEX_URL"));
    assert!(!out.exists());
}

#[tokio::test]
async fn python39_layers_get_current_cryptography_and_excluded_packages_are_reported() {
    let index = PackageIndex::start().await.unwrap();
    let dir = scratch("python39");
    let out = dir.join("layer.zip");
    let py39 = ["--runtime", "python3.9", "--arch", "x86_64"];
    // cryptography 44 declares Requires-Python !=3.9.0,!=3.9.1: a late 3.9 takes it.
    let built = summary(&build(
        index.url(),
        &out,
        &[&["cryptography"][..], &py39].concat(),
    ));
    assert_eq!(built["python_version"], "3.9.23");
    let versions: Vec<String> = pins(&built);
    assert_eq!(
        versions,
        ["cffi==1.17.1", "cryptography==44.0.0", "pycparser==2.22"]
    );
    // An early 3.9 does not.
    let early = [&["cryptography"][..], &py39, &["--python-version", "3.9.1"]].concat();
    let built = summary(&build(index.url(), &out, &early));
    assert_eq!(built["packages"][1]["version"], "43.0.3");
    let output = build(
        index.url(),
        &out,
        &[
            &["cryptography>=44"][..],
            &py39,
            &["--python-version", "3.9.1"],
        ]
        .concat(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("requires Python >=3.7, !=3.9.0, !=3.9.1"),
        "{}",
        stderr(&output)
    );

    // Excluded: resolved, not installed, what they would have taken reported.
    let exclude = [
        &["cryptography"][..],
        &py39,
        &["--exclude", "cffi,pycparser"],
    ]
    .concat();
    let built = summary(&build(index.url(), &out, &exclude));
    assert_eq!(built["packages"].as_array().unwrap().len(), 1);
    let excluded = built["excluded"].as_array().unwrap();
    assert_eq!(excluded.len(), 2);
    assert_eq!(excluded[0]["name"], "cffi");
    let saved = built["excluded_unzipped_bytes"].as_u64().unwrap();
    // What the wheels hold, read here independently.
    let wheels = warden_e2e::package_index::test_wheels();
    let mut expected = 0;
    for name in [
        "cffi-1.17.1-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "pycparser-2.22-py3-none-any.whl",
    ] {
        let file = std::fs::File::open(wheels.join(name)).unwrap();
        let mut archive = zip::ZipArchive::new(file).unwrap();
        for i in 0..archive.len() {
            expected += archive.by_index(i).unwrap().size();
        }
    }
    assert_eq!(saved, expected);
    let installed = names(&out);
    assert!(installed
        .iter()
        .any(|n| n.starts_with("python/cryptography/")));
    assert!(
        installed.iter().all(|n| !n.starts_with("python/cffi")
            && !n.starts_with("python/_cffi_backend")
            && !n.starts_with("python/pycparser")),
        "{installed:?}"
    );
    // Headroom: what is left of 250 MB after the layer and the reserve.
    let reserve = (200u64 * 1024 * 1024).to_string();
    let reserved = [&exclude[..], &["--reserve-unzipped", &reserve]].concat();
    let built = summary(&build(index.url(), &out, &reserved));
    assert_eq!(
        built["headroom_bytes"].as_u64().unwrap(),
        250 * 1024 * 1024 - 200 * 1024 * 1024 - built["unzipped_bytes"].as_u64().unwrap()
    );
    let reserve = (250u64 * 1024 * 1024).to_string();
    let output = build(
        index.url(),
        &out,
        &[&exclude[..], &["--reserve-unzipped", &reserve]].concat(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "--reserve-unzipped reserves 262144000 for the function and its other layers"
        ),
        "{}",
        stderr(&output)
    );
}
