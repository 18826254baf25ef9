//! Wheel file names: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (PEP 427 /
//! the binary distribution format), with compressed tag sets such as `py2.py3`.

use std::str::FromStr as _;

use pep508_rs::{pep440_rs::Version, PackageName};

use crate::error::{cut, Error};

/// A parsed wheel file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelName {
    /// The normalised project name.
    pub name: PackageName,
    /// The version.
    pub version: Version,
    /// The optional build tag.
    pub build: Option<String>,
    /// Python tags, `.`-separated.
    pub python: String,
    /// ABI tags, `.`-separated.
    pub abi: String,
    /// Platform tags, `.`-separated.
    pub platform: String,
}

impl WheelName {
    /// Parses a file name (no directories).
    pub fn parse(filename: &str) -> Result<Self, Error> {
        let invalid = || Error::MalformedWheelName {
            filename: cut(filename),
        };
        let stem = filename.strip_suffix(".whl").ok_or_else(invalid)?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, python, abi, platform) = match parts.as_slice() {
            [n, v, p, a, pl] => (*n, *v, None, *p, *a, *pl),
            [n, v, b, p, a, pl] if b.starts_with(|c: char| c.is_ascii_digit()) => {
                (*n, *v, Some((*b).to_owned()), *p, *a, *pl)
            }
            _ => return Err(invalid()),
        };
        if [python, abi, platform]
            .iter()
            .any(|t| t.is_empty() || t.split('.').any(str::is_empty))
        {
            return Err(invalid());
        }
        Ok(Self {
            name: PackageName::from_str(name).map_err(|_| invalid())?,
            version: Version::from_str(version).map_err(|_| invalid())?,
            build,
            python: python.to_owned(),
            abi: abi.to_owned(),
            platform: platform.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_and_without_build_tags() {
        let w = WheelName::parse(
            "numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(w.name.as_ref(), "numpy");
        assert_eq!(w.version.to_string(), "2.2.6");
        assert_eq!(w.platform, "manylinux_2_17_x86_64.manylinux2014_x86_64");
        let w = WheelName::parse("Foo_Bar-1.0-1build-py2.py3-none-any.whl").unwrap();
        assert_eq!(w.name.as_ref(), "foo-bar");
        assert_eq!(w.build.as_deref(), Some("1build"));
        assert_eq!(w.python, "py2.py3");
    }

    #[test]
    fn refuses_what_is_not_a_wheel_name() {
        for bad in [
            "requests-2.32.3.tar.gz",
            "requests-2.32.3-py3-none.whl",
            "requests-x.y-py3-none-any.whl",
            "a-1-b-c-py3-none-any.whl",
            "a-1-py3..py2-none-any.whl",
        ] {
            assert!(WheelName::parse(bad).is_err(), "{bad}");
        }
    }
}
