//! Package index pages: PEP 691 JSON and PEP 503 HTML (the "simple" API) into one list of files.
//!
//! From each file: its name, its absolute URL (relative links resolved against the page URL,
//! the `#sha256=` fragment removed), the SHA-256 the index states, `Requires-Python`, whether it
//! is yanked, and whether PEP 658/714 metadata is offered (and its hash). Only `https` URLs (or
//! plain `http` back to the page's own origin, for loopback test indexes) are kept.

use std::str::FromStr as _;

use pep508_rs::pep440_rs::VersionSpecifiers;
use serde::Deserialize;
use url::Url;

use crate::{
    error::{cut, Error},
    setting::{Named, Setting},
};

/// The `Accept` header an index client sends: JSON preferred, HTML accepted.
pub const ACCEPT: &str =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";

/// One file an index lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexFile {
    /// The file name.
    pub filename: String,
    /// Where to fetch it (no fragment).
    pub url: Url,
    /// The SHA-256 the index states (lowercase hex).
    pub sha256: Option<String>,
    /// The Python versions it supports.
    pub requires_python: Option<VersionSpecifiers>,
    /// Yanked (PEP 592): chosen only when the requirements pin its version exactly.
    pub yanked: bool,
    /// Why it was yanked, when the index says (cut).
    pub yanked_reason: Option<String>,
    /// PEP 658 metadata: `None` = not offered; `Some(hash)` = offered (hash may be unknown).
    pub metadata: Option<Option<String>>,
}

fn invalid(package: &str, format: &'static str) -> Error {
    Error::MalformedIndexPage {
        package: cut(package),
        format,
    }
}

/// Why the path of a URL the engine would follow could name another path once a server
/// decodes or normalises it, or `None` when it is plain. Refused: `;` (path parameters,
/// written or encoded), a
/// segment that decodes to `.` or `..` or holds a slash or backslash, a segment still
/// percent-encoded after decoding (double encoding), control characters, and decoded bytes
/// that are not UTF-8. The `url` crate has already resolved literal dot segments and turned
/// backslashes into slashes; what is left here is what it keeps and a server may not.
pub fn ambiguous_path(url: &Url) -> Option<&'static str> {
    for segment in url.path().split('/') {
        let Ok(decoded) = percent_encoding::percent_decode_str(segment).decode_utf8() else {
            return Some("has a path that is not UTF-8 once decoded");
        };
        if decoded.contains(';') {
            return Some("has a `;` path parameter (servers may drop or act on it)");
        }
        if decoded == "." || decoded == ".." {
            return Some("has an encoded dot segment (`%2e`)");
        }
        if decoded.contains(['/', '\\']) {
            return Some("has an encoded slash or backslash (`%2f`, `%5c`)");
        }
        if decoded.contains('%') {
            return Some("is percent-encoded twice");
        }
        if decoded.chars().any(char::is_control) {
            return Some("has control characters in its path");
        }
    }
    None
}

