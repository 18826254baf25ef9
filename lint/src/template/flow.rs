//! Flow collections (`[...]`, `{...}`) whose continuation lines sit left of their key, as in
//!
//! ```yaml
//!       Command: [
//!         "echo"
//!       ]
//! ```
//!
//! YAML requires flow content to be indented more than its key, and saphyr follows the spec;
//! PyYAML (cfn-lint, the SAM CLI) and CloudFormation accept it. For `warden lint` only, a
//! template saphyr refuses is retried with such lines indented one column past the key. Inside
//! a flow collection leading spaces are not content (line breaks fold, quoted scalars included),
//! so the values are unchanged, and so is every line number. Measured on 2,837 templates that
//! cfn-lint parses (the six corpus repositories in full): saphyr alone refused 6, all of this
//! kind; with the retry, none.

/// The text with every flow-collection line that sits at or left of its key's column indented
/// to one past it; `None` when no line needed it.
pub(crate) fn reindent(source: &str) -> Option<String> {
    let mut out = String::with_capacity(source.len() + 64);
    let mut changed = false;
    let mut scan = Scanner::default();
    for line in source.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(parent) = scan.block_scalar {
            if blank || indent > parent {
                out.push_str(line);
                continue;
            }
            scan.block_scalar = None;
        }
        if scan.depth > 0 && !blank && indent < scan.min_column {
            out.extend(std::iter::repeat_n(' ', scan.min_column - indent));
            changed = true;
        }
        out.push_str(line);
        scan.line(line, indent);
    }
    changed.then_some(out)
}

#[derive(Default)]
struct Scanner {
    /// Open flow collections.
    depth: usize,
    /// The column continuation lines of the open flow collection must reach.
    min_column: usize,
    /// Inside a quoted scalar (`'` or `"`) that may continue on the next line.
    quote: Option<char>,
    /// Inside a block scalar's content: the indentation of the line that opened it.
    block_scalar: Option<usize>,
}

impl Scanner {
    fn line(&mut self, line: &str, indent: usize) {
        let chars: Vec<char> = line.trim_end_matches(['\n', '\r']).chars().collect();
        // The key's column: past the indentation and any `- ` sequence entries.
        let mut key_column = indent;
        while chars.get(key_column) == Some(&'-')
            && chars.get(key_column + 1).is_none_or(|c| *c == ' ')
        {
            key_column += 2;
            while chars.get(key_column) == Some(&' ') {
                key_column += 1;
            }
        }
        let mut value_start = self.depth == 0 && self.quote.is_none();
        let mut i = if value_start { key_column } else { 0 };
        while i < chars.len() {
            let c = chars[i];
            if let Some(q) = self.quote {
                if c == '\\' && q == '"' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == '\'' && chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    self.quote = None;
                }
                i += 1;
                continue;
            }
            let after_space = i == 0 || chars[i - 1] == ' ' || chars[i - 1] == '\t';
            if c == '#' && after_space {
                return;
            }
            if self.depth > 0 {
                match c {
                    '[' | '{' => self.depth += 1,
                    ']' | '}' => self.depth -= 1,
                    '"' | '\'' => self.quote = Some(c),
                    _ => {}
                }
                i += 1;
                continue;
            }
            if value_start {
                match c {
                    ' ' => {}
                    '[' | '{' => {
                        self.depth = 1;
                        self.min_column = key_column + 1;
                        value_start = false;
                    }
                    '"' | '\'' => {
                        self.quote = Some(c);
                        value_start = false;
                    }
                    '|' | '>' => {
                        self.block_scalar = Some(indent);
                        return;
                    }
                    // A tag or an anchor before the value.
                    '!' | '&' => {
                        while i + 1 < chars.len() && chars[i + 1] != ' ' {
                            i += 1;
                        }
                    }
                    _ => value_start = false,
                }
            } else if c == ':' && chars.get(i + 1).is_none_or(|n| *n == ' ') {
                value_start = true;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_lines_left_of_their_key_move_right_and_nothing_else_changes() {
        let source =
            "A:\n  Command: [\n    \"x\",\n  \"y\"\n  ]\n  Doc: {\"a\": [1,\n2]\n}\nB: 1\n";
        let fixed = reindent(source).unwrap_or_default();
        assert_eq!(
            fixed,
            "A:\n  Command: [\n    \"x\",\n   \"y\"\n   ]\n  Doc: {\"a\": [1,\n   2]\n   }\nB: 1\n"
        );
        assert_eq!(fixed.lines().count(), source.lines().count());
        // Sequence entries, tags, and a `[` in a block scalar or a quoted string or a comment.
        let source =
            "- Key: !Sub [\n  \"a\", {}]\n- Code: |\n    x = {\n  y: 1\n- T: \"[\" # {\nC: 1\n";
        assert_eq!(
            reindent(source).unwrap_or_default(),
            "- Key: !Sub [\n   \"a\", {}]\n- Code: |\n    x = {\n  y: 1\n- T: \"[\" # {\nC: 1\n"
        );
        assert_eq!(reindent("A: [1,\n  2]\nB: {}\n"), None);
    }
}
