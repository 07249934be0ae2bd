//! The evaluator: runs (policy, trial) experiments in parallel with rayon.

use super::CHUNK;
use super::collect::{FanHistograms, OutcomeRecorder};
use crate::analysis::stats::OutcomeStats;
use crate::model::{MAX_TRIALS, Model, TrialState, TurnRecord};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::ops::Range;
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
    /// Write each trial's state at the decision date (`decision_state.csv` rows in [`ChunkOut::decision_rows`]).
    pub decision_state: bool,
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

/// What one chunk of trials produced. Its statistics are folded into the
/// [`Accumulators`] in chunk order; its rows go to `trials.csv`.
#[derive(Debug, Clone)]
pub struct ChunkOut {
    pub stats: Vec<Vec<OutcomeStats>>,
    pub values: Vec<Vec<Vec<f64>>>,
    /// Fan-chart counts. Counts add up in any order, so a batch's trials run grouped by member
    /// (`experiment/member_order.rs`) carry the whole batch's counts on its last chunk and none on the others.
    pub fans: Option<FanHistograms>,
    pub rows: Vec<u8>,
    /// Rows of `decision_state.csv` (without header), if asked for.
    pub decision_rows: Vec<u8>,
}

/// The running totals of a run, folded chunk by chunk in chunk order.
///
/// This is the whole state a checkpoint or a shard saves: restoring it bit for
/// bit and folding the remaining chunks in order gives the same result as an
/// uninterrupted run.
#[derive(Debug, Clone, PartialEq)]
pub struct Accumulators {
    /// `stats[policy slot][outcome]`.
    pub stats: Vec<Vec<OutcomeStats>>,
    pub fans: Option<FanHistograms>,
    /// `values[policy slot][outcome][trial]` for the first `keep_values` trials.
    pub values: Vec<Vec<Vec<f64>>>,
}

impl Accumulators {
    pub fn new(model: &Model, policies: usize, fans: bool) -> Self {
        Accumulators {
            stats: vec![vec![OutcomeStats::default(); model.outcomes.len()]; policies],
            fans: fans.then(|| FanHistograms::new(model, policies)),
            values: vec![vec![Vec::new(); model.outcomes.len()]; policies],
        }
    }

    /// Fold the next chunk in. Moments are merged left to right (the order
    /// matters in floating point); sketches, histograms and kept values merge
    /// exactly.
    pub fn absorb(&mut self, out: &ChunkOut) {
        for (acc, chunk) in self.stats.iter_mut().zip(&out.stats) {
            for (a, c) in acc.iter_mut().zip(chunk) {
                a.merge(c);
            }
        }
        for (acc, chunk) in self.values.iter_mut().zip(&out.values) {
            for (a, c) in acc.iter_mut().zip(chunk) {
                a.extend_from_slice(c);
            }
        }
        if let (Some(f), Some(cf)) = (self.fans.as_mut(), out.fans.as_ref()) {
            f.merge(cf);
        }
    }

    /// The finished run, ready to summarise.
    pub fn into_results(self, design: &Design, elapsed: Duration, threads: usize) -> Results {
        Results {
            design: design.clone(),
            stats: self.stats,
            fans: self.fans,
            values: self.values,
            elapsed,
            threads,
        }
    }
}

/// Whether to go on after a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Receives a run's chunks in chunk order, and the state after each batch
/// (for streaming rows to disk and for checkpoints).
pub trait ChunkSink {
    /// Chunk `index` has been folded into the accumulators.
    fn chunk(&mut self, index: u64, out: &ChunkOut) -> Result<()>;
    /// Every chunk before `next_chunk` is folded into `acc`. Return
    /// [`Flow::Stop`] to end the run here (it can be continued later from this state).
    fn batch_done(&mut self, _next_chunk: u64, _acc: &Accumulators) -> Result<Flow> {
        Ok(Flow::Continue)
    }
}

/// Writes each chunk's rows to a `Write`.
struct RowSink<'a>(Option<&'a mut dyn Write>);

impl ChunkSink for RowSink<'_> {
    fn chunk(&mut self, _index: u64, out: &ChunkOut) -> Result<()> {
        if let Some(w) = self.0.as_mut() {
            w.write_all(&out.rows).context("writing trials.csv")?;
        }
        Ok(())
    }
}

