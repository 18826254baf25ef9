//! IAM wildcard matching: `*` (any run of characters, empty included) and `?` (exactly one
//! character); actions compared without case, everything else with case; ARNs matched segment by
//! segment as IAM does; policy variables substituted as literal text; and the overlap of two
//! patterns (is there a string both match?) for the lint probes.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A character that matches itself.
    Lit(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Compiles pattern text with no variables: `*` and `?` are wildcards, everything else literal.
pub(crate) fn compile(text: &str) -> Vec<Tok> {
    text.chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Compiles literal text (a substituted variable's value): wildcards in it are literal.
pub(crate) fn literal(text: &str) -> Vec<Tok> {
    text.chars().map(Tok::Lit).collect()
}

fn lit_eq(a: char, b: char, fold: bool) -> bool {
    a == b || (fold && a.to_lowercase().eq(b.to_lowercase()))
}

/// Whether `pattern` matches all of `text` (iterative, linear in practice: backtracks only to
/// the last `*`).
pub(crate) fn matches(pattern: &[Tok], text: &str, fold: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if text.get(t).is_some_and(|x| lit_eq(*c, *x, fold)) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..]
        .iter()
        .all(|tok| *tok == Tok::Star)
}

/// Whether `action` has the form IAM accepts in a policy: `*`, or `service:name` with both
/// parts non-empty (either may hold wildcards).
pub fn is_well_formed_action(action: &str) -> bool {
    action == "*"
        || action
            .split_once(':')
            .is_some_and(|(s, a)| !s.is_empty() && !a.is_empty())
}

/// Whether an action pattern (`s3:Get*`, `*`) matches an action; IAM compares actions without
/// regard to case.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    matches(&compile(pattern), action, true)
}

/// Whether a resource pattern matches a resource, segment by segment when both are ARNs
/// (`arn:partition:service:region:account:resource`; a wildcard in the first five segments
/// stays within its segment, one in the resource part may span `/` and `:`; an `arn:` pattern
/// with fewer than six segments matches no ARN). Case-sensitive.
/// Patterns are taken literally apart from `*` and `?`: policy variables are substituted by
/// the evaluator, not here.
pub fn resource_matches(pattern: &str, resource: &str) -> bool {
    arn_matches(&compile(pattern), resource)
}

/// Splits tokens at the first five literal colons.
fn arn_segments(pattern: &[Tok]) -> Option<Vec<&[Tok]>> {
    let mut out = Vec::with_capacity(6);
    let mut start = 0;
    for (i, tok) in pattern.iter().enumerate() {
        if out.len() == 5 {
            break;
        }
        if *tok == Tok::Lit(':') {
            out.push(&pattern[start..i]);
            start = i + 1;
        }
    }
    if out.len() < 5 {
        return None;
    }
    out.push(&pattern[start..]);
    Some(out)
}

fn starts_arn(pattern: &[Tok]) -> bool {
    pattern.starts_with(&[Tok::Lit('a'), Tok::Lit('r'), Tok::Lit('n'), Tok::Lit(':')])
}

fn is_arn_prefix(segment: &[Tok]) -> bool {
    segment == [Tok::Lit('a'), Tok::Lit('r'), Tok::Lit('n')]
}

/// [`resource_matches`] on a compiled pattern.
pub(crate) fn arn_matches(pattern: &[Tok], resource: &str) -> bool {
    if pattern == [Tok::Star] {
        return true;
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && starts_arn(pattern) {
        // An ARN pattern with fewer than six segments matches no ARN.
        return arn_segments(pattern).is_some_and(|segments| {
            segments
                .iter()
                .zip(&parts)
                .all(|(seg, part)| matches(seg, part, false))
        });
    }
    matches(pattern, resource, false)
}

/// Whether some string is matched by both patterns (product of the two automata, breadth
/// first; `fold` compares letters without case).
pub(crate) fn overlap(a: &[Tok], b: &[Tok], fold: bool) -> bool {
    let (n, m) = (a.len(), b.len());
    let mut seen = vec![false; (n + 1) * (m + 1)];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let idx = i * (m + 1) + j;
        if seen[idx] {
            continue;
        }
        seen[idx] = true;
        if i == n && j == m {
            return true;
        }
        // A star may match nothing.
        if a.get(i) == Some(&Tok::Star) {
            stack.push((i + 1, j));
        }
        if b.get(j) == Some(&Tok::Star) {
            stack.push((i, j + 1));
        }
        // Both consume one common character.
        if let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
            let common = match (x, y) {
                (Tok::Lit(c), Tok::Lit(d)) => lit_eq(*c, *d, fold),
                _ => true,
            };
            if common {
                let ni = if *x == Tok::Star { i } else { i + 1 };
                let nj = if *y == Tok::Star { j } else { j + 1 };
                stack.push((ni, nj));
            }
        }
    }
    false
}

