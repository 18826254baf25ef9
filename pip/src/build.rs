//! The layer build: requirements in, a deterministic layer archive out. The one engine behind
//! `Custom::PipLayer` and `warden build-layer`.
//!
//! 1. Requirements that are all pinned with `==` and `--hash` skip resolution; the closure is
//!    checked after download instead (every dependency must be pinned too). `RequireHashes`
//!    demands exactly that form. Anything else is resolved with pubgrub against the index.
//! 2. One wheel is chosen per package; downloads run with bounded concurrency, each checked
//!    against the index's SHA-256 and the requirement's `--hash` pins, and installed (RECORD
//!    checked) on a blocking thread as soon as it arrives.
//! 3. The archive is built from the installed wheels, sorted, under `python/`.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    str::FromStr as _,
    sync::Arc,
    time::Duration,
};

use futures_util::{stream, StreamExt as _, TryStreamExt as _};
use pep508_rs::{
    pep440_rs::{Operator, Version},
    ExtraName, PackageName, VersionOrUrl,
};
use url::Url;

use super::{
    client::{
        python_excludes, requirements_of, target_python, BlockingSource, ChosenWheel, IndexClient,
    },
    http::{IndexTransport, ReqwestIndexTransport},
    layer_zip::{self, LayerZip, LAYER_ROOT},
    requirements::RequirementLine,
    resolve::{resolve, Resolution},
    target::Target,
    wheel::{install, InstalledWheel, LayerFile},
};
use crate::error::{cut, Error};

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
}

impl BuiltLayer {
    /// `name==version` for every package, sorted.
    pub fn pins(&self) -> Vec<String> {
        self.packages
            .iter()
            .map(|p| format!("{}=={}", p.name, p.version))
            .collect()
    }
}

/// A configured layer build. Build one with [`LayerBuild::builder`].
pub struct LayerBuild {
    root: String,
    inline: Vec<LayerFile>,
    requirements: Vec<RequirementLine>,
    target: Target,
    index: Url,
    require_hashes: bool,
    concurrency: usize,
    timeout: Duration,
    cache_dir: Option<PathBuf>,
    transport: Arc<dyn IndexTransport>,
    progress: Arc<dyn Progress>,
}

impl std::fmt::Debug for LayerBuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerBuild")
            .field("requirements", &self.requirements.len())
            .field("target", &self.target.runtime())
            .field("require_hashes", &self.require_hashes)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// Configures a [`LayerBuild`].
#[derive(Default)]
pub struct LayerBuildBuilder {
    root: Option<String>,
    inline: Vec<LayerFile>,
    requirements: Vec<RequirementLine>,
    target: Option<Target>,
    index: Option<Url>,
    require_hashes: bool,
    allow_sdist: bool,
    concurrency: Option<usize>,
    timeout: Option<Duration>,
    cache_dir: Option<PathBuf>,
    transport: Option<Arc<dyn IndexTransport>>,
    progress: Option<Arc<dyn Progress>>,
}

impl LayerBuild {
    /// Starts the configuration.
    pub fn builder() -> LayerBuildBuilder {
        LayerBuildBuilder::default()
    }
}

impl LayerBuildBuilder {
    /// Where the files go in the archive (default `python/`, a layer's; `""` for a
    /// function's code, at the root).
    pub fn root(mut self, root: impl Into<String>) -> Self {
        self.root = Some(root.into());
        self
    }

    /// Files written into the archive as given, next to the installed packages (a function's
    /// own code). A path that a package also installs is an error.
    pub fn inline_files(mut self, files: Vec<LayerFile>) -> Self {
        self.inline = files;
        self
    }

    /// The requirements (required, at least one).
    pub fn requirements(mut self, requirements: Vec<RequirementLine>) -> Self {
        self.requirements = requirements;
        self
    }

    /// The Lambda runtime and architecture (required).
    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// The index, already checked with [`super::index::check_index_url`] (required; there is
    /// no default index).
    pub fn index(mut self, index: Url) -> Self {
        self.index = Some(index);
        self
    }

    /// Every requirement must be pinned with `==` and carry `--hash` (default off).
    pub fn require_hashes(mut self, on: bool) -> Self {
        self.require_hashes = on;
        self
    }

