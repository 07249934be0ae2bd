//! `greatgame run`: build the experiment from a scenario, run it, summarise,
//! export and plot — in that order, one direction.

use super::resume::{PartialFile, ResumeArgs, Session, install_stop_handler, stop_requested};
use crate::analysis::summary::summarise;
use crate::experiment::checkpoint::{self, Identity, Meta};
use crate::experiment::shard::{self, ShardSpec};
use crate::experiment::{self, Accumulators, CHUNK, ChunkOut, ChunkSink, Design, Flow, Results, RunOptions};
use crate::model::{MAX_TRIALS, Model};
use crate::report::charts::Charts;
use crate::report::json::SummaryJson;
use crate::report::manifest::ShardInfo;
use crate::report::markdown::{self, SummaryMarkdown};
use crate::report::{Exporter, Manifest, Report};
use crate::scenario::{self, diagnostics::closest};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Policy to run (repeatable). Default: every policy in the scenario.
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    /// Trials per policy (at most 1,000,000,000).
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true, value_parser = super::numbers::trials::<u64>)]
    pub trials: u64,
    /// Master seed: the same seed gives the same results at any thread count.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::seed)]
    pub seed: u64,
    /// Fix the view of a contested mechanism, e.g. `--world engagement=emboldens` (repeatable; see
    /// docs/worldviews.md). Default: each trial draws its views from the scenario's weights.
    #[arg(long = "world", value_name = "MECHANISM=VIEW")]
    pub world: Vec<String>,
    #[command(flatten)]
    pub ensemble: super::calibrate::EnsembleArgs,
    /// Worker threads. Default: all cores.
    #[arg(long, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub threads: Option<usize>,
    /// Output folder. Default: output/<scenario name>/run/. A folder that holds files greatgame did not write is
    /// refused.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not write trials.csv (memory and disk stay flat for huge runs).
    #[arg(long)]
    pub no_trials_file: bool,
    /// Skip the charts (tables only).
    #[arg(long)]
    pub no_charts: bool,
    /// Do not print the summary tables to the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// When each package takes over from the baseline: `decision` (the decision date) or `article` (its own
    /// `start:`, its article's date). See `compare --start`.
    #[arg(long, value_enum, default_value_t = super::compare::StartMode::Decision)]
    pub start: super::compare::StartMode,
    /// Compute only share K of N of the trials (e.g. `2/8`), to spread one run over machines; combine the
    /// shares with `greatgame merge`. The share depends only on --trials, K and N.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<ShardSpec>,
    /// Do not write decision_state.csv (each trial's state at the decision date).
    #[arg(long)]
    pub no_decision_state: bool,
    /// Let the history before the decision date run free instead of anchoring it to the known present
    /// (`<scenario>.present.ron`; see docs/present.md).
    #[arg(long)]
    pub free_history: bool,
    #[command(flatten)]
    pub resume: ResumeArgs,
}

/// Policy indices from names (all policies if none given), with suggestions for typos.
pub fn select_policies(model: &Model, names: &[String]) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Ok((0..model.policies.len()).collect());
    }
    let ids: Vec<String> = model.policies.iter().map(|p| p.id.clone()).collect();
    let mut out = Vec::new();
    for n in names {
        match model.policy_index(n) {
            Some(i) if !out.contains(&i) => out.push(i),
            Some(_) => {}
            None => {
                let hint = closest(n, &ids)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| format!("policies: {}", ids.join(", ")));
                bail!("unknown policy `{n}`; {hint}");
            }
        }
    }
    Ok(out)
}

/// Files inside a run's staging folder while it is in progress (besides `checkpoint.bin`).
const ROWS: &str = "trials.csv";
/// Each trial's state at the decision date.
pub const DECISION: &str = "decision_state.csv";
/// Files of a finished shard.
pub const SHARD_STATE: &str = "shard-state.bin";
pub const SHARD_MOMENTS: &str = "chunk-moments.bin";

