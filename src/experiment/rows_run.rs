//! The rows file of a resumable exploration command (`sweep`, `sensitivity`, `calibrate`) and its checkpoints.
//!
//! These commands' rows are all the state there is: their summaries are folded from the rows, so a checkpoint
//! records only how far the rows go, a resumed command folds its summaries from the whole rows file, and a
//! shard saves only its identity and span as JSON ([`EXPLORE_SHARD_STATE`]) for `merge` to recompute the same
//! summaries from the concatenated rows.

use super::batch::{self, UnitSink};
use super::checkpoint::Meta;
use super::merge::EXPLORE_SHARD_STATE;
use super::partial::PartialFile;
use super::session::{ResumeMode, Session, stop_requested};
use super::shard::ShardSpec;
use super::{Accumulators, Flow};
use crate::report::manifest::{ManifestInfo, ShardInfo};
use anyhow::{Context, Result};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The first error of a parallel evaluation whose failing units carry on with a placeholder (a design point
/// whose varied scenario does not compile gets NaN outcomes): the run keeps its rows in order, and the error
/// is reported once it has finished, with the context of what failed.
#[derive(Default)]
pub struct FirstError(Mutex<Option<anyhow::Error>>);

impl FirstError {
    /// Keep `e` unless an earlier error is kept already.
    pub fn keep(&self, e: anyhow::Error) {
        if let Ok(mut first) = self.0.lock() {
            first.get_or_insert(e);
        }
    }

    /// The kept error, if any, under `context`.
    pub fn check(self, context: &'static str) -> Result<()> {
        match self.0.into_inner().ok().flatten() {
            Some(e) => Err(e.context(context)),
            None => Ok(()),
        }
    }
}

/// An exploration command in progress (`sweep`, `sensitivity`): its session
/// (locked staging folder, progress, checkpoints) and its rows file. The rows
/// are all the state there is — the summaries are folded from them — so a
/// checkpoint records only how far the rows go, and a resumed command folds
/// its summaries from the whole rows file at the end, with the code `merge` uses.
pub struct RowsRun {
    pub session: Session,
    rows: PartialFile,
    /// Trials per unit of work (for progress messages and `resumed_at`).
    trials_per_unit: u64,
}

impl RowsRun {
    /// Open the staging folder for the command `fresh` describes (its span in
    /// units of work). A fresh one starts `rows_name` with `header` (one line,
    /// newline included) and gets an `"incomplete"` manifest; a resumed one
    /// cuts the rows back to its checkpoint.
    pub fn open(
        resume: ResumeMode,
        out_dir: &Path,
        fresh: Meta,
        rows_name: &'static str,
        header: &str,
        trials_per_unit: u64,
        manifest: &ManifestInfo,
    ) -> Result<RowsRun> {
        let (session, saved) = Session::open(resume, out_dir, fresh, |meta| {
            format!(
                "an unfinished {} ({} of {} trials done; seed {}, scenario {})",
                meta.identity.kind,
                (meta.next_chunk - meta.span.start) * trials_per_unit,
                (meta.span.end - meta.span.start) * trials_per_unit,
                meta.identity.seed,
                meta.scenario_origin
            )
        })?;
        let mut run = if saved.is_some() {
            let rows = PartialFile::reopen(session.path(), rows_name, session.meta.rows_len)?;
            RowsRun {
                session,
                rows,
                trials_per_unit,
            }
        } else {
            let rows = PartialFile::create(session.path(), rows_name, header.as_bytes())?;
            let mut run = RowsRun {
                session,
                rows,
                trials_per_unit,
            };
            run.save(run.session.meta.span.start)?;
            manifest.write(
                run.session.path(),
                run.trials_total(),
                run.session.meta.threads,
                0.0,
                |m| {
                    m.complete = false;
                    m.status = "incomplete".into();
                },
            )?;
            run
        };
        if saved.is_some() {
            let done = run.trials_done();
            run.session.meta.resumed_at.push(done);
        }
        if run.trials_done() > 0 {
            eprintln!(
                "greatgame: resuming at trial {} of {} from {}",
                run.trials_done(),
                run.trials_total(),
                run.session.path().display()
            );
        }
        Ok(run)
    }

    /// The first unit still to compute.
    pub fn next(&self) -> u64 {
        self.session.meta.next_chunk
    }

    pub fn trials_done(&self) -> u64 {
        (self.session.meta.next_chunk - self.session.meta.span.start) * self.trials_per_unit
    }

    fn trials_total(&self) -> u64 {
        (self.session.meta.span.end - self.session.meta.span.start) * self.trials_per_unit
    }

    /// Whether this run was resumed after some of its units were done (so its
    /// summaries must be folded from the rows file rather than in memory).
    pub fn resumed_part_way(&self) -> bool {
        self.session.start > self.session.meta.span.start
    }

    /// Sync the rows, then checkpoint "every unit before `next` is done".
    fn save(&mut self, next: u64) -> Result<()> {
        self.rows.sync()?;
        self.session.meta.rows_len = self.rows.bytes();
        let none = Accumulators {
            stats: Vec::new(),
            fans: None,
            values: Vec::new(),
        };
        self.session.save(next, &none)
    }

    /// After the evaluator returns: if it was stopped, the error that says how
    /// to resume; otherwise the last checkpoint (every unit done).
    fn settle(&mut self, stopped: Option<u64>) -> Result<()> {
        if stopped.is_some() {
            let progress = format!("{} of {} trials", self.trials_done(), self.trials_total());
            return Err(self.session.interrupted(&progress).into());
        }
        self.save(self.session.meta.span.end)
    }

    /// Evaluate the units from the checkpoint to the end of the span with `eval` (each unit's rows as text and
    /// what `fold` takes) on `threads` workers, streaming rows in unit order, with a progress bar unless
    /// `quiet`; then the last checkpoint. A unit whose model fails hands its error to the [`FirstError`] and
    /// a placeholder on; the first such error ends the run after the loop, under "a design point's model". A
    /// stop asked for by a signal returns `session::Interrupted`.
    pub fn drive<T, E, F>(&mut self, threads: usize, quiet: bool, eval: E, fold: F) -> Result<()>
    where
        T: Send,
        E: Fn(u64, &FirstError) -> (String, T) + Sync,
        F: FnMut(T),
    {
        let bar = batch::progress_bar(self.trials_total(), !quiet);
        if let Some(b) = &bar {
            b.set_position(self.trials_done());
            b.reset_eta();
        }
        let failed = FirstError::default();
        let units = self.next()..self.session.meta.span.end;
        let per_unit = self.trials_per_unit;
        let stopped = batch::for_each_ordered(
            units,
            threads,
            per_unit,
            bar.as_ref(),
            |u| eval(u, &failed),
            Streamed { run: self, fold },
        )?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        failed.check("a design point's model")?;
        self.settle(stopped)
    }

    /// Close the rows file under its final name; returns the session and the rows' path.
    pub fn finish(self) -> Result<(Session, PathBuf)> {
        let path = self.rows.finish()?;
        Ok((self.session, path))
    }

    /// The trials of this run's units (its rows, for a shard's manifest).
    pub fn trials(&self) -> Range<u64> {
        let span = &self.session.meta.span;
        span.start * self.trials_per_unit..span.end * self.trials_per_unit
    }

    /// Finish shard `spec`: rows, `shard-state.json` (with the span in the
    /// units `merge` expects, `shard_span`), a manifest with status "shard"
    /// and `note`, and the folder moved into place.
    pub fn finish_shard(
        self,
        manifest: &ManifestInfo,
        spec: ShardSpec,
        shard_span: Range<u64>,
        note: String,
    ) -> Result<PathBuf> {
        let trials = self.trials();
        let (session, _) = self.finish()?;
        let meta = Meta {
            next_chunk: shard_span.end,
            span: shard_span,
            ..session.meta.clone()
        };
        write_shard_state(session.path(), &meta)?;
        let n = trials.end - trials.start;
        manifest.write(session.path(), n, meta.threads, meta.elapsed_seconds, |m| {
            m.complete = false;
            m.status = "shard".into();
            m.resumed_at_trials = meta.resumed_at.clone();
            m.shard = Some(ShardInfo {
                index: spec.index,
                count: spec.count,
                first_trial: trials.start,
                end_trial: trials.end,
                note,
            });
        })?;
        session.commit()
    }
}

/// The sink of [`RowsRun::drive`]: each unit's rows (text) go to the rows
/// file, the rest to `fold`; checkpoints at batch boundaries.
struct Streamed<'a, F> {
    run: &'a mut RowsRun,
    fold: F,
}

impl<X, F: FnMut(X)> UnitSink<(String, X)> for Streamed<'_, F> {
    fn unit(&mut self, _index: u64, (rows, x): (String, X)) -> Result<()> {
        (self.fold)(x);
        self.run.rows.write(rows.as_bytes())
    }

    fn batch_done(&mut self, next: u64) -> Result<Flow> {
        if self.run.session.due() {
            self.run.save(next)?;
        }
        Ok(if stop_requested() { Flow::Stop } else { Flow::Continue })
    }
}

/// Write a finished exploration shard's state ([`EXPLORE_SHARD_STATE`]).
pub fn write_shard_state(dir: &Path, meta: &Meta) -> Result<()> {
    let text = serde_json::to_string_pretty(meta)? + "\n";
    std::fs::write(dir.join(EXPLORE_SHARD_STATE), text).context("writing shard-state.json")
}