/// The trials covered by a range of chunks of a run of `trials` trials.
pub fn chunk_trials(chunks: &Range<u64>, trials: u64) -> Range<u64> {
    (chunks.start * CHUNK).min(trials)..(chunks.end * CHUNK).min(trials)
}

/// Header of `trials.csv`: policy, trial, each uncertainty, the view of each contested mechanism
/// (`world.<mechanism>`, holding the view's id), each outcome.
pub fn trials_header(model: &Model) -> String {
    let mut h = String::from("policy,trial");
    for p in &model.params {
        h.push(',');
        h.push_str(&p.id);
    }
    for m in &model.worlds {
        h.push_str(",world.");
        h.push_str(&m.id);
    }
    for o in &model.outcomes {
        h.push(',');
        h.push_str(&o.id);
    }
    h.push('\n');
    h
}

fn check_design(design: &Design) -> Result<()> {
    if design.trials == 0 || design.trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {})", design.trials);
    }
    if design.policies.is_empty() {
        bail!("no policy to run");
    }
    Ok(())
}

/// Run the design. Rows for `trials.csv` (without header) go to `rows` in
/// trial order, policy order within a trial, if given.
pub fn run(model: &Model, design: &Design, opts: &RunOptions, rows: Option<&mut dyn Write>) -> Result<Results> {
    check_design(design)?;
    let started = Instant::now();
    let want_rows = rows.is_some();
    let mut acc = Accumulators::new(model, design.policies.len(), opts.fans);
    let all = 0..design.trials.div_ceil(CHUNK);
    run_chunks(model, design, opts, all, 0, want_rows, &mut acc, &mut RowSink(rows))?;
    Ok(acc.into_results(design, started.elapsed(), opts.threads.max(1)))
}

