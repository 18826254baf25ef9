//! Packages the Lambda runtime already provides (`--exclude boto3,botocore`, `Exclude`): they
//! are resolved as usual, so every constraint on them still holds, but not installed. What
//! each would have taken unzipped is reported as saved, read from the wheel's zip central
//! directory with range requests (the wheel is downloaded only when the index does not serve
//! ranges). Only the packages named are left out, not their dependencies.

use std::{collections::BTreeSet, str::FromStr as _, sync::Arc};

use pep508_rs::PackageName;

use crate::{
    client::{ChosenWheel, IndexClient, MAX_WHEEL_BYTES},
    error::{cut, Error},
    remote_zip::{unzipped_size, whole_unzipped_size},
    setting::{Named, Setting},
};

/// A package left out of the layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExcludedPackage {
    /// The normalised name.
    pub name: String,
    /// The version resolution chose (the runtime's own may differ).
    pub version: String,
    /// What its wheel would have installed, unzipped (`None` if it could not be read).
    pub unzipped_bytes: Option<u64>,
}

/// Parses package names to exclude: each item may hold several, separated by commas or
/// whitespace.
pub fn parse_exclude<S: AsRef<str>>(items: &[S]) -> Result<BTreeSet<PackageName>, Error> {
    let mut out = BTreeSet::new();
    for item in items {
        for name in item
            .as_ref()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|n| !n.is_empty())
        {
            let parsed = PackageName::from_str(name).map_err(|_| Error::InvalidExclude {
                name: cut(name),
                setting: Named::new(Setting::Exclude),
            })?;
            out.insert(parsed);
        }
    }
    Ok(out)
}

/// How much `chosen` would have taken unzipped.
pub(crate) async fn measure(client: Arc<IndexClient>, chosen: ChosenWheel) -> ExcludedPackage {
    let handle = tokio::runtime::Handle::current();
    let url = chosen.file.url.clone();
    let ranged = {
        let client = client.clone();
        tokio::task::spawn_blocking(move || {
            unzipped_size(
                client.transport(),
                &handle,
                &url,
                client.timeout(),
                MAX_WHEEL_BYTES,
            )
        })
        .await
        .ok()
        .flatten()
    };
    let unzipped_bytes = match ranged {
        Some(n) => Some(n),
        None => client
            .download(&chosen.file, &BTreeSet::new())
            .await
            .ok()
            .and_then(|wheel| whole_unzipped_size(&wheel.bytes)),
    };
    client.forget(&chosen.file.url);
    ExcludedPackage {
        name: chosen.name.to_string(),
        version: chosen.version.to_string(),
        unzipped_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_split_and_normalised() {
        let names = parse_exclude(&["boto3,botocore", " S3Transfer  jmespath", ""]).unwrap();
        let names: Vec<String> = names.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["boto3", "botocore", "jmespath", "s3transfer"]);
        let err = parse_exclude(&["boto3,not/a-name"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Exclude: `not/a-name` is not a package name"
        );
        assert_eq!(
            err.for_surface(crate::Surface::Cli).to_string(),
            "--exclude: `not/a-name` is not a package name"
        );
    }
}
