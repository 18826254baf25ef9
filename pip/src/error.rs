//! The crate's one error type, and why a request got no answer ([`FetchFailure`]: the
//! transport reports it, [`Error`] carries it; `crate::http` re-exports it). Imports `setting`.

use crate::setting::{Named, Surface};

/// Everything that can go wrong resolving, fetching, checking and packing a layer.
///
/// Messages are sent to CloudFormation as the FAILED reason: they name packages, lines and
/// limits, never credentials or URLs with secrets.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The runtime is not one Lambda offers for Python layers.
    #[error("unsupported {setting} `{runtime}`: expected python3.9 to python3.14")]
    UnsupportedRuntime {
        /// The value given (cut).
        runtime: String,
        /// The setting (`Runtime`, `--runtime`).
        setting: Named,
    },
    /// The architecture is not x86_64 or arm64.
    #[error("unsupported {setting} `{architecture}`: expected x86_64 or arm64")]
    UnsupportedArchitecture {
        /// The value given (cut).
        architecture: String,
        /// The setting (`Architecture`, `--arch`).
        setting: Named,
    },
    /// The Python version given is not a release of the runtime's Python.
    #[error("{setting} `{given}` is not a 3.X.Y release of {runtime}'s Python (e.g. {example})")]
    InvalidPythonVersion {
        /// The value given (cut).
        given: String,
        /// The runtime, e.g. `python3.9`.
        runtime: String,
        /// The runtime's default, as an example.
        example: String,
        /// The setting (`PythonVersion`, `--python-version`).
        setting: Named,
    },
    /// A package to exclude is not a package name.
    #[error("{setting}: `{name}` is not a package name")]
    InvalidExclude {
        /// The value given (cut).
        name: String,
        /// The setting (`Exclude`, `--exclude`).
        setting: Named,
    },
    /// A requirement line could not be read.
    #[error("requirement line {line}: {problem}")]
    MalformedRequirement {
        /// 1-based line (or list position).
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A wheel file name does not follow the wheel naming convention.
    #[error("`{filename}` is not a valid wheel file name")]
    MalformedWheelName {
        /// The name (cut).
        filename: String,
    },
    /// The index does not know a package.
    #[error("package `{package}` is not on the index")]
    UnknownPackage {
        /// The package.
        package: String,
    },
    /// Packages exist but none of their versions has a wheel for the target.
    #[error("no compatible wheel for {target}: {}", packages.join(", "))]
    NoCompatibleWheel {
        /// `python3.12 arm64`.
        target: String,
        /// Each package with the reason, e.g. `psycopg2 (only an sdist)`.
        packages: Vec<String>,
    },
    /// The requirements cannot all be met.
    #[error("unsatisfiable requirements: {explanation}")]
    Unsatisfiable {
        /// The resolver's explanation, in words.
        explanation: String,
    },
    /// A wheel is not a valid wheel.
    #[error("wheel {wheel} {problem}")]
    MalformedWheel {
        /// The wheel's file name (cut).
        wheel: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A wheel's METADATA has a dependency that is not a PEP 508 requirement.
    #[error("{wheel} has a Requires-Dist line that is not PEP 508: `{line}`")]
    MalformedRequiresDist {
        /// The wheel's file name (cut).
        wheel: String,
        /// The line (cut).
        line: String,
    },
    /// A wheel's file does not match its RECORD.
    #[error("wheel {wheel}: `{path}` {problem}")]
    WheelRecordMismatch {
        /// The wheel's file name (cut).
        wheel: String,
        /// The file (cut).
        path: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// Two packages install the same file.
    #[error("`{path}` is installed by both {first} and {second}")]
    ConflictingFile {
        /// The file (cut).
        path: String,
        /// One package.
        first: String,
        /// The other.
        second: String,
    },
    /// The layer and what is reserved for the function and its other layers are over
    /// Lambda's unzipped limit.
    #[error("the layer is {layer} bytes unzipped and {setting} reserves {reserved} for the function and its other layers: {} bytes over Lambda's limit of {limit} bytes (function and all layers, unzipped)", layer + reserved - limit)]
    OverUnzippedLimit {
        /// The layer's unzipped size.
        layer: u64,
        /// The bytes reserved.
        reserved: u64,
        /// The limit.
        limit: u64,
        /// The setting (`ReserveUnzippedBytes`, `--reserve-unzipped`).
        setting: Named,
    },
    /// The layer is over a Lambda size limit.
    #[error("the layer is {size} bytes {what}, over Lambda's limit of {limit} bytes")]
    LayerTooLarge {
        /// `unzipped` or `zipped`.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Writing the layer archive failed.
    #[error("could not write the layer archive")]
    ZipWrite {
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// No package index is configured.
    #[error("{}", no_index(*setting))]
    NoIndexConfigured {
        /// The setting (`IndexUrl`, `--index-url`).
        setting: Named,
    },
    /// The index URL is not acceptable.
    #[error("{setting} `{url}` {problem}")]
    IndexNotAllowed {
        /// The URL given (cut; userinfo never shown).
        url: String,
        /// What is wrong.
        problem: &'static str,
        /// The setting (`IndexUrl`, `--index-url`).
        setting: Named,
    },
    /// An index page could not be read.
    #[error("the index page for `{package}` is not valid {format}")]
    MalformedIndexPage {
        /// The package.
        package: String,
        /// `PEP 691 JSON` or `PEP 503 HTML`.
        format: &'static str,
    },
    /// The index (or a file it links) did not answer.
    #[error("the package index at {url} {}", unreachable(*failure, *timeout_seconds, *setting))]
    IndexUnreachable {
        /// The URL (no credentials, query or fragment).
        url: String,
        /// What happened.
        failure: FetchFailure,
        /// The idle timeout of each read.
        timeout_seconds: u64,
        /// The timeout's setting (`--timeout`, or the provider's).
        setting: Named,
    },
    /// The index answered with an error status.
    #[error("the package index answered HTTP {status} for {url}")]
    IndexStatus {
        /// The URL (no credentials, query or fragment).
        url: String,
        /// The status.
        status: u16,
    },
    /// The index redirected to another origin or to an ambiguous path (not followed).
    #[error("the package index redirected {url} to another origin or to an ambiguous path; redirects are followed only within the same origin and to plain paths (give the final index URL)")]
    IndexRedirect {
        /// The URL (no credentials, query or fragment).
        url: String,
    },
    /// A URL the engine would follow (a page, a file, its metadata) has a path a server could
    /// decode or normalise into another one: not fetched.
    #[error("the package index links to {url}, whose path {problem}: not followed")]
    AmbiguousUrl {
        /// The URL (no credentials, query or fragment).
        url: String,
        /// What is ambiguous.
        problem: &'static str,
    },
    /// The index states no hash for a file, and no pin covers it.
    #[error("the index states no SHA-256 for {file} and no --hash pins it: it cannot be verified, so it is not installed")]
    UnverifiableFile {
        /// The file name (cut).
        file: String,
    },
    /// What a wheel says about itself differs from what resolution used.
    #[error("{wheel} {problem}")]
    InconsistentWheel {
        /// The wheel's file name (cut).
        wheel: String,
        /// What differs.
        problem: &'static str,
    },
    /// A download does not have the expected SHA-256.
    #[error("{file} has SHA-256 {actual}, but {against} expects {expected}")]
    HashMismatch {
        /// The file name (cut).
        file: String,
        /// The expected digest (cut).
        expected: String,
        /// The digest of what was downloaded.
        actual: String,
        /// `the index` or `the requirement's --hash`.
        against: &'static str,
    },
    /// Under `RequireHashes`, a requirement has no `==` pin or no `--hash`.
    #[error("requirement line {line} (`{package}`) {problem}, and {setting} is on")]
    HashRequired {
        /// The requirement's package.
        package: String,
        /// 1-based line (or list position).
        line: usize,
        /// `has no --hash` or `is not pinned with ==`.
        problem: &'static str,
        /// The setting (`RequireHashes`, `--require-hashes`).
        setting: Named,
    },
    /// Fully pinned requirements skip resolution, so they must list every dependency.
    #[error("the pinned requirements are not complete: {package} needs {needs}, which is not pinned (add it with its --hash)")]
    UnpinnedDependency {
        /// The package with the dependency (`name==version`).
        package: String,
        /// The requirement not met.
        needs: String,
    },
    /// `AllowSdist` was asked for.
    #[error("{setting}: building an sdist runs its Python build backend, which cfn-warden never does; publish a wheel for the package to the index instead")]
    SdistUnsupported {
        /// The setting (`AllowSdist`).
        setting: Named,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client for the package index")]
    HttpClient,
    /// A build step stopped without an answer (a panic in a worker).
    #[error("a layer build worker stopped unexpectedly")]
    BuildWorker,
}

impl Error {
    /// The same error, naming settings as `surface` spells them (`--index-url` on the command
    /// line, `IndexUrl` in a resource). Errors name a resource's properties until told
    /// otherwise.
    #[must_use]
    pub fn for_surface(mut self, surface: Surface) -> Self {
        match &mut self {
            Self::UnsupportedRuntime { setting, .. }
            | Self::UnsupportedArchitecture { setting, .. }
            | Self::InvalidPythonVersion { setting, .. }
            | Self::InvalidExclude { setting, .. }
            | Self::OverUnzippedLimit { setting, .. }
            | Self::NoIndexConfigured { setting }
            | Self::IndexNotAllowed { setting, .. }
            | Self::IndexUnreachable { setting, .. }
            | Self::HashRequired { setting, .. }
            | Self::SdistUnsupported { setting } => setting.surface = surface,
            _ => {}
        }
        self
    }
}

fn no_index(setting: Named) -> String {
    match setting.surface {
        Surface::Cli => format!(
            "no package index: give {setting} URL or set WARDEN_INDEX_URL; no index is built in"
        ),
        _ => format!(
            "no package index is configured: give {setting} (and allow it in the provider's index allow-list); no index is built in"
        ),
    }
}

/// What an unreachable index did, with the timeout only where it was the reason.
fn unreachable(failure: FetchFailure, timeout_seconds: u64, setting: Named) -> String {
    match failure {
        FetchFailure::Timeout => format!(
            "{}: nothing arrived for {timeout_seconds} s ({setting} bounds the wait for each read, not a whole download)",
            failure.describe()
        ),
        other => other.describe().to_owned(),
    }
}

/// Cuts untrusted text for an error message: at most 120 bytes (on a character boundary),
/// then `…`.
pub fn cut(text: &str) -> String {
    const LIMIT: usize = 120;
    if text.len() <= LIMIT {
        return text.to_owned();
    }
    let mut end = LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Why a request got no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchFailure {
    /// Nothing arrived within the idle timeout (headers, or a read of the body).
    Timeout,
    /// The host name does not resolve.
    Dns,
    /// The server refused the connection (nothing listens on the port).
    Refused,
    /// The connection was not accepted in time (no route, or dropped by a firewall).
    ConnectTimeout,
    /// The connection could not be made otherwise.
    Connect,
    /// The body is larger than the cap.
    TooLarge,
    /// Anything else on the way (TLS, reset, bad redirect).
    Transport,
    /// An error status where a file was expected.
    Status(u16),
}

impl FetchFailure {
    /// In words, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Timeout => "timed out",
            Self::Dns => "could not be found: its host name does not resolve (DNS lookup failed)",
            Self::Refused => "refused the connection (nothing listens on that host and port)",
            Self::ConnectTimeout => {
                "did not accept a connection within 10 s (no route to the host, or a firewall drops the packets)"
            }
            Self::Connect => "could not be reached (the connection failed or was reset)",
            Self::TooLarge => "sent a body over the size limit",
            Self::Transport => "failed in transport (TLS, reset or redirect)",
            Self::Status(_) => "answered with an error status",
        }
    }
}