    /// Whether source distributions may be built (default off; on is refused at `build`,
    /// since building one runs its Python build backend).
    pub fn allow_sdist(mut self, on: bool) -> Self {
        self.allow_sdist = on;
        self
    }

    /// How many downloads run at once (default 8, at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n.max(1));
        self
    }

    /// The timeout of each request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A directory keeping downloaded wheels by SHA-256 between builds (default none).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// How HTTP requests are made (default: reqwest over rustls).
    pub fn transport(mut self, transport: Arc<dyn IndexTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Where progress goes (default: nowhere).
    pub fn progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Checks the configuration.
    pub fn build(self) -> Result<LayerBuild, Error> {
        if self.allow_sdist {
            return Err(Error::SdistUnsupported);
        }
        let index = self.index.ok_or(Error::NoIndexConfigured)?;
        let target = self.target.ok_or(Error::UnsupportedRuntime {
            runtime: "(none given)".to_owned(),
        })?;
        if self.requirements.is_empty() {
            return Err(Error::MalformedRequirement {
                line: 0,
                problem: "there are no requirements".to_owned(),
            });
        }
        if self.require_hashes {
            for line in &self.requirements {
                let problem = if exact_pin(line).is_none() {
                    "is not pinned with =="
                } else if line.hashes.is_empty() {
                    "has no --hash"
                } else {
                    continue;
                };
                return Err(Error::HashRequired {
                    package: line.requirement.name.to_string(),
                    line: line.line,
                    problem,
                });
            }
        }
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestIndexTransport::new()?),
        };
        Ok(LayerBuild {
            root: self.root.unwrap_or_else(|| LAYER_ROOT.to_owned()),
            inline: self.inline,
            requirements: self.requirements,
            target,
            index,
            require_hashes: self.require_hashes,
            concurrency: self.concurrency.unwrap_or(8),
            timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
            cache_dir: self.cache_dir,
            transport,
            progress: self.progress.unwrap_or_else(|| Arc::new(NoProgress)),
        })
    }
}

/// The installed wheel must be what was chosen, and say about itself what resolution read
/// (PEP 658 metadata is served separately from the wheel).
fn check_consistent(
    client: &IndexClient,
    chosen: &ChosenWheel,
    installed: &InstalledWheel,
) -> Result<(), Error> {
    let inconsistent = |problem: &'static str| Error::InconsistentWheel {
        wheel: cut(&chosen.file.filename),
        problem,
    };
    let metadata = &installed.metadata;
    let same_name = PackageName::from_str(&metadata.name).is_ok_and(|n| n == chosen.name);
    let same_version = Version::from_str(&metadata.version).is_ok_and(|v| v == chosen.version);
    if !same_name || !same_version {
        return Err(inconsistent(
            "installs another package or version than its file name says",
        ));
    }
    if let Some(known) = client.known_metadata(&chosen.file.url) {
        if known.requires_dist != metadata.requires_dist
            || known.requires_python != metadata.requires_python
        {
            return Err(inconsistent(
                "has METADATA that differs from the metadata the index served for it",
            ));
        }
    }
    Ok(())
}

