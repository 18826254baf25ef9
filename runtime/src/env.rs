//! Where settings come from: the [`Environment`] trait, injected so tests never touch the
//! process environment, and the process's own. Imports nothing of the crate.

use std::collections::HashMap;

/// A source of environment variables. Injected so tests never touch the process environment.
pub trait Environment {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Environment for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}
