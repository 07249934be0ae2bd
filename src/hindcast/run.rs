//! The hindcast experiment: the record's policy from the scenario start to
//! the record's last quarter, aggregated to calendar years in real units.
//!
//! Trial *k* is seeded exactly as trial *k* of `greatgame run` (from the
//! master seed and k only), so the hindcast is the first years of the
//! status-quo run, not a separate simulation. Trials run in chunks of
//! [`CHUNK`] on rayon and are merged in chunk order: results are identical at
//! any thread count.

use super::spec::{Agg, Measure, PerEvent, Record, Stat, year_of_turn};
use crate::analysis::stats::OutcomeStats;
use crate::experiment::CHUNK;
use crate::model::{MAX_TRIALS, Model};
use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// What the hindcast produced.
#[derive(Debug, Clone)]
pub struct HindcastResults {
    pub trials: u64,
    pub seed: u64,
    pub threads: usize,
    pub elapsed: Duration,
    /// `series[s][y]`: the series' annual value across trials.
    pub series: Vec<Vec<OutcomeStats>>,
    /// `occurred[g][y]`: trials in which event group g had happened by the end of year y.
    pub occurred: Vec<Vec<u64>>,
    /// `occurred_in[g][y]`: trials in which event group g happened at least once in year y.
    pub occurred_in: Vec<Vec<u64>>,
    /// Per-trial sums over year windows, for `TotalMean`/`TotalP95` checks:
    /// `(series, from, to, stats)`.
    pub totals: Vec<(usize, usize, usize, OutcomeStats)>,
}

impl HindcastResults {
    pub fn total(&self, series: usize, from: usize, to: usize) -> Option<&OutcomeStats> {
        self.totals
            .iter()
            .find(|t| t.0 == series && t.1 == from && t.2 == to)
            .map(|t| &t.3)
    }
}

/// The (series, from, to) windows the record's checks need summed per trial.
fn total_windows(rec: &Record) -> Vec<(usize, usize, usize)> {
    let mut w = Vec::new();
    for t in &rec.targets {
        for c in &t.checks {
            if let Stat::TotalMean { series, from, to } | Stat::TotalP95 { series, from, to } = c.stat
                && !w.contains(&(series, from, to))
            {
                w.push((series, from, to));
            }
        }
    }
    w
}

struct Acc {
    series: Vec<Vec<OutcomeStats>>,
    occurred: Vec<Vec<u64>>,
    occurred_in: Vec<Vec<u64>>,
    totals: Vec<OutcomeStats>,
}

impl Acc {
    fn new(rec: &Record, windows: usize) -> Self {
        let ny = rec.years.len();
        Acc {
            series: vec![vec![OutcomeStats::default(); ny]; rec.series.len()],
            occurred: vec![vec![0; ny]; rec.events.len()],
            occurred_in: vec![vec![0; ny]; rec.events.len()],
            totals: vec![OutcomeStats::default(); windows],
        }
    }
    fn merge(&mut self, o: &Acc) {
        for (a, b) in self.series.iter_mut().zip(&o.series) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        for (a, b) in self.occurred.iter_mut().zip(&o.occurred) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.occurred_in.iter_mut().zip(&o.occurred_in) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.totals.iter_mut().zip(&o.totals) {
            a.merge(b);
        }
    }
}

/// Run `trials` hindcast trials with master seed `seed` on `threads` threads.
pub fn run(model: &Model, rec: &Record, trials: u64, seed: u64, threads: usize) -> Result<HindcastResults> {
    if trials == 0 || trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {trials})");
    }
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    let started = Instant::now();
    let windows = total_windows(rec);
    let n_chunks = trials.div_ceil(CHUNK);
    // Batches of chunks keep memory flat however many trials are asked for.
    let batch = threads as u64 * 8;
    let mut acc = Acc::new(rec, windows.len());
    let mut first = 0;
    while first < n_chunks {
        let last = (first + batch).min(n_chunks);
        let chunks: Vec<Acc> = pool.install(|| {
            (first..last)
                .into_par_iter()
                .map(|c| run_chunk(model, rec, &windows, seed, c * CHUNK, ((c + 1) * CHUNK).min(trials)))
                .collect()
        });
        for c in &chunks {
            acc.merge(c);
        }
        first = last;
    }
    Ok(results(acc, windows, trials, seed, threads, started.elapsed()))
}

