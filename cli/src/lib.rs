//! Nothing here: the `warden` CLI is the binary (`src/main.rs`). The fuzz targets link the
//! libraries they test (`cfn-warden`, `warden-lint`, `warden-resources`) directly.
#![forbid(unsafe_code)]
