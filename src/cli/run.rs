//! `greatgame run`: build the experiment from a scenario, run it, summarise,
//! export and plot — in that order, one direction.

use crate::analysis::summary::summarise;
use crate::experiment::checkpoint::{self, Identity, Meta};
use crate::experiment::shard::{self, ShardSpec};
use crate::experiment::{self, Accumulators, CHUNK, ChunkOut, ChunkSink, Design, Flow, Results, RunOptions};
use crate::model::{MAX_TRIALS, Model};
use crate::report::charts::Charts;
use crate::report::json::SummaryJson;
use crate::report::manifest::ShardInfo;
use crate::report::markdown::{self, SummaryMarkdown};
use crate::report::staging::Staging;
use crate::report::{Exporter, Manifest, Report};
use crate::scenario::{self, diagnostics::closest};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, IsTerminal, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Policy to run (repeatable). Default: every policy in the scenario.
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    /// Trials per policy (at most 1,000,000,000).
    #[arg(long, default_value_t = 10_000)]
    pub trials: u64,
    /// Master seed: the same seed gives the same results at any thread count.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads. Default: all cores.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder. Default: output/<scenario name>/.
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
    /// Compute only share K of N of the trials (e.g. `2/8`), to spread one run over machines; combine the
    /// shares with `greatgame merge`. The share depends only on --trials, K and N.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<ShardSpec>,
    /// Continue an interrupted run into the same --out from its last checkpoint (the scenario, seed, trials,
    /// policies and options must be the same; --threads may differ).
    #[arg(long, conflicts_with = "restart")]
    pub resume: bool,
    /// Discard the saved state of an interrupted run into the same --out and start again.
    #[arg(long)]
    pub restart: bool,
    /// Seconds between checkpoints of an unfinished run (0: after every batch of chunks). Ctrl-C always
    /// saves one before stopping.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub checkpoint_every: f64,
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

/// Files inside a run's staging folder while it is in progress.
pub const CHECKPOINT: &str = "checkpoint.bin";
const ROWS_PARTIAL: &str = "trials.csv.partial";
const MOMENTS_PARTIAL: &str = "chunk-moments.bin.partial";
/// Files of a finished shard.
pub const SHARD_STATE: &str = "shard-state.bin";
pub const SHARD_MOMENTS: &str = "chunk-moments.bin";

/// Set by Ctrl-C (SIGINT) or SIGTERM: finish the current batch, save a checkpoint, stop.
static STOP: AtomicBool = AtomicBool::new(false);

fn install_stop_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                eprintln!("\ngreatgame: stopping now; the last checkpoint is kept");
                std::process::exit(130);
            }
            eprintln!("\ngreatgame: stopping after the current batch (press Ctrl-C again to stop at once)…");
        });
    });
}

/// The run was stopped by a signal; its state is saved and can be resumed.
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}

pub fn execute(args: &RunArgs) -> Result<()> {
    if args.trials == 0 || args.trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {})", args.trials);
    }
    if !(args.checkpoint_every.is_finite() && args.checkpoint_every >= 0.0) {
        bail!(
            "--checkpoint-every must be a number of seconds ≥ 0 (got {})",
            args.checkpoint_every
        );
    }
    let threads = match args.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let loaded = scenario::load(args.scenario.as_deref())?;
    let model = &loaded.model;
    let policies = select_policies(model, &args.policies)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&model.name));
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
    };
    let identity = Identity {
        kind: "run".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_sha256: loaded.sha256.clone(),
        seed: args.seed,
        trials: args.trials,
        design: "monte_carlo".into(),
        policies: design.policies.iter().map(|&p| model.policies[p].id.clone()).collect(),
        fans: opts.fans,
        keep_values: opts.keep_values,
        trials_file: !args.no_trials_file,
        shard: args.shard,
    };

    if args.restart {
        Staging::discard_resumable(&out_dir)?;
    }
    let (mut state, mut acc) = open_state(args, model, &loaded, &out_dir, identity, span.clone(), threads)?;
    install_stop_handler();
    let started = state.meta.trials_done();
    if started > 0 {
        eprintln!(
            "greatgame: resuming at trial {} of {} from {}",
            started,
            state.meta.trials_total(),
            state.staging.path().display()
        );
    }
    let next = state.meta.next_chunk;
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
        let done = state.meta.trials_done();
        return Err(Interrupted(format!(
            "interrupted after {done} of {} trials; the state is saved in {}.\nTo finish the run: {}",
            state.meta.trials_total(),
            state.staging.path().display(),
            resume_command()
        ))
        .into());
    }
    state.save(span.end, &acc)?;
    let meta = &state.meta;
    let secs = meta.elapsed_seconds;
    let mut manifest = build_manifest(model, &meta.scenario_origin, &meta.identity, threads, secs);
    manifest.resumed_at_trials = meta.resumed_at.clone();
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
                state.staging.path(),
                !args.no_charts,
                args.quiet,
            )?;
            state.finish_rows("trials.csv")?;
            let staging = state.staging;
            fs::remove_file(staging.path().join(CHECKPOINT)).context("removing the checkpoint")?;
            staging.commit()?
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
        caveat: model.caveat.clone(),
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

