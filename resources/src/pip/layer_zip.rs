//! The layer archive: deterministic, so the same packages give the same SHA-256 on any machine.
//!
//! Entries are the installed files under `python/`, sorted by path, with the zip epoch
//! (1980-01-01 00:00) as modification time, mode 0644 (0755 for files that were executable in
//! their wheel), deflate compression, no directory entries and no extra fields. Two packages
//! installing the same path is an error rather than a silent overwrite. Lambda's limit of 250 MB
//! unzipped (function and layers together) is enforced here for the layer alone.

use std::io::{Cursor, Write as _};

use zip::{write::SimpleFileOptions, CompressionMethod, DateTime};

use super::wheel::LayerFile;
use crate::error::{cut, Error};

/// Lambda's limit for the unzipped size of a function and its layers.
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

/// A built layer archive.
#[derive(Clone, PartialEq, Eq)]
pub struct LayerZip {
    /// The archive.
    pub bytes: Vec<u8>,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
    /// The total size of the files.
    pub unzipped_bytes: u64,
    /// How many files.
    pub files: usize,
}

impl std::fmt::Debug for LayerZip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerZip")
            .field("bytes", &self.bytes.len())
            .field("sha256", &self.sha256)
            .field("unzipped_bytes", &self.unzipped_bytes)
            .field("files", &self.files)
            .finish()
    }
}

/// Builds the archive from each package's files.
pub fn build(packages: Vec<(String, Vec<LayerFile>)>) -> Result<LayerZip, Error> {
    let mut all: Vec<(String, LayerFile)> = packages
        .into_iter()
        .flat_map(|(package, files)| files.into_iter().map(move |f| (package.clone(), f)))
        .collect();
    all.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    for pair in all.windows(2) {
        if pair[0].1.path == pair[1].1.path {
            return Err(Error::ConflictingFile {
                path: cut(&pair[0].1.path),
                first: pair[0].0.clone(),
                second: pair[1].0.clone(),
            });
        }
    }
    let unzipped_bytes: u64 = all.iter().map(|(_, f)| f.contents.len() as u64).sum();
    if unzipped_bytes > MAX_UNZIPPED_BYTES {
        return Err(Error::LayerTooLarge {
            what: "unzipped",
            size: unzipped_bytes,
            limit: MAX_UNZIPPED_BYTES,
        });
    }
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (_, file) in &all {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(if file.executable { 0o755 } else { 0o644 })
            .large_file(file.contents.len() as u64 >= u64::from(u32::MAX));
        writer
            .start_file(format!("python/{}", file.path), options)
            .map_err(|source| Error::ZipWrite { source })?;
        writer
            .write_all(&file.contents)
            .map_err(|e| Error::ZipWrite { source: e.into() })?;
    }
    let bytes = writer
        .finish()
        .map_err(|source| Error::ZipWrite { source })?
        .into_inner();
    let sha256 = ring::digest::digest(&ring::digest::SHA256, &bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(LayerZip {
        bytes,
        sha256,
        unzipped_bytes,
        files: all.len(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn file(path: &str, contents: &[u8]) -> LayerFile {
        LayerFile {
            path: path.to_owned(),
            contents: contents.to_vec(),
            executable: false,
        }
    }

    #[test]
    fn the_same_files_in_any_order_give_the_same_bytes() {
        let a = build(vec![
            ("b".into(), vec![file("b/__init__.py", b"b")]),
            (
                "a".into(),
                vec![file("a/__init__.py", b"a"), file("a/x.py", b"x")],
            ),
        ])
        .unwrap();
        let b = build(vec![
            (
                "a".into(),
                vec![file("a/x.py", b"x"), file("a/__init__.py", b"a")],
            ),
            ("b".into(), vec![file("b/__init__.py", b"b")]),
        ])
        .unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.files, 3);
        let mut archive = zip::ZipArchive::new(Cursor::new(a.bytes.clone())).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "python/a/__init__.py",
                "python/a/x.py",
                "python/b/__init__.py"
            ]
        );
        let mut entry = archive.by_index(1).unwrap();
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o644));
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        assert_eq!(text, "x");
    }

    #[test]
    fn conflicts_and_size_limits_are_errors() {
        let err = build(vec![
            ("one".into(), vec![file("shared.py", b"1")]),
            ("two".into(), vec![file("shared.py", b"2")]),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`shared.py` is installed by both one and two"),
            "{err}"
        );
        let big = LayerFile {
            path: "big.bin".into(),
            contents: vec![0; (MAX_UNZIPPED_BYTES + 1) as usize],
            executable: false,
        };
        let err = build(vec![("big".into(), vec![big])])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("over Lambda's limit of 262144000 bytes"),
            "{err}"
        );
    }
}
