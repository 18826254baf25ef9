//! The layer build: requirements in, a deterministic layer archive out. The one engine behind
//! `Custom::PipLayer` and `warden build-layer`.
//!
//! 1. Requirements that are all pinned with `==` and `--hash` skip resolution; the closure is
//!    checked after download instead (every dependency must be pinned too). `RequireHashes`
//!    demands exactly that form. Anything else is resolved with pubgrub against the index.
//! 2. One wheel is chosen per package; downloads run with bounded concurrency, each checked
//!    against the index's SHA-256 and the requirement's `--hash` pins, and installed (RECORD
//!    checked) on a blocking thread as soon as it arrives.
//!    Packages the runtime provides (`exclude`) are resolved but not installed; what they would
//!    have taken is reported.
//! 3. The archive is built from the installed wheels, sorted, under `python/`, and checked
//!    against Lambda's 250 MB unzipped limit together with the bytes reserved for the function
//!    and its other layers; the report says what headroom is left.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    str::FromStr as _,
    sync::Arc,
    time::Duration,
};

use futures_util::{stream, StreamExt as _, TryStreamExt as _};
use pep508_rs::{pep440_rs::Version, PackageName};
use url::Url;

use super::{
    client::{ChosenWheel, IndexClient},
    http::{IndexTransport, ReqwestIndexTransport},
    layer_zip::{self, LAYER_ROOT, MAX_UNZIPPED_BYTES},
    requirements::RequirementLine,
    resolve::{resolve, Resolution},
    target::Target,
    wheel::{install, InstalledWheel, LayerFile},
};
use crate::{
    error::{cut, Error},
    exclude::{measure, ExcludedPackage},
    pinned::{check_closure, exact_pin, exact_versions, pinned_set},
    setting::{Named, Setting, Surface},
    source::BlockingSource,
};

pub use crate::built::{BuildEvent, BuiltLayer, BuiltPackage, NoProgress, Progress};

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
    surface: Surface,
    exclude: BTreeSet<PackageName>,
    reserved: u64,
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
    surface: Surface,
    exclude: BTreeSet<PackageName>,
    reserved: u64,
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

    /// Whose names errors use for settings (default [`Surface::Resource`]: `IndexUrl`; the
    /// command line: `--index-url`).
    pub fn surface(mut self, surface: Surface) -> Self {
        self.surface = surface;
        self
    }

    /// Packages resolved but not installed: the runtime provides them (see
    /// [`crate::exclude::parse_exclude`]).
    pub fn exclude(mut self, names: BTreeSet<PackageName>) -> Self {
        self.exclude = names;
        self
    }

    /// Unzipped bytes of the function and its other layers: the build fails when they and
    /// this layer exceed Lambda's 250 MB unzipped limit (default 0: the layer alone).
    pub fn reserve_unzipped(mut self, bytes: u64) -> Self {
        self.reserved = bytes;
        self
    }

    /// How many requests run at once (default 8, at least 1; fewer when the server cannot
    /// take them).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n.max(1));
        self
    }

    /// The idle timeout of each read from the index: the wait for an answer and for each
    /// read of its body, not for a whole download (default 30 s).
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
        let surface = self.surface;
        self.checked().map_err(|e| e.for_surface(surface))
    }

    fn checked(self) -> Result<LayerBuild, Error> {
        if self.allow_sdist {
            return Err(Error::SdistUnsupported {
                setting: Named::new(Setting::AllowSdist),
            });
        }
        let index = self.index.ok_or(Error::NoIndexConfigured {
            setting: Named::new(Setting::IndexUrl),
        })?;
        let target = self.target.ok_or(Error::UnsupportedRuntime {
            runtime: "(none given)".to_owned(),
            setting: Named::new(Setting::Runtime),
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
                    setting: Named::new(Setting::RequireHashes),
                });
            }
        }
        let concurrency = self.concurrency.unwrap_or(8);
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestIndexTransport::with_concurrency(concurrency)?),
        };
        Ok(LayerBuild {
            root: self.root.unwrap_or_else(|| LAYER_ROOT.to_owned()),
            inline: self.inline,
            requirements: self.requirements,
            target,
            index,
            require_hashes: self.require_hashes,
            concurrency,
            timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
            cache_dir: self.cache_dir,
            transport,
            progress: self.progress.unwrap_or_else(|| Arc::new(NoProgress)),
            surface: self.surface,
            exclude: self.exclude,
            reserved: self.reserved,
        })
    }
}

