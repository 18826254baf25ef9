//! Requirements: PEP 508 strings, or the body of a requirements.txt, with `--hash=sha256:` pins.
//!
//! What a requirements.txt may hold here: requirement lines, comments, blank lines, `\`
//! continuations and per-requirement `--hash=sha256:<hex>` options. Everything that would reach
//! outside the given text or index is refused by name: `-r`/`-c` (other files), `-e` and direct
//! URL requirements (other sources), `-i`/`--index-url`/`--extra-index-url`/`-f` (the index
//! comes from the `IndexUrl` property and the provider's allow-list).

use std::str::FromStr as _;

use pep508_rs::{Requirement, VerbatimUrl, VersionOrUrl};

use crate::error::{cut, Error};

/// One requirement and the hashes it is pinned to.
#[derive(Clone, Debug)]
pub struct RequirementLine {
    /// The requirement.
    pub requirement: Requirement<VerbatimUrl>,
    /// Accepted SHA-256 digests (lowercase hex); empty when not pinned.
    pub hashes: Vec<String>,
    /// Where it came from: the 1-based line of a requirements.txt, or the position in a list.
    pub line: usize,
}

fn malformed(line: usize, problem: impl Into<String>) -> Error {
    Error::MalformedRequirement {
        line,
        problem: problem.into(),
    }
}

/// Parses a requirements.txt body.
pub fn parse_requirements_txt(body: &str) -> Result<Vec<RequirementLine>, Error> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut start = 0;
    for (index, raw) in body.lines().enumerate() {
        if logical.is_empty() {
            start = index + 1;
        }
        let text = strip_comment(raw);
        if let Some(continued) = text.strip_suffix('\\') {
            logical.push_str(continued);
            logical.push(' ');
            continue;
        }
        logical.push_str(text);
        let line = std::mem::take(&mut logical);
        if let Some(parsed) = parse_line(line.trim(), start)? {
            out.push(parsed);
        }
    }
    if !logical.trim().is_empty() {
        return Err(malformed(
            start,
            "ends with a `\\` continuation and no next line",
        ));
    }
    Ok(out)
}

/// Parses a list of requirement strings (each may carry `--hash` options).
pub fn parse_list<S: AsRef<str>>(items: &[S]) -> Result<Vec<RequirementLine>, Error> {
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let text = item.as_ref();
        if text.contains('\n') {
            return Err(malformed(index + 1, "a list item holds several lines"));
        }
        match parse_line(strip_comment(text).trim(), index + 1)? {
            Some(parsed) => out.push(parsed),
            None => return Err(malformed(index + 1, "is empty")),
        }
    }
    Ok(out)
}

/// Removes a `#` comment: at the start, or after whitespace (a `#` inside a URL fragment is not
/// a comment, but URLs are refused anyway).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

fn parse_line(line: &str, number: usize) -> Result<Option<RequirementLine>, Error> {
    if line.is_empty() {
        return Ok(None);
    }
    if line.starts_with('-') {
        let option = line
            .split(|c: char| c.is_whitespace() || c == '=')
            .next()
            .unwrap_or(line);
        let why = match option {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                "refers to another file; put every requirement in this text"
            }
            "-e" | "--editable" => "is an editable install; only index packages are supported",
            "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links" | "--no-index" => {
                "sets an index; the index comes from the IndexUrl property"
            }
            "--require-hashes" => "sets --require-hashes; use the RequireHashes property",
            _ => "is an option this builder does not support",
        };
        return Err(malformed(number, format!("`{}` {why}", cut(option))));
    }
    // Split off `--hash` options.
    let mut hashes = Vec::new();
    let mut requirement_text = line;
    if let Some(at) = line.find(" --") {
        requirement_text = &line[..at];
        let mut tokens = line[at..].split_whitespace().peekable();
        while let Some(token) = tokens.next() {
            let value = if let Some(v) = token.strip_prefix("--hash=") {
                v.to_owned()
            } else if token == "--hash" {
                tokens
                    .next()
                    .map(str::to_owned)
                    .ok_or_else(|| malformed(number, "`--hash` without a value"))?
            } else {
                return Err(malformed(
                    number,
                    format!(
                        "`{}` is not supported after a requirement (only --hash)",
                        cut(token)
                    ),
                ));
            };
            let hex = value.strip_prefix("sha256:").ok_or_else(|| {
                malformed(
                    number,
                    "only sha256 hashes are supported (--hash=sha256:<64 hex>)",
                )
            })?;
            if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(malformed(number, "a sha256 hash must be 64 hex digits"));
            }
            hashes.push(hex.to_ascii_lowercase());
        }
    }
    let requirement =
        parse_pep508(requirement_text.trim()).map_err(|problem| malformed(number, problem))?;
    if matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_))) {
        return Err(malformed(
            number,
            format!(
                "`{}` is a direct URL requirement; only packages from the index are supported",
                requirement.name
            ),
        ));
    }
    Ok(Some(RequirementLine {
        requirement,
        hashes,
        line: number,
    }))
}

