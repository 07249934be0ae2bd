//! A batch of chunks run with its trials grouped by ensemble member, its results put back in trial order.
//!
//! Each trial runs on the ensemble member its own stream draws ([`Model::member`]). The shipped ensemble has 200
//! members, each a whole compiled model: together far more than the caches hold, so trials run in trial order
//! start almost every time on a model that is no longer in cache. Run sorted by member instead, consecutive
//! trials mostly share one, read while it is warm (about 10% of the time of a trial; see the note of issue 17).
//!
//! The order changes nothing a trial computes: a trial depends only on (seed, trial) and its member, and starts in
//! buffers reset for it whatever ran before (the same guarantee that makes results independent of the thread
//! count). Its outcome values, `trials.csv` rows and `decision_state.csv` rows are kept aside and each chunk is
//! assembled in trial order, so every accumulator sees the same values in the same order as a run in trial order,
//! and the outputs are the same bit for bit.

use super::collect::FanHistograms;
use super::runner::{ChunkOut, Design, RunOptions, TrialDriver, chunk_trials};
use crate::analysis::stats::OutcomeStats;
use crate::model::{Model, TrialState, TurnRecord};
use rayon::prelude::*;
use std::ops::Range;

/// Trials a share runs between two reports to the progress bar.
const REPORT_EVERY: u64 = 64;

/// Where one finished trial's results sit in its [`Piece`]'s buffers.
struct Finished {
    trial: u64,
    /// `policies × outcomes` values, policy-slot major.
    values: usize,
    rows: Range<usize>,
    decision_rows: Range<usize>,
}

/// What one share of a batch produced, trial by trial in the order the share ran them.
struct Piece {
    finished: Vec<Finished>,
    values: Vec<f64>,
    rows: Vec<u8>,
    decision_rows: Vec<u8>,
    fans: Option<FanHistograms>,
}

