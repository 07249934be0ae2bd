//! `greatgame list`: the scenario in words — who wants what, what the US can
//! do, what each policy package does and which passage it rests on.

use super::ScenarioArg;
use crate::model::{LeverKindDef, Model};
use crate::scenario;
use std::fmt::Write;

pub fn execute(args: &ScenarioArg) -> anyhow::Result<()> {
    let loaded = scenario::load(args.scenario.as_deref())?;
    print!("{}", render(&loaded.model));
    Ok(())
}

/// The listing as text.
pub fn render(m: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})\n{}\n", m.title, m.name, m.description);
    let _ = writeln!(s, "Caveat: {}\n", m.caveat);
    let _ = writeln!(s, "ACTORS AND INTERESTS");
    for a in &m.actors {
        let _ = writeln!(s, "  {} ({})", a.id, a.name);
        for i in &a.interests {
            let _ = writeln!(s, "    {:+.2}  {:<28} [{}]", i.weight, i.on, i.source);
        }
        let acts: Vec<&str> = a.actions.iter().map(|x| x.id.as_str()).collect();
        let _ = writeln!(s, "    actions: {}", acts.join(", "));
    }
    let _ = writeln!(s, "\nLEVERS");
    for l in &m.levers {
        let kind = match &l.kind {
            LeverKindDef::Bool => "true/false".to_string(),
            LeverKindDef::Level(lo, hi) => format!("level {lo}..{hi}"),
            LeverKindDef::Enum(o) => o.join(" | "),
        };
        let _ = writeln!(
            s,
            "  {:<26} {} (default {})  — {}\n    [{}]",
            l.id,
            kind,
            l.show(l.default),
            l.label,
            l.source
        );
    }
    let _ = writeln!(s, "\nPOLICIES");
    for p in &m.policies {
        let _ = writeln!(
            s,
            "  {} — {}\n    author: {}; source: {}; date: {}",
            p.id, p.label, p.author, p.source_file, p.date
        );
        if let Some(i) = p.inherits {
            let _ = writeln!(s, "    levers it does not set follow: {}", m.policies[i].id);
        }
        let _ = writeln!(s, "    {}", p.summary);
        for r in &p.rules {
            let l = &m.levers[r.lever as usize];
            let mut when = String::new();
            if let Some(f) = &r.from_label {
                let _ = write!(when, " from {f}");
            }
            if let Some(u) = &r.until_label {
                let _ = write!(when, " until {u}");
            }
            if let Some(c) = &r.when_text {
                let _ = write!(when, " when {c}{}", if r.sticky { " (and ever after)" } else { "" });
            }
            let _ = writeln!(
                s,
                "    - {} = {}{}\n        rests on: {}",
                l.id,
                l.show(r.value),
                when,
                r.passage
            );
        }
    }
    let _ = writeln!(s, "\nUNCERTAINTIES");
    for u in &m.params {
        let _ = writeln!(s, "  {:<26} {:?} — {}\n    [{}]", u.id, u.dist, u.label, u.source);
    }
    let _ = writeln!(s, "\nOUTCOMES");
    for o in &m.outcomes {
        let _ = writeln!(
            s,
            "  {:<26} {:?} ({}) — {}, {} to {}",
            o.id,
            o.kind,
            o.unit,
            o.label,
            m.calendar.label(o.from_turn),
            m.calendar.label(o.to_turn)
        );
    }
    s
}
