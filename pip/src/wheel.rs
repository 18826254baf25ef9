//! Unpacking a wheel the way an installer would, into files for a layer, with every file
//! checked against the wheel's `RECORD`.
//!
//! - `RECORD` must list every file with its SHA-256 and size; a file missing from `RECORD`, a
//!   listed file missing from the archive, or a mismatch is an error (a tampered wheel whose
//!   outer hash was somehow accepted is still caught).
//! - `<name>.data/purelib/` and `<name>.data/platlib/` go to the root; `scripts`, `headers`
//!   and `data` are dropped (a layer has no `bin/` on the path and no headers).
//! - `.pyc` files and `__pycache__/` are skipped (Lambda compiles at import time; compiled files
//!   would make builds differ).
//! - Paths must stay inside the layer: no absolute paths, no `..`, no backslashes.

use std::{
    collections::BTreeMap,
    io::{Cursor, Read as _},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use zip::DateTime;

use crate::error::{cut, Error};

/// Lambda's limit for the unzipped size of a function and its layers.
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

/// A file written into an archive as given (inline function code, or test content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerFile {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Contents.
    pub contents: Vec<u8>,
    /// Whether it was executable in the wheel.
    pub executable: bool,
}

/// What a wheel declared about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelMetadata {
    /// `Name`.
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `Requires-Dist` lines.
    pub requires_dist: Vec<String>,
    /// `Requires-Python`.
    pub requires_python: Option<String>,
}

/// Reads the fields the resolver needs from a `METADATA` file (RFC 822 headers).
pub fn parse_metadata(bytes: &[u8]) -> Result<WheelMetadata, Error> {
    let invalid = |what: &'static str| Error::MalformedWheel {
        wheel: "METADATA".to_owned(),
        problem: what,
    };
    let (headers, _) =
        mailparse::parse_headers(bytes).map_err(|_| invalid("METADATA is not in header format"))?;
    let get_all = |key: &str| -> Vec<String> {
        headers
            .iter()
            .filter(|h| h.get_key_ref().eq_ignore_ascii_case(key))
            .map(|h| h.get_value())
            .collect()
    };
    let one = |key: &str| get_all(key).into_iter().next();
    Ok(WheelMetadata {
        name: one("Name").ok_or_else(|| invalid("METADATA has no Name"))?,
        version: one("Version").ok_or_else(|| invalid("METADATA has no Version"))?,
        requires_dist: get_all("Requires-Dist"),
        requires_python: one("Requires-Python"),
    })
}

/// The name of the archive's single top-level `*.dist-info/METADATA`, if there is exactly one.
pub(crate) fn metadata_entry<R: std::io::Read + std::io::Seek>(
    archive: &zip::ZipArchive<R>,
) -> Option<String> {
    let mut names = archive.file_names().filter(|n| {
        n.split_once('/')
            .is_some_and(|(dir, rest)| dir.ends_with(".dist-info") && rest == "METADATA")
    });
    let first = names.next()?.to_owned();
    names.next().is_none().then_some(first)
}

/// A safe relative path, or `None`.
fn safe_path(path: &str) -> Option<&str> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path.split('/').all(|part| part != ".." && part != ".");
    ok.then_some(path)
}

/// One file of a wheel as read: where it goes, and what it hashed to.
struct ReadEntry {
    index: usize,
    name: String,
    executable: bool,
    size: u64,
    sha256: String,
}

/// `RECORD` and `METADATA` contents by path.
type KeptFiles = BTreeMap<String, Vec<u8>>;

