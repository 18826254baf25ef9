//! The crate's one error type.

/// Why a template could not be linted, or a parameters file not read.
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
    /// A parameters file is not JSON.
    #[error("the parameters file is not JSON")]
    ParametersJson {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A parameters file is JSON of another shape.
    #[error("the parameters file is not {{\"Key\": \"Value\"}}, {{\"Parameters\": {{...}}}} or [{{\"ParameterKey\": ..., \"ParameterValue\": ...}}]: {what}")]
    ParametersShape {
        /// What does not fit.
        what: String,
    },
}

impl Error {
    /// The 1-based line the problem is on (0 when it is not about a template's line).
    pub fn line(&self) -> usize {
        match self {
            Self::Template { line, .. } => *line,
            Self::ParametersJson { source } => source.line(),
            Self::ParametersShape { .. } => 0,
        }
    }
}