/// The decoded, non-empty path segments of a plain path (see [`ambiguous_path`]).
fn decoded_segments(url: &Url) -> Vec<String> {
    url.path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// Whether `url` is under `prefix`: same scheme, host and port, and the prefix's decoded path
/// segments are the first of `url`'s (so `/simple` never admits `/simple-evil`, and nothing
/// a server would decode differently is compared as text). A prefix that is not a plain URL
/// admits nothing.
pub fn is_under(url: &Url, prefix: &str) -> bool {
    let Ok(prefix) = Url::parse(prefix.trim()) else {
        return false;
    };
    if ambiguous_path(&prefix).is_some()
        || prefix.query().is_some()
        || !prefix.username().is_empty()
        || prefix.password().is_some()
    {
        return false;
    }
    let ours = decoded_segments(url);
    let theirs = decoded_segments(&prefix);
    url.scheme() == prefix.scheme()
        && url.host() == prefix.host()
        && url.port_or_known_default() == prefix.port_or_known_default()
        && ours.len() >= theirs.len()
        && ours.iter().zip(&theirs).all(|(a, b)| a == b)
}

/// The path part of a URL as written (after the authority, before any query or fragment).
fn raw_path(given: &str) -> &str {
    let rest = given.split_once("://").map_or(given, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    rest.find(['/', '\\']).map_or("", |at| &rest[at..])
}

/// Checks an `IndexUrl` against the allow-list (URL prefixes from the provider's
/// configuration). The index must be `https` (plain `http` only for loopback hosts, for local
/// test indexes, and only when allowed explicitly), carry no credentials, no query or
/// fragment, have a plain path (no dot segments, backslashes, `;` parameters, or encoded
/// slashes, backslashes, dots or percent signs: see [`ambiguous_path`]), and lie under an
/// allowed prefix, compared by decoded path segments ([`is_under`]). Nothing is built in:
/// with no allow-list, no index is usable.
pub fn check_index_url(given: Option<&str>, allowed: &[String]) -> Result<Url, Error> {
    let given = given.map(str::trim).filter(|g| !g.is_empty());
    let (Some(given), false) = (given, allowed.is_empty()) else {
        return Err(Error::NoIndexConfigured {
            setting: Named::new(Setting::IndexUrl),
        });
    };
    // Shown without userinfo, query or fragment (they may hold tokens).
    let shown = given
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default();
    let refuse = |problem: &'static str| Error::IndexNotAllowed {
        url: cut(shown),
        problem,
        setting: Named::new(Setting::IndexUrl),
    };
    let mut url = Url::parse(given).map_err(|_| refuse("is not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "carries credentials; they would reach logs and stack events",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("has a query or fragment"));
    }
    // What the URL parser would silently resolve is refused as written: the allow-list is
    // judged on the path the user meant, not on one the parser made up.
    let written = raw_path(given);
    if written.contains('\\') {
        return Err(refuse("has a backslash in its path"));
    }
    let dot_segment = written.split('/').any(|segment| {
        let lower = segment.to_ascii_lowercase().replace("%2e", ".");
        lower == "." || lower == ".."
    });
    if dot_segment {
        return Err(refuse("has a dot segment (`.` or `..`) in its path"));
    }
    if let Some(problem) = ambiguous_path(&url) {
        return Err(refuse(problem));
    }
    let loopback = matches!(
        url.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(refuse("is not https")),
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    if !allowed.iter().any(|prefix| is_under(&url, prefix)) {
        return Err(refuse("is not on the provider's index allow-list"));
    }
    Ok(url)
}

/// Which form the index answered in, from its `Content-Type`.
pub fn is_json(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/vnd.pypi.simple.v1+json")
    })
}

#[derive(Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::HashMap<String, String>,
    #[serde(default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: Option<serde_json::Value>,
    #[serde(default)]
    core_metadata: Option<serde_json::Value>,
    #[serde(default)]
    dist_info_metadata: Option<serde_json::Value>,
}

/// PEP 658/714 metadata values: `true`, `false`, or `{"sha256": "..."}`.
fn metadata_value(value: Option<&serde_json::Value>) -> Option<Option<String>> {
    match value? {
        serde_json::Value::Bool(true) => Some(None),
        serde_json::Value::Object(hashes) => Some(
            hashes
                .get("sha256")
                .and_then(|h| h.as_str())
                .map(str::to_ascii_lowercase),
        ),
        _ => None,
    }
}

fn resolve(page: &Url, href: &str) -> Option<(Url, Option<String>)> {
    let mut url = page.join(href).ok()?;
    let fragment_hash = url
        .fragment()
        .and_then(|f| f.strip_prefix("sha256="))
        .map(str::to_ascii_lowercase);
    url.set_fragment(None);
    // https anywhere (indexes often serve files from another host); plain http only back to
    // the page's own origin (a loopback test index), never to another host.
    let scheme_ok = url.scheme() == "https" || url.origin() == page.origin();
    scheme_ok.then_some((url, fragment_hash))
}

fn specifiers(text: Option<&str>) -> Option<VersionSpecifiers> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| VersionSpecifiers::from_str(t).ok())
}

/// A yank reason as shown in messages: one line, cut; none when empty.
fn reason(text: &str) -> Option<String> {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!line.is_empty()).then(|| cut(&line))
}

