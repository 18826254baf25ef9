//! `provider-escalation`: a custom-resource provider that principals other than CloudFormation
//! and the provider itself may invoke while its role can pass roles, create or update function
//! code, or write IAM. Found through the template's resource graph (ServiceToken → alias or
//! version → function → role → inline, attached and separate policies).
//!
//! Who may invoke it: Lambda permissions to broad principals (`*`, an ARN pattern, an account
//! root, an account), and IAM statements allowing `lambda:InvokeFunction` on resources that
//! match the provider: `*`, an ARN pattern (`arn:aws:lambda:*:*:function:my-prov*`), or its
//! own ARN (`!Sub arn:...:function:${Provider}`, `!GetAtt Provider.Arn`), matched against its
//! `FunctionName` (CloudFormation's generated name when there is none). A statement counts
//! whoever holds it: roles, users and groups (with their members, through users' `Groups` and
//! `AWS::IAM::UserToGroupAddition`), a SAM function's generated role, or nobody in the template
//! (a managed policy attached elsewhere); one held only by the provider's own role is not a
//! path. A pattern that may match the provider's name only for some values known at
//! deployment (a generated name, a parameter) makes the finding UNKNOWN.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{fail, unknown, Hit, RuleId};
use crate::{
    arn,
    finding::{Rule, Severity},
    glob::{atoms, covers, overlap, Atom},
    graph::Graph,
    iam::{
        action_matches, broad_managed_policy, escalating, list_of, policy_documents, statement_list,
    },
};

/// The rule.
pub(crate) const RULE: Rule = Rule {
    id: "provider-escalation",
    severity: Severity::High,
    description: "A custom-resource provider can be invoked through a wildcard, an ARN pattern, the whole account or an IAM statement matching it (held by anyone but its own role) while its role can pass roles, create or update functions, or write IAM.",
};

/// Findings by logical id (the provider function).
pub(crate) fn check(graph: &Graph<'_>) -> BTreeMap<String, Vec<Hit>> {
    let providers = graph.providers();
    let mut hits: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    if providers.is_empty() {
        return hits;
    }
    let principals = Principals::of(graph);
    // One pass over the template: broad Lambda permissions per function, the IAM statements
    // that allow invoking functions (with who holds them), and the separate policies attached
    // to each role.
    let mut permission_grants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut invokers: Vec<Invoker> = Vec::new();
    let mut attached: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (id, t) in graph.types {
        let p = graph.props(id);
        if t == "AWS::Lambda::Permission" && broad_principal(&p["Principal"]) {
            if let Some(f) = graph.function_of(&p["FunctionName"]) {
                permission_grants.entry(f).or_default().push(format!(
                    "{id} (Principal {})",
                    p["Principal"].as_str().unwrap_or("?")
                ));
            }
        }
        if matches!(t.as_str(), "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy") {
            for role in list_of(&p["Roles"]) {
                if let Some(r) = role.get("Ref").and_then(Value::as_str) {
                    attached
                        .entry(r.to_owned())
                        .or_default()
                        .push(p["PolicyDocument"].clone());
                }
            }
        }
        let mut documents = policy_documents(t, p);
        if t == "AWS::Serverless::Function" && p.get("Role").is_none() {
            documents.extend(
                list_of(&p["Policies"])
                    .into_iter()
                    .filter(|x| x.get("Statement").is_some()),
            );
        }
        for document in documents {
            for statement in statement_list(&document) {
                if invokes(&statement) {
                    invokers.push(Invoker {
                        id: id.clone(),
                        statement,
                        holders: principals.holders(id, t, p),
                    });
                }
            }
        }
    }
    for (function, users) in &providers {
        let own = own_role(graph, function, &principals);
        let name = ProviderName::of(graph, function);
        let mut definite = permission_grants.remove(function).unwrap_or_default();
        let mut possible = Vec::new();
        for invoker in &invokers {
            if !invoker.holders.is_empty()
                && invoker.holders.iter().all(|h| Some(h) == own.as_ref())
            {
                continue; // the provider invoking itself gains nothing
            }
            match invoker.reach(graph, function, &name) {
                (Reach::Yes, what) => definite.push(invoker.describe(&what, &principals)),
                (Reach::Maybe, what) => possible.push(invoker.describe(&what, &principals)),
                (Reach::No, _) => {}
            }
        }
        if definite.is_empty() && possible.is_empty() {
            continue;
        }
        let Some(documents) = role_documents(graph, function, &attached) else {
            let mut grants = definite;
            grants.extend(possible);
            hits.entry(function.clone()).or_default().push(unknown(
                RuleId::ProviderEscalation,
                format!(
                    "provider of {} may be invoked through {}; its role is not in the template",
                    users.join(", "),
                    shortened(grants)
                ),
            ));
            continue;
        };
        let actions = escalating(&documents);
        if actions.is_empty() {
            continue;
        }
        let hit = if definite.is_empty() {
            unknown(
                RuleId::ProviderEscalation,
                format!(
                    "provider of {} may be invoked through {} if the pattern matches its name (known at deployment) while its role can {}",
                    users.join(", "),
                    shortened(possible),
                    actions.join(", ")
                ),
            )
        } else {
            fail(
                RuleId::ProviderEscalation,
                format!(
                    "provider of {} may be invoked through {} while its role can {}",
                    users.join(", "),
                    shortened(definite),
                    actions.join(", ")
                ),
            )
        };
        hits.entry(function.clone()).or_default().push(hit);
    }
    hits
}

