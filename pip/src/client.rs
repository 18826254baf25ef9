//! The index client: project pages, the wheel chosen for each version, metadata and verified
//! downloads, with everything fetched once per build.
//!
//! - Pages are asked for in PEP 691 JSON and accepted in PEP 503 HTML (pypiserver).
//! - A version is usable when it has a wheel compatible with the target, not yanked, whose
//!   `Requires-Python` admits the target. Among its wheels the best-ranked tag wins (ties by
//!   file name, so the choice is stable).
//! - Metadata comes from PEP 658 (`<wheel URL>.metadata`, hash-checked) when the index offers
//!   it; otherwise from the wheel's own METADATA, read with HTTP range requests where the server
//!   supports them (`remote_zip`), else from the downloaded wheel, which is then kept
//!   for installation.
//! - Every download is checked against the SHA-256 the index states; wheels are kept in
//!   memory by URL and, with a cache directory, on disk by SHA-256.
//!
//! [`crate::source::BlockingSource`] adapts the client to the (synchronous) resolver.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    io::Read as _,
    path::PathBuf,
    str::FromStr as _,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use bytes::Bytes;
use pep508_rs::{pep440_rs::Version, PackageName, Requirement, VerbatimUrl};
use url::Url;

use super::{
    http::{shown, IndexTransport, Limits},
    index::{self, IndexFile},
    offer::offer,
    remote_zip::{read_metadata, RemoteRead},
    requirements::parse_pep508,
    resolve::Availability,
    target::Target,
    wheel::{metadata_entry, parse_metadata, WheelMetadata},
    wheel_name::WheelName,
};
pub use crate::digest::sha256_hex;
use crate::{
    error::{cut, Error},
    setting::{Named, Setting},
};

/// The largest index page read (bytes).
const MAX_PAGE_BYTES: u64 = 32 * 1024 * 1024;
/// The largest metadata file read (bytes).
const MAX_METADATA_BYTES: u64 = 4 * 1024 * 1024;
/// The largest wheel read (bytes): a layer cannot hold more unzipped anyway.
pub const MAX_WHEEL_BYTES: u64 = 250 * 1024 * 1024;

/// A wheel chosen for a package version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChosenWheel {
    /// The package.
    pub name: PackageName,
    /// The version.
    pub version: Version,
    /// The file the index lists.
    pub file: IndexFile,
}

/// A downloaded wheel whose hash was checked.
#[derive(Clone, Debug)]
pub struct VerifiedWheel {
    /// The file name.
    pub filename: String,
    /// The bytes.
    pub bytes: Bytes,
    /// Their SHA-256 (lowercase hex).
    pub sha256: String,
    /// Whether it came from the on-disk cache.
    pub cached: bool,
}

/// Fetches from one index for one target.
pub struct IndexClient {
    transport: Arc<dyn IndexTransport>,
    index: Url,
    target: Target,
    python: Version,
    timeout: Duration,
    cache_dir: Option<PathBuf>,
    pinned_yanked: BTreeMap<PackageName, BTreeSet<Version>>,
    refused: Mutex<HashMap<PackageName, Vec<(Version, String)>>>,
    pages: Mutex<HashMap<PackageName, Arc<Vec<IndexFile>>>>,
    wheels: Mutex<HashMap<Url, VerifiedWheel>>,
    metadata: Mutex<HashMap<Url, Arc<WheelMetadata>>>,
}

