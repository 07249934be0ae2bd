//! The evaluator for exploration designs (`sweep`, `sensitivity`,
//! `discover`): units of work evaluated in parallel, delivered in order.
//!
//! A *unit* is the smallest piece of a design that shares work: one design
//! point and replication under every lever combination (sweep), one Saltelli
//! base point with its d + 2 rows (Sobol), one Morris trajectory. Units are
//! evaluated in fixed groups on a rayon pool and handed to the caller's sink
//! strictly in unit order, so output rows stream to disk in a deterministic
//! order whatever the thread count, and at most one batch of results is held
//! in memory at a time.

use crate::experiment::runner::TrialDriver;
use crate::model::Model;
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::io::IsTerminal;

/// Units per parallel task.
const UNITS_PER_TASK: u64 = 4;

/// A progress bar on stderr counting trials, shown only on a terminal.
pub fn progress_bar(total_trials: u64, show: bool) -> Option<indicatif::ProgressBar> {
    (show && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(total_trials);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} trials  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    })
}

/// Evaluate units `0..n_units` with `eval` on `threads` workers and pass each
/// result to `sink` in unit order. `trials_per_unit` only drives the
/// progress bar.
pub fn for_each_ordered<T, E, S>(
    n_units: u64,
    threads: usize,
    trials_per_unit: u64,
    bar: Option<&indicatif::ProgressBar>,
    eval: E,
    mut sink: S,
) -> Result<()>
where
    T: Send,
    E: Fn(u64) -> T + Sync,
    S: FnMut(u64, T) -> Result<()>,
{
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    let n_tasks = n_units.div_ceil(UNITS_PER_TASK);
    let batch = threads as u64 * 8;
    let mut first = 0u64;
    while first < n_tasks {
        let last = (first + batch).min(n_tasks);
        let outs: Vec<Vec<T>> = pool.install(|| {
            (first..last)
                .into_par_iter()
                .map(|task| {
                    let lo = task * UNITS_PER_TASK;
                    let hi = (lo + UNITS_PER_TASK).min(n_units);
                    let out: Vec<T> = (lo..hi).map(&eval).collect();
                    if let Some(b) = bar {
                        b.inc((hi - lo) * trials_per_unit);
                    }
                    out
                })
                .collect()
        });
        let mut unit = first * UNITS_PER_TASK;
        for out in outs {
            for t in out {
                sink(unit, t)?;
                unit += 1;
            }
        }
        first = last;
    }
    Ok(())
}

/// Run trial `trial` (master seed `seed`) with the uncertainties `params`
/// (drawn from the trial's own stream if `None`) under each policy in
/// `policies`, sharing the pre-decision history. Returns the uncertainty
/// values used and, per policy, the outcome values in model order.
///
/// This is the runner's [`TrialDriver`] with the uncertainties set by the
/// design, so a design point with the values trial *k* would have drawn gives
/// exactly trial *k* of `greatgame run`.
pub fn simulate(
    model: &Model,
    seed: u64,
    trial: u64,
    params: Option<&[f64]>,
    policies: &[usize],
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let start = model.new_trial_with_params(seed, trial, params);
    let used = start.params.clone();
    let mut outs = vec![Vec::new(); policies.len()];
    TrialDriver::new(model).run_trial(model, start, policies, &mut |_, _| {}, &mut |slot, _, values| {
        outs[slot] = values.to_vec()
    });
    (used, outs)
}

/// Outcome values of one policy averaged over `replications` trials
/// `first_trial .. first_trial + replications`, at fixed uncertainties.
pub fn simulate_mean(
    model: &Model,
    seed: u64,
    first_trial: u64,
    replications: u64,
    params: &[f64],
    policy: usize,
) -> Vec<f64> {
    let mut acc = vec![0.0; model.outcomes.len()];
    for r in 0..replications {
        let (_, outs) = simulate(model, seed, first_trial + r, Some(params), &[policy]);
        for (a, x) in acc.iter_mut().zip(&outs[0]) {
            *a += x;
        }
    }
    acc.iter_mut().for_each(|a| *a /= replications as f64);
    acc
}

/// Append `x` to a CSV line: shortest round-trip form, so files are exact.
pub fn push_num(line: &mut String, x: f64) {
    use std::fmt::Write as _;
    let _ = write!(line, ",{x}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_at_any_thread_count() {
        for threads in [1, 2, 3] {
            let mut seen = Vec::new();
            for_each_ordered(
                37,
                threads,
                1,
                None,
                |u| u * 10,
                |u, t| {
                    assert_eq!(t, u * 10);
                    seen.push(u);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..37).collect::<Vec<_>>());
        }
    }

    /// The runner and this evaluator agree on a trial's outcomes.
    #[test]
    fn simulate_matches_the_runner() {
        let m = crate::scenario::load(None).unwrap().model;
        let p = m.policy_index("status_quo").unwrap();
        let (_, outs) = simulate(&m, 5, 3, None, &[p]);
        let design = crate::experiment::Design {
            policies: vec![p],
            trials: 4,
            seed: 5,
        };
        let opts = crate::experiment::RunOptions {
            threads: 1,
            progress: false,
            fans: false,
            keep_values: 4,
        };
        let res = crate::experiment::run(&m, &design, &opts, None).unwrap();
        for (o, x) in outs[0].iter().enumerate() {
            let y = res.values[0][o][3];
            assert!(x == &y || (x.is_nan() && y.is_nan()), "outcome {o}: {x} vs {y}");
        }
    }
}
