//! The coefficient register for people (`list --coefficients`): as CSV (`id,value,low,high,kind,source`, numbers
//! in shortest round-trip form, for spreadsheets) and as text grouped by the item each number belongs to.

use super::csv::field;
use crate::scenario::register::{Kind, Register};
use std::fmt::Write;

/// The register as CSV: `id,value,low,high,kind,source`, numbers in shortest round-trip form.
pub fn register_csv(reg: &Register) -> String {
    let mut s = String::from("id,value,low,high,kind,source\n");
    for r in &reg.rows {
        let _ = writeln!(
            s,
            "{},{:?},{:?},{:?},{},{}",
            field(&r.id),
            r.value,
            r.low,
            r.high,
            r.kind.name(),
            field(&r.source)
        );
    }
    s
}

/// The register for reading: grouped by the item each number belongs to.
pub fn register_text(reg: &Register) -> String {
    let mut s = String::new();
    let varied = reg.varied(None).len();
    let groups = reg.groups(None).len();
    let _ = writeln!(
        s,
        "COEFFICIENT REGISTER: {} numbers, {varied} varied by `--factors coefficients` in {groups} groups \
         (`--factors groups`); structural numbers are listed but never varied. Ranges marked * are explicit \
         (`ranges:` in the scenario), the others the default for their kind (docs/register.md).",
        reg.rows.len()
    );
    let mut last_group = "";
    let mut last_source = "";
    for r in &reg.rows {
        if r.group != last_group {
            let _ = writeln!(s, "\n  {}", r.group);
            last_group = &r.group;
            last_source = "";
        }
        let rel = r.id.strip_prefix(&format!("{}.", r.group)).unwrap_or(&r.id);
        let rel = if rel == r.id && r.id == r.group { "(value)" } else { rel };
        let range = if r.kind == Kind::Structural {
            "fixed".to_string()
        } else {
            format!(
                "{} .. {}{}",
                crate::numfmt::sig(r.low, 4),
                crate::numfmt::sig(r.high, 4),
                if r.explicit { " *" } else { "" }
            )
        };
        let _ = writeln!(
            s,
            "    {:<40} {:>10}  {:<24} {}",
            rel,
            crate::numfmt::sig(r.value, 4),
            range,
            r.kind.name()
        );
        if r.source != last_source {
            let _ = writeln!(s, "        source: {}", r.source);
            last_source = &r.source;
        }
    }
    s
}
