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

use crate::error::{cut, Error};

/// A file for the layer: its path relative to the layer's `python/` directory.
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

/// A safe relative path, or `None`.
fn safe_path(path: &str) -> Option<&str> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path.split('/').all(|part| part != ".." && part != ".");
    ok.then_some(path)
}

fn sha256_b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// The archive's files, each read once (directories skipped).
fn read_archive(wheel: &str, bytes: &[u8]) -> Result<BTreeMap<String, (Vec<u8>, bool)>, Error> {
    let malformed = |problem: &'static str| Error::MalformedWheel {
        wheel: cut(wheel),
        problem,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| malformed("is not a zip archive"))?;
    let mut files = BTreeMap::new();
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
        let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
        let mut contents = Vec::new();
        entry
            .read_to_end(&mut contents)
            .map_err(|_| malformed("has an entry that does not decompress"))?;
        if files.insert(name, (contents, executable)).is_some() {
            return Err(malformed("has the same path twice"));
        }
    }
    Ok(files)
}

/// Unpacks `bytes` (the wheel `wheel`), checking `RECORD`; returns the layer files and the
/// wheel's metadata.
pub fn unpack(wheel: &str, bytes: &[u8]) -> Result<(Vec<LayerFile>, WheelMetadata), Error> {
    let malformed = |problem: &'static str| Error::MalformedWheel {
        wheel: cut(wheel),
        problem,
    };
    let files = read_archive(wheel, bytes)?;
    let dist_info: Vec<&String> = files
        .keys()
        .filter(|p| {
            p.split('/').count() == 2
                && p.split('/')
                    .next()
                    .is_some_and(|d| d.ends_with(".dist-info"))
                && p.ends_with("/RECORD")
        })
        .collect();
    let [record_path] = dist_info.as_slice() else {
        return Err(malformed("does not have exactly one .dist-info/RECORD"));
    };
    let dist_dir = record_path.trim_end_matches("RECORD").to_owned();
    let data_dir = format!("{}.data/", dist_dir.trim_end_matches(".dist-info/"));
    let metadata = files
        .get(&format!("{dist_dir}METADATA"))
        .ok_or_else(|| malformed("has no METADATA"))?;
    let metadata = parse_metadata(&metadata.0)?;

    // RECORD: path,sha256=<urlsafe-b64>,size — CSV, but paths with commas are quoted.
    let record = &files[*record_path].0;
    let mut listed: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut reader = csv_lines(record).ok_or_else(|| malformed("has an unreadable RECORD"))?;
    for row in reader.drain(..) {
        let [path, hash, size] = row.as_slice() else {
            return Err(malformed("has a RECORD row without three fields"));
        };
        listed.insert(path.clone(), (hash.clone(), size.clone()));
    }
    let mut out = Vec::new();
    for (path, (contents, executable)) in &files {
        let is_record = path == *record_path;
        let signature = path.starts_with(&dist_dir)
            && (path.ends_with("RECORD.jws") || path.ends_with("RECORD.p7s"));
        if !is_record && !signature {
            let Some((hash, size)) = listed.remove(path) else {
                return Err(Error::WheelRecordMismatch {
                    wheel: cut(wheel),
                    path: cut(path),
                    problem: "is not listed in RECORD",
                });
            };
            let expected = hash
                .strip_prefix("sha256=")
                .ok_or(Error::WheelRecordMismatch {
                    wheel: cut(wheel),
                    path: cut(path),
                    problem: "has no sha256 in RECORD",
                })?;
            if expected != sha256_b64(contents) || size != contents.len().to_string() {
                return Err(Error::WheelRecordMismatch {
                    wheel: cut(wheel),
                    path: cut(path),
                    problem: "does not match its RECORD hash and size",
                });
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
        out.push(LayerFile {
            path: target,
            contents: contents.clone(),
            executable: *executable,
        });
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
    Ok((out, metadata))
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
        let (files, meta) = unpack("demo-1.0-py3-none-any.whl", &bytes).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
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
    }

    #[test]
    fn record_mismatches_are_refused() {
        let base: &[(&str, &[u8])] = &[
            ("demo/__init__.py", b"x = 1\n"),
            ("demo-1.0.dist-info/METADATA", METADATA),
        ];
        let good = wheel(base, None);
        assert!(unpack("w", &good).is_ok());
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
            let err = unpack("w", &bytes).unwrap_err().to_string();
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
            let err = unpack("w", &bytes).unwrap_err().to_string();
            assert!(err.contains("outside the archive root"), "{path}: {err}");
        }
        assert!(unpack("w", b"not a zip")
            .unwrap_err()
            .to_string()
            .contains("not a zip"));
    }
}
