//! Which files a `warden lint` run reads: each file named, and under each directory named every
//! file whose name ends in `.yaml`, `.yml`, `.json` or `.template` and whose text looks like a
//! CloudFormation template (hidden directories, `node_modules` and symbolic links skipped).

use std::path::{Path, PathBuf};

use crate::finding::FileError;

const EXTENSIONS: &[&str] = &["yaml", "yml", "json", "template"];

/// The files to lint for `paths`, in order (each directory's entries sorted), and the
/// directories that could not be read.
pub fn templates_under(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files, &mut errors);
        } else {
            files.push(path.clone());
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<FileError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(FileError {
                file: dir.display().to_string(),
                line: 0,
                message: format!("reading the directory: {e}"),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "node_modules" {
                walk(&path, files, errors);
            }
        } else if kind.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            && std::fs::read(&path)
                .is_ok_and(|bytes| looks_like_template(&String::from_utf8_lossy(&bytes)))
        {
            files.push(path);
        }
    }
}

/// Whether a file's text looks like a CloudFormation template: a top-level `Resources` or
/// `AWSTemplateFormatVersion` key (YAML), or either key quoted (JSON).
pub fn looks_like_template(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_end();
        ["Resources", "AWSTemplateFormatVersion"].iter().any(|key| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
                || line.contains(&format!("\"{key}\""))
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    use super::*;

    #[test]
    fn a_directory_yields_its_templates_only() {
        let dir = std::env::temp_dir().join(format!("warden-lint-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in [
            ("b/template.yaml", "Resources:\n  A: {Type: T}\n"),
            ("a.json", "{\"AWSTemplateFormatVersion\": \"2010-09-09\"}"),
            ("buildspec.yml", "version: 0.2\nphases: {}\n"),
            ("notes.txt", "Resources:\n"),
            (".aws-sam/build/template.yaml", "Resources: {}\n"),
            ("node_modules/x/t.yaml", "Resources: {}\n"),
        ] {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let named = dir.join("buildspec.yml");
        let (files, errors) = templates_under(&[dir.clone(), named.clone()]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            files,
            vec![dir.join("a.json"), dir.join("b/template.yaml"), named]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