/// `*`, a pattern, an account root, or an account (id, `${AWS::AccountId}`, its Ref).
fn broad_principal(p: &Value) -> bool {
    match p.as_str() {
        Some(s) => {
            s.contains('*')
                || s.ends_with(":root")
                || s.contains("${AWS::AccountId}")
                || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        }
        None => p.get("Ref").and_then(Value::as_str) == Some("AWS::AccountId"),
    }
}

/// Whether an Allow statement's actions include `lambda:InvokeFunction` (`Action`, or
/// `NotAction` that does not exclude it).
fn invokes(statement: &Value) -> bool {
    let invoke = |patterns: &Value| {
        list_of(patterns)
            .iter()
            .filter_map(Value::as_str)
            .any(|a| action_matches(a, "lambda:InvokeFunction"))
    };
    statement["Effect"] == json!("Allow")
        && (invoke(&statement["Action"])
            || (statement.get("NotAction").is_some() && !invoke(&statement["NotAction"])))
}

/// At most three grants, then how many more.
fn shortened(mut grants: Vec<String>) -> String {
    if grants.len() > 3 {
        let more = grants.len() - 3;
        grants.truncate(3);
        grants.push(format!("{more} more"));
    }
    grants.join(", ")
}

/// The documents of a provider's role (inline, managed, attached; a SAM function's own
/// `Policies` when it has no `Role`); `None` when the role is not in the template.
fn role_documents(
    graph: &Graph<'_>,
    function: &str,
    attached: &BTreeMap<String, Vec<Value>>,
) -> Option<Vec<Value>> {
    let f = graph.props(function);
    let mut documents: Vec<Value> = Vec::new();
    let role = f["Role"]
        .get("Fn::GetAtt")
        .and_then(|a| a.get(0))
        .and_then(Value::as_str)
        .filter(|r| graph.is(r, "AWS::IAM::Role"));
    match (role, graph.types.get(function).map(String::as_str)) {
        (Some(r), _) => {
            let rp = graph.props(r);
            documents.extend(
                list_of(&rp["Policies"])
                    .iter()
                    .map(|x| x["PolicyDocument"].clone()),
            );
            for arn in list_of(&rp["ManagedPolicyArns"]) {
                if let Some(m) = arn.get("Ref").and_then(Value::as_str) {
                    if graph.is(m, "AWS::IAM::ManagedPolicy") {
                        documents.push(graph.props(m)["PolicyDocument"].clone());
                    }
                }
                documents.extend(broad_managed_policy(&arn));
            }
            documents.extend(attached.get(r).into_iter().flatten().cloned());
        }
        (None, Some("AWS::Serverless::Function")) if f.get("Role").is_none() => {
            documents.extend(
                list_of(&f["Policies"])
                    .iter()
                    .filter_map(broad_managed_policy),
            );
            documents.extend(
                list_of(&f["Policies"])
                    .into_iter()
                    .filter(|x| x.get("Statement").is_some()),
            );
        }
        _ => return None,
    }
    Some(documents)
}

/// Who holds a policy: a role, a user or a group (by logical id, or by name when it is not in
/// the template), or the role SAM generates for a function.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Holder {
    Role(String),
    User(String),
    Group(String),
    FunctionRole(String),
}

