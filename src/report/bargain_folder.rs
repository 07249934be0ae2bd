//! The files of `greatgame bargain` (KTAB's Spatial Model of Politics on a KTAB input): deterministic —
//! `positions.csv`, `probabilities.csv`, `turn0.txt` and one chart per dimension; stochastic — the distribution
//! of final positions (`final_positions.csv`, `final_quantiles.csv`, one chart per dimension). Each writer
//! runs the model, writes into a staging folder and returns what the terminal shows, so the command only
//! chooses and prints.

use crate::bargain::{Smp, chart, report, run};
use anyhow::{Context, Result};
use std::path::Path;

/// What a bargain run wrote and what it has to say.
#[derive(Debug, Default)]
pub struct BargainFiles {
    /// File names written into the folder, in order.
    pub written: Vec<String>,
    /// For standard output: the history (deterministic) or the quantiles of final positions (stochastic).
    pub text: String,
    /// For standard error: why the deterministic run stopped (empty for a stochastic one).
    pub note: String,
}

impl BargainFiles {
    /// Write `name` into `dir`, remembering the name.
    fn write(&mut self, dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
        let path = dir.join(name);
        report::write_atomic(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        self.written.push(name.to_string());
        Ok(())
    }
}

/// `trials` stochastic trials (trial k seeded from (seed, k) alone), their final positions and quantiles.
pub fn stochastic(smp: &Smp, trials: usize, seed: u64, dir: &Path) -> Result<BargainFiles> {
    let mut out = BargainFiles::default();
    let outcomes = run::run_trials(smp, trials, seed);
    let quantiles = run::final_quantiles(&outcomes, smp.num_actors(), smp.num_dimensions());
    out.text = report::quantiles_text(smp, &quantiles, &outcomes, seed);
    out.write(
        dir,
        "final_positions.csv",
        &report::final_positions_csv(smp, &outcomes)?,
    )?;
    out.write(
        dir,
        "final_quantiles.csv",
        &report::final_quantiles_csv(smp, &quantiles)?,
    )?;
    let label = format!("{trials} stochastic trials, seed {seed}");
    for k in 0..smp.num_dimensions() {
        let c = chart::quantiles_chart(smp, &quantiles, k, &label)?;
        out.write(dir, &format!("final_positions_dim{}.svg", k + 1), c.svg.as_bytes())?;
        out.write(dir, &format!("final_positions_dim{}.png", k + 1), &c.png)?;
    }
    Ok(out)
}

/// The deterministic run (each actor takes its most probable bargain): the history in the layout of KTAB's
/// reference logs, positions, probabilities and the first turn's log.
pub fn deterministic(smp: &Smp, dir: &Path) -> Result<BargainFiles> {
    let mut out = BargainFiles::default();
    let history = smp.run_deterministic();
    out.text = report::history_text(smp, &history);
    out.note = report::stopping_text(&history);
    out.write(dir, "positions.csv", &report::positions_csv(smp, &history)?)?;
    out.write(dir, "probabilities.csv", &report::probabilities_csv(smp, &history)?)?;
    let log = smp.turn(smp.initial_positions().to_vec()).log();
    out.write(dir, "turn0.txt", report::turn_log_text(0, &log).as_bytes())?;
    for k in 0..smp.num_dimensions() {
        let c = chart::positions_chart(smp, &history, k)?;
        out.write(dir, &format!("positions_dim{}.svg", k + 1), c.svg.as_bytes())?;
        out.write(dir, &format!("positions_dim{}.png", k + 1), &c.png)?;
    }
    Ok(out)
}
