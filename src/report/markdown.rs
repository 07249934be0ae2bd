//! `summary.md`: the summary as readable tables (also printed to the terminal).

use super::{Exporter, Report};
use crate::numfmt::sig as fmt_sig;
use crate::scenario::schema::OutcomeKind;
use anyhow::Result;
use std::fmt::Write;
use std::path::Path;

pub struct SummaryMarkdown;

fn kind_word(k: OutcomeKind) -> &'static str {
    match k {
        OutcomeKind::Maximize => "higher is better",
        OutcomeKind::Minimize => "lower is better",
        OutcomeKind::Info => "for information",
    }
}

/// The tables as Markdown text.
pub fn render(r: &Report) -> String {
    let m = r.manifest;
    let mut s = String::new();
    let early: Vec<String> = r
        .summaries
        .iter()
        .filter_map(|p| r.model.policy_index(&p.id))
        .map(|pi| &r.model.policies[pi])
        .filter(|p| p.start_turn < r.model.decision_turn)
        .map(|p| format!("`{}` from {}", p.id, r.model.calendar.label(p.start_turn)))
        .collect();
    let until = if early.is_empty() {
        "until the decision date".to_string()
    } else {
        format!(
            "until its start: packages start at their articles' dates (--start article), {}; outcome windows do not move",
            early.join(", ")
        )
    };
    let _ = writeln!(s, "# {} — outcome summary\n", r.model.title);
    let _ = writeln!(s, "> {}\n", r.model.caveat);
    let _ = writeln!(
        s,
        "{} trials per policy, seed {}, decision date {}, horizon {}. Scenario `{}` (sha256 {}). Every policy follows `{}` {until}; trial *k* uses the same random draws under every policy.\n",
        m.trials,
        m.seed,
        m.decision_date,
        m.horizon,
        m.scenario,
        &m.scenario_sha256[..12.min(m.scenario_sha256.len())],
        m.baseline
    );
    let _ = writeln!(s, "## Policies\n");
    for p in r.summaries {
        let _ = writeln!(s, "- **{}** — {}. Source: {}. {}", p.id, p.label, p.citation, p.summary);
        if let Some(pi) = r.model.policy_index(&p.id) {
            s.push_str(&super::fidelity::package_flags(r.model, &r.model.policies[pi], "  "));
        }
    }
    let _ = writeln!(s);
    for (oi, o) in r.model.outcomes.iter().enumerate() {
        let _ = writeln!(s, "## {} ({}; {})\n", o.label, o.unit, kind_word(o.kind));
        if o.is_event() {
            let _ = writeln!(s, "| policy | probability | 95% interval |");
            let _ = writeln!(s, "|---|---:|---:|");
            for p in r.summaries {
                let x = &p.outcomes[oi];
                if let Some(pr) = x.probability {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} – {} |",
                        p.id,
                        fmt_sig(pr.p, 3),
                        fmt_sig(pr.lo95, 2),
                        fmt_sig(pr.hi95, 2)
                    );
                }
            }
        } else {
            let _ = writeln!(s, "| policy | mean | sd | p05 | p25 | median | p75 | p95 |");
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
            for p in r.summaries {
                let x = &p.outcomes[oi];
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    p.id,
                    fmt_sig(x.mean, 3),
                    fmt_sig(x.sd, 2),
                    fmt_sig(x.p05, 3),
                    fmt_sig(x.p25, 3),
                    fmt_sig(x.p50, 3),
                    fmt_sig(x.p75, 3),
                    fmt_sig(x.p95, 3)
                );
            }
        }
        let _ = writeln!(s);
    }
    s
}

impl Exporter for SummaryMarkdown {
    fn export(&self, r: &Report, dir: &Path) -> Result<()> {
        super::staging::write_atomic(&dir.join("summary.md"), render(r).as_bytes())
    }
}
