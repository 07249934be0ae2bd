//! Text and CSV output. The text layouts copy KTAB's logs (`*.reference.txt`, `*.turn0.txt`) so that a run can be
//! compared with KTAB's by eye or by `diff`; the CSV files carry full precision for further analysis.

use super::model::{Smp, TurnLog};
use super::run::{History, TrialOutcome};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// The history of a run in the layout of KTAB's reference logs: positions on 0–100 to one decimal, then the
/// probability of each actor's position in each state.
pub fn history_text(smp: &Smp, history: &History) -> String {
    let mut out = String::from("History of actor positions over time:\n");
    for (a, name) in smp.actor_names().iter().enumerate() {
        for (k, dim) in smp.dimension_names().iter().enumerate() {
            let _ = write!(out, "{name}, {dim}:");
            for t in 0..history.num_states() {
                let _ = write!(out, " {:5.1}", history.position(t, a, k));
            }
            out.push('\n');
        }
    }
    out.push_str("History of actors' winning probabilities:\n");
    for (a, name) in smp.actor_names().iter().enumerate() {
        let _ = write!(out, "{name}, prob :");
        for p in &history.probabilities {
            let _ = write!(out, " {:.4}", p.actor(a));
        }
        out.push('\n');
    }
    out
}

/// One line summarising how the run stopped, with KTAB's "fractional change compared to first step" ratios.
pub fn stopping_text(history: &History) -> String {
    let ratios: Vec<String> = history.ratios.iter().map(|r| format!("{r:.4}")).collect();
    format!(
        "Stopped after {} steps ({} states); fractional change compared to first step: {}\n",
        history.ratios.len(),
        history.num_states(),
        ratios.join(" ")
    )
}

fn matrix_text(out: &mut String, m: &[f64], n: usize, decimals: usize) {
    for row in m.chunks(n) {
        let line: String = row.iter().map(|x| format!(" {x:+.decimals$} ")).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// A turn's intermediates in the layout of KTAB's turn log (`dummyData_3Dim.turn0.txt`). Positions in bargains are
/// on the 0–100 scale.
pub fn turn_log_text(turn: usize, log: &TurnLog) -> String {
    let n = log.risk.len();
    let mut out = String::from("Raw actor-pos value matrix (risk neutral)\n");
    matrix_text(&mut out, &log.neutral_utilities, n, 3);
    out.push_str("Inferred risk attitudes:\n");
    for r in &log.risk {
        let _ = writeln!(out, " {r:+.3}");
    }
    out.push_str("Risk-aware actor-pos utility matrix (objective):\n");
    matrix_text(&mut out, &log.objective_utilities, n, 4);
    out.push('\n');
    let position = |x: &[f64]| x.iter().map(|v| format!("  {:.3}", v * 100.0)).collect::<String>();
    for c in &log.challenges {
        let (i, j) = (c.initiator, c.target);
        let _ = writeln!(
            out,
            "In turn {turn} actor {i} has most advantageous target {j} worth {:.3}",
            c.gain
        );
        for (h, est) in [(i, &c.by_initiator), (j, &c.by_target)] {
            for (k, gain) in [(i, est.gain_initiator), (j, est.gain_target)] {
                let _ = writeln!(
                    out,
                    "Est by {h:2} of prob {:.4} that [{i:2}>{j:2}], with expected gain to {k:2} of {gain:+.4}",
                    est.prob
                );
            }
        }
        for (h, (bi, bj)) in [(i, &c.initiator_proposal), (j, &c.target_proposal)] {
            let _ = writeln!(out, "{h:4} proposes {i} adopt:{}", position(bi));
            let _ = writeln!(out, "{h:4} proposes {j} adopt:{}", position(bj));
        }
    }
    out
}

/// Write `bytes` to `path` atomically: into a temporary file in the same directory, then renamed over the target,
/// so a reader never sees a half-written file and an interrupted run leaves the previous file intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn csv_bytes(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    Ok(w.into_inner()?)
}

/// `positions.csv`: `state,actor,dimension,position`, positions on 0–100 at full precision.
pub fn positions_csv(smp: &Smp, history: &History) -> anyhow::Result<Vec<u8>> {
    let mut rows = Vec::new();
    for t in 0..history.num_states() {
        for (a, name) in smp.actor_names().iter().enumerate() {
            for (k, dim) in smp.dimension_names().iter().enumerate() {
                rows.push(vec![
                    t.to_string(),
                    name.clone(),
                    dim.clone(),
                    history.position(t, a, k).to_string(),
                ]);
            }
        }
    }
    csv_bytes(&["state", "actor", "dimension", "position"], rows)
}

/// `probabilities.csv`: `state,actor,probability`.
pub fn probabilities_csv(smp: &Smp, history: &History) -> anyhow::Result<Vec<u8>> {
    let mut rows = Vec::new();
    for (t, p) in history.probabilities.iter().enumerate() {
        for (a, name) in smp.actor_names().iter().enumerate() {
            rows.push(vec![t.to_string(), name.clone(), p.actor(a).to_string()]);
        }
    }
    csv_bytes(&["state", "actor", "probability"], rows)
}

/// `final_positions.csv`: one row per trial, actor and dimension: `trial,states,actor,dimension,position`.
pub fn final_positions_csv(smp: &Smp, outcomes: &[TrialOutcome]) -> anyhow::Result<Vec<u8>> {
    let d = smp.num_dimensions();
    let mut rows = Vec::new();
    for (trial, o) in outcomes.iter().enumerate() {
        for (a, name) in smp.actor_names().iter().enumerate() {
            for (k, dim) in smp.dimension_names().iter().enumerate() {
                rows.push(vec![
                    trial.to_string(),
                    o.states.to_string(),
                    name.clone(),
                    dim.clone(),
                    (o.final_positions[a * d + k] * 100.0).to_string(),
                ]);
            }
        }
    }
    csv_bytes(&["trial", "states", "actor", "dimension", "position"], rows)
}

/// `final_quantiles.csv`: `actor,dimension,p05,p25,p50,p75,p95` over trials, 0–100 scale.
pub fn final_quantiles_csv(smp: &Smp, quantiles: &[[f64; 5]]) -> anyhow::Result<Vec<u8>> {
    let d = smp.num_dimensions();
    let mut rows = Vec::new();
    for (a, name) in smp.actor_names().iter().enumerate() {
        for (k, dim) in smp.dimension_names().iter().enumerate() {
            let mut row = vec![name.clone(), dim.clone()];
            row.extend(quantiles[a * d + k].iter().map(|q| q.to_string()));
            rows.push(row);
        }
    }
    csv_bytes(&["actor", "dimension", "p05", "p25", "p50", "p75", "p95"], rows)
}

/// The quantiles of final positions as text, one line per actor and dimension, in the style of the history.
pub fn quantiles_text(smp: &Smp, quantiles: &[[f64; 5]], outcomes: &[TrialOutcome], seed: u64) -> String {
    let d = smp.num_dimensions();
    let trials = outcomes.len();
    let mean_states = outcomes.iter().map(|o| o.states as f64).sum::<f64>() / trials.max(1) as f64;
    let mut out = format!(
        "Final positions over {trials} stochastic trials (seed {seed}; {mean_states:.1} states on average): \
         p05 p25 p50 p75 p95\n"
    );
    for (a, name) in smp.actor_names().iter().enumerate() {
        for (k, dim) in smp.dimension_names().iter().enumerate() {
            let _ = write!(out, "{name}, {dim}:");
            for q in quantiles[a * d + k] {
                let _ = write!(out, " {q:5.1}");
            }
            out.push('\n');
        }
    }
    out
}