/// The version of a requirement pinned with `==` (no wildcard), if it is.
fn exact_pin(line: &RequirementLine) -> Option<Version> {
    match &line.requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            match specifiers.iter().collect::<Vec<_>>()[..] {
                [only] if *only.operator() == Operator::Equal => Some(only.version().clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

impl LayerBuild {
    /// Whether the input skips resolution (every line pinned and hashed).
    fn fully_pinned(&self) -> bool {
        self.requirements
            .iter()
            .all(|l| exact_pin(l).is_some() && !l.hashes.is_empty())
    }

    /// Runs the build.
    pub async fn run(&self) -> Result<BuiltLayer, Error> {
        let client = Arc::new(IndexClient::new(
            self.transport.clone(),
            self.index.clone(),
            self.target.clone(),
            self.timeout,
            self.cache_dir.clone(),
        ));
        let pinned = self.fully_pinned();
        let resolution = if pinned {
            self.pinned_set()?
        } else {
            self.resolve(client.clone()).await?
        };
        let pins = Arc::new(self.pins());
        let chosen = self.choose_all(&client, resolution, &pins).await?;
        // Wheels fetched for metadata but not chosen are not needed any more.
        client.keep_only(&chosen.iter().map(|c| &c.file.url).collect());
        self.progress.event(&BuildEvent::Resolved {
            packages: chosen.len(),
        });
        let mut installed = stream::iter(chosen)
            .map(|chosen| {
                let client = client.clone();
                let pins = pins.get(&chosen.name).cloned().unwrap_or_default();
                let progress = self.progress.clone();
                async move {
                    let wheel = client.download(&chosen.file, &pins).await?;
                    client.forget(&chosen.file.url);
                    progress.event(&BuildEvent::Downloaded {
                        filename: &wheel.filename,
                        bytes: wheel.bytes.len() as u64,
                        cached: wheel.cached,
                    });
                    let bytes = wheel.bytes.clone();
                    let filename = wheel.filename.clone();
                    let done = tokio::task::spawn_blocking(move || install(&filename, &bytes))
                        .await
                        .map_err(|_| Error::BuildWorker)??;
                    check_consistent(&client, &chosen, &done)?;
                    progress.event(&BuildEvent::Installed {
                        filename: &wheel.filename,
                    });
                    Ok::<_, Error>((chosen, wheel.sha256, wheel.bytes.len() as u64, done))
                }
            })
            .buffer_unordered(self.concurrency)
            .try_collect::<Vec<_>>()
            .await?;
        installed.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        if pinned {
            self.check_closure(&installed)?;
        }
        let packages = installed
            .iter()
            .map(|(chosen, sha256, size, wheel)| BuiltPackage {
                name: chosen.name.to_string(),
                version: chosen.version.to_string(),
                filename: chosen.file.filename.clone(),
                sha256: sha256.clone(),
                wheel_bytes: *size,
                unzipped_bytes: wheel.unzipped_bytes(),
            })
            .collect();
        let wheels: Vec<InstalledWheel> = installed.into_iter().map(|(_, _, _, w)| w).collect();
        let (root, inline) = (self.root.clone(), self.inline.clone());
        let zip = tokio::task::spawn_blocking(move || layer_zip::build(&root, &inline, &wheels))
            .await
            .map_err(|_| Error::BuildWorker)??;
        Ok(BuiltLayer {
            zip,
            packages,
            resolved: !pinned,
        })
    }

    /// Chooses one wheel per package; every package without one is named in a single error.
    async fn choose_all(
        &self,
        client: &Arc<IndexClient>,
        resolution: Resolution,
        pins: &Arc<BTreeMap<PackageName, BTreeSet<String>>>,
    ) -> Result<Vec<ChosenWheel>, Error> {
        let results: Vec<Result<ChosenWheel, Error>> = stream::iter(resolution)
            .map(|(name, version)| {
                let client = client.clone();
                let pins = pins.clone();
                async move {
                    let none = BTreeSet::new();
                    let pinned = pins.get(&name).unwrap_or(&none);
                    client.choose(&name, &version, pinned).await
                }
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut chosen = Vec::new();
        let mut lacking = Vec::new();
        for result in results {
            match result {
                Ok(c) => chosen.push(c),
                Err(Error::NoCompatibleWheel { packages, .. }) => lacking.extend(packages),
                Err(other) => return Err(other),
            }
        }
        if lacking.is_empty() {
            Ok(chosen)
        } else {
            lacking.sort();
            Err(self.no_wheel(lacking))
        }
    }

    fn no_wheel(&self, packages: Vec<String>) -> Error {
        Error::NoCompatibleWheel {
            target: format!(
                "{} {}",
                self.target.runtime(),
                self.target.arch().lambda_name()
            ),
            packages,
        }
    }

    /// The `--hash` pins per package (the union over its lines).
    fn pins(&self) -> BTreeMap<PackageName, BTreeSet<String>> {
        let mut out: BTreeMap<PackageName, BTreeSet<String>> = BTreeMap::new();
        for line in &self.requirements {
            if !line.hashes.is_empty() {
                out.entry(line.requirement.name.clone())
                    .or_default()
                    .extend(line.hashes.iter().cloned());
            }
        }
        out
    }

    /// Fully pinned input as a resolution (lines whose markers hold for the target).
    fn pinned_set(&self) -> Result<Resolution, Error> {
        let mut out = Resolution::new();
        for line in &self.requirements {
            if !line.requirement.marker.evaluate(self.target.markers(), &[]) {
                continue;
            }
            let Some(version) = exact_pin(line) else {
                continue;
            };
            if let Some(other) = out.insert(line.requirement.name.clone(), version.clone()) {
                if other != version {
                    return Err(Error::Unsatisfiable {
                        explanation: format!(
                            "{} is pinned to both {other} and {version}",
                            line.requirement.name
                        ),
                    });
                }
            }
        }
        Ok(out)
    }

    async fn resolve(&self, client: Arc<IndexClient>) -> Result<Resolution, Error> {
        let progress = self.progress.clone();
        let source = BlockingSource::new(
            client.clone(),
            tokio::runtime::Handle::current(),
            Box::new(move |name: &PackageName| {
                progress.event(&BuildEvent::LookingUp {
                    package: name.as_ref(),
                });
            }),
            self.pins(),
        );
        let requirements = self.requirements.clone();
        let target = client.target().clone();
        tokio::task::spawn_blocking(move || resolve(&requirements, &target, &source))
            .await
            .map_err(|_| Error::BuildWorker)?
    }

    /// For fully pinned input: every dependency (with the extras asked for) must be pinned,
    /// at a version it accepts.
    fn check_closure(
        &self,
        installed: &[(super::client::ChosenWheel, String, u64, InstalledWheel)],
    ) -> Result<(), Error> {
        let versions: BTreeMap<&PackageName, &Version> = installed
            .iter()
            .map(|(c, ..)| (&c.name, &c.version))
            .collect();
        let mut extras: BTreeMap<PackageName, BTreeSet<ExtraName>> = BTreeMap::new();
        for line in &self.requirements {
            extras
                .entry(line.requirement.name.clone())
                .or_default()
                .extend(line.requirement.extras.iter().cloned());
        }
        let mut excluded: Vec<String> = installed
            .iter()
            .filter_map(|(c, _, _, wheel)| {
                python_excludes(&target_python(&self.target), &wheel.metadata)
                    .map(|why| format!("{}=={} ({why})", c.name, c.version))
            })
            .collect();
        if !excluded.is_empty() {
            excluded.sort();
            return Err(self.no_wheel(excluded));
        }
        // Extras asked for by dependencies widen what must be present: iterate to a fixed
        // point. Each round but the last adds an extra, and there are at most as many as the
        // dependencies name, so this bound is never the reason to stop.
        let mut rounds = 1;
        for (_, _, _, wheel) in installed {
            for dep in requirements_of(&wheel.filename, &wheel.metadata)? {
                rounds += dep.extras.len();
            }
        }
        for _ in 0..=rounds {
            let mut grew = false;
            for (chosen, _, _, wheel) in installed {
                let asked: Vec<ExtraName> = extras
                    .get(&chosen.name)
                    .map(|e| e.iter().cloned().collect())
                    .unwrap_or_default();
                for dep in requirements_of(&wheel.filename, &wheel.metadata)? {
                    if !dep.marker.evaluate(self.target.markers(), &asked) {
                        continue;
                    }
                    let fits = versions
                        .get(&dep.name)
                        .is_some_and(|v| match &dep.version_or_url {
                            Some(VersionOrUrl::VersionSpecifier(s)) => s.contains(v),
                            _ => true,
                        });
                    if !fits {
                        return Err(Error::UnpinnedDependency {
                            package: format!("{}=={}", chosen.name, chosen.version),
                            needs: cut(&dep.to_string()),
                        });
                    }
                    let entry = extras.entry(dep.name.clone()).or_default();
                    for extra in &dep.extras {
                        grew |= entry.insert(extra.clone());
                    }
                }
            }
            if !grew {
                return Ok(());
            }
        }
        Ok(())
    }
}
