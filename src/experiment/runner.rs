//! The evaluator: runs (policy, trial) experiments in parallel with rayon.

use super::CHUNK;
use super::collect::{FanHistograms, OutcomeRecorder};
use crate::analysis::stats::OutcomeStats;
use crate::model::{MAX_TRIALS, Model, TrialState, TurnRecord};
use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use std::io::Write;
use std::time::{Duration, Instant};

/// What to run: which policies (indices into the model), how many trials, which seed.
#[derive(Debug, Clone)]
pub struct Design {
    pub policies: Vec<usize>,
    pub trials: u64,
    pub seed: u64,
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub threads: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Collect fan-chart histograms of the key variables.
    pub fans: bool,
    /// Keep per-trial outcome values of the first `keep_values` trials (for
    /// distribution charts). Bounded so memory stays flat for huge runs.
    pub keep_values: u64,
}

/// Everything a run produced, ready to summarise.
#[derive(Debug, Clone)]
pub struct Results {
    pub design: Design,
    /// `stats[policy slot][outcome]`.
    pub stats: Vec<Vec<OutcomeStats>>,
    pub fans: Option<FanHistograms>,
    /// `values[policy slot][outcome][trial]` for the first `keep_values` trials.
    pub values: Vec<Vec<Vec<f64>>>,
    pub elapsed: Duration,
    pub threads: usize,
}

struct ChunkOut {
    stats: Vec<Vec<OutcomeStats>>,
    values: Vec<Vec<Vec<f64>>>,
    fans: Option<FanHistograms>,
    rows: Vec<u8>,
}

/// Header of `trials.csv`: policy, trial, each uncertainty, each outcome.
pub fn trials_header(model: &Model) -> String {
    let mut h = String::from("policy,trial");
    for p in &model.params {
        h.push(',');
        h.push_str(&p.id);
    }
    for o in &model.outcomes {
        h.push(',');
        h.push_str(&o.id);
    }
    h.push('\n');
    h
}

/// Run the design. Rows for `trials.csv` (without header) go to `rows` in
/// trial order, policy order within a trial, if given.
pub fn run(model: &Model, design: &Design, opts: &RunOptions, mut rows: Option<&mut dyn Write>) -> Result<Results> {
    if design.trials == 0 || design.trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {})", design.trials);
    }
    if design.policies.is_empty() {
        bail!("no policy to run");
    }
    let threads = opts.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    let started = Instant::now();
    let n_chunks = design.trials.div_ceil(CHUNK);
    let batch = (threads as u64 * 8).max(1);
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(design.trials);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} trials  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let np = design.policies.len();
    let mut stats: Vec<Vec<OutcomeStats>> = vec![vec![OutcomeStats::default(); model.outcomes.len()]; np];
    let mut fans = opts.fans.then(|| FanHistograms::new(model, np));
    let mut kept: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); model.outcomes.len()]; np];
    let want_rows = rows.is_some();
    let mut first = 0u64;
    while first < n_chunks {
        let last = (first + batch).min(n_chunks);
        let outs: Vec<ChunkOut> = pool.install(|| {
            (first..last)
                .into_par_iter()
                .map(|c| {
                    let out = run_chunk(model, design, c, want_rows, opts.fans, opts.keep_values);
                    if let Some(b) = &bar {
                        b.inc(CHUNK.min(design.trials - c * CHUNK));
                    }
                    out
                })
                .collect()
        });
        for out in outs {
            for (acc, chunk) in stats.iter_mut().zip(&out.stats) {
                for (a, c) in acc.iter_mut().zip(chunk) {
                    a.merge(c);
                }
            }
            for (acc, chunk) in kept.iter_mut().zip(&out.values) {
                for (a, c) in acc.iter_mut().zip(chunk) {
                    a.extend_from_slice(c);
                }
            }
            if let (Some(f), Some(cf)) = (fans.as_mut(), out.fans.as_ref()) {
                f.merge(cf);
            }
            if let Some(w) = rows.as_mut() {
                w.write_all(&out.rows).context("writing trials.csv")?;
            }
        }
        first = last;
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(Results {
        design: design.clone(),
        stats,
        fans,
        values: kept,
        elapsed: started.elapsed(),
        threads,
    })
}

/// Snapshot of one turn of the shared pre-decision history.
struct Prefix {
    vars: Vec<f64>,
    levers: Vec<f64>,
    events: Vec<u32>,
    choices: Vec<u8>,
    turns: usize,
}