/// Reads every file of the archive once, hashing as it decompresses (nothing is kept but
/// `RECORD` and `METADATA`); the decompressed total is capped so a zip bomb stops early.
fn read_archive(
    wheel: &str,
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
) -> Result<(Vec<ReadEntry>, KeptFiles), Error> {
    let malformed = |problem: &'static str| Error::MalformedWheel {
        wheel: cut(wheel),
        problem,
    };
    let mut entries = Vec::new();
    let mut kept = BTreeMap::new();
    let mut names = std::collections::BTreeSet::new();
    let mut total: u64 = 0;
    let mut buffer = vec![0_u8; 64 * 1024];
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|_| malformed("has an unreadable entry"))?;
        if entry.is_dir() {
            continue;
        }
        let name = safe_path(entry.name())
            .ok_or_else(|| malformed("has a path outside the archive root"))?
            .to_owned();
        if !names.insert(name.clone()) {
            return Err(malformed("has the same path twice"));
        }
        let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
        let keep = name.split_once('/').is_some_and(|(dir, rest)| {
            dir.ends_with(".dist-info") && (rest == "RECORD" || rest == "METADATA")
        });
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        let mut contents = Vec::new();
        let mut size: u64 = 0;
        loop {
            let n = entry
                .read(&mut buffer)
                .map_err(|_| malformed("has an entry that does not decompress"))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if total > MAX_UNZIPPED_BYTES {
                return Err(Error::LayerTooLarge {
                    what: "unzipped",
                    size: total,
                    limit: MAX_UNZIPPED_BYTES,
                });
            }
            digest.update(&buffer[..n]);
            if keep {
                contents.extend_from_slice(&buffer[..n]);
            }
        }
        if size != entry.size() {
            return Err(malformed(
                "has an entry whose size differs from its zip header",
            ));
        }
        if keep {
            kept.insert(name.clone(), contents);
        }
        entries.push(ReadEntry {
            index,
            name,
            executable,
            size,
            sha256: URL_SAFE_NO_PAD.encode(digest.finish()),
        });
    }
    Ok((entries, kept))
}

/// One file of an installed wheel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledFile {
    /// Where it goes, relative to the install root (`python/` in a layer).
    pub path: String,
    /// Its size, uncompressed.
    pub size: u64,
}

/// A wheel checked against its `RECORD` and ready to be copied into an archive without being
/// compressed again: its kept files, in path order, with fixed times and modes.
#[derive(Clone)]
pub struct InstalledWheel {
    /// The wheel's file name.
    pub filename: String,
    /// What it declared about itself.
    pub metadata: WheelMetadata,
    /// The kept files, sorted by path (entry `i` of [`InstalledWheel::archive`]).
    pub files: Vec<InstalledFile>,
    /// A zip holding exactly `files`, with the wheel's compressed data as is.
    archive: Vec<u8>,
}

impl std::fmt::Debug for InstalledWheel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstalledWheel")
            .field("filename", &self.filename)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

impl InstalledWheel {
    /// The archive of the kept files (entry `i` is `files[i]`).
    pub fn archive(&self) -> &[u8] {
        &self.archive
    }

    /// The total size of the kept files, uncompressed.
    pub fn unzipped_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Installs `bytes` (the wheel `wheel`) the way an installer would, checking `RECORD`.
pub fn install(wheel: &str, bytes: &[u8]) -> Result<InstalledWheel, Error> {
    let malformed = |problem: &'static str| Error::MalformedWheel {
        wheel: cut(wheel),
        problem,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| malformed("is not a zip archive"))?;
    let (entries, kept) = read_archive(wheel, &mut archive)?;
    let records: Vec<&String> = kept.keys().filter(|p| p.ends_with("/RECORD")).collect();
    let [record_path] = records.as_slice() else {
        return Err(malformed("does not have exactly one .dist-info/RECORD"));
    };
    let dist_dir = record_path.trim_end_matches("RECORD").to_owned();
    let data_dir = format!("{}.data/", dist_dir.trim_end_matches(".dist-info/"));
    let metadata = kept
        .get(&format!("{dist_dir}METADATA"))
        .ok_or_else(|| malformed("has no METADATA"))?;
    let metadata = parse_metadata(metadata)?;