impl std::fmt::Debug for IndexClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexClient")
            .field("index", &shown(&self.index))
            .field("target", &self.target.runtime())
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every URL the client fetches (pages, files, metadata) must have a plain path (see
/// [`index::ambiguous_path`]); the transport applies the same rule to redirects.
fn followable(url: &Url) -> Result<(), Error> {
    match index::ambiguous_path(url) {
        Some(problem) => Err(Error::AmbiguousUrl {
            url: shown(url),
            problem,
        }),
        None => Ok(()),
    }
}

impl IndexClient {
    /// A client for `index` (already checked against the allow-list) and `target`.
    pub fn new(
        transport: Arc<dyn IndexTransport>,
        index: Url,
        target: Target,
        timeout: Duration,
        cache_dir: Option<PathBuf>,
    ) -> Self {
        let python = target.python_full_version().clone();
        Self {
            transport,
            index,
            target,
            python,
            timeout,
            cache_dir,
            pinned_yanked: BTreeMap::new(),
            refused: Mutex::default(),
            pages: Mutex::default(),
            wheels: Mutex::default(),
            metadata: Mutex::default(),
        }
    }

    /// Admits these versions even when yanked: the user's requirements pin them exactly
    /// (`==`, `===`), and a yanked release is selected when an exact pin is its only match.
    #[must_use]
    pub fn with_pinned_yanked(mut self, pinned: BTreeMap<PackageName, BTreeSet<Version>>) -> Self {
        self.pinned_yanked = pinned;
        self
    }

    /// The transport.
    pub fn transport(&self) -> &dyn IndexTransport {
        self.transport.as_ref()
    }

    /// The idle timeout of each read.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    async fn fetch(&self, url: &Url, accept: &str, max: u64) -> Result<(String, Bytes), Error> {
        followable(url)?;
        let fetched = self
            .transport
            .get(
                url,
                accept,
                Limits {
                    timeout: self.timeout,
                    max_bytes: max,
                },
            )
            .await
            .map_err(|failure| Error::IndexUnreachable {
                url: shown(url),
                failure,
                timeout_seconds: self.timeout.as_secs(),
                setting: Named::new(Setting::Timeout),
            })?;
        if (300..400).contains(&fetched.status) {
            return Err(Error::IndexRedirect { url: shown(url) });
        }
        if !(200..300).contains(&fetched.status) {
            return Err(Error::IndexStatus {
                url: shown(url),
                status: fetched.status,
            });
        }
        Ok((fetched.content_type, fetched.body))
    }

    /// The files the index lists for `name`.
    pub async fn page(&self, name: &PackageName) -> Result<Arc<Vec<IndexFile>>, Error> {
        if let Some(page) = lock(&self.pages).get(name) {
            return Ok(page.clone());
        }
        let url = self
            .index
            .join(&format!("{name}/"))
            .map_err(|_| Error::UnknownPackage {
                package: cut(name.as_ref()),
            })?;
        let (content_type, body) = match self.fetch(&url, index::ACCEPT, MAX_PAGE_BYTES).await {
            Err(Error::IndexStatus { status: 404, .. }) => {
                return Err(Error::UnknownPackage {
                    package: cut(name.as_ref()),
                })
            }
            other => other?,
        };
        let text = String::from_utf8_lossy(&body);
        let files = if index::is_json(&content_type) {
            index::parse_json(name.as_ref(), &text, &url)?
        } else {
            index::parse_html(name.as_ref(), &text, &url)?
        };
        let files = Arc::new(files);
        lock(&self.pages).insert(name.clone(), files.clone());
        Ok(files)
    }

    fn python_ok(&self, file: &IndexFile) -> bool {
        file.requires_python
            .as_ref()
            .is_none_or(|spec| spec.contains(&self.python))
    }

    /// Why a wheel's own metadata rules it out for the target, if it does: its
    /// `Requires-Python` (an index page may not state it).
    pub fn metadata_excludes(&self, metadata: &WheelMetadata) -> Option<String> {
        python_excludes(&self.python, metadata)
    }

    /// The usable versions of `name`, or why there are none. Versions that exist but cannot
    /// be used are kept with why ([`IndexClient::refused`]).
    pub async fn availability(&self, name: &PackageName) -> Result<Availability, Error> {
        let page = self.page(name).await?;
        let offer = offer(&page, name, &self.target, self.pinned_yanked.get(name));
        lock(&self.refused).insert(
            name.clone(),
            offer
                .refused
                .iter()
                .map(|(v, why)| (v.clone(), why.clone()))
                .collect(),
        );
        if !offer.usable.is_empty() {
            return Ok(Availability::Versions(offer.usable.into_iter().collect()));
        }
        match offer.why_none {
            Some(why) => Ok(Availability::Unusable {
                why,
                versions: offer.refused.into_keys().collect(),
            }),
            None => Err(Error::UnknownPackage {
                package: cut(name.as_ref()),
            }),
        }
    }

    /// The versions of `name` that exist but cannot be used, with why (after
    /// [`IndexClient::availability`]).
    pub fn refused(&self, name: &PackageName) -> Vec<(Version, String)> {
        lock(&self.refused).get(name).cloned().unwrap_or_default()
    }

    /// The wheel installed for `name` at `version`: the best-ranked compatible one, among
    /// those whose index hash is in `pins` when any is.
    pub async fn choose(
        &self,
        name: &PackageName,
        version: &Version,
        pins: &BTreeSet<String>,
    ) -> Result<ChosenWheel, Error> {
        let page = self.page(name).await?;
        let pinned = |file: &IndexFile| file.sha256.as_ref().is_some_and(|h| pins.contains(h));
        let any_pinned = page.iter().any(pinned);
        let yanked_ok = self
            .pinned_yanked
            .get(name)
            .is_some_and(|v| v.contains(version));
        let best = page
            .iter()
            .filter(|file| (!file.yanked || yanked_ok) && self.python_ok(file))
            .filter(|file| !any_pinned || pinned(file))
            .filter_map(|file| {
                let wheel = WheelName::parse(&file.filename).ok()?;
                if &wheel.name != name || &wheel.version != version {
                    return None;
                }
                let rank = self
                    .target
                    .priority(&wheel.python, &wheel.abi, &wheel.platform)?;
                Some(((file.yanked, rank), file))
            })
            .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.filename.cmp(&b.1.filename)));
        match best {
            Some((_, file)) => Ok(ChosenWheel {
                name: name.clone(),
                version: version.clone(),
                file: file.clone(),
            }),
            None => Err(Error::NoCompatibleWheel {
                target: format!(
                    "{} {}",
                    self.target.runtime(),
                    self.target.arch().lambda_name()
                ),
                packages: vec![format!(
                    "{name}=={version} (no usable wheel of that version)"
                )],
            }),
        }
    }

    /// The metadata of the chosen wheel: PEP 658 when offered, else read from the wheel
    /// (downloaded and checked against the index hash or `pins`).
    pub async fn metadata(
        &self,
        chosen: &ChosenWheel,
        pins: &BTreeSet<String>,
    ) -> Result<Arc<WheelMetadata>, Error> {
        let file = &chosen.file;
        if let Some(found) = lock(&self.metadata).get(&file.url) {
            return Ok(found.clone());
        }
        let bytes = match &file.metadata {
            Some(expected) => {
                let mut url = file.url.clone();
                url.set_path(&format!("{}.metadata", file.url.path()));
                let (_, body) = self.fetch(&url, "*/*", MAX_METADATA_BYTES).await?;
                if let Some(expected) = expected {
                    let actual = sha256_hex(&body);
                    if &actual != expected {
                        return Err(Error::HashMismatch {
                            file: cut(&format!("{}.metadata", file.filename)),
                            expected: cut(expected),
                            actual,
                            against: "the index",
                        });
                    }
                }
                body.to_vec()
            }
            None => {
                let wheel = self.download(file, pins).await?;
                metadata_from_wheel(&file.filename, &wheel.bytes)?
            }
        };
        self.keep_metadata(chosen, &bytes)
    }

    /// Parses and checks METADATA for `chosen`, and keeps it.
    fn keep_metadata(
        &self,
        chosen: &ChosenWheel,
        bytes: &[u8],
    ) -> Result<Arc<WheelMetadata>, Error> {
        let file = &chosen.file;
        let metadata = parse_metadata(bytes).map_err(|_| Error::MalformedWheel {
            wheel: cut(&file.filename),
            problem: "has METADATA that cannot be read",
        })?;
        let same_name = PackageName::from_str(&metadata.name).is_ok_and(|n| n == chosen.name);
        let same_version = Version::from_str(&metadata.version).is_ok_and(|v| v == chosen.version);
        if !same_name || !same_version {
            return Err(Error::MalformedWheel {
                wheel: cut(&file.filename),
                problem: "has METADATA naming another package or version",
            });
        }
        let metadata = Arc::new(metadata);
        lock(&self.metadata).insert(file.url.clone(), metadata.clone());
        Ok(metadata)
    }

    /// On a blocking thread: reads a candidate's METADATA with range requests instead of
    /// downloading the wheel, when the index offers no PEP 658 metadata and the wheel is not at
    /// hand (memory or cache). A server that sends the whole file instead gets it verified and
    /// kept. Anything else is left to [`IndexClient::metadata`].
    pub fn prefetch_metadata(
        &self,
        handle: &tokio::runtime::Handle,
        chosen: &ChosenWheel,
        pins: &BTreeSet<String>,
    ) -> Result<(), Error> {
        let file = &chosen.file;
        let at_hand = lock(&self.metadata).contains_key(&file.url)
            || lock(&self.wheels).contains_key(&file.url)
            || file
                .sha256
                .as_deref()
                .and_then(|h| self.cache_path(h, &file.filename))
                .is_some_and(|p| p.is_file());
        // An ambiguous URL is left to `metadata`, whose fetch refuses it with a clear error.
        if file.metadata.is_some() || at_hand || followable(&file.url).is_err() {
            return Ok(());
        }
        match read_metadata(
            self.transport.as_ref(),
            handle,
            &file.url,
            self.timeout,
            MAX_WHEEL_BYTES,
            MAX_METADATA_BYTES,
        ) {
            RemoteRead::File(bytes) => self.keep_metadata(chosen, &bytes).map(|_| ()),
            RemoteRead::Whole(bytes) => self.accept(file, bytes, pins, false).map(|_| ()),
            RemoteRead::Unavailable => Ok(()),
        }
    }

    fn cache_path(&self, sha256: &str, filename: &str) -> Option<PathBuf> {
        let safe = filename
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c));
        let dir = self.cache_dir.as_ref()?;
        safe.then(|| dir.join(format!("{sha256}-{filename}")))
    }

    /// Downloads `file` (or takes it from memory or the cache), checked against the index's
    /// SHA-256 and, when given, the `pins`. A file the index states no hash for is accepted
    /// only when pinned: nothing unverified is ever installed.
    pub async fn download(
        &self,
        file: &IndexFile,
        pins: &BTreeSet<String>,
    ) -> Result<VerifiedWheel, Error> {
        if file.sha256.is_none() && pins.is_empty() {
            return Err(Error::UnverifiableFile {
                file: cut(&file.filename),
            });
        }
        if let Some(found) = lock(&self.wheels).get(&file.url) {
            return Ok(found.clone());
        }
        let cached = file
            .sha256
            .as_deref()
            .and_then(|h| self.cache_path(h, &file.filename))
            .and_then(|path| std::fs::read(path).ok())
            .map(Bytes::from)
            .filter(|bytes| file.sha256.as_deref() == Some(sha256_hex(bytes).as_str()));
        let from_cache = cached.is_some();
        let bytes = match cached {
            Some(bytes) => bytes,
            None => self.fetch(&file.url, "*/*", MAX_WHEEL_BYTES).await?.1,
        };
        self.accept(file, bytes, pins, from_cache)
    }

    /// Checks downloaded bytes against the index's hash and the pins, and keeps them.
    fn accept(
        &self,
        file: &IndexFile,
        bytes: Bytes,
        pins: &BTreeSet<String>,
        from_cache: bool,
    ) -> Result<VerifiedWheel, Error> {
        if file.sha256.is_none() && pins.is_empty() {
            return Err(Error::UnverifiableFile {
                file: cut(&file.filename),
            });
        }
        let actual = sha256_hex(&bytes);
        if let Some(expected) = &file.sha256 {
            if &actual != expected {
                return Err(Error::HashMismatch {
                    file: cut(&file.filename),
                    expected: cut(expected),
                    actual,
                    against: "the index",
                });
            }
        }
        if !pins.is_empty() && !pins.contains(&actual) {
            return Err(Error::HashMismatch {
                file: cut(&file.filename),
                expected: cut(&pins.iter().cloned().collect::<Vec<_>>().join(" or ")),
                actual,
                against: "the requirement's --hash",
            });
        }
        if !from_cache {
            self.store(&actual, &file.filename, &bytes);
        }
        let wheel = VerifiedWheel {
            filename: file.filename.clone(),
            bytes,
            sha256: actual,
            cached: from_cache,
        };
        lock(&self.wheels).insert(file.url.clone(), wheel.clone());
        Ok(wheel)
    }

    /// Lets go of the in-memory copy of a wheel (once installed).
    pub fn forget(&self, url: &Url) {
        lock(&self.wheels).remove(url);
    }

    /// Keeps in memory only the wheels at `urls` (after resolution: the chosen ones).
    pub fn keep_only(&self, urls: &std::collections::HashSet<&Url>) {
        lock(&self.wheels).retain(|url, _| urls.contains(url));
    }

    /// The metadata resolution used for a wheel, if it was looked up.
    pub fn known_metadata(&self, url: &Url) -> Option<Arc<WheelMetadata>> {
        lock(&self.metadata).get(url).cloned()
    }

    /// Best effort: a cache that cannot be written only costs a later download.
    fn store(&self, sha256: &str, filename: &str, bytes: &[u8]) {
        let Some(path) = self.cache_path(sha256, filename) else {
            return;
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let partial = path.with_extension("partial");
        if std::fs::write(&partial, bytes).is_ok() {
            let _ = std::fs::rename(&partial, &path);
        }
    }
}

