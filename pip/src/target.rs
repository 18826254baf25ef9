//! The target a layer is built for: a Lambda Python runtime and an architecture, as a PEP 508
//! marker environment and an ordered list of compatible wheel tags.
//!
//! python3.9 to python3.11 run on Amazon Linux 2 (glibc 2.26), python3.12 and later on Amazon
//! Linux 2023 (glibc 2.34). Platforms go from `manylinux_2_<cap>` down to `manylinux_2_17`
//! (alias `manylinux2014`), and on x86_64 on down to `manylinux_2_5` (every glibc minor, with
//! the aliases `manylinux2010` at 2.12 and `manylinux1` at 2.5), as `packaging.tags` lists
//! them; all run on any newer glibc. Never musllinux. Tag order follows the installers'
//! (`packaging.tags`): CPython ABI tags, then abi3 down to cp32, then `none` for each platform,
//! then pure-Python tags; earlier is preferred.
//!
//! # The Python version
//!
//! `Requires-Python` and `python_full_version` markers compare against a full `3.X.Y`
//! release. Lambda applies CPython patch releases to its managed runtimes automatically, so a
//! runtime is modelled as a late patch release, not `3.X.0` (which would wrongly fail
//! `Requires-Python: !=3.9.0,!=3.9.1`, as cryptography 44 and later declare). The default for
//! each runtime ([`default_python`]) is the CPython patch release of that line published on
//! python.org in June 2025 (3.14: its first release, 3.14.0 of October 2025, with which the
//! runtime launched): every Lambda runtime updated since then runs it or a later patch. It is
//! a floor, deliberately not the newest release: modelling a patch the runtime does not have
//! yet could admit a package that fails on it. A function pinned to an older runtime version
//! (runtime management controls) can name its exact release with
//! [`Target::with_python_version`] (`--python-version`, `PythonVersion`).

use std::collections::HashMap;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};

use pep508_rs::pep440_rs::Version;

use crate::{
    error::{cut, Error},
    setting::{Named, Setting},
};

/// The Python release each runtime is modelled as, by minor version (see the module docs for
/// the source of each value).
const DEFAULT_PYTHON: [(u8, &str); 6] = [
    (9, "3.9.23"),   // CPython 3.9.23, 2025-06-03
    (10, "3.10.18"), // CPython 3.10.18, 2025-06-03
    (11, "3.11.13"), // CPython 3.11.13, 2025-06-03
    (12, "3.12.11"), // CPython 3.12.11, 2025-06-03
    (13, "3.13.5"),  // CPython 3.13.5, 2025-06-11
    (14, "3.14.0"),  // CPython 3.14.0, 2025-10-07 (the runtime launched with it)
];

/// The Python release a runtime (`python3.X`) is modelled as by default, e.g. `3.9.23` for
/// `python3.9`.
pub fn default_python(runtime: &str) -> Option<&'static str> {
    let minor: u8 = runtime.strip_prefix("python3.")?.parse().ok()?;
    DEFAULT_PYTHON
        .iter()
        .find(|(m, _)| *m == minor)
        .map(|(_, v)| *v)
}

/// The CPU architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    /// `x86_64`.
    X86_64,
    /// `arm64` (`aarch64` in wheel tags and markers).
    Arm64,
}

impl Arch {
    /// Parses `x86_64` or `arm64` (Lambda's spelling).
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "x86_64" => Ok(Self::X86_64),
            "arm64" => Ok(Self::Arm64),
            other => Err(Error::UnsupportedArchitecture {
                architecture: cut(other),
                setting: Named::new(Setting::Architecture),
            }),
        }
    }

    /// Lambda's name (`x86_64`, `arm64`).
    pub fn lambda_name(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::Arm64 => "arm64",
        }
    }

    /// The machine name in wheel tags and markers (`x86_64`, `aarch64`).
    pub fn machine(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::Arm64 => "aarch64",
        }
    }
}

/// A wheel tag triple.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tag {
    /// e.g. `cp312`, `py3`.
    pub python: String,
    /// e.g. `cp312`, `abi3`, `none`.
    pub abi: String,
    /// e.g. `manylinux_2_17_x86_64`, `any`.
    pub platform: String,
}

/// A Lambda Python runtime and architecture.
#[derive(Clone, Debug)]
pub struct Target {
    minor: u8,
    python: Version,
    arch: Arch,
    tags: Vec<Tag>,
    priority: HashMap<Tag, usize>,
    markers: MarkerEnvironment,
}

