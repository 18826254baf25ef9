//! Content digests: the lowercase hex SHA-256 the index, RECORD checks and the layer zip share.
//! Imports nothing of the crate.

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