/// A warning for each yanked release installed (only ever through an exact pin).
fn yanked_warnings(chosen: &[ChosenWheel], requirements: &[RequirementLine]) -> Vec<String> {
    chosen
        .iter()
        .filter(|c| c.file.yanked)
        .map(|c| {
            let pin = requirements
                .iter()
                .find(|l| l.requirement.name == c.name)
                .map(|l| format!(" (requirement `{}`)", l.requirement))
                .unwrap_or_default();
            let why = c
                .file
                .yanked_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!(
                "{} {} is yanked on the index{why}; installed because it is pinned exactly{pin}",
                c.name, c.version
            )
        })
        .collect()
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

impl LayerBuild {
    /// Whether the input skips resolution (every line pinned and hashed).
    fn fully_pinned(&self) -> bool {
        self.requirements
            .iter()
            .all(|l| exact_pin(l).is_some() && !l.hashes.is_empty())
    }

    /// Runs the build.
    pub async fn run(&self) -> Result<BuiltLayer, Error> {
        self.run_checked()
            .await
            .map_err(|e| e.for_surface(self.surface))
    }

    async fn run_checked(&self) -> Result<BuiltLayer, Error> {
        let client = Arc::new(
            IndexClient::new(
                self.transport.clone(),
                self.index.clone(),
                self.target.clone(),
                self.timeout,
                self.cache_dir.clone(),
            )
            .with_pinned_yanked(exact_versions(&self.requirements)),
        );
        let pinned = self.fully_pinned();
        let (resolution, mut warnings) = if pinned {
            (pinned_set(&self.requirements, &self.target)?, Vec::new())
        } else {
            self.resolve(client.clone()).await?
        };
        let pins = Arc::new(self.pins());
        let (excluded, chosen): (Vec<ChosenWheel>, Vec<ChosenWheel>) = self
            .choose_all(&client, resolution, &pins)
            .await?
            .into_iter()
            .partition(|c| self.exclude.contains(&c.name));
        warnings.extend(yanked_warnings(&chosen, &self.requirements));
        // Wheels fetched for metadata but not chosen are not needed any more.
        client.keep_only(&chosen.iter().map(|c| &c.file.url).collect());
        self.progress.event(&BuildEvent::Resolved {
            packages: chosen.len(),
        });
        let excluded_versions: Resolution = excluded
            .iter()
            .map(|c| (c.name.clone(), c.version.clone()))
            .collect();
        let mut excluded: Vec<ExcludedPackage> = stream::iter(excluded)
            .map(|c| measure(client.clone(), c))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        excluded.sort_by(|a, b| a.name.cmp(&b.name));
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
            check_closure(
                &self.requirements,
                &self.target,
                &installed,
                &excluded_versions,
            )?;
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
        if zip.unzipped_bytes + self.reserved > MAX_UNZIPPED_BYTES {
            return Err(Error::OverUnzippedLimit {
                layer: zip.unzipped_bytes,
                reserved: self.reserved,
                limit: MAX_UNZIPPED_BYTES,
                setting: Named::new(Setting::ReserveUnzipped),
            });
        }
        Ok(BuiltLayer {
            zip,
            packages,
            resolved: !pinned,
            excluded,
            reserved_unzipped_bytes: self.reserved,
            warnings,
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

    /// Resolves; with the versions skipped for unusable metadata, as warnings.
    async fn resolve(&self, client: Arc<IndexClient>) -> Result<(Resolution, Vec<String>), Error> {
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
        tokio::task::spawn_blocking(move || {
            let resolution = resolve(&requirements, &target, &source)?;
            let skipped = source
                .skipped()
                .into_iter()
                .map(|s| format!("skipped {s}"))
                .collect();
            Ok((resolution, skipped))
        })
        .await
        .map_err(|_| Error::BuildWorker)?
    }
}
