//! [`BlockingSource`]: the index client as the resolver's package source. It runs on a blocking
//! thread and waits on the client's futures through the runtime handle.
//!
//! A version whose wheel cannot be read for resolution (METADATA that cannot be parsed, names
//! another package, or has a `Requires-Dist` that is not PEP 508, as some ancient releases
//! do) is unusable, as pip and uv treat it: resolution goes on without it, the version and why
//! are recorded ([`BlockingSource::skipped`]), and if resolution fails after all, its
//! explanation names the real conflict. Failures of the index itself and hash mismatches still
//! stop the build.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
};

use pep508_rs::{pep440_rs::Version, PackageName};

use crate::{
    client::{lock, requirements_of, IndexClient},
    error::Error,
    resolve::{Availability, Needs, PackageSource},
};

/// The client as the resolver's package source, for use on a blocking thread.
pub struct BlockingSource {
    client: Arc<IndexClient>,
    handle: tokio::runtime::Handle,
    /// Called with each package name as it is first looked up (progress).
    on_lookup: Box<dyn Fn(&PackageName) + Send + Sync>,
    seen: Mutex<BTreeSet<PackageName>>,
    pins: BTreeMap<PackageName, BTreeSet<String>>,
    skipped: Mutex<Vec<String>>,
}

impl std::fmt::Debug for BlockingSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingSource").finish_non_exhaustive()
    }
}

/// Whether `error` makes one version unusable (rather than the whole build fail).
fn version_problem(error: &Error) -> bool {
    matches!(
        error,
        Error::MalformedWheel { .. } | Error::MalformedRequiresDist { .. }
    )
}

impl BlockingSource {
    /// Adapts `client`; `handle` runs its futures; `pins` are the `--hash` pins per package.
    pub fn new(
        client: Arc<IndexClient>,
        handle: tokio::runtime::Handle,
        on_lookup: Box<dyn Fn(&PackageName) + Send + Sync>,
        pins: BTreeMap<PackageName, BTreeSet<String>>,
    ) -> Self {
        Self {
            client,
            handle,
            on_lookup,
            seen: Mutex::default(),
            pins,
            skipped: Mutex::default(),
        }
    }

    /// The versions resolution passed over because their metadata could not be used, each
    /// as `name version: why`.
    pub fn skipped(&self) -> Vec<String> {
        lock(&self.skipped).clone()
    }

    fn requirements_or_error(&self, name: &PackageName, version: &Version) -> Result<Needs, Error> {
        let none = BTreeSet::new();
        let pins = self.pins.get(name).unwrap_or(&none);
        let chosen = self
            .handle
            .block_on(self.client.choose(name, version, pins))?;
        self.client.prefetch_metadata(&self.handle, &chosen, pins)?;
        let metadata = self.handle.block_on(self.client.metadata(&chosen, pins))?;
        if let Some(why) = self.client.metadata_excludes(&metadata) {
            return Ok(Needs::Unusable(why));
        }
        requirements_of(&chosen.file.filename, &metadata).map(Needs::Requirements)
    }
}

impl PackageSource for BlockingSource {
    fn versions(&self, name: &PackageName) -> Result<Availability, Error> {
        if lock(&self.seen).insert(name.clone()) {
            (self.on_lookup)(name);
        }
        self.handle.block_on(self.client.availability(name))
    }

    fn requirements(&self, name: &PackageName, version: &Version) -> Result<Needs, Error> {
        match self.requirements_or_error(name, version) {
            Err(error) if version_problem(&error) => {
                let why = error.to_string();
                tracing::warn!(%name, %version, %why, "version skipped");
                lock(&self.skipped).push(format!("{name} {version}: {why}"));
                Ok(Needs::Unusable(why))
            }
            other => other,
        }
    }

    fn refused(&self, name: &PackageName) -> Vec<(Version, String)> {
        self.client.refused(name)
    }
}
