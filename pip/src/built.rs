//! What a build reports: its progress as it goes ([`Progress`], [`BuildEvent`]) and the
//! built layer ([`BuiltLayer`]: the archive, the packages, what was excluded, the headroom
//! under Lambda's unzipped limit, the warnings). Re-exported from [`crate::build`].

use crate::{
    exclude::ExcludedPackage,
    layer_zip::{LayerZip, MAX_UNZIPPED_BYTES},
};

/// What a build reports as it goes (a progress bar, a log).
pub trait Progress: Send + Sync {
    /// Called for each step; must not block.
    fn event(&self, event: &BuildEvent<'_>);
}

/// A step of a build.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildEvent<'a> {
    /// The resolver asks the index about a package.
    LookingUp {
        /// The package.
        package: &'a str,
    },
    /// The set of packages is known.
    Resolved {
        /// How many.
        packages: usize,
    },
    /// A wheel was downloaded (or taken from the cache) and its hash checked.
    Downloaded {
        /// The wheel.
        filename: &'a str,
        /// Its size.
        bytes: u64,
        /// From the cache.
        cached: bool,
    },
    /// A wheel was installed.
    Installed {
        /// The wheel.
        filename: &'a str,
    },
}

/// Reports nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _: &BuildEvent<'_>) {}
}

/// One package in a built layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltPackage {
    /// The normalised name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The wheel installed.
    pub filename: String,
    /// The wheel's SHA-256.
    pub sha256: String,
    /// The wheel's size.
    pub wheel_bytes: u64,
    /// The size of its installed files.
    pub unzipped_bytes: u64,
}

/// A built layer.
#[derive(Clone, Debug)]
pub struct BuiltLayer {
    /// The archive.
    pub zip: LayerZip,
    /// The packages, sorted by name.
    pub packages: Vec<BuiltPackage>,
    /// Whether the requirements were resolved (false: fully pinned input, closure checked).
    pub resolved: bool,
    /// Packages resolved but left out (the runtime provides them), sorted by name.
    pub excluded: Vec<ExcludedPackage>,
    /// Unzipped bytes reserved for the function and its other layers.
    pub reserved_unzipped_bytes: u64,
    /// What the user should know: yanked releases installed (exact pins), versions skipped
    /// for unusable metadata.
    pub warnings: Vec<String>,
}

impl BuiltLayer {
    /// What is left of Lambda's 250 MB unzipped limit (function and all layers) after this
    /// layer and the reserved bytes.
    pub fn headroom_bytes(&self) -> u64 {
        MAX_UNZIPPED_BYTES.saturating_sub(self.zip.unzipped_bytes + self.reserved_unzipped_bytes)
    }

    /// The unzipped bytes the excluded packages would have taken (those that could be read).
    pub fn excluded_bytes(&self) -> u64 {
        self.excluded.iter().filter_map(|e| e.unzipped_bytes).sum()
    }

    /// `name==version` for every package, sorted.
    pub fn pins(&self) -> Vec<String> {
        self.packages
            .iter()
            .map(|p| format!("{}=={}", p.name, p.version))
            .collect()
    }
}
