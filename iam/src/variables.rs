//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, and the special
//! `${*}`, `${?}`, `${$}`): parsed once per string, substituted from the request context at
//! evaluation. Only `2012-10-17` policies have variables; in older ones `${...}` is literal text.

use crate::context::Context;
use crate::pattern::{self, Tok};

/// A piece of a string that may hold variables.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text as written: `*` and `?` are wildcards where the operator allows them.
    Text(String),
    /// A character that is always literal (`${*}`, `${?}`, `${$}`).
    Literal(char),
    /// A context key (lowercased) and its default value.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A string of a policy, with its variables found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

/// What a substitution could not resolve: the variable's key as written in the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved(pub(crate) String);

impl Template {
    /// Parses `text`; `variables` is false for policies older than `2012-10-17`.
    pub(crate) fn parse(text: &str, variables: bool) -> Template {
        if !variables {
            return Template {
                parts: vec![Part::Text(text.to_owned())],
            };
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start + 2..].find('}') else {
                break;
            };
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let inner = &rest[start + 2..start + 2 + len];
            parts.push(match inner {
                "*" => Part::Literal('*'),
                "?" => Part::Literal('?'),
                "$" => Part::Literal('$'),
                _ => {
                    let (key, default) = split_default(inner);
                    Part::Var {
                        key: key.trim().to_owned(),
                        default,
                    }
                }
            });
            rest = &rest[start + 3 + len..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Template { parts }
    }

    /// The variables' keys as written.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    fn value<'c>(key: &str, default: &'c Option<String>, ctx: &'c Context) -> Option<&'c str> {
        match ctx.get(key) {
            Some([one]) => Some(one.as_str()),
            _ => default.as_deref(),
        }
    }

    /// The pattern with variables substituted (their values literal).
    pub(crate) fn pattern(&self, ctx: &Context) -> Result<Vec<Tok>, Unresolved> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.extend(pattern::compile(t)),
                Part::Literal(c) => out.push(Tok::Lit(*c)),
                Part::Var { key, default } => match Self::value(key, default, ctx) {
                    Some(v) => out.extend(pattern::literal(v)),
                    None => return Err(Unresolved(key.clone())),
                },
            }
        }
        Ok(out)
    }

    /// The text with variables substituted (for operators without wildcards).
    pub(crate) fn text(&self, ctx: &Context) -> Result<String, Unresolved> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Literal(c) => out.push(*c),
                Part::Var { key, default } => match Self::value(key, default, ctx) {
                    Some(v) => out.push_str(v),
                    None => return Err(Unresolved(key.clone())),
                },
            }
        }
        Ok(out)
    }

    /// The pattern with each variable read as `*` (anything it could resolve to), for probes.
    pub(crate) fn widest(&self) -> Vec<Tok> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.extend(pattern::compile(t)),
                Part::Literal(c) => out.push(Tok::Lit(*c)),
                Part::Var { .. } => out.push(Tok::Star),
            }
        }
        out
    }
}

/// `aws:userid, 'anonymous'` → (`aws:userid`, `anonymous`).
fn split_default(inner: &str) -> (&str, Option<String>) {
    if let Some((key, default)) = inner.split_once(',') {
        let d = default.trim();
        if d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'') {
            return (key, Some(d[1..d.len() - 1].to_owned()));
        }
    }
    (inner, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::matches;

    fn ctx() -> Context {
        Context::builder().value("AWS:UserName", "david").build()
    }

    #[test]
    fn substitutes_case_insensitive_keys() {
        let t = Template::parse("arn:aws:s3:::b/${aws:username}/*", true);
        let p = t.pattern(&ctx()).unwrap();
        assert!(matches(&p, "arn:aws:s3:::b/david/x", false));
        assert!(!matches(&p, "arn:aws:s3:::b/eve/x", false));
    }

    #[test]
    fn old_versions_keep_variables_literal() {
        let t = Template::parse("b/${aws:username}", false);
        assert_eq!(t.variables().count(), 0);
        assert_eq!(t.text(&ctx()).unwrap(), "b/${aws:username}");
    }

    #[test]
    fn unresolved_and_default() {
        let t = Template::parse("${aws:userid}", true);
        assert_eq!(t.text(&ctx()), Err(Unresolved("aws:userid".into())));
        let t = Template::parse("${aws:userid, 'anonymous'}", true);
        assert_eq!(t.text(&ctx()).unwrap(), "anonymous");
    }

    #[test]
    fn special_characters_are_literal() {
        let t = Template::parse("a${*}b${?}${$}", true);
        let p = t.pattern(&ctx()).unwrap();
        assert!(matches(&p, "a*b?$", false));
        assert!(!matches(&p, "axb?$", false));
        // An unterminated variable stays text.
        assert_eq!(Template::parse("a${b", true).text(&ctx()).unwrap(), "a${b");
    }

    #[test]
    fn values_with_wildcards_stay_literal() {
        let c = Context::builder().value("aws:username", "*").build();
        let p = Template::parse("u/${aws:username}", true)
            .pattern(&c)
            .unwrap();
        assert!(matches(&p, "u/*", false));
        assert!(!matches(&p, "u/alice", false));
    }
}