/// Run chunks `next..span.end` of the design (a whole run is `0..⌈trials/CHUNK⌉`,
/// a shard a contiguous part of it), folding each into `acc` in chunk order and
/// handing it to `sink`. `span` is the whole share being computed, so the
/// progress bar counts from `span.start` (a resumed run starts part-way).
/// Returns `None` when every chunk is done, or `Some(next chunk)` if the sink
/// stopped the run.
#[allow(clippy::too_many_arguments)]
pub fn run_chunks(
    model: &Model,
    design: &Design,
    opts: &RunOptions,
    span: Range<u64>,
    next: u64,
    want_rows: bool,
    acc: &mut Accumulators,
    sink: &mut dyn ChunkSink,
) -> Result<Option<u64>> {
    check_design(design)?;
    let threads = opts.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    let batch = (threads as u64 * 8).max(1);
    let trials = chunk_trials(&span, design.trials);
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(trials.end - trials.start);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {human_pos}/{human_len} trials  {rate} trials/s  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .with_key("rate", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}", s.per_sec());
            }),
        );
        b.set_position(
            chunk_trials(&(span.start..next), design.trials)
                .end
                .saturating_sub(trials.start),
        );
        b.reset_eta();
        b
    });
    let mut first = next.max(span.start);
    while first < span.end {
        let last = (first + batch).min(span.end);
        let progress = |n: u64| {
            if let Some(b) = &bar {
                b.inc(n);
            }
        };
        let outs =
            pool.install(|| super::member_order::run_batch(model, design, first..last, want_rows, opts, &progress));
        for (i, out) in outs.iter().enumerate() {
            acc.absorb(out);
            sink.chunk(first + i as u64, out)?;
        }
        first = last;
        if sink.batch_done(first, acc)? == Flow::Stop && first < span.end {
            if let Some(b) = bar {
                b.abandon();
            }
            return Ok(Some(first));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(None)
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
            model.slots.len(),
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
    /// Per policy slot, the state variables and cumulative event counts at the start of the decision date's turn.
    decision_vars: Vec<f64>,
    decision_counts: Vec<u32>,
    /// How the last trial's history was anchored (`None` when it ran free).
    anchoring: Option<crate::present::Anchoring>,
    /// States of finished trials, whose buffers the next trial reuses ([`TrialDriver::start`], the forks of
    /// [`TrialDriver::run_trial`]): a trial allocates nothing once a worker has run one.
    spare: Vec<TrialState>,
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
            decision_vars: Vec::new(),
            decision_counts: Vec::new(),
            anchoring: None,
            spare: Vec::new(),
        }
    }

    /// The start of trial `trial` of a run with master seed `seed` on `model`: [`Model::new_trial`]'s state, in the
    /// buffers of a state this driver has finished with when it has one.
    pub fn start(&mut self, model: &Model, seed: u64, trial: u64) -> TrialState {
        match self.spare.pop() {
            Some(mut st) => {
                model.restart_trial(&mut st, seed, trial);
                st
            }
            None => model.new_trial(seed, trial),
        }
    }

    /// The last trial's state at the decision date under policy slot `slot`: each state variable and each event's
    /// cumulative count, at the start of the decision date's turn.
    pub fn decision_state(&self, model: &Model, slot: usize) -> (&[f64], &[u32]) {
        let (nv, ne) = (model.vars.len(), model.events.len());
        (
            &self.decision_vars[slot * nv..(slot + 1) * nv],
            &self.decision_counts[slot * ne..(slot + 1) * ne],
        )
    }

    /// How the last trial's history was anchored to the known present (`None`: it ran free).
    pub fn anchoring(&self) -> Option<crate::present::Anchoring> {
        self.anchoring
    }

    /// The shared history up to `fork` under the baseline, anchored to the known present when the model carries
    /// one and every policy forks at the decision date (see [`crate::present`]); recorded into the prefix.
    fn simulate_prefix(&mut self, model: &Model, st: TrialState, fork: u32) -> TrialState {
        let prefix = &mut self.prefix;
        let record = |prefix: &mut Prefix, s: &TrialState| {
            prefix.vars.extend_from_slice(&s.vars);
            prefix.levers.extend_from_slice(&s.levers);
            prefix.events.extend_from_slice(&s.turn_events);
            prefix.choices.extend_from_slice(&s.choices);
            prefix.turns += 1;
        };
        let clear = |prefix: &mut Prefix| {
            prefix.vars.clear();
            prefix.levers.clear();
            prefix.events.clear();
            prefix.choices.clear();
            prefix.turns = 0;
        };
        clear(prefix);
        self.anchoring = None;
        let anchor = match model.present.as_deref() {
            Some(a) if fork == model.decision_turn && st.turn == 0 => a,
            _ => {
                let mut st = st;
                while st.turn < fork {
                    model.step(&mut st, model.baseline);
                    record(prefix, &st);
                }
                return st;
            }
        };
        let (st, anchoring) = anchor.history(model, st, fork, |s| match s {
            Some(s) => record(prefix, s),
            None => clear(prefix),
        });
        self.anchoring = Some(anchoring);
        st
    }

    /// Run the trial that starts at `st` (from [`Model::new_trial`], or
    /// [`Model::new_trial_with_params`] when a design sets the uncertainties)
    /// under each of `policies`, in order. For policy slot `s`,
    /// `turn(s, record)` sees every turn from the first (the shared
    /// pre-decision turns are replayed), then `done(s, final state, outcome
    /// values)` gets the trial's outcomes. Every evaluator (run, compare,
    /// sweep, sensitivity, discover) goes through here, so they agree on
    /// what a trial is.
    pub fn run_trial(
        &mut self,
        model: &Model,
        st: TrialState,
        policies: &[usize],
        turn: &mut dyn FnMut(usize, &TurnRecord),
        done: &mut dyn FnMut(usize, &TrialState, &[f64]),
    ) {
        // Fork at the earliest start among these policies (the decision date
        // unless `--start article`): before it every policy runs the baseline,
        // and every turn draws the same numbers under every policy, so the
        // shared prefix is exact and common random numbers are kept.
        let fork = model.fork_turn(policies);
        let st = self.simulate_prefix(model, st, fork);
        let (nv, ne) = (model.vars.len(), model.events.len());
        self.decision_vars.resize(policies.len() * nv, 0.0);
        self.decision_counts.resize(policies.len() * ne, 0);
        let prefix = &self.prefix;
        // Each policy but the last runs on a copy of the shared state (into a spare state's buffers when there is
        // one); the last runs on the shared state itself.
        let mut shared = Some(st);
        for (slot, &policy) in policies.iter().enumerate() {
            let mut s = match (slot + 1 < policies.len(), self.spare.pop()) {
                (false, spare) => {
                    self.spare.extend(spare);
                    shared.take().expect("the shared state goes to the last policy only")
                }
                (true, Some(mut fork)) => {
                    fork.fork_from(shared.as_ref().expect("the shared state is kept until the last policy"));
                    fork
                }
                (true, None) => shared
                    .as_ref()
                    .expect("the shared state is kept until the last policy")
                    .clone(),
            };
            self.rec.reset();
            for t in 0..prefix.turns {
                let r = prefix.record(model, t);
                self.rec.observe(model, &r);
                turn(slot, &r);
            }
            if s.turn == model.decision_turn {
                self.decision_vars[slot * nv..(slot + 1) * nv].copy_from_slice(&s.vars);
                self.decision_counts[slot * ne..(slot + 1) * ne].copy_from_slice(&s.event_counts);
            }
            while s.turn < model.turns {
                model.step(&mut s, policy);
                if s.turn == model.decision_turn {
                    self.decision_vars[slot * nv..(slot + 1) * nv].copy_from_slice(&s.vars);
                    self.decision_counts[slot * ne..(slot + 1) * ne].copy_from_slice(&s.event_counts);
                }
                let r = s.record();
                self.rec.observe(model, &r);
                turn(slot, &r);
            }
            self.values.clear();
            self.rec.finish(model, &mut self.values);
            done(slot, &s, &self.values);
            // At most one spare per policy (what a trial can reuse), however the caller starts its trials.
            if self.spare.len() < policies.len() {
                self.spare.push(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::checkpoint;

    struct Stopper(u64);

    impl ChunkSink for Stopper {
        fn chunk(&mut self, _index: u64, _out: &ChunkOut) -> Result<()> {
            Ok(())
        }
        fn batch_done(&mut self, next_chunk: u64, _acc: &Accumulators) -> Result<Flow> {
            Ok(if next_chunk >= self.0 {
                Flow::Stop
            } else {
                Flow::Continue
            })
        }
    }

    /// Stopping after a batch, saving the accumulators, restoring them and
    /// running the remaining chunks gives bit-identical accumulators.
    #[test]
    fn a_stopped_and_restored_run_equals_one_run() {
        let model = crate::scenario::load(None).unwrap().model;
        let design = Design {
            policies: vec![0, 1],
            trials: 5 * CHUNK - 100,
            seed: 9,
        };
        let opts = RunOptions {
            threads: 1,
            progress: false,
            fans: true,
            keep_values: 600,
            decision_state: false,
        };
        let span = 0..design.trials.div_ceil(CHUNK);
        let mut whole = Accumulators::new(&model, 2, true);
        let r = run_chunks(
            &model,
            &design,
            &opts,
            span.clone(),
            0,
            false,
            &mut whole,
            &mut Stopper(u64::MAX),
        );
        assert_eq!(r.unwrap(), None);

        let mut part = Accumulators::new(&model, 2, true);
        // The first two chunks, as a run interrupted there would have them (batches hold 8 chunks at one thread).
        let r = run_chunks(&model, &design, &opts, 0..2, 0, false, &mut part, &mut Stopper(2)).unwrap();
        assert_eq!(r, None);
        let mut e = checkpoint::Enc::default();
        checkpoint::encode_acc(&mut e, &part);
        let mut restored = checkpoint::decode_acc(&mut checkpoint::Dec::new(&e.0)).unwrap();
        let r = run_chunks(
            &model,
            &design,
            &opts,
            span,
            2,
            false,
            &mut restored,
            &mut Stopper(u64::MAX),
        );
        assert_eq!(r.unwrap(), None);

        let bytes = |a: &Accumulators| {
            let mut e = checkpoint::Enc::default();
            checkpoint::encode_acc(&mut e, a);
            e.0
        };
        assert_eq!(bytes(&whole), bytes(&restored));
        assert_eq!(whole.stats[1][0].moments.n, design.trials);
        assert_eq!(whole.values[0][0].len(), 600);
    }
}
