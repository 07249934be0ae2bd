//! What a package assumes and what it leaves out: the rules whose amounts are
//! defaults (the article gives none) and the article's recommendations the
//! model cannot represent. Every output that shows a package flags both, so a
//! reader never takes a default for the author's number or a missing
//! recommendation for a rejected one.

use crate::model::{Model, PolicyDef};
use std::fmt::Write;

/// Markdown bullets (indented by `indent`) flagging `p`'s default amounts and
/// not-modelled items; empty when it has neither.
pub fn package_flags(m: &Model, p: &PolicyDef, indent: &str) -> String {
    let mut s = String::new();
    for r in &p.rules {
        if let Some((lo, hi, note)) = &r.default_amount {
            let l = &m.levers[r.lever as usize];
            let _ = writeln!(
                s,
                "{indent}- **default amount** `{} = {}`: the article gives no amount; plausible range {} to {} ({note})",
                l.id,
                l.show(r.value),
                l.show(*lo),
                l.show(*hi)
            );
        }
    }
    for (what, passage) in &p.not_modelled {
        let _ = writeln!(s, "{indent}- **not modelled**: {what} — {passage}");
    }
    s
}

/// Per compared package, its flags (markdown section); empty when none has any.
pub fn section(m: &Model, policies: &[usize]) -> String {
    let mut body = String::new();
    for &pi in policies {
        let p = &m.policies[pi];
        let flags = package_flags(m, p, "  ");
        if !flags.is_empty() {
            let _ = writeln!(body, "- **{}** — {}", p.id, p.label);
            body.push_str(&flags);
        }
    }
    if body.is_empty() {
        return body;
    }
    let mut s = String::from("## What the packages assume and leave out\n\n");
    s.push_str(
        "A *default amount* is a value the article does not give (its range should be varied, e.g. with \
         `greatgame sweep`); a *not modelled* item is something the article recommends that no lever represents, \
         so the package's results say nothing about it.\n\n",
    );
    s.push_str(&body);
    s.push('\n');
    s
}
