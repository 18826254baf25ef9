//! The properties of `Custom::PipLayer`, as CloudFormation passes them (every scalar may come
//! as a string).

use serde::{Deserialize, Deserializer};
use warden_pip::requirements::{parse_list, parse_requirements_txt, RequirementLine};

/// `Requirements`: a requirements.txt body or a list of requirement strings.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Requirements {
    /// A requirements.txt body.
    Text(String),
    /// PEP 508 strings.
    List(Vec<String>),
}

/// The properties of `Custom::PipLayer`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PipLayerProperties {
    /// The layer's name (letters, digits, `-`, `_`; at most 140).
    pub layer_name: String,
    /// What to install.
    pub requirements: Requirements,
    /// `python3.9` … `python3.14`.
    pub runtime: String,
    /// `x86_64` (default) or `arm64`.
    #[serde(default = "default_architecture")]
    pub architecture: String,
    /// The index; must be on the provider's allow-list. Default: the provider's index.
    #[serde(default)]
    pub index_url: Option<String>,
    /// Every requirement pinned with `==` and `--hash`.
    #[serde(default, deserialize_with = "flag")]
    pub require_hashes: bool,
    /// Build sdists (refused: that would run a Python build backend).
    #[serde(default, deserialize_with = "flag")]
    pub allow_sdist: bool,
    /// The layer's description (the content hash is appended).
    #[serde(default)]
    pub description: Option<String>,
    /// The layer's license (SPDX id or URL).
    #[serde(default)]
    pub license_info: Option<String>,
    /// The runtime's Python release (`3.X.Y`) requirements are checked against (default: a
    /// late patch release per runtime, see `warden_pip::target`).
    #[serde(default)]
    pub python_version: Option<String>,
    /// Packages the runtime provides (e.g. `boto3,botocore`): resolved, not installed. A list
    /// or a comma-separated string.
    #[serde(default)]
    pub exclude: Option<Requirements>,
    /// Unzipped bytes of the function and its other layers, counted with this layer against
    /// Lambda's 250 MB unzipped limit (default 0). A number or a numeric string.
    #[serde(default, deserialize_with = "bytes")]
    pub reserve_unzipped_bytes: u64,
}

/// A byte count: CloudFormation passes numbers as strings.
fn bytes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u64),
        Text(String),
    }
    match Count::deserialize(d)? {
        Count::Number(n) => Ok(n),
        Count::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("expected a number of bytes")),
    }
}

fn default_architecture() -> String {
    "x86_64".to_owned()
}

/// CloudFormation passes every property as a string: `"true"`/`"false"` as well as booleans.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    match Flag::deserialize(d)? {
        Flag::Bool(b) => Ok(b),
        Flag::Text(t) if t.eq_ignore_ascii_case("true") => Ok(true),
        Flag::Text(t) if t.eq_ignore_ascii_case("false") => Ok(false),
        Flag::Text(_) => Err(serde::de::Error::custom("expected true or false")),
    }
}

/// Parses `Requirements` in either form.
pub fn requirements(given: &Requirements) -> Result<Vec<RequirementLine>, warden_pip::Error> {
    match given {
        Requirements::Text(body) => parse_requirements_txt(body),
        Requirements::List(items) => parse_list(items),
    }
}
