//! The paired evaluator: every policy of a trial, seen together.
//!
//! Paired comparisons (differences, regret, "share of trials in which P beats
//! the baseline") need the values of all policies *for the same trial*. [`run`]
//! only streams per-policy summaries, so this evaluator hands each finished
//! trial — all policies' outcome values side by side — to a [`TrialSink`],
//! together with every turn of every policy for sinks that trace mechanisms.
//!
//! Determinism is the runner's: trials are cut into fixed chunks of
//! [`CHUNK`] counted from the start of the range, each chunk gets a fresh sink,
//! and chunk sinks are merged into the result strictly in chunk order. A sink
//! whose `merge` is order-sensitive (floating-point sums) therefore gives the
//! same bits at any thread count. Memory is one sink per chunk in flight
//! (at most `8 × threads` chunks), plus whatever the sink keeps.
//!
//! [`run`]: super::run

use super::CHUNK;
use super::runner::TrialDriver;
use crate::model::drivers::LedgerShape;
use crate::model::{Model, TurnRecord};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::ops::Range;

/// What a paired run keeps. One sink sees the trials of one chunk in order;
/// chunk sinks are then merged in chunk order.
pub trait TrialSink: Send {
    /// Every turn of policy slot `slot` of the current trial (the shared
    /// pre-decision turns are replayed for each slot). Default: ignored.
    fn turn(&mut self, _slot: usize, _rec: &TurnRecord) {}

    /// Called just before [`TrialSink::trial`] when the run tracks drivers
    /// ([`Paired::drivers`]): each channel's contribution to each split
    /// outcome, `contributions[(slot * n_split + outcome) * n_channels + channel]`
    /// (see [`crate::model::drivers::DriverLedger::contributions`]). Default: ignored.
    fn drivers(&mut self, _contributions: &[f64]) {}

    /// The finished trial: `values[slot * n_outcomes + outcome]`.
    fn trial(&mut self, trial: u64, values: &[f64]);

    /// Fold in the sink of the chunk that follows this one.
    fn merge(&mut self, later: Self);
}

/// Which trials to run and how: the model, master seed, policies (in slot
/// order), worker threads and an optional progress bar.
pub struct Paired<'a> {
    pub model: &'a Model,
    pub seed: u64,
    pub policies: &'a [usize],
    pub threads: usize,
    pub progress: Option<&'a indicatif::ProgressBar>,
    /// Book every state change to its channel and hand the split to [`TrialSink::drivers`]
    /// (slower; the outcomes are the same).
    pub drivers: bool,
    /// Stream each trial's state at the decision date (`decision_state.csv` rows, trial order) here.
    pub decision: Option<&'a crate::present::DecisionWriter>,
}