/// Whether `outer` matches every string `inner` matches (decided exactly only when `outer`
/// is all stars or `inner` has no wildcard; otherwise answers false, the cautious answer for
/// "could something escape this exclusion?").
pub(crate) fn covers(outer: &[Tok], inner: &[Tok], fold: bool) -> bool {
    if !outer.is_empty() && outer.iter().all(|t| *t == Tok::Star) {
        return true;
    }
    if inner.iter().all(|t| matches!(t, Tok::Lit(_))) {
        let text: String = inner
            .iter()
            .filter_map(|t| match t {
                Tok::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        return matches(outer, &text, fold);
    }
    outer == inner
}

/// Whether two resource patterns can match a common resource, segment-wise for ARNs.
pub(crate) fn arn_overlap(a: &[Tok], b: &[Tok]) -> bool {
    if a == [Tok::Star] || b == [Tok::Star] {
        return true;
    }
    match (arn_segments(a), arn_segments(b)) {
        (Some(x), Some(y)) if is_arn_prefix(x[0]) && is_arn_prefix(y[0]) => {
            x.iter().zip(&y).all(|(p, q)| overlap(p, q, false))
        }
        _ => overlap(a, b, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(action_matches("s3:*", "s3:GetObject"));
        assert!(action_matches("S3:get*", "s3:GetObject"));
        assert!(action_matches("iam:*AccessKey*", "iam:CreateAccessKey"));
        assert!(!action_matches("iam:*AccessKey*", "iam:CreateUser"));
        assert!(action_matches("iam:Get?ser", "iam:GetUser"));
        assert!(!action_matches("iam:Get?ser", "iam:GetUUser"));
        assert!(action_matches("*", "anything:AtAll"));
        assert!(!action_matches("s3:Get", "s3:GetObject"));
        assert!(matches(&compile("a*b*c"), "aXbYbZc", false));
        assert!(!matches(&compile("a*b*c"), "aXbYbZ", false));
    }

    #[test]
    fn resources_are_case_sensitive_and_segmented() {
        assert!(resource_matches(
            "arn:aws:s3:::mybucket/*",
            "arn:aws:s3:::mybucket/a/b"
        ));
        assert!(!resource_matches(
            "arn:aws:s3:::MyBucket/*",
            "arn:aws:s3:::mybucket/a"
        ));
        assert!(resource_matches(
            "arn:aws:s3:::*log*",
            "arn:aws:s3:::carlossalazar-logs"
        ));
        // A wildcard in the region segment does not swallow the account.
        assert!(!resource_matches(
            "arn:aws:ec2:*:instance/i-1",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
        ));
        assert!(resource_matches(
            "arn:aws:ec2:*:*:instance/i-1",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
        ));
        // The resource part may contain colons.
        assert!(resource_matches(
            "arn:aws:logs:*:*:log-group:/aws/lambda/*",
            "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:*"
        ));
    }

    #[test]
    fn literal_wildcards_from_variables_stay_literal() {
        let mut p = compile("arn:aws:s3:::b/");
        p.extend(literal("*"));
        assert!(matches(&p, "arn:aws:s3:::b/*", false));
        assert!(!matches(&p, "arn:aws:s3:::b/x", false));
    }

    #[test]
    fn overlaps() {
        assert!(overlap(&compile("iam:*"), &compile("iam:PassRole"), true));
        assert!(overlap(&compile("iam:Pass*"), &compile("*Role"), true));
        assert!(!overlap(&compile("s3:*"), &compile("iam:*"), true));
        assert!(overlap(&compile("a?c"), &compile("*c"), false));
        assert!(!overlap(&compile("a?c"), &compile("ab"), false));
        assert!(arn_overlap(
            &compile("arn:aws:iam::*:role/*"),
            &compile("arn:aws:iam::123456789012:role/x")
        ));
        assert!(!arn_overlap(
            &compile("arn:aws:iam::*:role/*"),
            &compile("arn:aws:iam::123456789012:user/x")
        ));
        assert!(covers(&compile("*"), &compile("a*"), false));
        assert!(covers(&compile("iam:*"), &compile("iam:PassRole"), true));
        assert!(!covers(&compile("iam:Get*"), &compile("iam:*"), true));
    }
}
