//! The crate's one error type.

/// Why a template could not be linted.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The template cannot be read (not YAML or JSON, duplicate keys, an ambiguous scalar, a
    /// section of the wrong shape).
    #[error("line {line}: {message}")]
    Template {
        /// The 1-based line.
        line: usize,
        /// What is wrong (never a property value).
        message: String,
    },
}

impl Error {
    /// The 1-based line the problem is on.
    pub fn line(&self) -> usize {
        match self {
            Self::Template { line, .. } => *line,
        }
    }
}
