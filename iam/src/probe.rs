//! Probes for the linter: which statements of a policy could apply to some request whose action
//! and resource match given patterns, and what conditions they hang on. A probe never guesses a
//! condition's outcome: it lists the conditions and leaves the judgement to the caller.

use crate::condition::Condition;
use crate::pattern::{self, Tok};
use crate::policy::{Effect, Polarity, Policy, Statement};

/// A statement that could apply to a probed action and resource ([`Policy::grants`],
/// [`Policy::denials`]).
#[derive(Debug, Clone)]
pub struct Grant<'p> {
    statement: &'p Statement,
    resource: Vec<Tok>,
}

impl<'p> Grant<'p> {
    /// The statement.
    pub fn statement(&self) -> &'p Statement {
        self.statement
    }

    /// Whether it applies without conditions.
    pub fn is_unconditional(&self) -> bool {
        self.statement.conditions().is_empty()
    }

    /// Its conditions.
    pub fn conditions(&self) -> &'p [Condition] {
        self.statement.conditions()
    }

    /// Whether one of its conditions tests `key` (compared without case), whatever the
    /// operator: `iam:PassedToService` for `iam:PassRole` grants, `aws:SourceArn` for invoke
    /// grants.
    pub fn constrains(&self, key: &str) -> bool {
        self.statement
            .conditions()
            .iter()
            .any(|c| c.key().eq_ignore_ascii_case(key))
    }

    /// Whether the statement's resource element certainly covers every resource matching the
    /// probed resource pattern (policy variables read as anything). False when unsure.
    pub fn covers_probed_resources(&self) -> bool {
        let Some((polarity, templates)) = self.statement.resource_templates() else {
            return true;
        };
        match polarity {
            Polarity::Listed => templates
                .iter()
                .any(|t| pattern::covers(&t.widest(), &self.resource, false)),
            // Everything but the listed resources: covers the probe only if no exclusion can
            // overlap it.
            Polarity::Not => !templates
                .iter()
                .any(|t| pattern::arn_overlap(&t.widest(), &self.resource)),
        }
    }
}

fn could_match_resource(s: &Statement, probe: &[Tok]) -> bool {
    let Some((polarity, templates)) = s.resource_templates() else {
        return true;
    };
    match polarity {
        Polarity::Listed => templates
            .iter()
            .any(|t| pattern::arn_overlap(&t.widest(), probe)),
        Polarity::Not => !templates
            .iter()
            .any(|t| pattern::covers(&t.widest(), probe, false)),
    }
}

impl Policy {
    /// The `Allow` statements that could apply to some request whose action matches `action`
    /// and whose resource matches `resource` (both may hold `*` and `?`; `"*"` probes every
    /// resource). Conditions are not evaluated: each result says what it depends on.
    ///
    /// "Could this allow `iam:PassRole` on any role without naming the service?" is
    /// `policy.grants("iam:PassRole", "arn:*:iam::*:role/*")` filtered on
    /// `!g.constrains("iam:PassedToService")`.
    pub fn grants(&self, action: &str, resource: &str) -> Vec<Grant<'_>> {
        self.probe(Effect::Allow, action, resource)
    }

    /// The `Deny` statements that could apply, as [`Policy::grants`] finds `Allow` ones.
    pub fn denials(&self, action: &str, resource: &str) -> Vec<Grant<'_>> {
        self.probe(Effect::Deny, action, resource)
    }

    fn probe(&self, effect: Effect, action: &str, resource: &str) -> Vec<Grant<'_>> {
        let probe = pattern::compile(resource);
        self.statements()
            .iter()
            .filter(|s| {
                s.effect() == effect
                    && s.could_match_action(action)
                    && could_match_resource(s, &probe)
            })
            .map(|s| Grant {
                statement: s,
                resource: probe.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::Policy;

    fn policy(text: &str) -> Policy {
        text.parse().unwrap()
    }

    #[test]
    fn pass_role_without_passed_to_service() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"Scoped","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::1:role/app-*",
                 "Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},
                {"Sid":"Broad","Effect":"Allow","Action":"iam:*","Resource":"*"},
                {"Sid":"Other","Effect":"Allow","Action":"s3:*","Resource":"*"},
                {"Sid":"Users","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::1:user/*"}]}"#,
        );
        let grants = p.grants("iam:PassRole", "arn:*:iam::*:role/*");
        let sids: Vec<_> = grants
            .iter()
            .map(|g| g.statement().sid().unwrap())
            .collect();
        assert_eq!(sids, ["Scoped", "Broad"]);
        let unguarded: Vec<_> = grants
            .iter()
            .filter(|g| !g.constrains("IAM:PassedToService"))
            .map(|g| g.statement().sid().unwrap())
            .collect();
        assert_eq!(unguarded, ["Broad"]);
        assert!(grants[1].covers_probed_resources());
        assert!(!grants[0].covers_probed_resources());
        assert!(grants[1].is_unconditional());
    }

    #[test]
    fn not_action_and_not_resource_probes() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"AllButIam","Effect":"Allow","NotAction":"iam:*","Resource":"*"},
                {"Sid":"AllButLogs","Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::logs/*"},
                {"Sid":"DenyRoles","Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::*:role/admin"}]}"#,
        );
        assert!(p.grants("iam:PassRole", "*").is_empty());
        let s3 = p.grants("s3:GetObject", "arn:aws:s3:::logs/x");
        assert_eq!(s3.len(), 1);
        assert_eq!(s3[0].statement().sid(), Some("AllButIam"));
        let any = p.grants("s3:GetObject", "arn:aws:s3:::*");
        assert_eq!(any.len(), 2);
        assert!(!any[1].covers_probed_resources());
        assert_eq!(p.denials("iam:PassRole", "*").len(), 1);
        assert!(p
            .denials("iam:PassRole", "arn:aws:iam::1:role/app")
            .is_empty());
        assert_eq!(p.statements_allowing("lambda:InvokeFunction").len(), 1);
        assert_eq!(p.statements_allowing("iam:*").len(), 0);
    }
}
