//! Fully pinned input (every line `==` with `--hash`, as a lock file has it) skips resolution:
//! the pins are the set, and after download the closure is checked instead (every dependency,
//! with the extras asked for, must be pinned at a version it accepts). Exact pins also admit
//! yanked releases (PEP 592: a yanked release is selected when an exact `==` or `===` pin is
//! its only match).

use std::collections::{BTreeMap, BTreeSet};

use pep508_rs::{
    pep440_rs::{Operator, Version},
    ExtraName, PackageName, VersionOrUrl,
};

use crate::{
    client::{python_excludes, requirements_of, ChosenWheel},
    error::{cut, Error},
    requirements::RequirementLine,
    resolve::Resolution,
    target::Target,
    wheel::InstalledWheel,
};

/// The version of a requirement pinned with `==` (no wildcard), if it is.
pub(crate) fn exact_pin(line: &RequirementLine) -> Option<Version> {
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

/// The versions the requirements pin exactly (`==` without a wildcard, or `===`), by
/// package: these are selected even when yanked.
pub(crate) fn exact_versions(
    requirements: &[RequirementLine],
) -> BTreeMap<PackageName, BTreeSet<Version>> {
    let mut out: BTreeMap<PackageName, BTreeSet<Version>> = BTreeMap::new();
    for line in requirements {
        if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &line.requirement.version_or_url {
            for specifier in specifiers.iter() {
                if matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual) {
                    out.entry(line.requirement.name.clone())
                        .or_default()
                        .insert(specifier.version().clone());
                }
            }
        }
    }
    out
}

/// Fully pinned input as a resolution (lines whose markers hold for the target).
pub(crate) fn pinned_set(
    requirements: &[RequirementLine],
    target: &Target,
) -> Result<Resolution, Error> {
    let mut out = Resolution::new();
    for line in requirements {
        if !line.requirement.marker.evaluate(target.markers(), &[]) {
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

/// For fully pinned input: every dependency (with the extras asked for) must be pinned,
/// at a version it accepts.
pub(crate) fn check_closure(
    requirements: &[RequirementLine],
    target: &Target,
    installed: &[(ChosenWheel, String, u64, InstalledWheel)],
    excluded: &Resolution,
) -> Result<(), Error> {
    let mut versions: BTreeMap<&PackageName, &Version> = installed
        .iter()
        .map(|(c, ..)| (&c.name, &c.version))
        .collect();
    versions.extend(excluded.iter());
    let mut extras: BTreeMap<PackageName, BTreeSet<ExtraName>> = BTreeMap::new();
    for line in requirements {
        extras
            .entry(line.requirement.name.clone())
            .or_default()
            .extend(line.requirement.extras.iter().cloned());
    }
    let mut excluded: Vec<String> = installed
        .iter()
        .filter_map(|(c, _, _, wheel)| {
            python_excludes(target.python_full_version(), &wheel.metadata)
                .map(|why| format!("{}=={} ({why})", c.name, c.version))
        })
        .collect();
    if !excluded.is_empty() {
        excluded.sort();
        return Err(Error::NoCompatibleWheel {
            target: format!("{} {}", target.runtime(), target.arch().lambda_name()),
            packages: excluded,
        });
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
                if !dep.marker.evaluate(target.markers(), &asked) {
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
