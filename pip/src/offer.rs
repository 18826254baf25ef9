//! What an index page offers for the target: the usable versions of a package, and for every
//! other version that exists, why it cannot be used (for error messages).
//!
//! A version is usable when it has a wheel with tags the target takes, whose
//! `Requires-Python` admits the target's Python release, and that is not yanked, unless the
//! user's requirements pin that version exactly (`==` or `===`): a yanked release is then
//! selected, as the packaging specification says (PEP 592), with a warning.
//!
//! A version without a usable wheel is explained by which part of the tags does not match:
//! the platform (e.g. only macOS or musllinux wheels), the Python version (e.g. only `cp37`
//! to `cp39` wheels for python3.12) or the ABI; the tags that exist are listed, all of them or
//! the first ones and "and N more".

use std::collections::{BTreeMap, BTreeSet, HashSet};

use pep508_rs::{pep440_rs::Version, PackageName};

use crate::{index::IndexFile, target::Target, wheel_name::WheelName};

/// How many tags (or versions) a message lists before "and N more".
const LISTED: usize = 8;

/// What the index offers of one package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Offer {
    /// Usable versions.
    pub(crate) usable: BTreeSet<Version>,
    /// Versions that exist but cannot be used, with why.
    pub(crate) refused: BTreeMap<Version, String>,
    /// When nothing is usable: why, for the whole package.
    pub(crate) why_none: Option<String>,
}

/// `a, b, c` or `a, b, …, and N more`.
pub(crate) fn listed<T: AsRef<str>>(items: &[T]) -> String {
    let shown: Vec<&str> = items.iter().take(LISTED).map(AsRef::as_ref).collect();
    let mut out = shown.join(", ");
    if items.len() > LISTED {
        out.push_str(&format!(", and {} more", items.len() - LISTED));
    }
    out
}

/// The tag parts the target takes.
struct Accepted {
    /// (python, abi) pairs, on any platform.
    pairs: HashSet<(String, String)>,
    /// The interpreter's own Python tags (`cp312`, `py312`, `py3`, …; not the older CPython
    /// versions abi3 wheels may name).
    own: HashSet<String>,
    platform: HashSet<String>,
}

impl Accepted {
    fn of(target: &Target) -> Self {
        let mut out = Self {
            pairs: HashSet::new(),
            own: HashSet::new(),
            platform: HashSet::new(),
        };
        for tag in target.tags() {
            out.pairs.insert((tag.python.clone(), tag.abi.clone()));
            if tag.abi != "abi3" {
                out.own.insert(tag.python.clone());
            }
            out.platform.insert(tag.platform.clone());
        }
        out
    }

    fn any(set: &HashSet<String>, compressed: &str) -> bool {
        compressed.split('.').any(|t| set.contains(t))
    }

    fn pair(&self, wheel: &WheelName) -> bool {
        wheel.python.split('.').any(|py| {
            wheel
                .abi
                .split('.')
                .any(|abi| self.pairs.contains(&(py.to_owned(), abi.to_owned())))
        })
    }
}

/// Why none of `wheels` fits the target: which part of the tags differs, and the tags that
/// exist (every distinct one, or the first ones and how many more).
pub(crate) fn mismatch(target: &Target, wheels: &[&WheelName]) -> String {
    let accepted = Accepted::of(target);
    let on_platform: Vec<&&WheelName> = wheels
        .iter()
        .filter(|w| Accepted::any(&accepted.platform, &w.platform))
        .collect();
    let distinct = |parts: &mut dyn Iterator<Item = String>| -> Vec<String> {
        parts.collect::<BTreeSet<String>>().into_iter().collect()
    };
    if on_platform.is_empty() {
        let platforms = distinct(&mut wheels.iter().map(|w| w.platform.clone()));
        return format!(
            "no wheel for this platform; wheels exist for {}",
            listed(&platforms)
        );
    }
    // A Python and ABI the target takes, but not on its platform: the platform (e.g. an
    // older glibc than the wheels need).
    if on_platform.iter().all(|w| !accepted.pair(w)) && wheels.iter().any(|w| accepted.pair(w)) {
        let platforms = distinct(&mut wheels.iter().map(|w| w.platform.clone()));
        return format!(
            "no wheel for this platform; wheels exist for {}",
            listed(&platforms)
        );
    }
    let python_fits = on_platform
        .iter()
        .any(|w| Accepted::any(&accepted.own, &w.python));
    let tags = distinct(
        &mut on_platform
            .iter()
            .map(|w| format!("{}-{}", w.python, w.abi)),
    );
    let minor = target.python_version().replace('.', "");
    if !python_fits {
        format!(
            "no wheel for this Python version (cp{minor}); wheels exist for {}",
            listed(&tags)
        )
    } else {
        format!(
            "no wheel for this Python's ABI (cp{minor}, abi3 or none); wheels exist for {}",
            listed(&tags)
        )
    }
}