/// Run `trials` and fold them, chunk by chunk in order, into `acc` (empty, or
/// holding the trials before `trials.start`); `make` gives each chunk's sink.
pub fn run_paired<S, F>(p: &Paired, trials: Range<u64>, mut acc: S, make: F) -> Result<S>
where
    S: TrialSink,
    F: Fn() -> S + Sync,
{
    let (model, seed, policies, threads, progress) = (p.model, p.seed, p.policies, p.threads, p.progress);
    if trials.is_empty() {
        return Ok(acc);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .context("starting worker threads")?;
    let n = trials.end - trials.start;
    let n_chunks = n.div_ceil(CHUNK);
    let batch = (threads.max(1) as u64 * 8).max(1);
    let no = model.outcomes.len();
    let np = policies.len();
    let shape = p.drivers.then(|| std::sync::Arc::new(LedgerShape::new(model)));
    let n_contrib = shape.as_ref().map_or(0, |s| s.contributions_len());
    let mut first = 0u64;
    while first < n_chunks {
        let last = (first + batch).min(n_chunks);
        let outs: Vec<(S, Vec<u8>)> = pool.install(|| {
            (first..last)
                .into_par_iter()
                .map(|c| {
                    let mut sink = make();
                    let mut driver = TrialDriver::new(model);
                    let mut values = vec![0.0; np * no];
                    let mut contrib = vec![0.0; np * n_contrib];
                    let mut decision_rows = Vec::new();
                    let start = trials.start + c * CHUNK;
                    let end = (start + CHUNK).min(trials.end);
                    for trial in start..end {
                        let mut on_turn = |slot: usize, r: &TurnRecord| sink.turn(slot, r);
                        let mut on_done = |slot: usize, st: &crate::model::TrialState, v: &[f64]| {
                            values[slot * no..(slot + 1) * no].copy_from_slice(v);
                            if let Some(l) = st.drivers.as_deref() {
                                l.contributions(model, &mut contrib[slot * n_contrib..(slot + 1) * n_contrib]);
                            }
                        };
                        let member = model.member(seed, trial);
                        let mut st = driver.start(member, seed, trial);
                        if let Some(s) = &shape {
                            st.track_drivers(s.clone());
                        }
                        driver.run_trial(member, st, policies, &mut on_turn, &mut on_done);
                        if shape.is_some() {
                            sink.drivers(&contrib);
                        }
                        sink.trial(trial, &values);
                        if p.decision.is_some() {
                            crate::present::trial_rows(&mut decision_rows, model, policies, trial, &driver);
                        }
                    }
                    if let Some(b) = progress {
                        b.inc(end - start);
                    }
                    (sink, decision_rows)
                })
                .collect()
        });
        for (s, rows) in outs {
            acc.merge(s);
            if let Some(w) = p.decision {
                w.write(&rows)?;
            }
        }
        first = last;
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what it saw, to check order and pairing.
    #[derive(Default)]
    struct Log {
        trials: Vec<u64>,
        values: Vec<f64>,
        turns: usize,
    }

    impl TrialSink for Log {
        fn turn(&mut self, _slot: usize, _rec: &TurnRecord) {
            self.turns += 1;
        }
        fn trial(&mut self, trial: u64, values: &[f64]) {
            self.trials.push(trial);
            self.values.extend_from_slice(values);
        }
        fn merge(&mut self, later: Self) {
            self.trials.extend(later.trials);
            self.values.extend(later.values);
            self.turns += later.turns;
        }
    }

    #[test]
    fn paired_matches_the_runner_and_any_thread_count() {
        let model = crate::scenario::load(None).unwrap().model;
        let policies: Vec<usize> = (0..model.policies.len()).collect();
        let trials = 300..(300 + CHUNK + 40);
        let mut p = Paired {
            model: &model,
            seed: 7,
            policies: &policies,
            threads: 1,
            progress: None,
            drivers: false,
            decision: None,
        };
        let one = run_paired(&p, trials.clone(), Log::default(), Log::default).unwrap();
        p.threads = 2;
        let two = run_paired(&p, trials.clone(), Log::default(), Log::default).unwrap();
        assert_eq!(one.trials, (trials.start..trials.end).collect::<Vec<_>>());
        assert_eq!(one.values, two.values);
        assert_eq!(
            one.turns,
            (trials.end - trials.start) as usize * policies.len() * model.turns as usize
        );
        // The same values as the per-policy runner, trial by trial.
        let design = super::super::Design {
            policies: policies.clone(),
            trials: trials.end,
            seed: 7,
        };
        let opts = super::super::RunOptions {
            threads: 1,
            progress: false,
            fans: false,
            keep_values: trials.end,
            decision_state: false,
        };
        let res = super::super::run(&model, &design, &opts, None).unwrap();
        let no = model.outcomes.len();
        for (k, trial) in trials.clone().enumerate() {
            for slot in 0..policies.len() {
                for o in 0..no {
                    let a = one.values[(k * policies.len() + slot) * no + o];
                    let b = res.values[slot][o][trial as usize];
                    assert!(
                        a == b || (a.is_nan() && b.is_nan()),
                        "trial {trial} slot {slot} outcome {o}"
                    );
                }
            }
        }
    }
}
