//! The settings a build takes, named as the user wrote them: the `warden build-layer` command
//! line spells them as flags (`--index-url`), the resources as properties (`IndexUrl`). Errors
//! that point at a setting carry a [`Named`] and show the spelling of the surface the build
//! came from (set with [`crate::build::LayerBuildBuilder::surface`] or
//! [`crate::Error::for_surface`]).

use std::fmt;

/// Where a build was asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Surface {
    /// A resource's properties (`Custom::PipLayer`, `Custom::MultiFileFunction`; the default).
    #[default]
    Resource,
    /// The `warden build-layer` command line.
    Cli,
}

/// A setting of a build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Setting {
    /// The package index.
    IndexUrl,
    /// Every requirement pinned and hashed.
    RequireHashes,
    /// Building sdists (refused).
    AllowSdist,
    /// The Lambda runtime.
    Runtime,
    /// The architecture.
    Architecture,
    /// The Python patch release the runtime is modelled as.
    PythonVersion,
    /// Packages the runtime provides, left out of the layer.
    Exclude,
    /// The idle timeout of each read from the index.
    Timeout,
    /// Unzipped bytes of the function and its other layers.
    ReserveUnzipped,
}

impl Setting {
    /// The setting as `surface` spells it.
    pub fn name(self, surface: Surface) -> &'static str {
        match (surface, self) {
            (Surface::Resource, Self::IndexUrl) => "IndexUrl",
            (Surface::Resource, Self::RequireHashes) => "RequireHashes",
            (Surface::Resource, Self::AllowSdist) => "AllowSdist",
            (Surface::Resource, Self::Runtime) => "Runtime",
            (Surface::Resource, Self::Architecture) => "Architecture",
            (Surface::Resource, Self::PythonVersion) => "PythonVersion",
            (Surface::Resource, Self::Exclude) => "Exclude",
            (Surface::Resource, Self::Timeout) => "the provider's index timeout",
            (Surface::Resource, Self::ReserveUnzipped) => "ReserveUnzippedBytes",
            (Surface::Cli, Self::IndexUrl) => "--index-url",
            (Surface::Cli, Self::RequireHashes) => "--require-hashes",
            (Surface::Cli, Self::AllowSdist) => "--allow-sdist",
            (Surface::Cli, Self::Runtime) => "--runtime",
            (Surface::Cli, Self::Architecture) => "--arch",
            (Surface::Cli, Self::PythonVersion) => "--python-version",
            (Surface::Cli, Self::Exclude) => "--exclude",
            (Surface::Cli, Self::Timeout) => "--timeout",
            (Surface::Cli, Self::ReserveUnzipped) => "--reserve-unzipped",
        }
    }
}

/// A setting and the surface whose spelling an error shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Named {
    /// The setting.
    pub setting: Setting,
    /// The surface.
    pub surface: Surface,
}

impl Named {
    /// `setting` as a resource spells it (the default until [`crate::Error::for_surface`]).
    pub fn new(setting: Setting) -> Self {
        Self {
            setting,
            surface: Surface::Resource,
        }
    }
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.setting.name(self.surface))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_has_a_flag_and_a_property() {
        for setting in [
            Setting::IndexUrl,
            Setting::RequireHashes,
            Setting::AllowSdist,
            Setting::Runtime,
            Setting::Architecture,
            Setting::PythonVersion,
            Setting::Exclude,
            Setting::Timeout,
            Setting::ReserveUnzipped,
        ] {
            assert!(setting.name(Surface::Cli).starts_with("--"), "{setting:?}");
            assert!(
                !setting.name(Surface::Resource).starts_with('-'),
                "{setting:?}"
            );
        }
    }
}
