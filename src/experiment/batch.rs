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

use crate::experiment::Flow;
use crate::experiment::runner::TrialDriver;
use crate::model::Model;
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::ops::Range;

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

/// Receives evaluated units in unit order, and is told at each batch boundary
/// (where a command can save a checkpoint, or stop). A closure
/// `FnMut(unit, result) -> Result<()>` is a sink that never stops.
pub trait UnitSink<T> {
    fn unit(&mut self, index: u64, out: T) -> Result<()>;
    /// Every unit before `next` has been delivered. Return [`Flow::Stop`] to end here.
    fn batch_done(&mut self, _next: u64) -> Result<Flow> {
        Ok(Flow::Continue)
    }
}

impl<T, F: FnMut(u64, T) -> Result<()>> UnitSink<T> for F {
    fn unit(&mut self, index: u64, out: T) -> Result<()> {
        self(index, out)
    }
}

/// Evaluate the units in `units` with `eval` on `threads` workers and pass
/// each result to `sink` in unit order. A resumed command starts part-way
/// (`units.start` > 0); batches are counted from there, which changes nothing
/// in the results since they arrive in order. `trials_per_unit` only drives the
/// progress bar. Returns `None` when every unit is done, or `Some(next unit)`
/// if the sink stopped.
pub fn for_each_ordered<T, E, S>(
    units: Range<u64>,
    threads: usize,
    trials_per_unit: u64,
    bar: Option<&indicatif::ProgressBar>,
    eval: E,
    mut sink: S,
) -> Result<Option<u64>>
where
    T: Send,
    E: Fn(u64) -> T + Sync,
    S: UnitSink<T>,
{
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    let batch = threads as u64 * 8 * UNITS_PER_TASK;
    let mut first = units.start;
    while first < units.end {
        let last = (first + batch).min(units.end);
        let outs: Vec<Vec<T>> = pool.install(|| {
            (0..(last - first).div_ceil(UNITS_PER_TASK))
                .into_par_iter()
                .map(|task| {
                    let lo = first + task * UNITS_PER_TASK;
                    let hi = (lo + UNITS_PER_TASK).min(last);
                    let out: Vec<T> = (lo..hi).map(&eval).collect();
                    if let Some(b) = bar {
                        b.inc((hi - lo) * trials_per_unit);
                    }
                    out
                })
                .collect()
        });
        let mut unit = first;
        for out in outs {
            for t in out {
                sink.unit(unit, t)?;
                unit += 1;
            }
        }
        first = last;
        if sink.batch_done(first)? == Flow::Stop && first < units.end {
            return Ok(Some(first));
        }
    }
    Ok(None)
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
    let model = model.member(seed, trial);
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

/// Outcome values of one policy averaged over `replications` trials, each
/// drawing its uncertainties from its own stream (as `greatgame run` does):
/// what a coefficient design point runs, since it varies the model instead.
pub fn simulate_mean_drawn(model: &Model, seed: u64, first_trial: u64, replications: u64, policy: usize) -> Vec<f64> {
    let mut acc = vec![0.0; model.outcomes.len()];
    for r in 0..replications {
        let (_, outs) = simulate(model, seed, first_trial + r, None, &[policy]);
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
            let done = for_each_ordered(
                0..37,
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
            assert_eq!(done, None);
            assert_eq!(seen, (0..37).collect::<Vec<_>>());
        }
    }

    /// A sink that stops at the first batch boundary after `stop_after` units.
    struct Stopper<'a> {
        seen: &'a mut Vec<u64>,
        boundaries: &'a mut Vec<u64>,
        stop_after: u64,
    }

    impl UnitSink<u64> for Stopper<'_> {
        fn unit(&mut self, index: u64, out: u64) -> Result<()> {
            assert_eq!(out, index * 10);
            self.seen.push(index);
            Ok(())
        }
        fn batch_done(&mut self, next: u64) -> Result<Flow> {
            self.boundaries.push(next);
            Ok(if next >= self.stop_after {
                Flow::Stop
            } else {
                Flow::Continue
            })
        }
    }

    /// Stopped part-way and started again from where it stopped, the units
    /// arrive exactly once each, in order, whatever the thread counts.
    #[test]
    fn a_stopped_evaluation_continues_from_its_next_unit() {
        for (t1, t2) in [(1, 1), (1, 3), (2, 1)] {
            let (mut seen, mut boundaries) = (Vec::new(), Vec::new());
            let sink = Stopper {
                seen: &mut seen,
                boundaries: &mut boundaries,
                stop_after: 40,
            };
            let next = for_each_ordered(5..300, t1, 1, None, |u| u * 10, sink)
                .unwrap()
                .expect("stopped");
            assert!((40..300).contains(&next), "{next}");
            let sink = Stopper {
                seen: &mut seen,
                boundaries: &mut boundaries,
                stop_after: u64::MAX,
            };
            let done = for_each_ordered(next..300, t2, 1, None, |u| u * 10, sink).unwrap();
            assert_eq!(done, None);
            assert_eq!(seen, (5..300).collect::<Vec<_>>());
            assert!(boundaries.contains(&next));
            assert_eq!(boundaries.last(), Some(&300));
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
            decision_state: false,
        };
        let res = crate::experiment::run(&m, &design, &opts, None).unwrap();
        for (o, x) in outs[0].iter().enumerate() {
            let y = res.values[0][o][3];
            assert!(x == &y || (x.is_nan() && y.is_nan()), "outcome {o}: {x} vs {y}");
        }
    }
}