/// Parses one PEP 508 requirement (untrusted: a property, or a wheel's `Requires-Dist`).
///
/// Guards pep508_rs 0.9.2, which panics on a package name ending in `.`, `-` or `_` when
/// something follows it (`a. >=1`): such names, and control characters, are refused first.
pub fn parse_pep508(text: &str) -> Result<Requirement<VerbatimUrl>, String> {
    if text.chars().any(char::is_control) {
        return Err("contains a control character".to_owned());
    }
    // PEP 508 is ASCII; pep508_rs also slices its error display by bytes (a panic on
    // multi-byte characters), so only its message is used below.
    if !text.is_ascii() {
        return Err("contains a non-ASCII character".to_owned());
    }
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(text.len());
    if text[..name_end].ends_with(['.', '-', '_']) {
        return Err(format!(
            "the package name `{}` must end with a letter or digit",
            cut(&text[..name_end])
        ));
    }
    // Extras (`name [a, b]`): each identifier in the brackets likewise.
    if let Some(open) = text[name_end..].trim_start().strip_prefix('[') {
        let inside = open.split(']').next().unwrap_or_default();
        let bad = inside
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
            .find(|word| word.ends_with(['.', '-', '_']));
        if let Some(word) = bad {
            return Err(format!(
                "the extra `{}` must end with a letter or digit",
                cut(word)
            ));
        }
    }
    Requirement::<VerbatimUrl>::from_str(text).map_err(|e| first_line(&e.message.to_string()))
}

/// pep508_rs errors draw a caret diagram on further lines; the first line says what is wrong.
fn first_line(message: &str) -> String {
    cut(message.lines().next().unwrap_or(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_crash_the_pep508_parser_are_refused() {
        // Each of these panics inside pep508_rs 0.9.2 (found by the `requirements` fuzz target).
        for text in [
            "F.\u{1c}",
            "a. >=1",
            "a-[x]",
            "a_;python_version>'3'",
            "F.\u{a0}",
            "w[v.",
            "w[a, b- ]",
            "w [x,y_]",
            "t[z   \u{b29b}2      2 \u{b29b}e-t`zt",
        ] {
            let err = parse_pep508(text).unwrap_err();
            assert!(
                err.contains("must end with") || err.contains("control") || err.contains("ASCII"),
                "{text:?}: {err}"
            );
            assert!(parse_list(&[text]).is_err());
        }
        assert!(parse_pep508("a.b-c_d >=1").is_ok());
        assert!(parse_pep508("a[x.y, z-1] ==1.*").is_ok());
        assert!(parse_pep508("a").is_ok());
    }

    const H1: &str = "0000000000000000000000000000000000000000000000000000000000000001";
    const H2: &str = "ABCDEF0000000000000000000000000000000000000000000000000000000002";

    #[test]
    fn reads_a_requirements_txt_with_comments_continuations_and_hashes() {
        let body = format!(
            "# pinned\nrequests==2.32.3 \\\n    --hash=sha256:{H1} \\\n    --hash sha256:{H2}\n\npydantic[email]>=2 ; python_version >= '3.9'  # why\nurllib3<3\n"
        );
        let lines = parse_requirements_txt(&body).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].requirement.name.as_ref(), "requests");
        assert_eq!(lines[0].hashes, [H1.to_owned(), H2.to_ascii_lowercase()]);
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[1].requirement.name.as_ref(), "pydantic");
        assert_eq!(lines[1].requirement.extras.len(), 1);
        assert_eq!(lines[1].line, 6);
        assert!(lines[2].hashes.is_empty());
    }

    #[test]
    fn lists_take_one_requirement_per_item() {
        let lines =
            parse_list(&["Requests>=2", &format!("six==1.16.0 --hash=sha256:{H1}")]).unwrap();
        assert_eq!(lines[0].requirement.name.as_ref(), "requests");
        assert_eq!(lines[1].hashes.len(), 1);
        assert!(parse_list(&["a\nb"]).is_err());
        assert!(parse_list(&["  # only a comment"]).is_err());
    }

    #[test]
    fn malformed_lines_name_the_line_and_the_problem() {
        for (body, line, needle) in [
            ("requests\nfoo==", 2, "requirement line 2"),
            ("-r other.txt", 1, "another file"),
            ("-e .", 1, "editable"),
            ("--index-url https://example.invalid/simple", 1, "IndexUrl"),
            ("--extra-index-url=x", 1, "IndexUrl"),
            ("--require-hashes", 1, "RequireHashes"),
            ("--pre", 1, "does not support"),
            ("pkg @ https://example.invalid/pkg.whl", 1, "direct URL"),
            ("pkg==1 --hash=md5:abc", 1, "only sha256"),
            ("pkg==1 --hash=sha256:abc", 1, "64 hex"),
            ("pkg==1 --no-deps", 1, "only --hash"),
            ("pkg==1 --hash", 1, "without a value"),
            ("pkg==1 \\", 1, "continuation"),
        ] {
            let err = parse_requirements_txt(body).unwrap_err().to_string();
            assert!(err.contains(&format!("line {line}")), "{body}: {err}");
            assert!(err.contains(needle), "{body}: {err}");
        }
    }
}