    // RECORD: path,sha256=<urlsafe-b64>,size — CSV, but paths with commas are quoted.
    let mut listed: BTreeMap<String, (String, String)> = BTreeMap::new();
    let rows =
        csv_lines(&kept[*record_path]).ok_or_else(|| malformed("has an unreadable RECORD"))?;
    for row in rows {
        let [path, hash, size] = row.as_slice() else {
            return Err(malformed("has a RECORD row without three fields"));
        };
        listed.insert(path.clone(), (hash.clone(), size.clone()));
    }
    let mut out: Vec<(String, usize, u64, bool)> = Vec::new();
    for entry in &entries {
        let path = &entry.name;
        let is_record = path == *record_path;
        let signature =
            *path == format!("{dist_dir}RECORD.jws") || *path == format!("{dist_dir}RECORD.p7s");
        if !is_record && !signature {
            let mismatch = |problem: &'static str| Error::WheelRecordMismatch {
                wheel: cut(wheel),
                path: cut(path),
                problem,
            };
            let (hash, size) = listed
                .remove(path)
                .ok_or_else(|| mismatch("is not listed in RECORD"))?;
            let expected = hash
                .strip_prefix("sha256=")
                .ok_or_else(|| mismatch("has no sha256 in RECORD"))?;
            if expected != entry.sha256 || size != entry.size.to_string() {
                return Err(mismatch("does not match its RECORD hash and size"));
            }
        } else {
            listed.remove(path);
        }
        let target = if let Some(rest) = path.strip_prefix(&data_dir) {
            match rest.split_once('/') {
                Some(("purelib" | "platlib", inner)) => inner.to_owned(),
                _ => continue,
            }
        } else {
            path.clone()
        };
        let compiled = target.ends_with(".pyc") || target.split('/').any(|p| p == "__pycache__");
        if compiled || target.is_empty() {
            continue;
        }
        out.push((target, entry.index, entry.size, entry.executable));
    }
    // Whatever RECORD lists but the archive lacks (compiled files may be listed unhashed).
    if let Some((path, _)) = listed
        .into_iter()
        .find(|(p, (hash, _))| !(hash.is_empty() && (p.ends_with(".pyc") || p.ends_with("RECORD"))))
    {
        return Err(Error::WheelRecordMismatch {
            wheel: cut(wheel),
            path: cut(&path),
            problem: "is listed in RECORD but missing from the archive",
        });
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = out.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(Error::WheelRecordMismatch {
            wheel: cut(wheel),
            path: cut(&pair[0].0),
            problem: "is installed twice (from the root and from a .data directory)",
        });
    }
    // Copy the kept entries, still compressed, with the zip epoch as time and a fixed mode.
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut files = Vec::with_capacity(out.len());
    for (path, index, size, executable) in out {
        let raw = archive
            .by_index_raw(index)
            .map_err(|_| malformed("has an unreadable entry"))?;
        writer
            .raw_copy_file_touch(
                raw,
                DateTime::default(),
                Some(if executable { 0o755 } else { 0o644 }),
            )
            .map_err(|source| Error::ZipWrite { source })?;
        files.push(InstalledFile { path, size });
    }
    let archive = writer
        .finish()
        .map_err(|source| Error::ZipWrite { source })?
        .into_inner();
    Ok(InstalledWheel {
        filename: wheel.to_owned(),
        metadata,
        files,
        archive,
    })
}

