//! Who holds an IAM statement in a template: roles, users and groups (with their members), a
//! SAM function's generated role, and the role a provider runs as. Imports `arn`, `graph` and
//! `iam` of the crate.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{arn, graph::Graph, iam::list_of};

/// Who holds a policy: a role, a user or a group (by logical id, or by name when it is not in
/// the template), or the role SAM generates for a function.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Holder {
    Role(String),
    User(String),
    Group(String),
    FunctionRole(String),
}

/// The template's IAM principals: names to logical ids, managed policies' holders by
/// `ManagedPolicyArns`, and groups' members.
pub(super) struct Principals {
    /// (type, name) → logical id, for `RoleName`, `UserName` and `GroupName`.
    names: BTreeMap<(&'static str, String), String>,
    /// Managed policy id → the roles, users and groups naming it in `ManagedPolicyArns`.
    managed: BTreeMap<String, Vec<Holder>>,
    /// Group → its users.
    members: BTreeMap<String, Vec<String>>,
}

pub(super) const ROLE: &str = "AWS::IAM::Role";
pub(super) const USER: &str = "AWS::IAM::User";
pub(super) const GROUP: &str = "AWS::IAM::Group";

impl Principals {
    pub(super) fn of(graph: &Graph<'_>) -> Self {
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
    pub(super) fn key(&self, kind: &'static str, value: &Value) -> String {
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
    pub(super) fn holders(&self, id: &str, t: &str, p: &Value) -> Vec<Holder> {
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

    pub(super) fn describe(&self, holder: &Holder) -> String {
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
pub(super) fn own_role(
    graph: &Graph<'_>,
    function: &str,
    principals: &Principals,
) -> Option<Holder> {
    let f = graph.props(function);
    match f.get("Role") {
        Some(role) => Some(Holder::Role(principals.key(ROLE, role))),
        None if graph.is(function, "AWS::Serverless::Function") => {
            Some(Holder::FunctionRole(function.to_owned()))
        }
        None => None,
    }
}
