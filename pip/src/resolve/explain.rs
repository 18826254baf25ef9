//! Why resolution failed, in the user's words: pubgrub's derivation tree written with the
//! user's requirements (`` `urllib3<2` ``) instead of resolver internals (no "the requirements
//! 0", no `∅`), and with what the index has when no version fits (a version that exists but
//! has no wheel for this Python, a yanked one, the versions it does offer). A child of
//! `resolve` (its `Node`); imports `offer` and `requirements`.

use std::collections::BTreeMap;

use pep508_rs::{pep440_rs::Version, PackageName};
use pubgrub::{Derived, External, Map, Ranges, ReportFormatter, Term};

use super::Node;
use crate::{offer::listed, requirements::RequirementLine};

/// The formatter: the requirement lines (by index) and what the index had.
pub(crate) struct Explain<'a> {
    /// The user's requirements.
    pub(crate) lines: &'a [RequirementLine],
    /// Versions that exist but were not offered, with why.
    pub(crate) refused: &'a BTreeMap<PackageName, Vec<(Version, String)>>,
    /// Versions offered, newest first.
    pub(crate) offered: &'a BTreeMap<PackageName, Vec<Version>>,
}

type Ext = External<Node, Ranges<Version>, String>;
type Terms = Map<Node, Term<Ranges<Version>>>;
type Der = Derived<Node, Ranges<Version>, String>;

impl Explain<'_> {
    /// A requirement as the user wrote it (without hashes).
    fn line(&self, i: usize) -> String {
        match self.lines.get(i) {
            Some(line) => format!("`{}`", line.requirement),
            None => format!("requirement {}", i + 1),
        }
    }

    fn package(&self, node: &Node) -> String {
        match node {
            Node::Root => "the requirements".to_owned(),
            Node::Line(i) => self.line(*i),
            other => other.to_string(),
        }
    }

    /// A package with a range of versions, in words.
    fn term(&self, node: &Node, range: &Ranges<Version>) -> String {
        let package = self.package(node);
        if matches!(node, Node::Root | Node::Line(_)) {
            return package;
        }
        if range == &Ranges::full() {
            package
        } else if range.is_empty() {
            format!("{package} (no version: the requirements on it exclude each other)")
        } else if let Some(v) = range.as_singleton() {
            format!("{package}=={v}")
        } else {
            format!("{package} {range}")
        }
    }

    /// Why no version of `node` in `range` can be had.
    fn no_versions(&self, node: &Node, range: &Ranges<Version>) -> String {
        let (Node::Name(name) | Node::Extra(name, _)) = node else {
            return format!("{} cannot be met", self.package(node));
        };
        let refused: Vec<String> = self
            .refused
            .get(name)
            .map(|list| {
                let mut list: Vec<&(Version, String)> =
                    list.iter().filter(|(v, _)| range.contains(v)).collect();
                list.sort_by(|a, b| b.0.cmp(&a.0));
                list.iter().map(|(v, why)| format!("{v}: {why}")).collect()
            })
            .unwrap_or_default();
        let offered: Vec<String> = self
            .offered
            .get(name)
            .map(|v| v.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let term = self.term(node, range);
        if !refused.is_empty() {
            let many = if refused.len() == 1 { "it" } else { "each" };
            return format!(
                "no version of {term} can be used ({many} exists on the index, but {})",
                refused.join("; ")
            );
        }
        if range == &Ranges::full() || offered.is_empty() {
            return format!("there is no usable version of {}", self.package(node));
        }
        format!(
            "there is no version of {term} on the index (it offers {})",
            listed(&offered)
        )
    }
}

impl ReportFormatter<Node, Ranges<Version>, String> for Explain<'_> {
    type Output = String;

    fn format_external(&self, external: &Ext) -> String {
        match external {
            External::NotRoot(node, _) => format!("{} are being resolved", self.package(node)),
            External::NoVersions(node, range) => self.no_versions(node, range),
            External::Custom(node, range, why) => {
                format!("{} cannot be used: {why}", self.term(node, range))
            }
            External::FromDependencyOf(Node::Root, _, dep, _) => {
                format!("the requirements include {}", self.package(dep))
            }
            External::FromDependencyOf(line @ Node::Line(_), _, dep, dep_range) => format!(
                "{} asks for {}",
                self.package(line),
                self.term(dep, dep_range)
            ),
            External::FromDependencyOf(node, range, dep, dep_range) => format!(
                "{} depends on {}",
                self.term(node, range),
                self.term(dep, dep_range)
            ),
        }
    }

    fn format_terms(&self, terms: &Terms) -> String {
        let list: Vec<_> = terms.iter().collect();
        match list.as_slice() {
            [] => "the requirements cannot be met".to_owned(),
            [(Node::Root, Term::Positive(_))] => "the requirements cannot all be met".to_owned(),
            [(node @ Node::Line(_), Term::Positive(_))] => {
                format!("{} cannot be met", self.package(node))
            }
            [(node, Term::Positive(range))] => {
                format!("{} cannot be used", self.term(node, range))
            }
            [(node, Term::Negative(range))] => format!("{} is needed", self.term(node, range)),
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))] => self.format_external(
                &External::FromDependencyOf((*p1).clone(), r1.clone(), (*p2).clone(), r2.clone()),
            ),
            [(p1, Term::Negative(r1)), (p2, Term::Positive(r2))] => self.format_external(
                &External::FromDependencyOf((*p2).clone(), r2.clone(), (*p1).clone(), r1.clone()),
            ),
            many => {
                let parts: Vec<String> = many
                    .iter()
                    .map(|(node, term)| match term {
                        Term::Positive(range) => self.term(node, range),
                        Term::Negative(range) => format!("not {}", self.term(node, range)),
                    })
                    .collect();
                format!("{} cannot all hold", parts.join(" and "))
            }
        }
    }

    fn explain_both_external(&self, first: &Ext, second: &Ext, terms: &Terms) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(first),
            self.format_external(second),
            self.format_terms(terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref1: usize,
        derived1: &Der,
        ref2: usize,
        derived2: &Der,
        terms: &Terms,
    ) -> String {
        format!(
            "Because {} ({ref1}) and {} ({ref2}), {}.",
            self.format_terms(&derived1.terms),
            self.format_terms(&derived2.terms),
            self.format_terms(terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        reference: usize,
        derived: &Der,
        external: &Ext,
        terms: &Terms,
    ) -> String {
        format!(
            "Because {} ({reference}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(terms)
        )
    }

    fn and_explain_external(&self, external: &Ext, terms: &Terms) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(external),
            self.format_terms(terms)
        )
    }

    fn and_explain_ref(&self, reference: usize, derived: &Der, terms: &Terms) -> String {
        format!(
            "And because {} ({reference}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(terms)
        )
    }

    fn and_explain_prior_and_external(&self, prior: &Ext, external: &Ext, terms: &Terms) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior),
            self.format_external(external),
            self.format_terms(terms)
        )
    }
}