/// RECORD rows (CSV without a header); `None` when unreadable.
fn csv_lines(bytes: &[u8]) -> Option<Vec<Vec<String>>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .records()
        .map(|r| r.ok().map(|r| r.iter().map(str::to_owned).collect()))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write as _;

    use zip::write::SimpleFileOptions;

    use super::*;

    fn sha256_b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, bytes))
    }

    /// Builds a wheel from (path, contents); RECORD is computed unless `record` is given.
    pub(crate) fn wheel(files: &[(&str, &[u8])], record: Option<&str>) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let mut rows = String::new();
        for (path, contents) in files {
            writer
                .start_file(*path, SimpleFileOptions::default())
                .unwrap();
            writer.write_all(contents).unwrap();
            rows.push_str(&format!(
                "{path},sha256={},{}\n",
                sha256_b64(contents),
                contents.len()
            ));
        }
        rows.push_str("demo-1.0.dist-info/RECORD,,\n");
        writer
            .start_file("demo-1.0.dist-info/RECORD", SimpleFileOptions::default())
            .unwrap();
        writer
            .write_all(record.unwrap_or(&rows).as_bytes())
            .unwrap();
        writer.finish().unwrap().into_inner()
    }

    pub(crate) const METADATA: &[u8] =
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Python: >=3.9\nRequires-Dist: idna>=3\nRequires-Dist: pysocks; extra == \"socks\"\n\nLong description.\n";

    #[test]
    fn unpacks_purelib_and_platlib_to_the_root_and_drops_the_rest() {
        let bytes = wheel(
            &[
                ("demo/__init__.py", b"x = 1\n"),
                ("demo/__pycache__/__init__.cpython-312.pyc", b"\0"),
                ("demo-1.0.data/platlib/_native.so", b"ELF"),
                ("demo-1.0.data/scripts/demo", b"#!python"),
                ("demo-1.0.data/headers/demo.h", b"int x;"),
                ("demo-1.0.dist-info/METADATA", METADATA),
            ],
            None,
        );
        let installed = install("demo-1.0-py3-none-any.whl", &bytes).unwrap();
        let meta = &installed.metadata;
        let paths: Vec<&str> = installed.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "_native.so",
                "demo-1.0.dist-info/METADATA",
                "demo-1.0.dist-info/RECORD",
                "demo/__init__.py"
            ]
        );
        assert_eq!(meta.name, "demo");
        assert_eq!(meta.requires_dist.len(), 2);
        assert_eq!(meta.requires_python.as_deref(), Some(">=3.9"));
        assert_eq!(installed.files[0].size, 3);
        // The kept entries are copied compressed, in path order, with fixed times and modes.
        let mut archive = zip::ZipArchive::new(Cursor::new(installed.archive())).unwrap();
        assert_eq!(archive.len(), 4);
        let entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name(), "demo-1.0.data/platlib/_native.so");
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o644));
        assert_eq!(entry.last_modified(), Some(DateTime::default()));
    }

    #[test]
    fn record_mismatches_are_refused() {
        let base: &[(&str, &[u8])] = &[
            ("demo/__init__.py", b"x = 1\n"),
            ("demo-1.0.dist-info/METADATA", METADATA),
        ];
        let good = wheel(base, None);
        assert!(install("w", &good).is_ok());
        let meta_row = format!(
            "demo-1.0.dist-info/METADATA,sha256={},{}\n",
            sha256_b64(METADATA),
            METADATA.len()
        );
        for (record, needle) in [
            (
                format!("{meta_row}demo-1.0.dist-info/RECORD,,\n"),
                "not listed in RECORD",
            ),
            (
                format!(
                    "demo/__init__.py,sha256={},6\n{meta_row}",
                    sha256_b64(b"x = 2\n")
                ),
                "does not match",
            ),
            (
                format!(
                    "demo/__init__.py,sha256={},6\ndemo/gone.py,sha256=abc,3\n{meta_row}",
                    sha256_b64(b"x = 1\n")
                ),
                "missing from the archive",
            ),
            (
                "\"unterminated,,\n".to_owned(),
                "RECORD row without three fields",
            ),
        ] {
            let bytes = wheel(base, Some(&record));
            let err = install("w", &bytes).unwrap_err().to_string();
            assert!(err.contains(needle), "{record}: {err}");
        }
    }

    #[test]
    fn paths_outside_the_root_are_refused() {
        for path in ["../evil.py", "/etc/passwd", "a\\b.py", "a/./b.py"] {
            let bytes = wheel(
                &[(path, b"x"), ("demo-1.0.dist-info/METADATA", METADATA)],
                None,
            );
            let err = install("w", &bytes).unwrap_err().to_string();
            assert!(err.contains("outside the archive root"), "{path}: {err}");
        }
        assert!(install("w", b"not a zip")
            .unwrap_err()
            .to_string()
            .contains("not a zip"));
    }
}