pub fn execute(args: &RunArgs) -> Result<()> {
    if args.trials == 0 || args.trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {})", args.trials);
    }
    args.resume.every()?;
    let threads = match args.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut loaded = super::which_scenario::load(args.scenario.as_deref(), "run", args.quiet)?;
    crate::model::worlds::fix(&mut loaded.model.worlds, &args.world).map_err(anyhow::Error::msg)?;
    let article = args.start == super::compare::StartMode::Article;
    if article {
        loaded.model.use_article_starts();
    }
    // Packages taking over at their articles' dates replace the record before the present the facts describe,
    // so such a run is not anchored.
    let (anchor_suffix, anchoring) = crate::present::attach(
        &mut loaded.model,
        args.scenario.as_deref(),
        args.free_history || article,
        args.quiet,
    )?;
    let ensemble = args
        .ensemble
        .attach(&mut loaded, args.scenario.as_deref(), args.quiet)?;
    let model = &loaded.model;
    let policies = select_policies(model, &args.policies)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&model.name).join("run"));
    let span = match args.shard {
        Some(s) => s.chunks(args.trials)?,
        None => 0..args.trials.div_ceil(CHUNK),
    };
    let design = Design {
        policies,
        trials: args.trials,
        seed: args.seed,
    };
    let opts = RunOptions {
        threads,
        progress: std::io::stderr().is_terminal() && args.trials >= 2_000,
        fans: !args.no_charts,
        keep_values: if args.no_charts { 0 } else { 10_000 },
        decision_state: !args.no_decision_state,
    };
    let identity = Identity {
        kind: "run".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_sha256: loaded.sha256.clone(),
        seed: args.seed,
        trials: args.trials,
        // A run from the articles' dates, or with a fixed view, is a different run: `--resume` and
        // `merge` must see it in the identity.
        design: {
            let mut d = String::from("monte_carlo");
            if article {
                d.push_str(", start=article");
            }
            if !args.world.is_empty() {
                d.push_str(&format!(" world={}", args.world.join(",")));
            }
            d.push_str(&anchor_suffix);
            if let Some(e) = &ensemble {
                d.push_str(&format!(", ensemble={}", e.sha256));
            }
            d
        },
        policies: design.policies.iter().map(|&p| model.policies[p].id.clone()).collect(),
        fans: opts.fans,
        keep_values: opts.keep_values,
        trials_file: !args.no_trials_file,
        shard: args.shard,
    };

    let (mut state, mut acc) = open_state(args, model, &loaded, &out_dir, identity, span.clone(), threads)?;
    // The identity (its design names the facts' hash) guarantees a resumed run is anchored the same way.
    state.session.meta.anchoring = anchoring;
    install_stop_handler();
    let started = state.session.meta.trials_done();
    if started > 0 {
        eprintln!(
            "greatgame: resuming at trial {} of {} from {}",
            started,
            state.session.meta.trials_total(),
            state.session.path().display()
        );
    }
    let next = state.session.meta.next_chunk;
    let want_rows = state.rows.is_some();
    let stopped = experiment::run_chunks(
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
    let mut manifest = build_manifest(model, &meta.scenario_origin, &meta.identity, threads, secs);
    manifest.resumed_at_trials = meta.resumed_at.clone();
    let anchoring = meta.anchoring.clone();
    let decision_path = match state.decision.take() {
        Some(d) => Some(d.finish()?),
        None => None,
    };
    if let Some(a) = &anchoring {
        manifest.anchoring = Some(crate::present::manifest_entry(a, decision_path.as_deref())?);
    }
    manifest.ensemble = ensemble.clone();
    manifest.trials_per_second = (meta.trials_total() * design.policies.len() as u64) as f64 / secs.max(1e-9);
    let dir = match args.shard {
        Some(spec) => finish_shard(state, manifest, spec, &acc)?,
        None => {
            let results = acc.into_results(&design, Duration::from_secs_f64(secs), threads);
            manifest.status = "complete".into();
            manifest.complete = true;
            write_outputs(
                model,
                &results,
                &manifest,
                state.session.path(),
                !args.no_charts,
                args.quiet,
            )?;
            if let Some(rows) = state.rows {
                rows.finish()?;
            }
            state.session.commit()?
        }
    };
    eprintln!(
        "greatgame: {} trials x {} policies in {:.1} s on {} thread(s); results in {}",
        meta_trials(args, &span),
        design.policies.len(),
        secs,
        threads,
        dir.display()
    );
    Ok(())
}