/// Why `metadata`'s `Requires-Python` rules out `python`, if it does. An
/// unparsable specifier rules it out too (it cannot be shown to fit).
pub fn python_excludes(python: &Version, metadata: &WheelMetadata) -> Option<String> {
    let spec = metadata.requires_python.as_deref()?.trim();
    if spec.is_empty() {
        return None;
    }
    match pep508_rs::pep440_rs::VersionSpecifiers::from_str(spec) {
        Ok(parsed) if parsed.contains(python) => None,
        _ => Some(format!("requires Python {}", cut(spec))),
    }
}

/// `METADATA` from the single top-level `.dist-info` directory of a wheel.
fn metadata_from_wheel(filename: &str, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let malformed = |problem: &'static str| Error::MalformedWheel {
        wheel: cut(filename),
        problem,
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| malformed("is not a zip archive"))?;
    let name = metadata_entry(&archive)
        .ok_or_else(|| malformed("does not have exactly one .dist-info/METADATA"))?;
    let mut entry = archive
        .by_name(&name)
        .map_err(|_| malformed("has an unreadable METADATA"))?;
    let mut out = Vec::new();
    entry
        .by_ref()
        .take(MAX_METADATA_BYTES)
        .read_to_end(&mut out)
        .map_err(|_| malformed("has a METADATA that does not decompress"))?;
    Ok(out)
}

/// The `Requires-Dist` lines of `metadata` as requirements.
pub fn requirements_of(
    filename: &str,
    metadata: &WheelMetadata,
) -> Result<Vec<Requirement<VerbatimUrl>>, Error> {
    metadata
        .requires_dist
        .iter()
        .map(|line| {
            parse_pep508(line).map_err(|_| Error::MalformedRequiresDist {
                wheel: cut(filename),
                line: cut(line),
            })
        })
        .collect()
}