/// The template's IAM principals: names to logical ids, managed policies' holders by
/// `ManagedPolicyArns`, and groups' members.
struct Principals {
    /// (type, name) → logical id, for `RoleName`, `UserName` and `GroupName`.
    names: BTreeMap<(&'static str, String), String>,
    /// Managed policy id → the roles, users and groups naming it in `ManagedPolicyArns`.
    managed: BTreeMap<String, Vec<Holder>>,
    /// Group → its users.
    members: BTreeMap<String, Vec<String>>,
}

const ROLE: &str = "AWS::IAM::Role";
const USER: &str = "AWS::IAM::User";
const GROUP: &str = "AWS::IAM::Group";

impl Principals {
    fn of(graph: &Graph<'_>) -> Self {
        let mut principals = Self {
            names: BTreeMap::new(),
            managed: BTreeMap::new(),
            members: BTreeMap::new(),
        };
        for (id, t) in graph.types {
            let p = graph.props(id);
            let (kind, property) = match t.as_str() {
                "AWS::IAM::Role" => (ROLE, "RoleName"),
                "AWS::IAM::User" => (USER, "UserName"),
                "AWS::IAM::Group" => (GROUP, "GroupName"),
                _ => continue,
            };
            if let Some(name) = p[property].as_str() {
                principals.names.insert((kind, name.to_owned()), id.clone());
            }
        }
        for (id, t) in graph.types {
            let p = graph.props(id);
            let holder = match t.as_str() {
                "AWS::IAM::Role" => Holder::Role(id.clone()),
                "AWS::IAM::User" => Holder::User(id.clone()),
                "AWS::IAM::Group" => Holder::Group(id.clone()),
                "AWS::IAM::UserToGroupAddition" => {
                    let group = principals.key(GROUP, &p["GroupName"]);
                    let users: Vec<String> = list_of(&p["Users"])
                        .iter()
                        .map(|u| principals.key(USER, u))
                        .collect();
                    principals.members.entry(group).or_default().extend(users);
                    continue;
                }
                _ => continue,
            };
            for arn in list_of(&p["ManagedPolicyArns"]) {
                if let Some(m) = arn.get("Ref").and_then(Value::as_str) {
                    principals
                        .managed
                        .entry(m.to_owned())
                        .or_default()
                        .push(holder.clone());
                }
            }
            if t == USER {
                for group in list_of(&p["Groups"]) {
                    let group = principals.key(GROUP, &group);
                    principals
                        .members
                        .entry(group)
                        .or_default()
                        .push(id.clone());
                }
            }
        }
        principals
    }

    /// A principal reference as its key: the logical id for `Ref`/`Fn::GetAtt` of one of the
    /// template's principals or for its name, else the name (or `?`).
    fn key(&self, kind: &'static str, value: &Value) -> String {
        match arn::text(value) {
            Some(text) => match arn::reference(&text) {
                Some(id) => id.to_owned(),
                None => {
                    // A name, or an ARN whose last path segment is the name.
                    let name = text.rsplit('/').next().unwrap_or(&text);
                    self.names
                        .get(&(kind, name.to_owned()))
                        .cloned()
                        .unwrap_or_else(|| name.to_owned())
                }
            },
            None => "?".to_owned(),
        }
    }

    /// Who holds the policies of resource `id` of type `t`.
    fn holders(&self, id: &str, t: &str, p: &Value) -> Vec<Holder> {
        let mut holders = match t {
            "AWS::IAM::Role" => vec![Holder::Role(id.to_owned())],
            "AWS::IAM::User" => vec![Holder::User(id.to_owned())],
            "AWS::IAM::Group" => vec![Holder::Group(id.to_owned())],
            "AWS::Serverless::Function" => vec![Holder::FunctionRole(id.to_owned())],
            "AWS::IAM::RolePolicy" => vec![Holder::Role(self.key(ROLE, &p["RoleName"]))],
            "AWS::IAM::UserPolicy" => vec![Holder::User(self.key(USER, &p["UserName"]))],
            "AWS::IAM::GroupPolicy" => vec![Holder::Group(self.key(GROUP, &p["GroupName"]))],
            _ => {
                let mut out: Vec<Holder> = Vec::new();
                out.extend(
                    list_of(&p["Roles"])
                        .iter()
                        .map(|r| Holder::Role(self.key(ROLE, r))),
                );
                out.extend(
                    list_of(&p["Users"])
                        .iter()
                        .map(|u| Holder::User(self.key(USER, u))),
                );
                out.extend(
                    list_of(&p["Groups"])
                        .iter()
                        .map(|g| Holder::Group(self.key(GROUP, g))),
                );
                out.extend(self.managed.get(id).into_iter().flatten().cloned());
                out
            }
        };
        holders.sort();
        holders.dedup();
        holders
    }

