//! The library half of the `warden` CLI: entry points for the fuzz targets in `fuzz/`. The CLI
//! itself is the `warden` binary; this is not a stable API.
#![forbid(unsafe_code)]
#![allow(
    dead_code,
    reason = "the modules are shared with the binary, which uses the rest of them"
)]

mod lint;
mod template;

/// Entry points for `fuzz/` (not a stable API).
#[doc(hidden)]
pub mod fuzzing {
    /// Lints `source` as `warden lint` would; returns each finding's rule id and line, or the
    /// text of the error for a template that cannot be read.
    pub fn lint(source: &str) -> Result<Vec<(String, usize)>, String> {
        crate::lint::lint("fuzz.yaml", source)
            .map(|findings| {
                findings
                    .into_iter()
                    .map(|f| (f.rule.to_owned(), f.line))
                    .collect()
            })
            .map_err(|e| e.to_string())
    }

    /// Whether `id` is one of `warden lint`'s rules.
    pub fn is_rule(id: &str) -> bool {
        crate::lint::RULES.iter().any(|r| r.id == id)
    }
}
