//! Resolution: the full transitive set of pinned packages for the target, with `pubgrub`.
//!
//! Packages are names, or `name[extra]` (which depends on `name` at the same version plus the
//! requirements that extra adds). Markers are evaluated for the target's environment. Which
//! versions exist, and what each needs, comes from a [`PackageSource`]: the index-backed source
//! offers only versions with a wheel for the target, a matching `Requires-Python` and no yank.
//! The newest final release in range is preferred; pre-releases only when no final release
//! fits. Unsatisfiable constraints are explained in pubgrub's words; packages without any
//! usable wheel are listed together.

use std::{
    cell::RefCell,
    collections::{BTreeMap, BTreeSet},
    fmt,
};

use pep508_rs::{
    pep440_rs::Version, ExtraName, PackageName, Requirement, VerbatimUrl, VersionOrUrl,
};
use pubgrub::{
    DefaultStringReporter, Dependencies, DependencyConstraints, DependencyProvider,
    PackageResolutionStatistics, PubGrubError, Ranges, Reporter as _,
};

use super::{requirements::RequirementLine, target::Target};
use crate::error::Error;

mod explain;

use explain::Explain;

/// What the resolver asks of the index.
pub trait PackageSource {
    /// The versions of `name` usable on the target, or, when none has a usable wheel (e.g.
    /// sdists only), why and which versions exist at all.
    fn versions(&self, name: &PackageName) -> Result<Availability, Error>;

    /// The requirements (`Requires-Dist`) of `name` at `version`, or why that version cannot
    /// be used after all (e.g. its metadata's `Requires-Python` excludes the target).
    fn requirements(&self, name: &PackageName, version: &Version) -> Result<Needs, Error>;

    /// The versions of `name` that exist but are not offered, with why (e.g. no wheel for this
    /// Python version, yanked), for error messages. Default: none known.
    fn refused(&self, name: &PackageName) -> Vec<(Version, String)> {
        let _ = name;
        Vec::new()
    }
}

/// What a package version needs.
#[derive(Clone, Debug)]
pub enum Needs {
    /// Its requirements.
    Requirements(Vec<Requirement<VerbatimUrl>>),
    /// It cannot be used: why.
    Unusable(String),
}

/// What exists of a package for the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Usable versions (any order).
    Versions(Vec<Version>),
    /// None usable: why (e.g. "only an sdist", "wheels only for musllinux"), and the versions
    /// that exist. Resolution continues through them (without their dependencies) so that
    /// every package lacking a wheel is named in one error.
    Unusable {
        /// Why.
        why: String,
        /// The versions the index lists.
        versions: Vec<Version>,
    },
}

/// A pubgrub package.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Node {
    /// All the requirements (version 0).
    Root,
    /// One requirement line, by index (version 0): explanations name the user's requirement.
    Line(usize),
    /// A package.
    Name(PackageName),
    /// A package with an extra.
    Extra(PackageName, ExtraName),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("the requirements"),
            Self::Line(i) => write!(f, "requirement {}", i + 1),
            Self::Name(n) => write!(f, "{n}"),
            Self::Extra(n, e) => write!(f, "{n}[{e}]"),
        }
    }
}

/// The result: one version per package.
pub type Resolution = BTreeMap<PackageName, Version>;

