//! A local package index: `pypiserver` on loopback, serving a temporary copy of the real
//! wheels `scripts/fetch-test-wheels.sh` downloaded (so a test may add files of its own).
//!
//! pypiserver answers the simple API in PEP 503 HTML only, with `#sha256=` fragments; it is
//! started with `--disable-fallback` so an unknown package is a 404, never a redirect to a
//! public index.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::process::{Child, Command};

use crate::{moto::free_port, HarnessError};

/// A running pypiserver.
pub struct PackageIndex {
    _child: Child,
    dir: PathBuf,
    url: String,
}

/// Where the downloaded test wheels are (`WARDEN_TEST_WHEELS`, else `target/test-wheels`).
pub fn test_wheels() -> PathBuf {
    std::env::var_os("WARDEN_TEST_WHEELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
                .join("test-wheels")
        })
}

impl PackageIndex {
    /// Copies the test wheels into a fresh directory and serves it (waits ≤ 30 s).
    pub async fn start() -> Result<Self, HarnessError> {
        let source = test_wheels();
        let io = |what: &'static str| move |source| HarnessError::Io { what, source };
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("warden-index-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(io("creating the index directory"))?;
        let mut copied = 0;
        for entry in std::fs::read_dir(&source).map_err(io(
            "reading the test wheels (run scripts/fetch-test-wheels.sh)",
        ))? {
            let path = entry.map_err(io("reading the test wheels"))?.path();
            if path.extension().is_some_and(|e| e == "whl") {
                let name = path.file_name().unwrap_or_default();
                std::fs::copy(&path, dir.join(name)).map_err(io("copying a test wheel"))?;
                copied += 1;
            }
        }
        if copied == 0 {
            return Err(HarnessError::MissingData {
                what: "test wheels (run scripts/fetch-test-wheels.sh)",
            });
        }
        let python = std::env::var("WARDEN_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let child = Command::new(python)
            .args(["-m", "pypiserver", "run", "-i", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .args(["--disable-fallback", "--hash-algo", "sha256"])
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(io(
                "starting pypiserver (install it with: pip install pypiserver)",
            ))?;
        let url = format!("http://127.0.0.1:{port}/simple/");
        let index = Self {
            _child: child,
            dir,
            url,
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|source| HarnessError::Http {
                what: "building the HTTP client",
                source,
            })?;
        for _ in 0..300 {
            if client
                .get(&index.url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(index);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(HarnessError::Timeout {
            what: "pypiserver to start",
        })
    }

    /// The simple API's URL: `http://127.0.0.1:PORT/simple/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The directory served (add files to publish them).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The SHA-256 (hex) of a served file, for `--hash` pins.
    pub fn sha256(&self, filename: &str) -> Result<String, HarnessError> {
        let bytes = std::fs::read(self.dir.join(filename)).map_err(|source| HarnessError::Io {
            what: "reading a served file",
            source,
        })?;
        Ok(ring::digest::digest(&ring::digest::SHA256, &bytes)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }
}

impl Drop for PackageIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
