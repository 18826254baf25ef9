//! Arbitrary build settings as a resource passes them: `Exclude` (package names separated by
//! commas or whitespace) and `PythonVersion` (`3.X.Y`). Parsing never panics; every accepted
//! name is a normalised package name, every accepted version is of the runtime's minor line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_pip::{exclude::parse_exclude, target::Target};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(names) = parse_exclude(&[text]) {
        for name in names {
            let shown = name.to_string();
            assert!(!shown.is_empty() && !shown.contains(',') && !shown.contains(char::is_whitespace), "{shown}");
        }
    }
    for runtime in ["python3.9", "python3.14"] {
        let Ok(target) = Target::new(runtime, "x86_64") else { continue };
        if let Ok(target) = target.with_python_version(text) {
            let minor = runtime.trim_start_matches("python");
            let version = target.python_full_version().to_string();
            assert!(version.starts_with(&format!("{minor}.")), "{runtime}: {version}");
        }
    }
});