fn meta_trials(args: &RunArgs, span: &std::ops::Range<u64>) -> u64 {
    let r = experiment::runner::chunk_trials(span, args.trials);
    r.end - r.start
}

/// The manifest of a run described by `id` (status "incomplete"; the caller sets the rest).
pub(crate) fn build_manifest(model: &Model, origin: &str, id: &Identity, threads: usize, secs: f64) -> Manifest {
    Manifest {
        tool: "greatgame".into(),
        version: id.version.clone(),
        scenario: origin.to_string(),
        scenario_name: model.name.clone(),
        scenario_sha256: id.scenario_sha256.clone(),
        seed: id.seed,
        trials: id.trials,
        threads,
        design: id.design.clone(),
        policies: id.policies.clone(),
        baseline: model.policies[model.baseline].id.clone(),
        decision_date: model.calendar.label(model.decision_turn),
        horizon: model.calendar.label(model.turns - 1),
        command_line: std::env::args().collect(),
        wall_time_seconds: secs,
        trials_per_second: (id.trials as f64 * id.policies.len() as f64) / secs.max(1e-9),
        complete: false,
        status: "incomplete".into(),
        shard: None,
        merged_from: None,
        resumed_at_trials: Vec::new(),
        ensemble: None,
        caveat: model.caveat.clone(),
        anchoring: None,
    }
}

/// Summaries, tables, charts and `manifest.json` of finished results into `dir`
/// (shared by `run` and `merge`, so both write exactly the same files).
pub(crate) fn write_outputs(
    model: &Model,
    results: &Results,
    manifest: &Manifest,
    dir: &Path,
    charts: bool,
    quiet: bool,
) -> Result<()> {
    let summaries = summarise(model, results);
    let report = Report {
        model,
        results,
        summaries: &summaries,
        manifest,
    };
    let mut exporters: Vec<Box<dyn Exporter>> = vec![Box::new(SummaryJson), Box::new(SummaryMarkdown)];
    if charts {
        exporters.push(Box::new(Charts));
    }
    for e in &exporters {
        e.export(&report, dir)?;
    }
    manifest.write(dir)?;
    if !quiet {
        println!("{}", markdown::render(&report));
    }
    Ok(())
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
    args: &RunArgs,
    model: &Model,
    loaded: &scenario::Loaded,
    out_dir: &Path,
    identity: Identity,
    span: std::ops::Range<u64>,
    threads: usize,
) -> Result<(RunState, Accumulators)> {
    let is_shard = identity.shard.is_some();
    let np = identity.policies.len();
    let fans = identity.fans;
    let trials_file = identity.trials_file;
    let fresh = Meta::new(identity, loaded, span.clone(), threads);
    let (mut session, saved) = Session::open(&args.resume, out_dir, fresh, |meta| {
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
        let decision = if args.no_decision_state {
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
        let header = experiment::runner::trials_header(model);
        Some(PartialFile::create(&dir, ROWS, header.as_bytes())?)
    } else {
        None
    };
    let moments = if is_shard {
        Some(PartialFile::create(&dir, SHARD_MOMENTS, b"")?)
    } else {
        None
    };
    let decision = if args.no_decision_state {
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
    let manifest = build_manifest(model, &meta.scenario_origin, &meta.identity, threads, 0.0);
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
    let trials = experiment::runner::chunk_trials(&meta.span, meta.identity.trials);
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
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).with_context(|| format!("reading {}", path.display()))?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
