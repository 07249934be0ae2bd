//! A whole `run` as a library call: the trials of the chosen policies on one prepared model, streamed into a
//! locked staging folder (`trials.csv`, `decision_state.csv`, checkpoints; a shard's per-chunk moments), then
//! summarised into that folder and moved into place. The command line and a server both describe a run with
//! a [`RunJob`] (plain values, no command-line types), [`RunJob::open`] it (fresh, or resumed from its
//! checkpoint) and [`OpenRun::run`] it; what they print around it is theirs.
//!
//! Preparing the model (fixing world views, article start dates, anchoring to the known present, attaching the
//! ensemble) happens before: the job records what was done in its identity (`design_name`), so `--resume` and
//! `merge` refuse a state made otherwise.

use super::checkpoint::{self, Identity, Meta};
use super::partial::PartialFile;
use super::runner::{chunk_trials, trials_header};
use super::session::{ResumeMode, Session, stop_requested};
use super::shard::{self, ShardSpec};
use super::{Accumulators, CHUNK, ChunkOut, ChunkSink, Design, Flow, RunOptions};
use crate::calibrate::file::EnsembleRef;
use crate::model::Model;
use crate::report::Manifest;
use crate::report::manifest::ShardInfo;
use crate::scenario::Loaded;
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Files inside a run's staging folder while it is in progress (besides `checkpoint.bin`).
const ROWS: &str = "trials.csv";
/// Each trial's state at the decision date.
pub const DECISION: &str = "decision_state.csv";
/// Files of a finished shard.
pub const SHARD_STATE: &str = "shard-state.bin";
pub const SHARD_MOMENTS: &str = "chunk-moments.bin";

/// What to run, as plain values.
#[derive(Debug, Clone)]
pub struct RunJob {
    /// Policy indices, in the order the outputs list them.
    pub policies: Vec<usize>,
    pub trials: u64,
    pub seed: u64,
    pub threads: usize,
    /// The output folder (written through a staging folder beside it).
    pub out_dir: PathBuf,
    /// Write `trials.csv`.
    pub trials_file: bool,
    /// Draw the charts (and keep the values and fan histograms they need).
    pub charts: bool,
    /// Write `decision_state.csv`.
    pub decision_state: bool,
    /// Show a progress bar on the terminal.
    pub progress: bool,
    /// Compute only this share of the trials.
    pub shard: Option<ShardSpec>,
    pub resume: ResumeMode,
    /// The identity's design name: what the model's preparation changed ([`design_name`]).
    pub design_name: String,
    /// How the history before the decision date is anchored (`present::attach`), for the manifest.
    pub anchoring: Option<serde_json::Value>,
    /// The calibrated ensemble attached to the model, for the manifest.
    pub ensemble: Option<EnsembleRef>,
}

/// The design name a run's identity carries: a run from the articles' dates, with a fixed view, anchored to
/// other facts or on an ensemble is a different run, and `--resume` and `merge` must see it.
pub fn design_name(article: bool, world: &[String], anchor_suffix: &str, ensemble: Option<&EnsembleRef>) -> String {
    let mut d = String::from("monte_carlo");
    if article {
        d.push_str(", start=article");
    }
    if !world.is_empty() {
        d.push_str(&format!(" world={}", world.join(",")));
    }
    d.push_str(anchor_suffix);
    if let Some(e) = ensemble {
        d.push_str(&format!(", ensemble={}", e.sha256));
    }
    d
}

/// What a finished run (or shard) did.
#[derive(Debug)]
pub struct RunOutcome {
    /// The output folder, in place.
    pub dir: PathBuf,
    /// Trials this run (or shard) covers, per policy.
    pub trials: u64,
    pub policies: usize,
    /// Compute time over every session of the run.
    pub seconds: f64,
    pub threads: usize,
    /// The summary tables as Markdown (a whole run; a shard has none).
    pub summary: Option<String>,
}

impl RunJob {
    /// The chunks this run computes.
    fn span(&self) -> Result<Range<u64>> {
        match self.shard {
            Some(s) => s.chunks(self.trials),
            None => Ok(0..self.trials.div_ceil(CHUNK)),
        }
    }

    fn identity(&self, loaded: &Loaded, opts: &RunOptions) -> Identity {
        let model = &loaded.model;
        Identity {
            kind: "run".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_sha256: loaded.sha256.clone(),
            seed: self.seed,
            trials: self.trials,
            design: self.design_name.clone(),
            policies: self.policies.iter().map(|&p| model.policies[p].id.clone()).collect(),
            fans: opts.fans,
            keep_values: opts.keep_values,
            trials_file: self.trials_file,
            shard: self.shard,
        }
    }

