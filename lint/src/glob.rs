//! IAM resource patterns against names not all known before deployment: `*` (any run of
//! characters), `?` (one character) and `${Name}` (a pseudo parameter or a resource's name:
//! one value, unknown until deployment). [`covers`]: the pattern matches whatever the names
//! turn out to be; [`overlap`]: it may match, for some values of the names.

/// One element of a pattern or subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Atom {
    /// `*`.
    Star,
    /// `?`.
    One,
    /// A character that matches itself.
    Char(char),
    /// `${Name}`: one unknown value, equal only to itself.
    Name(String),
}

/// Longer texts are not compared (the tables are quadratic): [`covers`] says no and
/// [`overlap`] yes, the cautious answers.
const MAX_ATOMS: usize = 2048;

/// Text as atoms: `*`, `?`, `${Name}` and characters.
pub(crate) fn atoms(text: &str) -> Vec<Atom> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(inner) = rest.strip_prefix("${") {
            if let Some(end) = inner.find('}') {
                out.push(Atom::Name(inner[..end].to_owned()));
                rest = &inner[end + 1..];
                continue;
            }
        }
        out.push(match c {
            '*' => Atom::Star,
            '?' => Atom::One,
            c => Atom::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether `pattern` matches every text `subject` can stand for: a `*` in the subject is
/// covered only by a `*`, a name only by the same name or a `*`, a character by itself, `?`
/// or `*`.
pub(crate) fn covers(pattern: &[Atom], subject: &[Atom]) -> bool {
    if pattern.len() > MAX_ATOMS || subject.len() > MAX_ATOMS {
        return false;
    }
    let m = subject.len();
    // row[j]: pattern[..i] covers subject[..j].
    let mut row = vec![false; m + 1];
    row[0] = true;
    for p in pattern {
        let mut next = vec![false; m + 1];
        for j in 0..=m {
            next[j] = match p {
                Atom::Star => row[j] || (j > 0 && next[j - 1]),
                _ if j == 0 => false,
                Atom::One => row[j - 1] && matches!(subject[j - 1], Atom::Char(_)),
                literal => row[j - 1] && *literal == subject[j - 1],
            };
        }
        row = next;
    }
    row[m]
}

/// Whether some text matches both patterns, a name in either being any text.
pub(crate) fn overlap(a: &[Atom], b: &[Atom]) -> bool {
    if a.len() > MAX_ATOMS || b.len() > MAX_ATOMS {
        return true;
    }
    let star = |x: &Atom| matches!(x, Atom::Star | Atom::Name(_));
    let (n, m) = (a.len(), b.len());
    // reach[i][j]: a[..i] and b[..j] can produce one common text.
    let mut reach = vec![vec![false; m + 1]; n + 1];
    reach[0][0] = true;
    for i in 0..=n {
        for j in 0..=m {
            if !reach[i][j] {
                continue;
            }
            if i < n && star(&a[i]) {
                reach[i + 1][j] = true; // a's star matches nothing more
                if j < m {
                    reach[i][j + 1] = true; // it takes b's next element (or b's star ends)
                }
            }
            if j < m && star(&b[j]) {
                reach[i][j + 1] = true;
                if i < n {
                    reach[i + 1][j] = true;
                }
            }
            if i < n && j < m && !star(&a[i]) && !star(&b[j]) {
                let same = match (&a[i], &b[j]) {
                    (Atom::Char(x), Atom::Char(y)) => x == y,
                    _ => true, // `?` against a character or `?`
                };
                if same {
                    reach[i + 1][j + 1] = true;
                }
            }
        }
    }
    reach[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(p: &str, s: &str) -> bool {
        covers(&atoms(p), &atoms(s))
    }

    fn o(a: &str, b: &str) -> bool {
        overlap(&atoms(a), &atoms(b))
    }

    #[test]
    fn covering_needs_wildcards_or_the_same_names() {
        assert!(c("function:*", "function:${P}"));
        assert!(c("function:my-prov*", "function:my-provider"));
        assert!(c(
            "function:${AWS::StackName}-*",
            "function:${AWS::StackName}-p"
        ));
        assert!(c("a?c", "abc"));
        assert!(!c("a?c", "a${X}c"));
        assert!(!c("function:my-prov*", "function:${P}"));
        assert!(!c("function:other", "function:my-provider"));
        assert!(!c("x*", "*"));
        assert!(c("*", "*"));
    }

    #[test]
    fn overlapping_treats_names_as_any_text() {
        assert!(o("function:my-prov*", "function:${P}"));
        assert!(o("function:*-a", "function:b-*"));
        assert!(o("a?c", "*c"));
        assert!(!o("a?c", "ab"));
        assert!(!o("function:other", "function:my-provider"));
        assert!(!o("s3:::*", "lambda:*x"));
        assert!(o("", "*"));
    }
}