/// Resolves `requirements` for `target` from `source`.
pub fn resolve(
    requirements: &[RequirementLine],
    target: &Target,
    source: &dyn PackageSource,
) -> Result<Resolution, Error> {
    let provider = Provider {
        requirements,
        target,
        source,
        versions: RefCell::default(),
        refused: RefCell::default(),
        unusable: RefCell::default(),
        failure: RefCell::default(),
    };
    let result = pubgrub::resolve(&provider, Node::Root, Version::new([0]));
    let unusable = provider.unusable.take();
    if !unusable.is_empty() && provider.failure.borrow().is_none() {
        return Err(Error::NoCompatibleWheel {
            target: format!("{} {}", target.runtime(), target.arch().lambda_name()),
            packages: unusable
                .into_iter()
                .map(|(name, why)| format!("{name} ({why})"))
                .collect(),
        });
    }
    match result {
        Ok(selected) => Ok(selected
            .into_iter()
            .filter_map(|(node, version)| match node {
                Node::Name(name) => Some((name, version)),
                _ => None,
            })
            .collect()),
        Err(error) => {
            if let Some(failure) = provider.failure.take() {
                return Err(failure);
            }
            Err(match error {
                PubGrubError::NoSolution(tree) => {
                    let refused = provider.refused.borrow();
                    let offered = provider.versions.borrow();
                    let explain = Explain {
                        lines: requirements,
                        refused: &refused,
                        offered: &offered,
                    };
                    Error::Unsatisfiable {
                        explanation: DefaultStringReporter::report_with_formatter(&tree, &explain),
                    }
                }
                _ => Error::Unsatisfiable {
                    explanation: "the resolver stopped".to_owned(),
                },
            })
        }
    }
}

struct Provider<'a> {
    requirements: &'a [RequirementLine],
    target: &'a Target,
    source: &'a dyn PackageSource,
    versions: RefCell<BTreeMap<PackageName, Vec<Version>>>,
    refused: RefCell<BTreeMap<PackageName, Vec<(Version, String)>>>,
    unusable: RefCell<BTreeMap<PackageName, String>>,
    /// The first source error (unknown package, index down): reported as is.
    failure: RefCell<Option<Error>>,
}

/// The error type pubgrub carries; the real error is kept in `Provider::failure`.
#[derive(Debug, thiserror::Error)]
#[error("package source failed")]
struct SourceFailed;

fn ranges(requirement: &Requirement<VerbatimUrl>) -> Ranges<Version> {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => Ranges::from(specifiers.clone()),
        _ => Ranges::full(),
    }
}