impl Prefix {
    fn record<'a>(&'a self, model: &Model, t: usize) -> TurnRecord<'a> {
        let (nv, nl, ne, na) = (
            model.vars.len(),
            model.levers.len(),
            model.events.len(),
            model.actors.len(),
        );
        TurnRecord {
            turn: t as u32,
            vars: &self.vars[t * nv..(t + 1) * nv],
            levers: &self.levers[t * nl..(t + 1) * nl],
            events: &self.events[t * ne..(t + 1) * ne],
            choices: &self.choices[t * na..(t + 1) * na],
        }
    }
}

/// Runs one trial under every policy of a design, the way every evaluator
/// must: the pre-decision history is simulated once under the baseline and
/// forked per policy, so trial *k* sees the same draws under every policy
/// (common random numbers). Shared by [`run`] and the paired evaluator
/// ([`super::paired`]) so the two can never drift apart. Reusable across
/// trials (it keeps its buffers).
pub struct TrialDriver {
    prefix: Prefix,
    rec: OutcomeRecorder,
    values: Vec<f64>,
}

impl TrialDriver {
    pub fn new(model: &Model) -> Self {
        TrialDriver {
            prefix: Prefix {
                vars: Vec::new(),
                levers: Vec::new(),
                events: Vec::new(),
                choices: Vec::new(),
                turns: 0,
            },
            rec: OutcomeRecorder::new(model),
            values: Vec::with_capacity(model.outcomes.len()),
        }
    }

    /// Run trial `trial` of master seed `seed` under each of `policies`, in
    /// order. For policy slot `s`, `turn(s, record)` sees every turn from the
    /// first (the shared pre-decision turns are replayed), then
    /// `done(s, final state, outcome values)` gets the trial's outcomes.
    pub fn run_trial(
        &mut self,
        model: &Model,
        seed: u64,
        policies: &[usize],
        trial: u64,
        turn: &mut dyn FnMut(usize, &TurnRecord),
        done: &mut dyn FnMut(usize, &TrialState, &[f64]),
    ) {
        let prefix = &mut self.prefix;
        let mut st = model.new_trial(seed, trial);
        prefix.vars.clear();
        prefix.levers.clear();
        prefix.events.clear();
        prefix.choices.clear();
        prefix.turns = 0;
        while st.turn < model.decision_turn {
            model.step(&mut st, model.baseline);
            prefix.vars.extend_from_slice(&st.vars);
            prefix.levers.extend_from_slice(&st.levers);
            prefix.events.extend_from_slice(&st.turn_events);
            prefix.choices.extend_from_slice(&st.choices);
            prefix.turns += 1;
        }
        for (slot, &policy) in policies.iter().enumerate() {
            let mut s = st.clone();
            self.rec.reset();
            for t in 0..prefix.turns {
                let r = prefix.record(model, t);
                self.rec.observe(model, &r);
                turn(slot, &r);
            }
            while s.turn < model.turns {
                model.step(&mut s, policy);
                let r = s.record();
                self.rec.observe(model, &r);
                turn(slot, &r);
            }
            self.values.clear();
            self.rec.finish(model, &mut self.values);
            done(slot, &s, &self.values);
        }
    }
}

fn run_chunk(model: &Model, design: &Design, chunk: u64, want_rows: bool, want_fans: bool, keep: u64) -> ChunkOut {
    let np = design.policies.len();
    let mut stats = vec![vec![OutcomeStats::default(); model.outcomes.len()]; np];
    let mut kept: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); model.outcomes.len()]; np];
    let mut fans = want_fans.then(|| FanHistograms::new(model, np));
    let mut rows = Vec::new();
    let mut driver = TrialDriver::new(model);
    let start = chunk * CHUNK;
    let end = (start + CHUNK).min(design.trials);
    for trial in start..end {
        let mut on_turn = |slot: usize, r: &TurnRecord| {
            if let Some(f) = fans.as_mut() {
                f.observe(model, slot, r);
            }
        };
        let mut on_done = |slot: usize, s: &TrialState, values: &[f64]| {
            let policy = design.policies[slot];
            for (o, x) in values.iter().enumerate() {
                stats[slot][o].push(*x);
                if trial < keep {
                    kept[slot][o].push(*x);
                }
            }
            if want_rows {
                use std::fmt::Write as _;
                let mut line = String::with_capacity(256);
                let _ = write!(line, "{},{}", model.policies[policy].id, trial);
                for p in &s.params {
                    let _ = write!(line, ",{p}");
                }
                for x in values {
                    let _ = write!(line, ",{x}");
                }
                line.push('\n');
                rows.extend_from_slice(line.as_bytes());
            }
        };
        driver.run_trial(model, design.seed, &design.policies, trial, &mut on_turn, &mut on_done);
    }
    ChunkOut {
        stats,
        values: kept,
        fans,
        rows,
    }
}
