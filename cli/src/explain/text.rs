//! `warden explain`'s text output.

use std::fmt::Write as _;

use super::model::{Explanation, ProviderExplained};

/// The explanation as text.
pub(crate) fn text(e: &Explanation) -> String {
    let mut out = String::new();
    let a = &e.assumptions;
    let _ = writeln!(
        out,
        "{} (partition {}, region {}, account {}, stack {})",
        e.template,
        a.get("partition").map_or("", String::as_str),
        a.get("region").map_or("", String::as_str),
        a.get("account").map_or("", String::as_str),
        a.get("stack_name").map_or("", String::as_str),
    );
    for n in &e.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    if e.resources.is_empty() && e.providers.is_empty() {
        let _ = writeln!(out, "  no custom resources and no cfn-warden providers");
    }
    for r in &e.resources {
        let _ = writeln!(out, "\n{} ({})", r.logical_id, r.resource_type);
        if let Some(n) = &r.note {
            let _ = writeln!(out, "  note: {n}");
        }
        if let Some(p) = &r.provider {
            provider_text(&mut out, p);
        }
    }
    for p in &e.providers {
        let _ = writeln!(out, "\nprovider {}", p.function);
        provider_text(&mut out, p);
    }
    out
}

fn provider_text(out: &mut String, p: &ProviderExplained) {
    let _ = writeln!(
        out,
        "  provider: {} in {} ({}), WARDEN_CREDENTIALS={}",
        p.function, p.template, p.arn, p.credentials
    );
    for principal in &p.principals {
        let _ = write!(
            out,
            "  {}: {}",
            principal.kind,
            principal.role.as_deref().unwrap_or("(none)")
        );
        if !principal.policies.is_empty() {
            let _ = write!(out, "; policies {}", principal.policies.join(", "));
        }
        match &principal.boundary {
            Some(b) => {
                let _ = write!(out, "; boundary {b}");
            }
            None => out.push_str("; no boundary"),
        }
        if principal.session_policy.is_some() {
            out.push_str("; ∩ the declared session policy");
        }
        out.push('\n');
        if let Some(s) = &principal.session_policy {
            let _ = writeln!(out, "    declared: {s}");
        }
        for placeholder in &principal.placeholders {
            let _ = writeln!(out, "    placeholder: {placeholder}");
        }
        for note in &principal.notes {
            let _ = writeln!(out, "    note: {note}");
        }
        for c in &principal.checks {
            let _ = write!(
                out,
                "    {:<7} {}{} {}",
                c.decision,
                if c.probe { "probe " } else { "" },
                c.action,
                c.resource
            );
            for (k, v) in &c.context {
                let _ = write!(out, " [{k}={v}]");
            }
            if c.decision == "allowed" {
                out.push('\n');
            } else {
                let _ = writeln!(out, " — {}", c.why);
            }
        }
    }
}