    /// Create the staging folder, or reopen an interrupted one (`resume`) after checking it is this run.
    /// `loaded` holds the prepared model.
    pub fn open<'a>(&'a self, loaded: &'a Loaded) -> Result<OpenRun<'a>> {
        let model = &loaded.model;
        let span = self.span()?;
        let design = Design {
            policies: self.policies.clone(),
            trials: self.trials,
            seed: self.seed,
        };
        let opts = RunOptions {
            threads: self.threads,
            progress: self.progress,
            fans: self.charts,
            keep_values: if self.charts { 10_000 } else { 0 },
            decision_state: self.decision_state,
        };
        let identity = self.identity(loaded, &opts);
        let (mut state, acc) = open_state(self, model, loaded, identity, span.clone())?;
        // The identity (its design names the facts' hash) guarantees a resumed run is anchored the same way.
        state.session.meta.anchoring = self.anchoring.clone();
        Ok(OpenRun {
            job: self,
            model,
            span,
            design,
            opts,
            state,
            acc,
        })
    }
}

/// A run whose staging folder is open, ready to compute.
pub struct OpenRun<'a> {
    job: &'a RunJob,
    model: &'a Model,
    span: Range<u64>,
    design: Design,
    opts: RunOptions,
    state: RunState,
    acc: Accumulators,
}

impl OpenRun<'_> {
    /// Trials already done (a resumed run), of how many, and where the state is kept; `None` for a fresh run.
    pub fn resumed_from(&self) -> Option<(u64, u64, &Path)> {
        let meta = &self.state.session.meta;
        let done = meta.trials_done();
        (done > 0).then(|| (done, meta.trials_total(), self.state.session.path()))
    }

    /// Compute the remaining chunks, then write the outputs and move the folder into place. A stop asked for
    /// by a signal ([`super::session::install_stop_handler`]) saves a checkpoint and returns the
    /// [`super::session::Interrupted`] error that says how to resume.
    pub fn run(self) -> Result<RunOutcome> {
        let OpenRun {
            job,
            model,
            span,
            design,
            opts,
            mut state,
            mut acc,
        } = self;
        let next = state.session.meta.next_chunk;
        let want_rows = state.rows.is_some();
        let stopped = super::run_chunks(
            model,
            &design,
            &opts,
            span.clone(),
            next,
            want_rows,
            &mut acc,
            &mut state,
        )?;
        if stopped.is_some() {
            let meta = &state.session.meta;
            let progress = format!("{} of {} trials", meta.trials_done(), meta.trials_total());
            return Err(state.session.interrupted(&progress).into());
        }
        state.save(span.end, &acc)?;
        let meta = &state.session.meta;
        let secs = meta.elapsed_seconds;
        let threads = job.threads;
        let mut manifest = Manifest::for_run(model, &meta.scenario_origin, &meta.identity, threads, secs);
        manifest.resumed_at_trials = meta.resumed_at.clone();
        let anchoring = meta.anchoring.clone();
        let decision_path = match state.decision.take() {
            Some(d) => Some(d.finish()?),
            None => None,
        };
        if let Some(a) = &anchoring {
            manifest.anchoring = Some(crate::present::manifest_entry(a, decision_path.as_deref())?);
        }
        manifest.ensemble = job.ensemble.clone();
        manifest.trials_per_second = (meta.trials_total() * design.policies.len() as u64) as f64 / secs.max(1e-9);
        let (dir, summary) = match job.shard {
            Some(spec) => (finish_shard(state, manifest, spec, &acc)?, None),
            None => {
                let results = acc.into_results(&design, Duration::from_secs_f64(secs), threads);
                manifest.status = "complete".into();
                manifest.complete = true;
                let summary =
                    crate::report::write_run_outputs(model, &results, &manifest, state.session.path(), job.charts)?;
                if let Some(rows) = state.rows {
                    rows.finish()?;
                }
                (state.session.commit()?, Some(summary))
            }
        };
        let trials = chunk_trials(&span, job.trials);
        Ok(RunOutcome {
            dir,
            trials: trials.end - trials.start,
            policies: design.policies.len(),
            seconds: secs,
            threads,
            summary,
        })
    }
}

/// A run in progress: its session (locked staging folder and progress), open
/// rows files, and the [`ChunkSink`] that streams rows to them and saves
/// checkpoints.
struct RunState {
    session: Session,
    rows: Option<PartialFile>,
    decision: Option<PartialFile>,
    moments: Option<PartialFile>,
    moments_buf: Vec<u8>,
}

