//! Editing a template's text in place: where a property token goes in a resource's
//! Properties (block or flow style, keeping comments and layout) and putting it there. Used
//! by signing (`WardenSignature`) and sealing (`WardenTicket`). Imports nothing of the CLI.

use anyhow::{bail, Result};

use warden_lint::template::{byte_offset, line_start, scalar_text};

/// Where a resource's token goes: `range` is replaced with `prefix + token + suffix`.
pub(crate) struct Placement {
    range: std::ops::Range<usize>,
    prefix: String,
    suffix: String,
}

/// Where `key`'s token goes in a resource's Properties: replacing its line (block style) or its
/// quoted value (flow style) when it exists (`replace` is `Err(why not)` when that is refused),
/// else inserted before the first property.
pub(crate) fn placement(
    source: &str,
    id: &str,
    properties_key: &saphyr::MarkedYaml<'_>,
    properties: &saphyr::MarkedYaml<'_>,
    key: &str,
    replace: Result<(), &str>,
) -> Result<Placement> {
    let eol = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let saphyr::YamlData::Mapping(map) = &properties.data else {
        bail!(
            "line {}: the Properties of {id} are not a mapping",
            properties_key.span.start.line()
        );
    };
    let existing = map
        .iter()
        .find(|(k, _)| scalar_text(k).as_deref() == Some(key));
    let first = map.iter().next().map(|(k, _)| k);
    let value_start = byte_offset(source, properties.span.start.index());
    let flow = source[value_start..].starts_with('{');
    Ok(match (existing, first, flow) {
        (Some((k, _)), _, false) if replace.is_ok() => {
            let line = k.span.start.line();
            let prefix = format!("{}{key}: \"", " ".repeat(k.span.start.col()));
            Placement {
                range: line_start(source, line)..line_start(source, line + 1),
                prefix,
                suffix: format!("\"{eol}"),
            }
        }
        // Flow style (JSON templates, `{...}` in YAML): the old value's own span.
        (Some((_, v)), _, true) if replace.is_ok() => {
            let start = byte_offset(source, v.span.start.index());
            // The scalar's span runs on over blanks and a comment: end at its closing quote.
            let Some(end) = closing_quote(source, start) else {
                bail!("{id}: {key} in flow-style Properties is not a quoted string; replace it by hand");
            };
            Placement {
                range: start..end,
                prefix: "\"".to_owned(),
                suffix: "\"".to_owned(),
            }
        }
        (Some((k, _)), _, _) => {
            bail!(
                "line {}: {id} {}",
                k.span.start.line(),
                replace.err().unwrap_or_default()
            )
        }
        (None, Some(k), false) if k.span.start.line() > properties_key.span.start.line() => {
            let at = line_start(source, k.span.start.line());
            let prefix = format!("{}{key}: \"", " ".repeat(k.span.start.col()));
            Placement {
                range: at..at,
                prefix,
                suffix: format!("\"{eol}"),
            }
        }
        (None, Some(k), true) => {
            let at = byte_offset(source, k.span.start.index());
            Placement {
                range: at..at,
                prefix: format!("\"{key}\": \""),
                suffix: "\", ".to_owned(),
            }
        }
        _ => bail!(
            "line {}: cannot place {key} in the Properties of {id}",
            properties_key.span.start.line()
        ),
    })
}

/// The byte just past the quoted scalar starting at `start` (`"…"` with `\` escapes, or
/// `'…'` with `''` escapes), if one starts there.
fn closing_quote(source: &str, start: usize) -> Option<usize> {
    let rest = source.get(start..)?;
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            '\'' if quote == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') => {
                chars.next();
            }
            c if c == quote => return Some(start + i + 1),
            _ => {}
        }
    }
    None
}

/// Replaces each placement's range with `prefix + token + suffix` (later ranges first).
pub(crate) fn place_tokens(source: &str, placed: &[(&Placement, &String)]) -> String {
    let mut edits = placed.to_vec();
    edits.sort_by_key(|(p, _)| std::cmp::Reverse(p.range.start));
    let mut output = source.to_owned();
    for (p, token) in &edits {
        let text = format!("{}{token}{}", p.prefix, p.suffix);
        output.replace_range(p.range.clone(), &text);
    }
    output
}