/// Run the trials of `chunks` on the current rayon pool, grouped by ensemble member, and return one
/// [`ChunkOut`] per chunk, in chunk order, exactly as running each chunk's trials in order would give. The fan
/// histograms (counts, which add up in any order) of the whole batch ride on its last chunk. `progress` is called
/// with the number of trials just finished.
pub(crate) fn run_batch(
    model: &Model,
    design: &Design,
    chunks: Range<u64>,
    want_rows: bool,
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<ChunkOut> {
    let trials = chunk_trials(&chunks, design.trials);
    // (member, trial), each member drawn once; the key holds the trial, so the order is a function of the batch.
    let mut keyed: Vec<(usize, u64)> = trials
        .clone()
        .map(|t| (model.member_index(design.seed, t).unwrap_or(0), t))
        .collect();
    if model.ensemble.is_some() {
        keyed.sort_unstable();
    }
    let order: Vec<u64> = keyed.into_iter().map(|(_, t)| t).collect();
    // Eight shares per worker (a chunk's worth of trials each at the default batch), so that the workers finish a
    // batch together; shares are contiguous in member order, so each cut costs at most one more cold start.
    let shares = (rayon::current_num_threads() * 8).max(1);
    let per_share = order.len().div_ceil(shares).max(1);
    let pieces: Vec<Piece> = order
        .par_chunks(per_share)
        .map(|ts| run_piece(model, design, ts, want_rows, opts, progress))
        .collect();
    assemble(model, design, chunks, trials, pieces, opts)
}

/// Run `trials` in the given order in one [`TrialDriver`], keeping each one's results.
fn run_piece(
    model: &Model,
    design: &Design,
    trials: &[u64],
    want_rows: bool,
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Piece {
    let (np, no) = (design.policies.len(), model.outcomes.len());
    let mut p = Piece {
        finished: Vec::with_capacity(trials.len()),
        values: Vec::with_capacity(trials.len() * np * no),
        rows: Vec::new(),
        decision_rows: Vec::new(),
        fans: opts.fans.then(|| FanHistograms::new(model, np)),
    };
    let mut driver = TrialDriver::new(model);
    let mut unreported = 0;
    for &trial in trials {
        let (at, rows_from, decision_from) = (p.values.len(), p.rows.len(), p.decision_rows.len());
        p.values.resize(at + np * no, 0.0);
        let Piece { values, rows, fans, .. } = &mut p;
        let mut on_turn = |slot: usize, r: &TurnRecord| {
            if let Some(f) = fans.as_mut() {
                f.observe(model, slot, r);
            }
        };
        let mut on_done = |slot: usize, s: &TrialState, outcome: &[f64]| {
            values[at + slot * no..at + (slot + 1) * no].copy_from_slice(outcome);
            if want_rows {
                trial_row(rows, model, design.policies[slot], trial, s, outcome);
            }
        };
        let member = model.member(design.seed, trial);
        let st = driver.start(member, design.seed, trial);
        driver.run_trial(member, st, &design.policies, &mut on_turn, &mut on_done);
        if opts.decision_state {
            crate::present::trial_rows(&mut p.decision_rows, model, &design.policies, trial, &driver);
        }
        p.finished.push(Finished {
            trial,
            values: at,
            rows: rows_from..p.rows.len(),
            decision_rows: decision_from..p.decision_rows.len(),
        });
        unreported += 1;
        if unreported == REPORT_EVERY {
            progress(unreported);
            unreported = 0;
        }
    }
    progress(unreported);
    p
}

/// One `trials.csv` row: policy, trial, the uncertainties, the view of each mechanism, the outcomes.
fn trial_row(rows: &mut Vec<u8>, model: &Model, policy: usize, trial: u64, s: &TrialState, outcome: &[f64]) {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(256);
    let _ = write!(line, "{},{}", model.policies[policy].id, trial);
    for p in &s.params {
        let _ = write!(line, ",{p}");
    }
    for (m, &v) in model.worlds.iter().zip(&s.world) {
        let _ = write!(line, ",{}", m.views[v as usize].id);
    }
    for x in outcome {
        let _ = write!(line, ",{x}");
    }
    line.push('\n');
    rows.extend_from_slice(line.as_bytes());
}

/// Each chunk's [`ChunkOut`], its trials taken in trial order from wherever they ran.
fn assemble(
    model: &Model,
    design: &Design,
    chunks: Range<u64>,
    trials: Range<u64>,
    pieces: Vec<Piece>,
    opts: &RunOptions,
) -> Vec<ChunkOut> {
    let (np, no) = (design.policies.len(), model.outcomes.len());
    // (piece, place in it) of every trial of the batch.
    let mut at = vec![(usize::MAX, 0); (trials.end - trials.start) as usize];
    for (pi, p) in pieces.iter().enumerate() {
        for (k, f) in p.finished.iter().enumerate() {
            at[(f.trial - trials.start) as usize] = (pi, k);
        }
    }
    let mut fans: Option<FanHistograms> = None;
    for p in &pieces {
        if let Some(f) = &p.fans {
            match fans.as_mut() {
                Some(all) => all.merge(f),
                None => fans = Some(f.clone()),
            }
        }
    }
    let mut outs: Vec<ChunkOut> = chunks
        .map(|c| {
            let mut out = ChunkOut {
                stats: vec![vec![OutcomeStats::default(); no]; np],
                values: vec![vec![Vec::new(); no]; np],
                fans: None,
                rows: Vec::new(),
                decision_rows: Vec::new(),
            };
            for trial in chunk_trials(&(c..c + 1), design.trials) {
                let (pi, k) = at[(trial - trials.start) as usize];
                let (p, f) = (&pieces[pi], &pieces[pi].finished[k]);
                let values = &p.values[f.values..f.values + np * no];
                for (slot, per_slot) in values.chunks_exact(no.max(1)).enumerate().take(np) {
                    for (o, &x) in per_slot.iter().enumerate() {
                        out.stats[slot][o].push(x);
                        if trial < opts.keep_values {
                            out.values[slot][o].push(x);
                        }
                    }
                }
                out.rows.extend_from_slice(&p.rows[f.rows.clone()]);
                out.decision_rows
                    .extend_from_slice(&p.decision_rows[f.decision_rows.clone()]);
            }
            out
        })
        .collect();
    if let Some(last) = outs.last_mut() {
        last.fans = fans;
    }
    outs
}
