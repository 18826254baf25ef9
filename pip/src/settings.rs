//! [`IndexSettings`]: which package indexes a build may use and how it reaches them, shared by
//! every resource that installs packages (`Custom::PipLayer`, `Custom::MultiFileFunction`).

use std::{sync::Arc, time::Duration};

use url::Url;

use crate::{build::LayerBuildBuilder, http::IndexTransport, index::check_index_url, Error};

/// The default idle timeout of each read from the index.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The index allow-list, the default index, the idle timeout and the transport. Build
/// with [`IndexSettings::builder`].
#[derive(Clone)]
pub struct IndexSettings {
    allowed: Vec<String>,
    default_index: Option<String>,
    timeout: Duration,
    transport: Option<Arc<dyn IndexTransport>>,
}

impl std::fmt::Debug for IndexSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexSettings")
            .field("allowed", &self.allowed)
            .field("default_index", &self.default_index)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Configures [`IndexSettings`].
#[derive(Default)]
pub struct IndexSettingsBuilder {
    allowed: Vec<String>,
    default_index: Option<String>,
    timeout: Option<Duration>,
    transport: Option<Arc<dyn IndexTransport>>,
}

impl IndexSettingsBuilder {
    /// Allows an index URL prefix (repeat for several). Nothing is allowed by default.
    pub fn allow_index(mut self, prefix: impl Into<String>) -> Self {
        self.allowed.push(prefix.into());
        self
    }

    /// The index used when a resource names none (it is allowed implicitly).
    pub fn default_index(mut self, url: impl Into<String>) -> Self {
        self.default_index = Some(url.into());
        self
    }

    /// The idle timeout of each read from the index: the wait for an answer and for each read
    /// of it, not a whole download (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How the index is reached (default: reqwest over rustls).
    pub fn transport(mut self, transport: Arc<dyn IndexTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Finishes the settings.
    pub fn build(self) -> IndexSettings {
        let mut allowed = self.allowed;
        if let Some(default) = &self.default_index {
            allowed.push(default.clone());
        }
        IndexSettings {
            allowed,
            default_index: self.default_index,
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            transport: self.transport,
        }
    }
}

impl IndexSettings {
    /// Starts the settings.
    pub fn builder() -> IndexSettingsBuilder {
        IndexSettingsBuilder::default()
    }

    /// The index used when a resource names none.
    pub fn default_index(&self) -> Option<&str> {
        self.default_index.as_deref()
    }

    /// The index URL prefixes resources may name (the default index included).
    pub fn allowed(&self) -> &[String] {
        &self.allowed
    }

    /// The index for a resource that names `given` (or none): checked against the allow-list
    /// ([`check_index_url`]).
    pub fn index_for(&self, given: Option<&str>) -> Result<Url, Error> {
        check_index_url(given.or(self.default_index.as_deref()), &self.allowed)
    }

    /// A layer build on the index for `given`, with these settings' timeout and transport;
    /// the caller adds what to build.
    pub fn layer_build(&self, given: Option<&str>) -> Result<LayerBuildBuilder, Error> {
        let mut builder = crate::build::LayerBuild::builder()
            .index(self.index_for(given)?)
            .timeout(self.timeout);
        if let Some(transport) = &self.transport {
            builder = builder.transport(transport.clone());
        }
        Ok(builder)
    }
}
