//! Arbitrary wheel archives: installing never panics; an installed wheel keeps only safe
//! relative paths, in order, and always makes a layer archive (or a named error).
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_pip::{
    layer_zip::{build, LAYER_ROOT},
    wheel::install,
};

fuzz_target!(|data: &[u8]| {
    let Ok(wheel) = install("fuzz-1.0-py3-none-any.whl", data) else { return };
    for pair in wheel.files.windows(2) {
        assert!(pair[0].path < pair[1].path);
    }
    for file in &wheel.files {
        assert!(!file.path.starts_with('/') && !file.path.split('/').any(|p| p == ".."));
    }
    let _ = build(LAYER_ROOT, &[], std::slice::from_ref(&wheel));
});