/// The oldest and newest Python minor versions Lambda runs (3.x).
const MINORS: std::ops::RangeInclusive<u8> = 9..=14;

impl Target {
    /// A target from Lambda's names: `python3.9` … `python3.14`, `x86_64` or `arm64`.
    pub fn new(runtime: &str, arch: &str) -> Result<Self, Error> {
        let unsupported = || Error::UnsupportedRuntime {
            runtime: cut(runtime),
            setting: Named::new(Setting::Runtime),
        };
        let minor: u8 = runtime
            .strip_prefix("python3.")
            .and_then(|m| m.parse().ok())
            .filter(|m| MINORS.contains(m))
            .ok_or_else(unsupported)?;
        let arch = Arch::parse(arch)?;
        let tags = tags(minor, arch);
        let priority = tags
            .iter()
            .enumerate()
            .rev()
            .map(|(i, t)| (t.clone(), i))
            .collect();
        let full = default_python(runtime).ok_or_else(unsupported)?;
        let python = full.parse().map_err(|_| unsupported())?;
        let markers = markers(minor, arch, full).map_err(|_| unsupported())?;
        Ok(Self {
            minor,
            python,
            arch,
            tags,
            priority,
            markers,
        })
    }

    /// The same target with the runtime's Python modelled as release `version` (`3.X.Y`, of
    /// the runtime's minor version) instead of the default ([`default_python`]).
    pub fn with_python_version(mut self, version: &str) -> Result<Self, Error> {
        let runtime = self.runtime();
        let example = default_python(&runtime).unwrap_or("3.X.Y").to_owned();
        let invalid = || Error::InvalidPythonVersion {
            given: cut(version),
            runtime: runtime.clone(),
            example: example.clone(),
            setting: Named::new(Setting::PythonVersion),
        };
        let given = version.trim();
        let parts: Vec<&str> = given.split('.').collect();
        let numeric = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
        if !numeric || parts[0] != "3" || parts[1] != self.minor.to_string() {
            return Err(invalid());
        }
        self.python = given.parse().map_err(|_| invalid())?;
        self.markers = markers(self.minor, self.arch, given).map_err(|_| invalid())?;
        Ok(self)
    }

    /// The full Python release requirements are checked against, e.g. `3.9.23`.
    pub fn python_full_version(&self) -> &Version {
        &self.python
    }