/// The command line that continues this run.
fn resume_command() -> String {
    let mut args: Vec<String> = std::env::args().collect();
    args.retain(|a| a != "--restart");
    if !args.iter().any(|a| a == "--resume") {
        args.push("--resume".into());
    }
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A run in progress: its locked staging folder, open rows files, and the
/// state to checkpoint. Also the [`ChunkSink`] that streams rows to disk.
struct RunState {
    staging: Staging,
    meta: Meta,
    rows: Option<BufWriter<File>>,
    moments: Option<BufWriter<File>>,
    moments_buf: Vec<u8>,
    every: Duration,
    last_save: Instant,
    session: Instant,
    elapsed_before: f64,
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
    let tmp = Staging::resumable_path(out_dir);
    let is_shard = identity.shard.is_some();
    let np = identity.policies.len();
    let fans = identity.fans;
    let every = Duration::from_secs_f64(args.checkpoint_every);
    if tmp.exists() {
        if !args.resume {
            bail!("{}", stale_message(&tmp, out_dir));
        }
        let staging = Staging::open_resumable(out_dir)?;
        let (mut meta, acc) = checkpoint::read(&staging.path().join(CHECKPOINT)).with_context(|| {
            format!(
                "{} holds no usable checkpoint, so it cannot be resumed; start again with --restart",
                staging.path().display()
            )
        })?;
        let diff = meta.identity.differences(&identity);
        if !diff.is_empty() {
            bail!(
                "cannot resume: the interrupted run in {} was started with different settings ({}); \
                 rerun with the same options and --resume, or start again with --restart",
                staging.path().display(),
                diff.join("; ")
            );
        }
        if meta.span != span || meta.next_chunk < span.start || meta.next_chunk > span.end {
            bail!(
                "cannot resume: the checkpoint in {} covers chunks {:?}, this run {:?}",
                staging.path().display(),
                meta.span,
                span
            );
        }
        checkpoint::check_shape(&acc, model, np, fans)
            .with_context(|| format!("cannot resume from {}", staging.path().display()))?;
        let rows = if identity.trials_file {
            let partial = staging.path().join(ROWS_PARTIAL);
            let done = staging.path().join("trials.csv");
            if !partial.exists() && done.exists() {
                fs::rename(&done, &partial).context("restoring trials.csv.partial")?;
            }
            Some(reopen_truncated(&partial, meta.rows_len)?)
        } else {
            None
        };
        let moments = if is_shard {
            Some(reopen_truncated(
                &staging.path().join(MOMENTS_PARTIAL),
                meta.moments_len,
            )?)
        } else {
            None
        };
        let done = meta.trials_done();
        meta.resumed_at.push(done);
        meta.threads = threads;
        let elapsed_before = meta.elapsed_seconds;
        let state = RunState {
            staging,
            meta,
            rows,
            moments,
            moments_buf: Vec::new(),
            every,
            last_save: Instant::now(),
            session: Instant::now(),
            elapsed_before,
        };
        return Ok((state, acc));
    }
    if args.resume {
        let finished = out_dir.join("manifest.json").is_file();
        bail!(
            "nothing to resume: there is no interrupted run for {} (no {}){}; run without --resume",
            out_dir.display(),
            tmp.display(),
            if finished {
                ", and that output is already finished"
            } else {
                ""
            }
        );
    }
    let staging = Staging::open_resumable(out_dir)?;
    let mut rows_len = 0;
    let rows = if identity.trials_file {
        let path = staging.path().join(ROWS_PARTIAL);
        let mut w = BufWriter::new(File::create(&path).with_context(|| format!("creating {}", path.display()))?);
        let header = experiment::runner::trials_header(model);
        w.write_all(header.as_bytes())?;
        rows_len = header.len() as u64;
        Some(w)
    } else {
        None
    };
    let moments = if is_shard {
        let path = staging.path().join(MOMENTS_PARTIAL);
        Some(BufWriter::new(
            File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        ))
    } else {
        None
    };
    let meta = Meta {
        identity,
        scenario_origin: loaded.origin.clone(),
        scenario_text: loaded.text.clone(),
        span: span.clone(),
        next_chunk: span.start,
        rows_len,
        moments_len: 0,
        moments_sha256: String::new(),
        elapsed_seconds: 0.0,
        threads,
        resumed_at: Vec::new(),
    };
    let acc = Accumulators::new(model, np, fans);
    let mut state = RunState {
        staging,
        meta,
        rows,
        moments,
        moments_buf: Vec::new(),
        every,
        last_save: Instant::now(),
        session: Instant::now(),
        elapsed_before: 0.0,
    };
    state.save(span.start, &acc)?;
    let manifest = build_manifest(model, &state.meta.scenario_origin, &state.meta.identity, threads, 0.0);
    manifest.write(state.staging.path())?;
    Ok((state, acc))
}

/// Explain a leftover staging folder found without `--resume`.
fn stale_message(tmp: &Path, out_dir: &Path) -> String {
    let what = match checkpoint::read(&tmp.join(CHECKPOINT)) {
        Ok((meta, _)) => {
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
        }
        Err(_) => "an unfinished run without a usable checkpoint".into(),
    };
    format!(
        "{} holds {what} writing into {}.\nAdd --resume to finish it (same options), or --restart to discard it and \
         start again.",
        tmp.display(),
        out_dir.display()
    )
}

/// Open an append-only file at exactly `len` bytes (dropping rows written after the checkpoint).
fn reopen_truncated(path: &Path, len: u64) -> Result<BufWriter<File>> {
    let mut f = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot resume: opening {}", path.display()))?;
    let have = f.metadata()?.len();
    if have < len {
        bail!(
            "cannot resume: {} has {have} bytes but the checkpoint records {len}; start again with --restart",
            path.display()
        );
    }
    f.set_len(len)
        .with_context(|| format!("truncating {}", path.display()))?;
    f.seek(SeekFrom::End(0))?;
    Ok(BufWriter::with_capacity(1 << 16, f))
}

impl RunState {
    /// Flush the rows files to disk, then write the checkpoint atomically: the
    /// checkpoint never records more rows than are on disk.
    fn save(&mut self, next_chunk: u64, acc: &Accumulators) -> Result<()> {
        for w in [self.rows.as_mut(), self.moments.as_mut()].into_iter().flatten() {
            w.flush().context("writing rows")?;
            w.get_ref().sync_data().context("syncing rows")?;
        }
        self.meta.next_chunk = next_chunk;
        self.meta.elapsed_seconds = self.elapsed_before + self.session.elapsed().as_secs_f64();
        checkpoint::write(&self.staging.path().join(CHECKPOINT), &self.meta, acc)?;
        self.last_save = Instant::now();
        Ok(())
    }

    /// Close the rows file and give it its final name.
    fn finish_rows(&mut self, name: &str) -> Result<()> {
        if let Some(mut w) = self.rows.take() {
            w.flush().context("writing trials.csv")?;
            fs::rename(self.staging.path().join(ROWS_PARTIAL), self.staging.path().join(name))
                .context("renaming trials.csv")?;
        }
        Ok(())
    }
}

impl ChunkSink for RunState {
    fn chunk(&mut self, index: u64, out: &ChunkOut) -> Result<()> {
        if let Some(w) = self.rows.as_mut() {
            w.write_all(&out.rows).context("writing trials.csv")?;
            self.meta.rows_len += out.rows.len() as u64;
        }
        if let Some(w) = self.moments.as_mut() {
            self.moments_buf.clear();
            shard::encode_moments(&mut self.moments_buf, index, &out.stats);
            w.write_all(&self.moments_buf).context("writing chunk-moments.bin")?;
            self.meta.moments_len += self.moments_buf.len() as u64;
        }
        Ok(())
    }

    fn batch_done(&mut self, next_chunk: u64, acc: &Accumulators) -> Result<Flow> {
        let stop = STOP.load(Ordering::SeqCst);
        if stop || self.last_save.elapsed() >= self.every {
            self.save(next_chunk, acc)?;
        }
        Ok(if stop { Flow::Stop } else { Flow::Continue })
    }
}

/// A finished shard: `trials.csv`, `chunk-moments.bin`, `shard-state.bin` and a
/// manifest saying which share it is.
fn finish_shard(mut state: RunState, mut manifest: Manifest, spec: ShardSpec, acc: &Accumulators) -> Result<PathBuf> {
    if let Some(mut w) = state.moments.take() {
        w.flush().context("writing chunk-moments.bin")?;
    }
    let dir = state.staging.path().to_path_buf();
    let moments = dir.join(SHARD_MOMENTS);
    fs::rename(dir.join(MOMENTS_PARTIAL), &moments).context("renaming chunk-moments.bin")?;
    state.meta.moments_sha256 = sha256_file(&moments)?;
    state.finish_rows("trials.csv")?;
    let trials = experiment::runner::chunk_trials(&state.meta.span, state.meta.identity.trials);
    manifest.status = "shard".into();
    manifest.shard = Some(ShardInfo {
        index: spec.index,
        count: spec.count,
        first_trial: trials.start,
        end_trial: trials.end,
        note: format!(
            "shard {spec}: trials {}..{} of {}, not a complete run; combine all {} shards with `greatgame merge`",
            trials.start, trials.end, state.meta.identity.trials, spec.count
        ),
    });
    checkpoint::write(&dir.join(SHARD_STATE), &state.meta, acc)?;
    fs::remove_file(dir.join(CHECKPOINT)).context("removing the checkpoint")?;
    manifest.write(&dir)?;
    state.staging.commit()
}

/// SHA-256 of a file, hex, read in a stream.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).with_context(|| format!("reading {}", path.display()))?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