/// Create a fresh staging folder, or reopen an interrupted one with `--resume`.
fn open_state(
    job: &RunJob,
    model: &Model,
    loaded: &Loaded,
    identity: Identity,
    span: Range<u64>,
) -> Result<(RunState, Accumulators)> {
    let threads = job.threads;
    let is_shard = identity.shard.is_some();
    let np = identity.policies.len();
    let fans = identity.fans;
    let trials_file = identity.trials_file;
    let fresh = Meta::new(identity, loaded, span.clone(), threads);
    let (mut session, saved) = Session::open(job.resume, &job.out_dir, fresh, |meta| {
        let id = &meta.identity;
        let shard = id.shard.map(|s| format!(", shard {s}")).unwrap_or_default();
        format!(
            "an unfinished run ({} of {} trials done; seed {}, {} trials{}, scenario {})",
            meta.trials_done(),
            meta.trials_total(),
            id.seed,
            id.trials,
            shard,
            meta.scenario_origin
        )
    })?;
    let dir = session.path().to_path_buf();
    if let Some(acc) = saved {
        checkpoint::check_shape(&acc, model, np, fans)
            .with_context(|| format!("cannot resume from {}", dir.display()))?;
        let meta = &mut session.meta;
        let rows = if trials_file {
            Some(PartialFile::reopen(&dir, ROWS, meta.rows_len)?)
        } else {
            None
        };
        let moments = if is_shard {
            Some(PartialFile::reopen(&dir, SHARD_MOMENTS, meta.moments_len)?)
        } else {
            None
        };
        let decision = if !job.decision_state {
            None
        } else {
            Some(PartialFile::reopen(&dir, DECISION, meta.decision_len)?)
        };
        meta.resumed_at.push(meta.trials_done());
        let state = RunState {
            session,
            rows,
            decision,
            moments,
            moments_buf: Vec::new(),
        };
        return Ok((state, acc));
    }
    let rows = if trials_file {
        let header = trials_header(model);
        Some(PartialFile::create(&dir, ROWS, header.as_bytes())?)
    } else {
        None
    };
    let moments = if is_shard {
        Some(PartialFile::create(&dir, SHARD_MOMENTS, b"")?)
    } else {
        None
    };
    let decision = if !job.decision_state {
        None
    } else {
        let policies: Vec<usize> = session
            .meta
            .identity
            .policies
            .iter()
            .filter_map(|p| model.policy_index(p))
            .collect();
        let header = crate::present::decision_header(model, crate::present::anchored(model, &policies));
        Some(PartialFile::create(&dir, DECISION, header.as_bytes())?)
    };
    let acc = Accumulators::new(model, np, fans);
    let mut state = RunState {
        session,
        rows,
        decision,
        moments,
        moments_buf: Vec::new(),
    };
    state.save(span.start, &acc)?;
    let meta = &state.session.meta;
    let manifest = Manifest::for_run(model, &meta.scenario_origin, &meta.identity, threads, 0.0);
    manifest.write(&dir)?;
    Ok((state, acc))
}

impl RunState {
    /// Flush the rows files to disk, then write the checkpoint.
    fn save(&mut self, next_chunk: u64, acc: &Accumulators) -> Result<()> {
        let meta = &mut self.session.meta;
        if let Some(w) = self.rows.as_mut() {
            w.sync()?;
            meta.rows_len = w.bytes();
        }
        if let Some(w) = self.moments.as_mut() {
            w.sync()?;
            meta.moments_len = w.bytes();
        }
        if let Some(w) = self.decision.as_mut() {
            w.sync()?;
            meta.decision_len = w.bytes();
        }
        self.session.save(next_chunk, acc)
    }
}

impl ChunkSink for RunState {
    fn chunk(&mut self, index: u64, out: &ChunkOut) -> Result<()> {
        if let Some(w) = self.rows.as_mut() {
            w.write(&out.rows)?;
        }
        if let Some(w) = self.decision.as_mut() {
            w.write(&out.decision_rows)?;
        }
        if let Some(w) = self.moments.as_mut() {
            self.moments_buf.clear();
            shard::encode_moments(&mut self.moments_buf, index, &out.stats);
            w.write(&self.moments_buf)?;
        }
        Ok(())
    }

    fn batch_done(&mut self, next_chunk: u64, acc: &Accumulators) -> Result<Flow> {
        if self.session.due() {
            self.save(next_chunk, acc)?;
        }
        Ok(if stop_requested() { Flow::Stop } else { Flow::Continue })
    }
}

/// A finished shard: `trials.csv`, `chunk-moments.bin`, `shard-state.bin` and a
/// manifest saying which share it is.
fn finish_shard(mut state: RunState, mut manifest: Manifest, spec: ShardSpec, acc: &Accumulators) -> Result<PathBuf> {
    let dir = state.session.path().to_path_buf();
    if let Some(w) = state.moments.take() {
        let moments = w.finish()?;
        state.session.meta.moments_sha256 = sha256_file(&moments)?;
    }
    if let Some(rows) = state.rows.take() {
        rows.finish()?;
    }
    let meta = &state.session.meta;
    let trials = chunk_trials(&meta.span, meta.identity.trials);
    manifest.status = "shard".into();
    manifest.shard = Some(ShardInfo {
        index: spec.index,
        count: spec.count,
        first_trial: trials.start,
        end_trial: trials.end,
        note: format!(
            "shard {spec}: trials {}..{} of {}, not a complete run; combine all {} shards with `greatgame merge`",
            trials.start, trials.end, meta.identity.trials, spec.count
        ),
    });
    checkpoint::write(&dir.join(SHARD_STATE), meta, acc)?;
    manifest.write(&dir)?;
    state.session.commit()
}

/// SHA-256 of a file, hex, read in a stream.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).with_context(|| format!("reading {}", path.display()))?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