    fn describe(&self, holder: &Holder) -> String {
        match holder {
            Holder::Role(r) => format!("role {r}"),
            Holder::User(u) => format!("user {u}"),
            Holder::FunctionRole(f) => format!("the role of function {f}"),
            Holder::Group(g) => match self.members.get(g) {
                Some(users) if !users.is_empty() => {
                    format!("group {g} (users {})", users.join(", "))
                }
                _ => format!("group {g}"),
            },
        }
    }
}

/// The role a provider runs as, as a holder.
fn own_role(graph: &Graph<'_>, function: &str, principals: &Principals) -> Option<Holder> {
    let f = graph.props(function);
    match f.get("Role") {
        Some(role) => Some(Holder::Role(principals.key(ROLE, role))),
        None if graph.is(function, "AWS::Serverless::Function") => {
            Some(Holder::FunctionRole(function.to_owned()))
        }
        None => None,
    }
}

/// A provider's function name as IAM patterns see it.
enum ProviderName {
    /// `FunctionName` (it may hold `${AWS::StackName}` and the like).
    Known(String),
    /// None given: CloudFormation generates one (`stack-LogicalId-RANDOM`), which no literal
    /// can name.
    Generated,
    /// An intrinsic that could not be resolved.
    Unresolved,
}

impl ProviderName {
    fn of(graph: &Graph<'_>, function: &str) -> Self {
        match graph.props(function).get("FunctionName") {
            None | Some(Value::Null) => Self::Generated,
            Some(Value::String(name)) => Self::Known(name.clone()),
            Some(_) => Self::Unresolved,
        }
    }
}

/// Whether a statement's resources cover the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    No,
    Maybe,
    Yes,
}

/// An IAM statement allowing `lambda:InvokeFunction`, in the resource `id`.
struct Invoker {
    id: String,
    statement: Value,
    holders: Vec<Holder>,
}

impl Invoker {
    /// Whether the statement reaches `function`, and what (as the grant describes it).
    fn reach(&self, graph: &Graph<'_>, function: &str, name: &ProviderName) -> (Reach, String) {
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

    fn describe(&self, what: &str, principals: &Principals) -> String {
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
fn resource_reach(graph: &Graph<'_>, value: &Value, function: &str, name: &ProviderName) -> Reach {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    use std::collections::BTreeMap;

    use serde_json::{json, Value};

    use super::{resource_reach, ProviderName, Reach};
    use crate::graph::Graph;

    #[test]
    fn invoke_resources_are_matched_against_the_provider() {
        let types: BTreeMap<String, String> = [
            ("P", "AWS::Lambda::Function"),
            ("Alias", "AWS::Lambda::Alias"),
            ("Other", "AWS::Lambda::Function"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let properties: BTreeMap<String, Value> =
            BTreeMap::from([("Alias".to_owned(), json!({"FunctionName": {"Ref": "P"}}))]);
        let graph = Graph {
            types: &types,
            properties: &properties,
        };
        let known = ProviderName::Known("${AWS::StackName}-prov".into());
        let cases = [
            (json!("*"), &known, Reach::Yes),
            (json!("${P.Arn}:*"), &known, Reach::Yes),
            (json!({"Ref": "Alias"}), &known, Reach::Yes),
            (json!("arn:aws:lambda:*"), &known, Reach::Yes),
            (
                json!("arn:aws:lambda:eu-west-1:123456789012:function:${AWS::StackName}-*"),
                &known,
                Reach::Yes,
            ),
            (
                json!("arn:aws:lambda:eu-west-1:123456789012:function:prod-prov"),
                &known,
                Reach::Maybe,
            ),
            (
                json!("arn:aws:lambda:*:*:function:${AWS::StackName}-prov:live"),
                &known,
                Reach::Maybe,
            ),
            (
                json!("arn:aws:lambda:*:*:function:${Other}"),
                &known,
                Reach::No,
            ),
            (json!("arn:aws:lambda:*:*:layer:*"), &known, Reach::No),
            (json!("arn:aws:s3:::*"), &known, Reach::No),
            (json!({"Fn::ImportValue": "x"}), &known, Reach::Maybe),
            (
                json!("arn:aws:lambda:*:*:function:x"),
                &ProviderName::Unresolved,
                Reach::Maybe,
            ),
            (
                json!("arn:aws:lambda:*:*:function:x"),
                &ProviderName::Generated,
                Reach::No,
            ),
            (
                json!("arn:aws:lambda:*:*:function:${P}"),
                &ProviderName::Generated,
                Reach::Yes,
            ),
        ];
        for (value, name, reach) in cases {
            assert_eq!(resource_reach(&graph, &value, "P", name), reach, "{value}");
        }
    }

    #[test]
    fn a_provider_linked_by_sub_and_invokable_by_the_account_escalates() {
        let source = r#"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: b
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
  Provider:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Open:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Sub "${Provider.Arn}:live", Principal: !Ref AWS::AccountId, Action: lambda:InvokeFunction}
  Thing:
    Type: Custom::Thing
    Properties: {ServiceToken: !Sub "${Provider.Arn}:live", WardenSignature: s}
"#;
        let findings = crate::lint("t.yaml", source).unwrap();
        let hit = findings
            .iter()
            .find(|f| f.rule == "provider-escalation")
            .unwrap_or_else(|| panic!("{findings:?}"));
        assert_eq!(hit.logical_id, "Provider");
        assert!(hit.message.contains("iam:PassRole"), "{}", hit.message);
    }
}