/// Parses a PEP 691 JSON page.
pub fn parse_json(package: &str, body: &str, page: &Url) -> Result<Vec<IndexFile>, Error> {
    let parsed: JsonPage =
        serde_json::from_str(body).map_err(|_| invalid(package, "PEP 691 JSON"))?;
    Ok(parsed
        .files
        .into_iter()
        .filter_map(|f| {
            let (url, fragment_hash) = resolve(page, &f.url)?;
            let (yanked, yanked_reason) = match &f.yanked {
                Some(serde_json::Value::Bool(b)) => (*b, None),
                Some(serde_json::Value::String(why)) => (true, reason(why)),
                _ => (false, None),
            };
            Some(IndexFile {
                sha256: f
                    .hashes
                    .get("sha256")
                    .map(|h| h.to_ascii_lowercase())
                    .or(fragment_hash),
                requires_python: specifiers(f.requires_python.as_deref()),
                yanked,
                yanked_reason,
                metadata: metadata_value(f.core_metadata.as_ref())
                    .or_else(|| metadata_value(f.dist_info_metadata.as_ref())),
                filename: f.filename,
                url,
            })
        })
        .collect())
}

/// Parses a PEP 503 HTML page.
pub fn parse_html(package: &str, body: &str, page: &Url) -> Result<Vec<IndexFile>, Error> {
    let dom = tl::parse(body, tl::ParserOptions::default())
        .map_err(|_| invalid(package, "PEP 503 HTML"))?;
    let parser = dom.parser();
    let anchors = dom
        .query_selector("a")
        .ok_or_else(|| invalid(package, "PEP 503 HTML"))?;
    let mut out = Vec::new();
    for handle in anchors {
        let Some(tag) = handle.get(parser).and_then(|n| n.as_tag()) else {
            continue;
        };
        let attributes = tag.attributes();
        let attribute = |name: &str| {
            attributes.get(name).map(|v| {
                v.map(|b| html_escape::decode_html_entities(&b.as_utf8_str()).into_owned())
            })
        };
        let Some(Some(href)) = attribute("href") else {
            continue;
        };
        let Some((url, sha256)) = resolve(page, &href) else {
            continue;
        };
        let text = html_escape::decode_html_entities(&tag.inner_text(parser))
            .trim()
            .to_owned();
        let filename = if text.is_empty() {
            url.path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or_default()
                .to_owned()
        } else {
            text
        };
        let metadata = attribute("data-core-metadata")
            .or_else(|| attribute("data-dist-info-metadata"))
            .and_then(|v| match v.as_deref() {
                Some("false") => None,
                Some(value) => Some(value.strip_prefix("sha256=").map(str::to_ascii_lowercase)),
                None => Some(None),
            });
        out.push(IndexFile {
            filename,
            url,
            sha256,
            requires_python: specifiers(attribute("data-requires-python").flatten().as_deref()),
            yanked: attribute("data-yanked").is_some(),
            yanked_reason: attribute("data-yanked")
                .flatten()
                .as_deref()
                .and_then(reason),
            metadata,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "ab00000000000000000000000000000000000000000000000000000000000001";

    fn page() -> Url {
        Url::parse("https://index.invalid/simple/demo/").unwrap()
    }

    #[test]
    fn html_pages_as_pypiserver_and_others_write_them() {
        let body = format!(
            r#"<!DOCTYPE html><html><body><h1>Links for demo</h1>
            <a href="../../packages/demo-1.0-py3-none-any.whl#sha256={H}" data-requires-python="&gt;=3.8">demo-1.0-py3-none-any.whl</a><br/>
            <a href="/packages/demo-0.9.tar.gz#sha256={H}">demo-0.9.tar.gz</a>
            <a href="https://files.invalid/demo-0.8-py3-none-any.whl" data-yanked="broken" data-core-metadata="sha256={H}">demo-0.8-py3-none-any.whl</a>
            <a href="http://plain.invalid/demo-0.7-py3-none-any.whl">insecure</a>
            </body></html>"#
        );
        let files = parse_html("demo", &body, &page()).unwrap();
        assert_eq!(files.len(), 3, "{files:?}");
        assert_eq!(files[0].filename, "demo-1.0-py3-none-any.whl");
        assert_eq!(
            files[0].url.as_str(),
            "https://index.invalid/packages/demo-1.0-py3-none-any.whl"
        );
        assert_eq!(files[0].sha256.as_deref(), Some(H));
        assert!(files[0]
            .requires_python
            .as_ref()
            .unwrap()
            .contains(&"3.12".parse().unwrap()));
        assert!(!files[0].yanked && files[0].metadata.is_none());
        assert!(files[2].yanked);
        assert_eq!(files[2].yanked_reason.as_deref(), Some("broken"));
        assert_eq!(files[2].metadata, Some(Some(H.to_owned())));
    }

    #[test]
    fn index_urls_must_be_allowed_https_without_credentials() {
        let allowed = vec![
            "https://mirror.invalid/simple".to_owned(),
            "http://127.0.0.1:8080/".to_owned(),
        ];
        let ok = check_index_url(Some("https://mirror.invalid/simple"), &allowed).unwrap();
        assert_eq!(ok.as_str(), "https://mirror.invalid/simple/");
        check_index_url(Some("http://127.0.0.1:8080/simple/"), &allowed).unwrap();
        assert!(matches!(
            check_index_url(None, &allowed),
            Err(Error::NoIndexConfigured { .. })
        ));
        assert!(matches!(
            check_index_url(Some("https://mirror.invalid/simple"), &[]),
            Err(Error::NoIndexConfigured { .. })
        ));
        for (url, needle) in [
            ("https://user:secret@mirror.invalid/simple", "credentials"),
            ("http://mirror.invalid/simple", "not https"),
            ("https://mirror.invalid/simple-evil", "allow-list"),
            (
                "https://mirror.invalid.attacker.example/simple",
                "allow-list",
            ),
            ("https://mirror.invalid/simple?token=secret", "query"),
            ("https://mirror.invalid/simple#secret", "fragment"),
            ("ftp://mirror.invalid/simple", "not https"),
            ("not a url", "not a URL"),
        ] {
            let err = check_index_url(Some(url), &allowed)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{url}: {err}");
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn index_urls_that_a_server_could_decode_out_of_the_prefix_are_refused() {
        let allowed = vec!["https://mirror.invalid/team-a/simple".to_owned()];
        for (url, needle) in [
            // Encoded slashes and backslashes: `/team-a/simple/..%2f..%2fteam-b` leaves the
            // prefix once a server decodes it.
            (
                "https://mirror.invalid/team-a/simple/..%2f..%2fteam-b/simple",
                "encoded slash",
            ),
            (
                "https://mirror.invalid/team-a/simple/..%2F..%2Fteam-b/simple",
                "encoded slash",
            ),
            (
                "https://mirror.invalid/team-a/simple/..%5c..%5cteam-b/simple",
                "encoded slash or backslash",
            ),
            // Encoded dots, as written and twice encoded.
            (
                "https://mirror.invalid/team-a/simple/%2e%2e/%2e%2e/team-b/simple",
                "dot segment",
            ),
            (
                "https://mirror.invalid/team-a/simple/%2E./team-b",
                "dot segment",
            ),
            (
                "https://mirror.invalid/team-a/simple/%252e%252e/team-b",
                "percent-encoded twice",
            ),
            // `;` path parameters (`..;/` is `../` to some servers), written or encoded.
            (
                "https://mirror.invalid/team-a/simple/..;/..;/team-b/simple",
                "path parameter",
            ),
            (
                "https://mirror.invalid/team-a/simple/..%3b/team-b",
                "path parameter",
            ),
            // Dot segments and backslashes the URL parser would resolve silently.
            (
                "https://mirror.invalid/team-a/simple/../../team-b/simple",
                "dot segment",
            ),
            ("https://mirror.invalid/team-a/simple/./", "dot segment"),
            (
                "https://mirror.invalid/team-a/simple\\..\\..\\team-b",
                "backslash",
            ),
            // Control characters and bytes that are not UTF-8.
            ("https://mirror.invalid/team-a/simple/%00/", "control"),
            ("https://mirror.invalid/team-a/simple/%ff/", "not UTF-8"),
            // Encoded letters compare decoded: `team%2Da` is `team-a`, `team%2Db` is not.
            ("https://mirror.invalid/team%2Db/simple", "allow-list"),
        ] {
            let err = check_index_url(Some(url), &allowed)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{url}: {err}");
        }
        // Plain forms of the same index are still accepted; an encoded letter is the letter.
        for url in [
            "https://mirror.invalid/team-a/simple",
            "https://mirror.invalid/team-a/simple/",
            "https://MIRROR.invalid:443/team-a/simple/sub/",
            "https://mirror.invalid/team%2Da/simple/",
        ] {
            assert!(check_index_url(Some(url), &allowed).is_ok(), "{url}");
        }
        // An allow-list entry that is itself ambiguous admits nothing.
        assert!(check_index_url(
            Some("https://mirror.invalid/x/"),
            &["https://mirror.invalid/x/..%2f".to_owned()]
        )
        .is_err());
    }

    #[test]
    fn followed_urls_with_ambiguous_paths_are_named() {
        for (url, ambiguous) in [
            (
                "https://files.invalid/packages/ab/demo-1.0-py3-none-any.whl",
                false,
            ),
            (
                "https://files.invalid/packages/demo-1.0%2Blocal-py3-none-any.whl",
                false,
            ),
            ("https://files.invalid/packages/..%2fsecret/demo.whl", true),
            // The URL parser resolves `%2e%2e` itself: what is sent is `/demo.whl`.
            ("https://files.invalid/packages/%2e%2e/demo.whl", false),
            ("https://files.invalid/packages;x=1/demo.whl", true),
            ("https://files.invalid/packages/demo%255c.whl", true),
        ] {
            let parsed = Url::parse(url).unwrap();
            assert_eq!(ambiguous_path(&parsed).is_some(), ambiguous, "{url}");
        }
    }

    #[test]
    fn plain_http_links_stay_on_the_pages_own_origin() {
        let page = Url::parse("http://127.0.0.1:8080/simple/demo/").unwrap();
        let body = r#"<a href="/packages/demo-1.0-py3-none-any.whl">a</a>
            <a href="http://169.254.169.254/latest/demo-1.1-py3-none-any.whl">b</a>
            <a href="http://127.0.0.1:9999/demo-1.2-py3-none-any.whl">c</a>
            <a href="https://files.invalid/demo-1.3-py3-none-any.whl">d</a>"#;
        let urls: Vec<String> = parse_html("demo", body, &page)
            .unwrap()
            .into_iter()
            .map(|f| f.url.to_string())
            .collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:8080/packages/demo-1.0-py3-none-any.whl",
                "https://files.invalid/demo-1.3-py3-none-any.whl"
            ]
        );
    }

    #[test]
    fn json_pages_per_pep_691() {
        let body = serde_json::json!({
            "meta": {"api-version": "1.1"}, "name": "demo",
            "files": [
                {"filename": "demo-1.0-py3-none-any.whl", "url": "../../f/demo-1.0-py3-none-any.whl",
                 "hashes": {"sha256": H.to_uppercase()}, "requires-python": ">=3.9", "core-metadata": {"sha256": H}},
                {"filename": "demo-0.9-py3-none-any.whl", "url": "https://f.invalid/demo-0.9-py3-none-any.whl",
                 "hashes": {}, "yanked": true, "dist-info-metadata": true},
                {"filename": "demo-0.8-py3-none-any.whl", "url": "ftp://f.invalid/x.whl", "hashes": {}}
            ]
        })
        .to_string();
        let files = parse_json("demo", &body, &page()).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].sha256.as_deref(), Some(H));
        assert_eq!(files[0].metadata, Some(Some(H.to_owned())));
        assert!(files[1].yanked);
        assert_eq!(files[1].metadata, Some(None));
        assert!(is_json(
            "application/vnd.pypi.simple.v1+json; charset=utf-8"
        ));
        assert!(!is_json("text/html"));
        assert!(parse_json("demo", "{\"files\": 3}", &page()).is_err());
    }
}