impl Provider<'_> {
    fn fail(&self, error: Error) -> SourceFailed {
        let mut slot = self.failure.borrow_mut();
        if slot.is_none() {
            *slot = Some(error);
        }
        SourceFailed
    }

    fn candidates(&self, name: &PackageName) -> Result<Vec<Version>, SourceFailed> {
        if let Some(v) = self.versions.borrow().get(name) {
            return Ok(v.clone());
        }
        let found = match self.source.versions(name).map_err(|e| self.fail(e))? {
            Availability::Versions(mut v) => {
                v.sort_unstable_by(|a, b| b.cmp(a));
                v
            }
            Availability::Unusable { why, mut versions } => {
                self.unusable.borrow_mut().insert(name.clone(), why);
                versions.sort_unstable_by(|a, b| b.cmp(a));
                versions
            }
        };
        self.versions
            .borrow_mut()
            .insert(name.clone(), found.clone());
        self.refused
            .borrow_mut()
            .insert(name.clone(), self.source.refused(name));
        Ok(found)
    }

    /// Adds `requirement` (whose marker already matched) to `deps`.
    fn add(deps: &mut BTreeMap<Node, Ranges<Version>>, requirement: &Requirement<VerbatimUrl>) {
        let range = ranges(requirement);
        let mut put = |node: Node| {
            let merged = match deps.get(&node) {
                Some(existing) => existing.intersection(&range),
                None => range.clone(),
            };
            deps.insert(node, merged);
        };
        put(Node::Name(requirement.name.clone()));
        for extra in &requirement.extras {
            put(Node::Extra(requirement.name.clone(), extra.clone()));
        }
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Node;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Priority = (u32, std::cmp::Reverse<usize>);
    type Err = SourceFailed;

    fn prioritize(
        &self,
        package: &Node,
        _range: &Ranges<Version>,
        statistics: &PackageResolutionStatistics,
    ) -> Self::Priority {
        // Packages in conflict first, then those with fewer known candidates.
        let known = match package {
            Node::Name(n) | Node::Extra(n, _) => {
                self.versions.borrow().get(n).map_or(usize::MAX, Vec::len)
            }
            Node::Root | Node::Line(_) => 0,
        };
        (statistics.conflict_count(), std::cmp::Reverse(known))
    }

    fn choose_version(
        &self,
        package: &Node,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, SourceFailed> {
        let name = match package {
            Node::Root | Node::Line(_) => {
                let zero = Version::new([0]);
                return Ok(range.contains(&zero).then_some(zero));
            }
            Node::Name(n) | Node::Extra(n, _) => n,
        };
        let candidates = self.candidates(name)?;
        let fits = |v: &&Version| range.contains(v);
        Ok(candidates
            .iter()
            .filter(fits)
            .find(|v| !v.any_prerelease())
            .or_else(|| candidates.iter().find(fits))
            .cloned())
    }

    fn get_dependencies(
        &self,
        package: &Node,
        version: &Version,
    ) -> Result<Dependencies<Node, Ranges<Version>, String>, SourceFailed> {
        let mut deps: BTreeMap<Node, Ranges<Version>> = BTreeMap::new();
        let markers = self.target.markers();
        match package {
            Node::Root => {
                for (i, line) in self.requirements.iter().enumerate() {
                    if line.requirement.marker.evaluate(markers, &[]) {
                        deps.insert(Node::Line(i), Ranges::full());
                    }
                }
            }
            Node::Line(i) => {
                if let Some(line) = self.requirements.get(*i) {
                    Self::add(&mut deps, &line.requirement);
                }
            }
            Node::Name(name) if self.unusable.borrow().contains_key(name) => {}
            Node::Extra(name, _) if self.unusable.borrow().contains_key(name) => {
                deps.insert(Node::Name(name.clone()), Ranges::singleton(version.clone()));
            }
            Node::Name(name) | Node::Extra(name, _) => {
                // An extra depends on its package at the same version, and on the
                // requirements whose markers hold with the extra.
                let extras = match package {
                    Node::Extra(_, extra) => {
                        deps.insert(Node::Name(name.clone()), Ranges::singleton(version.clone()));
                        std::slice::from_ref(extra)
                    }
                    _ => &[],
                };
                let requirements = self
                    .source
                    .requirements(name, version)
                    .map_err(|e| self.fail(e))?;
                let requirements = match requirements {
                    Needs::Requirements(r) => r,
                    Needs::Unusable(why) => return Ok(Dependencies::Unavailable(why)),
                };
                for r in requirements
                    .iter()
                    .filter(|r| r.marker.evaluate(markers, extras))
                {
                    Self::add(&mut deps, r);
                }
            }
        }
        Ok(Dependencies::Available(
            deps.into_iter().collect::<DependencyConstraints<_, _>>(),
        ))
    }
}

/// Every package in a resolution, for reports: `name==version`, sorted.
pub fn pins(resolution: &Resolution) -> BTreeSet<String> {
    resolution
        .iter()
        .map(|(n, v)| format!("{n}=={v}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, str::FromStr as _};

    use super::*;
    use crate::requirements::parse_list;

    /// An in-memory index: name → version → requirements; or a reason it is unusable.
    #[derive(Default)]
    struct Memory {
        packages: HashMap<String, Vec<(&'static str, Vec<&'static str>)>>,
        unusable: HashMap<String, &'static str>,
    }

    impl Memory {
        fn add(mut self, name: &str, version: &'static str, deps: &[&'static str]) -> Self {
            self.packages
                .entry(name.to_owned())
                .or_default()
                .push((version, deps.to_vec()));
            self
        }
    }

    impl PackageSource for Memory {
        fn versions(&self, name: &PackageName) -> Result<Availability, Error> {
            if let Some(why) = self.unusable.get(name.as_ref()) {
                return Ok(Availability::Unusable {
                    why: (*why).to_owned(),
                    versions: vec![Version::from_str("1.0").unwrap()],
                });
            }
            let list = self
                .packages
                .get(name.as_ref())
                .ok_or_else(|| Error::UnknownPackage {
                    package: name.to_string(),
                })?;
            Ok(Availability::Versions(
                list.iter()
                    .map(|(v, _)| Version::from_str(v).unwrap())
                    .collect(),
            ))
        }

        fn requirements(&self, name: &PackageName, version: &Version) -> Result<Needs, Error> {
            let list = &self.packages[name.as_ref()];
            let (_, deps) = list
                .iter()
                .find(|(v, _)| Version::from_str(v).unwrap() == *version)
                .unwrap();
            if let Some(why) = deps.iter().find_map(|d| d.strip_prefix("unusable:")) {
                return Ok(Needs::Unusable(why.to_owned()));
            }
            Ok(Needs::Requirements(
                deps.iter()
                    .map(|d| Requirement::from_str(d).unwrap())
                    .collect(),
            ))
        }
    }

    fn target() -> Target {
        Target::new("python3.12", "arm64").unwrap()
    }

    fn run(source: &Memory, reqs: &[&str]) -> Result<Vec<String>, Error> {
        let lines = parse_list(reqs).unwrap();
        resolve(&lines, &target(), source).map(|r| pins(&r).into_iter().collect())
    }

    #[test]
    fn resolves_transitively_with_markers_and_extras() {
        let source = Memory::default()
            .add("requests", "2.31.0", &["urllib3<3", "idna"])
            .add(
                "requests",
                "2.32.3",
                &[
                    "urllib3<3",
                    "idna",
                    "charset-normalizer; python_version < '3.8'",
                    "pysocks; extra == 'socks'",
                ],
            )
            .add("urllib3", "2.2.3", &[])
            .add("urllib3", "3.0.0", &[])
            .add("urllib3", "2.3.0rc1", &[])
            .add("idna", "3.10", &[])
            .add("pysocks", "1.7.1", &[])
            .add("colorama", "0.4.6", &[]);
        assert_eq!(
            run(
                &source,
                &["requests[socks]", "colorama; sys_platform == 'win32'"]
            )
            .unwrap(),
            [
                "idna==3.10",
                "pysocks==1.7.1",
                "requests==2.32.3",
                "urllib3==2.2.3"
            ]
        );
        assert_eq!(
            run(&source, &["requests<2.32"]).unwrap(),
            ["idna==3.10", "requests==2.31.0", "urllib3==2.2.3"]
        );
        // A pre-release only when asked for by the range.
        assert_eq!(
            run(&source, &["urllib3>2.2.3,<3"]).unwrap(),
            ["urllib3==2.3.0rc1"]
        );
    }

    #[test]
    fn unsatisfiable_constraints_are_explained() {
        let source = Memory::default()
            .add("a", "1.0", &["c<2"])
            .add("b", "1.0", &["c>=2"])
            .add("c", "1.0", &[])
            .add("c", "2.0", &[]);
        let err = run(&source, &["a", "b"]).unwrap_err().to_string();
        assert!(err.starts_with("unsatisfiable requirements:"), "{err}");
        assert!(
            err.contains("a") && err.contains("b") && err.contains("c"),
            "{err}"
        );
    }

    #[test]
    fn unknown_packages_and_missing_wheels_are_named() {
        let mut source = Memory::default().add("a", "1.0", &["native", "other-native"]);
        let err = run(&source, &["nope"]).unwrap_err().to_string();
        assert!(err.contains("`nope`"), "{err}");
        source.unusable.insert("native".into(), "only an sdist");
        source
            .unusable
            .insert("other-native".into(), "wheels only for musllinux");
        let err = run(&source, &["a"]).unwrap_err().to_string();
        assert!(
            err.contains("native (only an sdist)")
                && err.contains("other-native (wheels only for musllinux)"),
            "{err}"
        );
    }

    #[test]
    fn versions_whose_metadata_excludes_the_target_are_skipped() {
        // b 2.0's own metadata says it needs another Python: the resolver falls back to 1.0.
        let source = Memory::default()
            .add("a", "1.0", &["b"])
            .add("b", "1.0", &[])
            .add("b", "2.0", &["unusable:requires Python >=3.13"]);
        assert_eq!(run(&source, &["a"]).unwrap(), ["a==1.0", "b==1.0"]);
        let err = run(&source, &["b>=2"]).unwrap_err().to_string();
        assert!(err.contains("requires Python >=3.13"), "{err}");
    }
}