/// What `page` offers of `name` for `target`; `pinned_yanked` are the versions an exact pin
/// in the user's requirements admits even when yanked.
pub(crate) fn offer(
    page: &[IndexFile],
    name: &PackageName,
    target: &Target,
    pinned_yanked: Option<&BTreeSet<Version>>,
) -> Offer {
    let python = target.python_full_version();
    #[derive(Default)]
    struct Seen {
        wheels: Vec<WheelName>,
        fitting: usize,
        python_ok: usize,
        usable: bool,
    }
    let mut versions: BTreeMap<Version, Seen> = BTreeMap::new();
    let mut all_wheels = Vec::new();
    for file in page {
        if let Ok(wheel) = WheelName::parse(&file.filename) {
            if &wheel.name != name {
                continue;
            }
            let seen = versions.entry(wheel.version.clone()).or_default();
            let fits = target
                .priority(&wheel.python, &wheel.abi, &wheel.platform)
                .is_some();
            if fits {
                seen.fitting += 1;
                let python_ok = file
                    .requires_python
                    .as_ref()
                    .is_none_or(|spec| spec.contains(python));
                if python_ok {
                    seen.python_ok += 1;
                    let pinned = pinned_yanked.is_some_and(|p| p.contains(&wheel.version));
                    seen.usable |= !file.yanked || pinned;
                }
            }
            seen.wheels.push(wheel.clone());
            all_wheels.push(wheel);
        } else if let Some(version) = sdist_version(&file.filename) {
            versions.entry(version).or_default();
        }
    }
    let mut out = Offer::default();
    for (version, seen) in &versions {
        if seen.usable {
            out.usable.insert(version.clone());
            continue;
        }
        let why = if seen.wheels.is_empty() {
            "only an sdist; building sdists needs Python, publish a wheel".to_owned()
        } else if seen.fitting == 0 {
            mismatch(target, &seen.wheels.iter().collect::<Vec<_>>())
        } else if seen.python_ok == 0 {
            let spec = page
                .iter()
                .filter(|f| WheelName::parse(&f.filename).is_ok_and(|w| &w.version == version))
                .find_map(|f| f.requires_python.as_ref())
                .map(ToString::to_string)
                .unwrap_or_default();
            format!("requires Python {spec}; the target is {python}")
        } else {
            let why = page
                .iter()
                .filter(|f| WheelName::parse(&f.filename).is_ok_and(|w| &w.version == version))
                .find_map(|f| f.yanked_reason.as_deref())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!("yanked{why}; pin it with == to use it anyway")
        };
        out.refused.insert(version.clone(), why);
    }
    if out.usable.is_empty() && !versions.is_empty() {
        let (mut wheels, mut fitting, mut python_ok) = (0, 0, 0);
        for seen in versions.values() {
            wheels += seen.wheels.len();
            fitting += seen.fitting;
            python_ok += seen.python_ok;
        }
        out.why_none = Some(if wheels == 0 {
            "only an sdist; building sdists needs Python, publish a wheel".to_owned()
        } else if fitting == 0 {
            mismatch(target, &all_wheels.iter().collect::<Vec<_>>())
        } else if python_ok == 0 {
            format!("every compatible wheel requires another Python than {python}")
        } else {
            "every compatible wheel is yanked (pin a version with == to use it anyway)".to_owned()
        });
    }
    out
}

/// The version in an sdist file name (`name-1.0.tar.gz`, `name-1.0.zip`).
fn sdist_version(filename: &str) -> Option<Version> {
    let stem = filename
        .strip_suffix(".tar.gz")
        .or_else(|| filename.strip_suffix(".zip"))?;
    let (_, version) = stem.rsplit_once('-')?;
    version.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheels(names: &[&str]) -> Vec<WheelName> {
        names.iter().map(|n| WheelName::parse(n).unwrap()).collect()
    }

    #[test]
    fn mismatches_name_the_part_that_differs_and_every_tag() {
        let target = Target::new("python3.12", "x86_64").unwrap();
        let python: Vec<String> = (6..=9)
            .map(|m| format!("numpy-1.21.0-cp3{m}-cp3{m}m-manylinux_2_12_x86_64.whl"))
            .collect();
        let python = wheels(&python.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            mismatch(&target, &python.iter().collect::<Vec<_>>()),
            "no wheel for this Python version (cp312); wheels exist for cp36-cp36m, cp37-cp37m, cp38-cp38m, cp39-cp39m"
        );
        let abi = wheels(&["x-1.0-cp312-cp312d-manylinux_2_17_x86_64.whl"]);
        assert_eq!(
            mismatch(&target, &abi.iter().collect::<Vec<_>>()),
            "no wheel for this Python's ABI (cp312, abi3 or none); wheels exist for cp312-cp312d"
        );
        let many: Vec<String> = (1..=11)
            .map(|m| format!("x-1.0-cp312-cp312-macosx_{m}_0_arm64.whl"))
            .collect();
        let many = wheels(&many.iter().map(String::as_str).collect::<Vec<_>>());
        let text = mismatch(&target, &many.iter().collect::<Vec<_>>());
        assert!(
            text.starts_with("no wheel for this platform; wheels exist for macosx_10_0_arm64")
                && text.ends_with(", and 3 more"),
            "{text}"
        );
        assert_eq!(text.matches("macosx").count(), LISTED);
    }
}