/// The folded accumulators as results: the one place the two entry points (`run`, `run_serial`) turn an
/// `Acc` into what the targets read, so a new statistic cannot be forgotten in one of them.
fn results(
    acc: Acc,
    windows: Vec<(usize, usize, usize)>,
    trials: u64,
    seed: u64,
    threads: usize,
    elapsed: Duration,
) -> HindcastResults {
    HindcastResults {
        trials,
        seed,
        threads,
        elapsed,
        series: acc.series,
        occurred: acc.occurred,
        occurred_in: acc.occurred_in,
        totals: windows
            .into_iter()
            .zip(acc.totals)
            .map(|((s, a, b), st)| (s, a, b, st))
            .collect(),
    }
}

/// Trials `trials` of master seed `seed` on this thread, as one chunk (the calibration's points run their few
/// trials each on one worker). The statistics fold the trials in order.
pub fn run_serial(model: &Model, rec: &Record, seed: u64, trials: std::ops::Range<u64>) -> HindcastResults {
    let windows = total_windows(rec);
    let acc = run_chunk(model, rec, &windows, seed, trials.start, trials.end);
    results(acc, windows, trials.end - trials.start, seed, 1, Duration::ZERO)
}

fn run_chunk(model: &Model, rec: &Record, windows: &[(usize, usize, usize)], seed: u64, start: u64, end: u64) -> Acc {
    let ny = rec.years.len();
    let ns = rec.series.len();
    let mut acc = Acc::new(rec, windows.len());
    let mut annual = vec![0.0f64; ns * ny];
    let first_year = rec.years[0];
    let per_year = model.calendar.per_year as f64;
    let mut happened = vec![false; rec.events.len()];
    let mut happened_this_year = vec![false; rec.events.len()];
    let base = model;
    for trial in start..end {
        let model = base.member(seed, trial);
        let mut st = model.new_trial(seed, trial);
        annual.iter_mut().for_each(|x| *x = 0.0);
        happened.iter_mut().for_each(|h| *h = false);
        happened_this_year.iter_mut().for_each(|h| *h = false);
        while st.turn < rec.turns {
            let turn = st.turn;
            model.step(&mut st, rec.policy);
            let y = (year_of_turn(model, turn) - first_year) as usize;
            for (s, series) in rec.series.iter().enumerate() {
                let cell = &mut annual[s * ny + y];
                match &series.measure {
                    Measure::Var { var, agg: Agg::Mean } => *cell += st.vars[*var] / rec.turns_in_year[y] as f64,
                    Measure::Var { var, agg: Agg::End } => *cell = st.vars[*var],
                    Measure::Events(terms) => {
                        for term in terms {
                            let n: u32 = term.events.iter().map(|&e| st.turn_events[e]).sum();
                            if n > 0 {
                                let each: f64 = term
                                    .per_event
                                    .iter()
                                    .map(|f| match f {
                                        PerEvent::Const(x) => *x,
                                        PerEvent::Param(p) => st.params[*p],
                                        PerEvent::Var(v) => st.vars[*v],
                                    })
                                    .product();
                                *cell += n as f64 * each;
                            }
                        }
                    }
                    Measure::Action { actor, action } => {
                        if model.chose(&st.choices, *actor, usize::from(*action)) {
                            *cell += 1.0;
                        }
                    }
                }
            }
            for (g, group) in rec.events.iter().enumerate() {
                let now = group.events.iter().any(|&e| st.turn_events[e] > 0)
                    || group
                        .actions
                        .iter()
                        .any(|&(a, k)| model.chose(&st.choices, a, usize::from(k)));
                happened[g] = happened[g] || now;
                happened_this_year[g] = happened_this_year[g] || now;
            }
            let year_ends = st.turn == rec.turns || year_of_turn(model, st.turn) != year_of_turn(model, turn);
            if year_ends {
                for (g, h) in happened.iter().enumerate() {
                    if *h {
                        acc.occurred[g][y] += 1;
                    }
                }
                for (g, h) in happened_this_year.iter_mut().enumerate() {
                    if *h {
                        acc.occurred_in[g][y] += 1;
                    }
                    *h = false;
                }
            }
        }
        // Totals count what happened (real counts, a partial year as simulated)...
        for (w, &(s, a, b)) in windows.iter().enumerate() {
            let sum: f64 = (a..=b).map(|y| annual[s * ny + y]).sum();
            acc.totals[w].push(sum);
        }
        // ...while annual series are per-year rates: flows in a partial year are annualised.
        for (s, series) in rec.series.iter().enumerate() {
            for y in 0..ny {
                let scale = if series.is_flow() {
                    per_year / rec.turns_in_year[y] as f64
                } else {
                    1.0
                };
                acc.series[s][y].push(annual[s * ny + y] * scale);
            }
        }
    }
    acc
}
