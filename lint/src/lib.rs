//! `warden lint` as a library: CloudFormation templates (YAML with short-form intrinsics, or
//! JSON; SAM included) checked for the misconfigurations that make custom resources and Lambda
//! functions dangerous.
//!
//! What it owns, by module:
//! - [`template`]: reading templates with positions (the model the CLI's template editing
//!   uses too);
//! - `resolve`: intrinsic resolution without deploying (parameter defaults, `Fn::Sub`,
//!   `Fn::Join`, the template's own resources);
//! - [`iam`]: the IAM analysis shared by the rules and by `warden scan` (statements, action
//!   patterns, escalating actions, broad managed policies);
//! - `arn`: ARN text before deployment (references as `${Name}`, fields, the resource a
//!   reference names);
//! - `glob`: IAM resource patterns against names known only at deployment (covers, may
//!   match);
//! - `graph`: the resource graph (ServiceToken → alias or version → function);
//! - `rules`: one module per rule, each with its [`Rule`] descriptor; [`RuleId`] names them;
//! - [`report`]: text, JSON, SARIF 2.1.0 and JUnit output.
//!
//! It imports nothing of cfn-warden's runtime, AWS SDK or CLI: the fuzz targets link it alone.
//!
//! Every finding has a stable kebab-case rule id, a severity, the resource's logical id and
//! line, and a status: `fail`, or `unknown` when a value the rule needs is an intrinsic that
//! could not be resolved (never a silent pass). `Deny` statements never trigger a finding. A
//! resource can suppress a rule in its Metadata, with a mandatory reason:
//!
//! ```yaml
//! Metadata:
//!   cfn-warden:
//!     Suppress:
//!       - Rule: role-without-boundary
//!         Reason: legacy role, tracked in TICKET-12
//! ```
#![forbid(unsafe_code)]

mod arn;
mod error;
mod files;
mod finding;
mod glob;
mod graph;
pub mod iam;
pub mod inventory;
mod model;
mod parameters;
pub mod report;
mod resolve;
mod rules;
pub mod secrets;
pub mod template;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub use error::Error;
pub use files::{looks_like_template, templates_under};
pub use finding::{FileError, Finding, Rule, Severity, Status};
pub use parameters::parse_parameters;
pub use rules::{RuleId, RULES};

use crate::{
    resolve::{resolve, Scope},
    rules::{Ctx, Hit},
    template::{reindent_flow, to_json_as, Reading, Template},
};

/// What a lint run is given besides the template.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Options {
    /// Parameter values (`--parameter K=V`, `--parameters FILE`), used instead of defaults.
    pub parameters: BTreeMap<String, String>,
}

impl Options {
    /// Options with these parameter values.
    pub fn with_parameters(parameters: BTreeMap<String, String>) -> Self {
        Self { parameters }
    }
}

/// Parses a template as CloudFormation does: flow collections left of their key (accepted by
/// PyYAML and CloudFormation) are re-indented into `reindented` and parsed from there.
pub(crate) fn parse_leniently<'s>(
    source: &'s str,
    reindented: &'s mut Option<String>,
) -> Result<Template<'s>, Error> {
    match Template::parse(source) {
        Ok(template) => Ok(template),
        Err(e) => match reindent_flow(source) {
            Some(text) => Template::parse(reindented.insert(text)).map_err(|_| e),
            None => Err(e),
        },
    }
}

/// Lints one template's text; `file` names it in the findings.
pub fn lint(file: &str, source: &str) -> Result<Vec<Finding>, Error> {
    lint_with(file, source, &Options::default())
}

/// Lints one template's text with `options`; `file` names it in the findings. Refuses only text
/// that is not YAML or JSON or whose top level is not a mapping: scalars are read as
/// CloudFormation reads them ([`Reading::Lint`]), and a section no rule reads never refuses
/// the template.
pub fn lint_with(file: &str, source: &str, options: &Options) -> Result<Vec<Finding>, Error> {
    let mut reindented = None;
    let template = parse_leniently(source, &mut reindented)?;
    let parameters = model::parameter_values(&template, &options.parameters);
    let resources = model::resources(&template, &parameters);
    let types = model::types(&resources);
    let scope = Scope::new(&parameters, &types);
    let mut all_properties = BTreeMap::new();
    for resource in &resources {
        let properties = match &resource.properties {
            Value::Null => Value::Object(Map::new()),
            p => resolve(p, &scope),
        };
        all_properties.insert(resource.logical_id.clone(), properties);
    }
    let sam_global_boundary = template
        .section("Globals")
        .and_then(|g| to_json_as(g, Reading::Lint).ok())
        .is_some_and(|g| g["Function"].get("PermissionsBoundary").is_some());
    let ctx = Ctx {
        types: &types,
        sam_global_boundary,
    };
    let mut template_wide = rules::template_wide(&types, &all_properties);
    let mut findings = Vec::new();
    for resource in &resources {
        let properties = all_properties
            .remove(&resource.logical_id)
            .unwrap_or(Value::Null);
        let (suppressed, mut hits) =
            rules::suppression_without_reason::suppressions(&resource.metadata);
        hits.extend(rules::per_resource(
            &resource.resource_type,
            &properties,
            &ctx,
        ));
        hits.extend(
            template_wide
                .remove(&resource.logical_id)
                .unwrap_or_default(),
        );
        // One order whatever the rule's kind: by rule, then as found.
        hits.sort_by_key(|hit: &Hit| hit.rule);
        for hit in hits {
            let rule = hit.rule.rule();
            if suppressed.iter().any(|s| s == rule.id) {
                continue;
            }
            findings.push(Finding {
                rule: rule.id,
                severity: rule.severity,
                status: hit.status,
                file: file.to_owned(),
                logical_id: resource.logical_id.clone(),
                line: resource.line,
                message: hit.message,
            });
        }
    }
    Ok(findings)
}
