//! The scenario in words (`list`, `list --policies`, `validate`): who wants what, what the US can do, what each
//! policy package does and which passage it rests on, the bargaining, the uncertainties and outcomes. Plain
//! text built from the compiled model, so it says what the engine will run, not what the file says.

use crate::model::{LeverKindDef, Model};
use crate::scenario::Loaded;
use std::fmt::Write;

/// `validate`'s report on a sound scenario: one line of counts and dates, then the bargaining and each
/// contested mechanism's views with their weights.
pub fn validate_text(loaded: &Loaded) -> String {
    let m = &loaded.model;
    let rules: usize = m.policies.iter().map(|p| p.rules.len()).sum();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: ok — {} state variables, {} uncertainties, {} levers, {} actors ({} actions), {} events, {} outcomes, {} policies ({} rules); {} turns from {} to {}, decision {}",
        loaded.origin,
        m.vars.len(),
        m.params.len(),
        m.levers.len(),
        m.actors.len(),
        m.actors.iter().map(|a| a.actions.len()).sum::<usize>(),
        m.events.len(),
        m.outcomes.len(),
        m.policies.len(),
        rules,
        m.turns,
        m.calendar.label(0),
        m.calendar.label(m.turns - 1),
        m.calendar.label(m.decision_turn),
    );
    if let Some(b) = &m.bargaining {
        let _ = writeln!(
            s,
            "  bargaining: {} bargainers on {} dimensions, {} rounds, {} outputs",
            b.bargainers.len(),
            b.dimensions.len(),
            b.scheduled.iter().filter(|x| **x).count(),
            b.outputs.len()
        );
    }
    for w in &m.worlds {
        let views: Vec<String> = w
            .views
            .iter()
            .map(|v| format!("{} ({}%)", v.id, crate::numfmt::sig(100.0 * v.prob, 3)))
            .collect();
        let _ = writeln!(s, "  world view `{}`: {}", w.id, views.join(", "));
    }
    s
}

/// The policy packages as text (`list --policies`): each rule with its
/// passage, default amounts flagged, and the not-modelled recommendations.
pub fn render_policies(m: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} ({}): policy packages\n", m.title, m.name);
    let _ = writeln!(
        s,
        "Each rule sets a lever and cites the passage it rests on. \"default amount\" marks a value the article \
         does not give (vary it over the range shown); \"not modelled\" lists what the article recommends that no \
         lever represents. Packages start at the decision date ({}); `compare --start article` starts each at its \
         own start instead.",
        m.calendar.label(m.decision_turn)
    );
    write_policies(&mut s, m);
    s
}

fn write_policies(s: &mut String, m: &Model) {
    for p in &m.policies {
        let _ = writeln!(s, "\n  {} — {}\n    source: {}", p.id, p.label, m.policy_citation(p));
        if p.article_start != m.decision_turn {
            let _ = writeln!(
                s,
                "    start: {} with --start article (its article's date); {} by default",
                p.article_start_label,
                m.calendar.label(m.decision_turn)
            );
        }
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
            if let Some((lo, hi, note)) = &r.default_amount {
                let _ = writeln!(
                    s,
                    "        default amount (the article gives none): range {} to {}; {note}",
                    l.show(*lo),
                    l.show(*hi)
                );
            }
        }
        if !p.not_modelled.is_empty() {
            let _ = writeln!(
                s,
                "    not modelled (recommended by the article, no lever represents it):"
            );
            for (what, passage) in &p.not_modelled {
                let _ = writeln!(s, "    - {what}\n        rests on: {passage}");
            }
        }
    }
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
            let _ = writeln!(
                s,
                "    {:>7}  {:<28} {:<36} source: {}",
                crate::numfmt::signed(i.weight, 4),
                i.on,
                i.scale_text(&m.vars),
                i.source
            );
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
            "  {:<26} {} (default {})  — {}\n    source: {}",
            l.id,
            kind,
            l.show(l.default),
            l.label,
            l.source
        );
    }
    let _ = writeln!(s, "\nPOLICIES");
    write_policies(&mut s, m);
    if let Some(b) = &m.bargaining {
        render_bargaining(&mut s, m, b);
    }
    let _ = writeln!(s, "\nUNCERTAINTIES");
    for u in &m.params {
        let _ = writeln!(s, "  {:<26} {:?} — {}\n    source: {}", u.id, u.dist, u.label, u.source);
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
        if !o.description.trim().is_empty() {
            let _ = writeln!(s, "    measures: {}", o.description.trim());
        }
    }
    if !m.sources.is_empty() {
        let _ = writeln!(
            s,
            "\nSOURCES (cited above as [key]; docs/sources.md says where each is used)"
        );
        for w in &m.sources {
            let _ = writeln!(s, "  [{}] {}", w.key, w.citation());
        }
    }
    s
}

fn render_bargaining(s: &mut String, m: &Model, b: &crate::model::bargaining::BargainingDef) {
    use crate::model::bargaining::SettledDef;
    let _ = writeln!(s, "\nBARGAINING — {}\n    source: {}", b.label, b.source);
    let dates: Vec<String> = (0..m.turns)
        .filter(|&t| b.scheduled[t as usize])
        .map(|t| m.calendar.label(t))
        .collect();
    let _ = writeln!(
        s,
        "  rounds at {} (stochastic; at most {} steps each)",
        dates.join(", "),
        b.options.max_steps
    );
    for d in &b.dimensions {
        let _ = writeln!(
            s,
            "  dimension {} — {}\n    0 = {}; 100 = {}\n    source: {}",
            d.id, d.label, d.low, d.high, d.source
        );
    }
    for br in &b.bargainers {
        let _ = writeln!(
            s,
            "  bargainer {}: capability {}\n    source: {}",
            m.actors[br.actor as usize].id, br.capability_text, br.source
        );
        for (d, st) in b.dimensions.iter().zip(&br.stances) {
            let _ = writeln!(
                s,
                "    {:<18} position {}, salience {}\n      source: {}",
                d.id, st.position_text, st.salience_text, st.source
            );
        }
    }
    for o in &b.outputs {
        let what = match o.value {
            SettledDef::Position(k, i) => format!(
                "settled position of {} on {}",
                m.actors[b.bargainers[i as usize].actor as usize].id, b.dimensions[k as usize].id
            ),
            SettledDef::Mean(k) => format!("weighted mean settled position on {}", b.dimensions[k as usize].id),
        };
        let _ = writeln!(s, "  writes {:<26} <- {}", m.vars[o.var as usize].id, what);
    }
}
