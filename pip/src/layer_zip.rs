//! The layer archive: deterministic, so the same packages give the same SHA-256 on any machine.
//!
//! Entries are the installed files under a root (`python/` for a layer), sorted by path, with
//! the zip epoch (1980-01-01 00:00) as modification time, mode 0644 (0755 for files that were
//! executable in their wheel), no directory entries and no extra fields. Files from wheels keep
//! the wheel's compressed data (copied, never compressed again: the same wheel gives the same
//! bytes, and the build is bound by I/O, not deflate); inline files are deflated here. Two packages
//! installing the same path is an error rather than a silent overwrite. Lambda's limit of 250 MB
//! unzipped (function and layers together) is enforced here for the layer alone.

use std::io::{Cursor, Write as _};

use zip::{write::SimpleFileOptions, CompressionMethod, DateTime};

use super::{
    digest::sha256_hex,
    wheel::{InstalledWheel, LayerFile},
};
use crate::error::{cut, Error};

pub use crate::wheel::MAX_UNZIPPED_BYTES;

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

/// Where a layer's files go: Lambda puts `python/` on the path of Python runtimes.
pub const LAYER_ROOT: &str = "python/";

enum Source<'a> {
    Inline(&'a LayerFile),
    Wheel { wheel: usize, entry: usize },
}