    /// Lambda's runtime name, e.g. `python3.12`.
    pub fn runtime(&self) -> String {
        format!("python3.{}", self.minor)
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The Python version as `3.X`.
    pub fn python_version(&self) -> String {
        format!("3.{}", self.minor)
    }

    /// The glibc version of the runtime's operating system.
    pub fn glibc(&self) -> (u16, u16) {
        glibc(self.minor)
    }

    /// Compatible tags, most preferred first.
    pub fn tags(&self) -> &[Tag] {
        &self.tags
    }

    /// The marker environment requirements are evaluated in.
    pub fn markers(&self) -> &MarkerEnvironment {
        &self.markers
    }

    /// The preference of a wheel with these (compressed) tag sets, lower is better; `None`
    /// when no combination is compatible.
    pub fn priority(&self, python: &str, abi: &str, platform: &str) -> Option<usize> {
        let mut best: Option<usize> = None;
        for py in python.split('.') {
            for ab in abi.split('.') {
                for pl in platform.split('.') {
                    let tag = Tag {
                        python: py.to_owned(),
                        abi: ab.to_owned(),
                        platform: pl.to_owned(),
                    };
                    if let Some(&p) = self.priority.get(&tag) {
                        best = Some(best.map_or(p, |b| b.min(p)));
                    }
                }
            }
        }
        best
    }
}

fn glibc(minor: u8) -> (u16, u16) {
    if minor <= 11 {
        (2, 26)
    } else {
        (2, 34)
    }
}

/// Platforms, newest first.
fn platforms(minor: u8, arch: Arch) -> Vec<String> {
    let machine = arch.machine();
    let (_, cap) = glibc(minor);
    let mut out = Vec::new();
    for glibc_minor in (17..=cap).rev() {
        out.push(format!("manylinux_2_{glibc_minor}_{machine}"));
        if glibc_minor == 17 {
            out.push(format!("manylinux2014_{machine}"));
        }
    }
    if arch == Arch::X86_64 {
        // Every glibc minor down to 2.5, as `packaging.tags` lists them for x86_64.
        for glibc_minor in (5..=16).rev() {
            out.push(format!("manylinux_2_{glibc_minor}_{machine}"));
            match glibc_minor {
                12 => out.push(format!("manylinux2010_{machine}")),
                5 => out.push(format!("manylinux1_{machine}")),
                _ => {}
            }
        }
    }
    out
}

fn tags(minor: u8, arch: Arch) -> Vec<Tag> {
    let platforms = platforms(minor, arch);
    let tag = |python: String, abi: &str, platform: &str| Tag {
        python,
        abi: abi.to_owned(),
        platform: platform.to_owned(),
    };
    let cp = format!("cp3{minor}");
    let mut out = Vec::new();
    for p in &platforms {
        out.push(tag(cp.clone(), &cp, p));
    }
    for p in &platforms {
        out.push(tag(cp.clone(), "abi3", p));
    }
    for p in &platforms {
        out.push(tag(cp.clone(), "none", p));
    }
    for older in (2..minor).rev() {
        for p in &platforms {
            out.push(tag(format!("cp3{older}"), "abi3", p));
        }
    }
    for p in &platforms {
        out.push(tag(format!("py3{minor}"), "none", p));
        out.push(tag("py3".to_owned(), "none", p));
    }
    for older in (0..minor).rev() {
        for p in &platforms {
            out.push(tag(format!("py3{older}"), "none", p));
        }
    }
    out.push(tag(cp, "none", "any"));
    out.push(tag(format!("py3{minor}"), "none", "any"));
    out.push(tag("py3".to_owned(), "none", "any"));
    for older in (0..minor).rev() {
        out.push(tag(format!("py3{older}"), "none", "any"));
    }
    out
}

fn markers(
    minor: u8,
    arch: Arch,
    full: &str,
) -> Result<MarkerEnvironment, pep508_rs::pep440_rs::VersionParseError> {
    let version = format!("3.{minor}");
    let release = if minor <= 11 { "5.10.0" } else { "6.1.0" };
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: full,
        os_name: "posix",
        platform_machine: arch.machine(),
        platform_python_implementation: "CPython",
        platform_release: release,
        platform_system: "Linux",
        platform_version: "#1 SMP",
        python_full_version: full,
        python_version: &version,
        sys_platform: "linux",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_and_architectures_are_checked() {
        for runtime in [
            "python3.8",
            "python3.15",
            "python2.7",
            "nodejs20.x",
            "python3.",
        ] {
            let err = Target::new(runtime, "x86_64").unwrap_err().to_string();
            assert!(err.contains("python3.9 to python3.14"), "{err}");
        }
        let err = Target::new("python3.12", "aarch64")
            .unwrap_err()
            .to_string();
        assert!(err.contains("x86_64 or arm64"), "{err}");
    }

    #[test]
    fn glibc_cap_follows_the_operating_system() {
        let al2 = Target::new("python3.11", "x86_64").unwrap();
        assert_eq!(al2.glibc(), (2, 26));
        assert!(al2
            .priority("cp311", "cp311", "manylinux_2_26_x86_64")
            .is_some());
        assert!(al2
            .priority("cp311", "cp311", "manylinux_2_28_x86_64")
            .is_none());
        let al2023 = Target::new("python3.12", "arm64").unwrap();
        assert_eq!(al2023.glibc(), (2, 34));
        assert!(al2023
            .priority("cp312", "cp312", "manylinux_2_34_aarch64")
            .is_some());
        assert!(al2023
            .priority("cp312", "cp312", "manylinux_2_35_aarch64")
            .is_none());
        // Never musllinux, never another architecture or another CPython.
        for (py, abi, plat) in [
            ("cp312", "cp312", "musllinux_1_2_aarch64"),
            ("cp312", "cp312", "manylinux_2_17_x86_64"),
            ("cp311", "cp311", "manylinux_2_17_aarch64"),
            ("cp312", "cp312", "macosx_11_0_arm64"),
        ] {
            assert!(
                al2023.priority(py, abi, plat).is_none(),
                "{py}-{abi}-{plat}"
            );
        }
    }

    #[test]
    fn preference_order_is_native_then_abi3_then_pure() {
        let t = Target::new("python3.12", "x86_64").unwrap();
        let native_new = t
            .priority("cp312", "cp312", "manylinux_2_28_x86_64")
            .unwrap();
        let native_old = t
            .priority("cp312", "cp312", "manylinux2014_x86_64")
            .unwrap();
        let legacy = t.priority("cp312", "cp312", "manylinux1_x86_64").unwrap();
        let abi3 = t.priority("cp39", "abi3", "manylinux_2_17_x86_64").unwrap();
        let pure = t.priority("py3", "none", "any").unwrap();
        let py2_py3 = t.priority("py2.py3", "none", "any").unwrap();
        assert!(native_new < native_old && native_old < legacy && legacy < abi3 && abi3 < pure);
        assert_eq!(py2_py3, pure);
        // Compressed platform sets take their best member.
        let both = t
            .priority(
                "cp312",
                "cp312",
                "manylinux_2_17_x86_64.manylinux2014_x86_64",
            )
            .unwrap();
        assert_eq!(
            both,
            t.priority("cp312", "cp312", "manylinux_2_17_x86_64")
                .unwrap()
        );
        // arm64 has no manylinux2010/manylinux1.
        let arm = Target::new("python3.12", "arm64").unwrap();
        assert!(arm
            .priority("cp312", "cp312", "manylinux1_aarch64")
            .is_none());
    }

    #[test]
    fn x86_64_lists_every_manylinux_glibc_down_to_2_5() {
        let t = Target::new("python3.11", "x86_64").unwrap();
        let mut last = 0;
        for minor in (5..=26).rev() {
            let p = t
                .priority("cp311", "cp311", &format!("manylinux_2_{minor}_x86_64"))
                .unwrap_or_else(|| panic!("manylinux_2_{minor}"));
            assert!(p > last || minor == 26, "2_{minor} out of order");
            last = p;
        }
        assert!(t
            .priority("cp311", "cp311", "manylinux_2_4_x86_64")
            .is_none());
        // arm64 wheels start at 2_17, as in packaging.tags.
        let arm = Target::new("python3.11", "arm64").unwrap();
        assert!(arm
            .priority("cp311", "cp311", "manylinux_2_16_aarch64")
            .is_none());
    }

    #[test]
    fn each_runtime_is_a_late_patch_release_and_can_be_overridden() {
        use std::str::FromStr as _;
        let t = Target::new("python3.9", "x86_64").unwrap();
        assert_eq!(t.python_full_version().to_string(), "3.9.23");
        let spec =
            pep508_rs::pep440_rs::VersionSpecifiers::from_str(">=3.9,!=3.9.0,!=3.9.1").unwrap();
        assert!(spec.contains(t.python_full_version()));
        for minor in 9..=14 {
            let runtime = format!("python3.{minor}");
            let t = Target::new(&runtime, "arm64").unwrap();
            assert!(
                t.python_full_version()
                    .to_string()
                    .starts_with(&format!("3.{minor}.")),
                "{runtime}"
            );
        }
        let old = t.clone().with_python_version("3.9.1").unwrap();
        assert!(!spec.contains(old.python_full_version()));
        let check = |target: &Target, marker: &str| {
            pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(&format!("x; {marker}"))
                .unwrap()
                .marker
                .evaluate(target.markers(), &[])
        };
        assert!(check(&t, "python_full_version >= '3.9.2'"));
        assert!(!check(&old, "python_full_version >= '3.9.2'"));
        for bad in [
            "3.10.1", "3.9", "3.9.x", "4.9.1", "3.9.1rc1", " ", "3.9.1.1",
        ] {
            let err = t.clone().with_python_version(bad).unwrap_err().to_string();
            assert!(
                err.starts_with("PythonVersion `")
                    && err.contains("python3.9's Python (e.g. 3.9.23)"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn markers_describe_the_lambda_environment() {
        use std::str::FromStr as _;
        let t = Target::new("python3.10", "arm64").unwrap();
        let check = |marker: &str| {
            let req =
                pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(&format!("x; {marker}"))
                    .unwrap();
            req.marker.evaluate(t.markers(), &[])
        };
        assert!(check("python_version >= '3.10'"));
        assert!(!check("python_version >= '3.11'"));
        assert!(check("platform_machine == 'aarch64'"));
        assert!(check("sys_platform == 'linux'"));
        assert!(!check("sys_platform == 'win32'"));
        assert!(check("platform_python_implementation == 'CPython'"));
    }
}
