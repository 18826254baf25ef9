//! Glob-style patterns (`*` matches any run of characters, everything else is literal) as
//! bounded, fully anchored regexes: stack-name patterns of signatures, principal patterns of
//! tickets and CloudTrail records. Imports nothing of the crate.

/// Compiled patterns are bounded (they come from signed envelopes and configuration, but stay
/// cheap anyway).
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A full-match regex for a pattern where `*` matches any run of characters and everything else
/// is literal (stack-name patterns, principal ARN patterns).
pub(crate) fn glob_regex(pattern: &str) -> Option<regex::Regex> {
    let regex = format!(
        "^{}$",
        pattern
            .split('*')
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(".*")
    );
    regex::RegexBuilder::new(&regex)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .ok()
}