/// Builds the archive: `inline` files (compressed here) and every installed wheel's files
/// (copied still compressed), all under `root` (`python/` for a layer, empty for a function).
pub fn build(
    root: &str,
    inline: &[LayerFile],
    wheels: &[InstalledWheel],
) -> Result<LayerZip, Error> {
    let mut all: Vec<(&str, &str, u64, Source<'_>)> = inline
        .iter()
        .map(|f| {
            (
                "Files",
                f.path.as_str(),
                f.contents.len() as u64,
                Source::Inline(f),
            )
        })
        .collect();
    for (w, wheel) in wheels.iter().enumerate() {
        for (e, file) in wheel.files.iter().enumerate() {
            all.push((
                wheel.metadata.name.as_str(),
                file.path.as_str(),
                file.size,
                Source::Wheel { wheel: w, entry: e },
            ));
        }
    }
    all.sort_by(|a, b| a.1.cmp(b.1));
    if let Some(pair) = all.windows(2).find(|pair| pair[0].1 == pair[1].1) {
        return Err(Error::ConflictingFile {
            path: cut(pair[0].1),
            first: pair[0].0.to_owned(),
            second: pair[1].0.to_owned(),
        });
    }
    // A path may not be both a file and a directory (`lib` and `lib/x.py`): no unzip could
    // lay that out.
    let paths: std::collections::HashMap<&str, &str> = all
        .iter()
        .map(|(owner, path, _, _)| (*path, *owner))
        .collect();
    for (owner, path, _, _) in &all {
        let mut prefix = *path;
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if let Some(other) = paths.get(parent) {
                return Err(Error::ConflictingFile {
                    path: cut(parent),
                    first: (*other).to_owned(),
                    second: format!("{owner} (as a directory)"),
                });
            }
            prefix = parent;
        }
    }
    let unzipped_bytes: u64 = all.iter().map(|(_, _, size, _)| size).sum();
    if unzipped_bytes > MAX_UNZIPPED_BYTES {
        return Err(Error::LayerTooLarge {
            what: "unzipped",
            size: unzipped_bytes,
            limit: MAX_UNZIPPED_BYTES,
        });
    }
    let mut archives = wheels
        .iter()
        .map(|w| zip::ZipArchive::new(Cursor::new(w.archive())))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| Error::ZipWrite { source })?;
    let capacity = wheels.iter().map(|w| w.archive().len()).sum::<usize>()
        + inline.iter().map(|f| f.contents.len()).sum::<usize>();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(capacity)));
    for (_, path, _, source) in &all {
        let name = format!("{root}{path}");
        match source {
            Source::Inline(file) => {
                let options = SimpleFileOptions::default()
                    .compression_method(CompressionMethod::Deflated)
                    .last_modified_time(DateTime::default())
                    .unix_permissions(if file.executable { 0o755 } else { 0o644 })
                    .large_file(file.contents.len() as u64 >= u64::from(u32::MAX));
                writer
                    .start_file(name, options)
                    .map_err(|source| Error::ZipWrite { source })?;
                writer
                    .write_all(&file.contents)
                    .map_err(|e| Error::ZipWrite { source: e.into() })?;
            }
            Source::Wheel { wheel, entry } => {
                let raw = archives[*wheel]
                    .by_index_raw(*entry)
                    .map_err(|source| Error::ZipWrite { source })?;
                writer
                    .raw_copy_file_rename(raw, name)
                    .map_err(|source| Error::ZipWrite { source })?;
            }
        }
    }
    let bytes = writer
        .finish()
        .map_err(|source| Error::ZipWrite { source })?
        .into_inner();
    let sha256 = sha256_hex(&bytes);
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
    use crate::wheel::{
        install,
        tests::{wheel, METADATA},
    };

    fn file(path: &str, contents: &[u8]) -> LayerFile {
        LayerFile {
            path: path.to_owned(),
            contents: contents.to_vec(),
            executable: false,
        }
    }

    fn installed(files: &[(&str, &[u8])]) -> InstalledWheel {
        let mut all = files.to_vec();
        all.push(("demo-1.0.dist-info/METADATA", METADATA));
        install("demo-1.0-py3-none-any.whl", &wheel(&all, None)).unwrap()
    }

    #[test]
    fn the_same_files_in_any_order_give_the_same_bytes() {
        let one = installed(&[("a/__init__.py", b"a"), ("a/x.py", b"x")]);
        let two = installed(&[("b/__init__.py", b"b")]);
        let inline = [file("handler.py", b"def h(e, c): pass\n")];
        let a = build(LAYER_ROOT, &inline, &[one, two.clone()]).unwrap_err();
        // Both wheels carry demo-1.0.dist-info: a conflict, named.
        assert!(a.to_string().contains("demo-1.0.dist-info/METADATA"), "{a}");

        let one = installed(&[("a/__init__.py", b"a"), ("a/x.py", b"x")]);
        let a = build(LAYER_ROOT, &inline, std::slice::from_ref(&one)).unwrap();
        let b = build(LAYER_ROOT, &inline, std::slice::from_ref(&one)).unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.files, 5);
        let mut archive = zip::ZipArchive::new(Cursor::new(a.bytes.clone())).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "python/a/__init__.py",
                "python/a/x.py",
                "python/demo-1.0.dist-info/METADATA",
                "python/demo-1.0.dist-info/RECORD",
                "python/handler.py",
            ]
        );
        let mut entry = archive.by_index(1).unwrap();
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o644));
        assert_eq!(entry.last_modified(), Some(DateTime::default()));
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        assert_eq!(text, "x");
        // A function archive has its files at the root.
        let function = build("", &inline, &[]).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(function.bytes)).unwrap();
        assert_eq!(archive.by_index(0).unwrap().name(), "handler.py");
        drop(two);
    }

    #[test]
    fn conflicts_and_size_limits_are_errors() {
        let one = installed(&[("shared.py", b"1")]);
        let err = build(LAYER_ROOT, &[file("shared.py", b"2")], &[one])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`shared.py` is installed by both Files and demo"),
            "{err}"
        );
        let big = LayerFile {
            path: "big.bin".into(),
            contents: vec![0; (MAX_UNZIPPED_BYTES + 1) as usize],
            executable: false,
        };
        let err = build(
            LAYER_ROOT,
            &[file("lib", b"1"), file("lib/x.py", b"2")],
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`lib` is installed by both Files and Files (as a directory)"),
            "{err}"
        );
        let err = build(LAYER_ROOT, &[big], &[]).unwrap_err().to_string();
        assert!(
            err.contains("over Lambda's limit of 262144000 bytes"),
            "{err}"
        );
    }
}
