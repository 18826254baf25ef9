//! Whether an IAM statement allowing `lambda:InvokeFunction` reaches a provider: its name as
//! IAM patterns see it and each `Resource` matched field by field. Imports `arn`, `glob`,
//! `graph` and `iam` of the crate, and its sibling `holders`.

use serde_json::Value;

use super::holders::{Holder, Principals};
use crate::{
    arn,
    glob::{atoms, covers, overlap, Atom},
    graph::Graph,
    iam::list_of,
};

/// A provider's function name as IAM patterns see it.
pub(super) enum ProviderName {
    /// `FunctionName` (it may hold `${AWS::StackName}` and the like).
    Known(String),
    /// None given: CloudFormation generates one (`stack-LogicalId-RANDOM`), which no literal
    /// can name.
    Generated,
    /// An intrinsic that could not be resolved.
    Unresolved,
}

impl ProviderName {
    pub(super) fn of(graph: &Graph<'_>, function: &str) -> Self {
        match graph.props(function).get("FunctionName") {
            None | Some(Value::Null) => Self::Generated,
            Some(Value::String(name)) => Self::Known(name.clone()),
            Some(_) => Self::Unresolved,
        }
    }
}

/// Whether a statement's resources cover the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Reach {
    No,
    Maybe,
    Yes,
}

/// An IAM statement allowing `lambda:InvokeFunction`, in the resource `id`.
pub(super) struct Invoker {
    pub(super) id: String,
    pub(super) statement: Value,
    pub(super) holders: Vec<Holder>,
}

impl Invoker {
    /// Whether the statement reaches `function`, and what (as the grant describes it).
    pub(super) fn reach(
        &self,
        graph: &Graph<'_>,
        function: &str,
        name: &ProviderName,
    ) -> (Reach, String) {
        if self.statement.get("NotResource").is_some() {
            let excepted = list_of(&self.statement["NotResource"]);
            let what = format!(
                "everything but `{}`",
                excepted
                    .iter()
                    .map(|r| arn::text(r).unwrap_or_else(|| "?".into()))
                    .collect::<Vec<_>>()
                    .join("`, `")
            );
            let reach = excepted
                .iter()
                .map(|r| resource_reach(graph, r, function, name))
                .max()
                .unwrap_or(Reach::No);
            // Excepting the provider for sure leaves it out; possibly excepting it is a maybe.
            let reach = match reach {
                Reach::Yes => Reach::No,
                Reach::Maybe => Reach::Maybe,
                Reach::No => Reach::Yes,
            };
            return (reach, what);
        }
        list_of(&self.statement["Resource"])
            .iter()
            .map(|r| {
                (
                    resource_reach(graph, r, function, name),
                    format!("`{}`", arn::text(r).unwrap_or_else(|| "?".into())),
                )
            })
            .max_by_key(|(reach, _)| *reach)
            .unwrap_or((Reach::No, String::new()))
    }

    pub(super) fn describe(&self, what: &str, principals: &Principals) -> String {
        let held = if self.holders.is_empty() {
            String::new()
        } else {
            let holders: Vec<String> = self
                .holders
                .iter()
                .map(|h| principals.describe(h))
                .collect();
            format!(", held by {}", holders.join(", "))
        };
        format!("{} (lambda:InvokeFunction on {what}{held})", self.id)
    }
}

/// Whether one `Resource` value of an invoke statement matches provider `function`.
pub(super) fn resource_reach(
    graph: &Graph<'_>,
    value: &Value,
    function: &str,
    name: &ProviderName,
) -> Reach {
    let Some(text) = arn::text(value) else {
        return Reach::Maybe; // an import, a condition: not known before deployment
    };
    if text == "*" {
        return Reach::Yes;
    }
    // A reference to one of the template's resources names that resource: the provider (or
    // its alias or version), or something else.
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        let inner = &rest[start + 2..];
        let Some(end) = inner.find('}') else { break };
        let target = inner[..end].split('.').next().unwrap_or_default();
        if graph.types.contains_key(target) {
            let reference = Value::String(format!("${{{}}}", &inner[..end]));
            if graph.function_of(&reference).as_deref() != Some(function) {
                return Reach::No;
            }
            if start == 0 && rest.len() == text.len() {
                return Reach::Yes; // `${Provider.Arn}`, `${ProviderAlias}`, `${Provider.Arn}:*`
            }
        }
        rest = &inner[end + 1..];
    }
    let (name_text, generated) = match name {
        ProviderName::Known(n) => (n.clone(), false),
        ProviderName::Generated => (format!("${{{function}}}"), true),
        ProviderName::Unresolved => (format!("${{{function}}}"), false),
    };
    let text = text.replace(&format!("${{{function}}}"), &name_text);
    // The provider's ARN, unqualified and qualified (`:alias`, `:version`), field by field as
    // IAM matches ARNs (a wildcard before the resource part stays in its field). Partition,
    // region and account are the template's own, whether the pattern writes them literally
    // or as pseudo parameters; wildcards stay wildcards.
    let head = [
        "arn",
        "${AWS::Partition}",
        "lambda",
        "${AWS::Region}",
        "${AWS::AccountId}",
    ];
    let unqualified = atoms(&format!("function:{name_text}"));
    let mut qualified = unqualified.clone();
    qualified.extend([Atom::Char(':'), Atom::Name("#qualifier".into())]);
    let mut fields: Vec<&str> = arn::fields(&text);
    if fields[0] == "arn" {
        for i in [1, 3, 4] {
            if fields.get(i).is_some_and(|f| !f.contains(['*', '?'])) {
                fields[i] = head[i];
            }
        }
    }
    let (pattern_head, pattern_resource): (Vec<Vec<Atom>>, Vec<Atom>) =
        if fields.len() >= 6 && fields[0] == "arn" {
            (
                fields[..5].iter().map(|f| atoms(f)).collect(),
                atoms(&fields[5..].join(":")),
            )
        } else {
            // Not a whole ARN (`arn:aws:lambda:*`, a bare pattern): matched as one text.
            (Vec::new(), atoms(&fields.join(":")))
        };
    let subject = |resource: &[Atom]| -> (Vec<Vec<Atom>>, Vec<Atom>) {
        if pattern_head.is_empty() {
            let mut whole = atoms(&format!("{}:", head.join(":")));
            whole.extend(resource.iter().cloned());
            (Vec::new(), whole)
        } else {
            (head.iter().map(|f| atoms(f)).collect(), resource.to_vec())
        }
    };
    let test = |f: fn(&[Atom], &[Atom]) -> bool| {
        [&unqualified, &qualified].into_iter().any(|resource| {
            let (subject_head, subject_resource) = subject(resource);
            pattern_head.iter().zip(&subject_head).all(|(p, s)| f(p, s))
                && f(&pattern_resource, &subject_resource)
        })
    };
    if test(covers) {
        return Reach::Yes;
    }
    let wildcard = pattern_resource
        .iter()
        .any(|a| matches!(a, Atom::Star | Atom::One));
    if generated && !wildcard {
        return Reach::No; // no literal names a generated name
    }
    if test(overlap) {
        Reach::Maybe
    } else {
        Reach::No
    }
}
