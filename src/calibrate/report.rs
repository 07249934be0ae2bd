//! The calibration in words and tables: `calibration.md` (acceptance, coverage per target, survival per view),
//! and the ensemble's section of the hindcast's `targets.md` and its `ensemble_coverage.csv`. Read from the
//! ensemble file alone, so the hindcast of any run on an ensemble can show them.

use super::file::{EnsembleFile, EnsembleRef};
use std::fmt::Write as _;

/// The calibration in words: acceptance, coverage per target, survival per view.
pub fn summary_md(f: &EnsembleFile) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Calibration of `{}`\n", f.scenario);
    let _ = writeln!(s, "Method: {}.\n\nRule: {}.\n", f.method, f.rule);
    let _ = writeln!(
        s,
        "Seed {}, {} design, {} points x {} trials (calibration years up to {}): {} accepted ({:.2}%), {} kept \
         as members.\n\nRegenerate: `{}`\n",
        f.seed,
        f.design,
        f.points,
        f.trials_per_point,
        f.calibrated_through,
        f.accepted,
        100.0 * f.acceptance_rate,
        f.kept,
        f.regenerate
    );
    s.push_str(&coverage_md(f));
    s
}

/// Coverage per target and survival per view, as Markdown tables (also in the hindcast's targets.md).
pub fn coverage_md(f: &EnsembleFile) -> String {
    let mut s = String::from("| target | share of accepted members within the band (own trials) |\n|---|---|\n");
    for (t, c) in f.targets.iter().zip(&f.coverage) {
        let _ = writeln!(s, "| {t} | {c:.3} |");
    }
    s.push_str(
        "\n| mechanism | view | prior | points tried | accepted | share of accepted |\n|---|---|---|---|---|---|\n",
    );
    for v in &f.views {
        let _ = writeln!(
            s,
            "| {} | {} | {:.3} | {} | {} | {:.3} |",
            v.mechanism, v.view, v.prior, v.tried, v.accepted, v.posterior
        );
    }
    s
}

/// The hindcast's section on the ensemble its trials drew from (`r` as attached, `f` its file).
pub fn ensemble_section_md(r: &EnsembleRef, f: &EnsembleFile) -> String {
    let mut md = format!(
        "\n## The calibrated ensemble\n\nEach trial drew one of {} member(s) of {} (calibration seed {}, {} of {} \
         points accepted, {:.1}%). Coverage: the share of accepted members whose own calibration trials met \
         each target's band; survival: the share of accepted members holding each view against its prior \
         weight.\n\n",
        r.members,
        r.file.as_str(),
        f.seed,
        f.accepted,
        f.points,
        100.0 * f.acceptance_rate
    );
    md.push_str(&coverage_md(f));
    md
}

/// Coverage per target and survival per view, one row each (`ensemble_coverage.csv`).
pub fn coverage_csv(f: &EnsembleFile) -> String {
    let mut s = String::from("kind,id,view,prior,share\n");
    for (t, c) in f.targets.iter().zip(&f.coverage) {
        s.push_str(&format!("coverage,{t},,,{c}\n"));
    }
    for v in &f.views {
        s.push_str(&format!(
            "survival,{},{},{},{}\n",
            v.mechanism, v.view, v.prior, v.posterior
        ));
    }
    s
}
