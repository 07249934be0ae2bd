//! Pieces shared by the exploration commands (`sweep`, `sensitivity`,
//! `discover`): option checks, outcome and policy selection, the manifest,
//! and the streaming CSV file.

use super::resume::{PartialFile, ResumeArgs, Session, stop_requested};
use crate::experiment::batch::UnitSink;
use crate::experiment::checkpoint::Meta;
use crate::experiment::shard::ShardSpec;
use crate::experiment::{Accumulators, Flow};
use crate::model::{MAX_TRIALS, Model};
use crate::plot::ChartContext;
use crate::report::Manifest;
use crate::report::manifest::ShardInfo;
use crate::scenario::Loaded;
use crate::scenario::diagnostics::closest;
use crate::scenario::schema::OutcomeKind;
use anyhow::{Context, Result, bail};
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Options every exploration command takes.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// Master seed: the same seed gives the same files at any thread count.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::seed)]
    pub seed: u64,
    /// Worker threads. Default: all cores.
    #[arg(long, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub threads: Option<usize>,
    /// Output folder. Default: output/<scenario name>/<command>/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip the charts (tables only).
    #[arg(long)]
    pub no_charts: bool,
    /// Do not print the summary to the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

impl CommonArgs {
    pub fn threads(&self) -> Result<usize> {
        match self.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(t) => Ok(t),
            None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        }
    }

    pub fn out_dir(&self, model: &Model, command: &str) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(&model.name).join(command))
    }
}

/// The policy named by `--policy`, or the baseline if none is given.
pub fn one_policy(model: &Model, name: Option<&str>) -> Result<usize> {
    let Some(n) = name else { return Ok(model.baseline) };
    model.policy_index(n).ok_or_else(|| {
        let ids: Vec<String> = model.policies.iter().map(|p| p.id.clone()).collect();
        let hint = closest(n, &ids)
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("policies: {}", ids.join(", ")));
        anyhow::anyhow!("unknown policy `{n}`; {hint}")
    })
}

/// Outcome index by id, with a "did you mean" hint.
pub fn outcome_index(model: &Model, id: &str, flag: &str) -> Result<usize> {
    model.outcomes.iter().position(|o| o.id == id).ok_or_else(|| {
        let ids: Vec<String> = model.outcomes.iter().map(|o| o.id.clone()).collect();
        let hint = closest(id, &ids)
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| format!("outcomes: {}", ids.join(", ")));
        anyhow::anyhow!("{flag}: unknown outcome `{id}`; {hint}")
    })
}

/// Outcomes named by `--outcome`, or every Maximize/Minimize outcome.
pub fn select_outcomes(model: &Model, names: &[String]) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Ok(model
            .outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.kind != OutcomeKind::Info)
            .map(|(i, _)| i)
            .collect());
    }
    let mut out = Vec::new();
    for n in names {
        let i = outcome_index(model, n, "--outcome")?;
        if !out.contains(&i) {
            out.push(i);
        }
    }
    Ok(out)
}

pub fn direction(k: OutcomeKind) -> &'static str {
    match k {
        OutcomeKind::Maximize => "higher is better for the US",
        OutcomeKind::Minimize => "lower is better for the US",
        OutcomeKind::Info => "for information",
    }
}

/// Check a count of trials against the engine's limit.
pub fn check_trials(total: u128) -> Result<u64> {
    if total == 0 || total > u128::from(MAX_TRIALS) {
        bail!(
            "this design needs {total} trials; the limit is {MAX_TRIALS} — use fewer samples, replications or lever values"
        );
    }
    Ok(total as u64)
}

pub fn chart_context(model: &Model, label: String) -> ChartContext {
    ChartContext {
        scenario: model.title.clone(),
        run_label: label,
        caveat: model.caveat.clone(),
    }
}

/// Write `manifest.json`: the run's manifest plus the design's details.
#[allow(clippy::too_many_arguments)]
pub fn write_manifest(
    dir: &Path,
    loaded: &Loaded,
    seed: u64,
    trials: u64,
    threads: usize,
    design: &str,
    policy: &str,
    secs: f64,
    details: serde_json::Value,
) -> Result<()> {
    write_manifest_with(
        dir,
        loaded,
        seed,
        trials,
        threads,
        design,
        policy,
        secs,
        details,
        |_| {},
    )
}

/// [`write_manifest`], with a last say on the manifest (a shard's status, a merge's `merged_from`).
#[allow(clippy::too_many_arguments)]
pub fn write_manifest_with(
    dir: &Path,
    loaded: &Loaded,
    seed: u64,
    trials: u64,
    threads: usize,
    design: &str,
    policy: &str,
    secs: f64,
    details: serde_json::Value,
    adjust: impl FnOnce(&mut Manifest),
) -> Result<()> {
    let model = &loaded.model;
    let mut m = Manifest {
        tool: "greatgame".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: loaded.origin.clone(),
        scenario_name: model.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed,
        trials,
        threads,
        design: design.into(),
        policies: vec![policy.into()],
        baseline: model.policies[model.baseline].id.clone(),
        decision_date: model.calendar.label(model.decision_turn),
        horizon: model.calendar.label(model.turns - 1),
        command_line: std::env::args().collect(),
        wall_time_seconds: secs,
        trials_per_second: trials as f64 / secs.max(1e-9),
        complete: true,
        status: "complete".into(),
        caveat: model.caveat.clone(),
        anchoring: None,
        ensemble: loaded.ensemble.clone(),
        ..Manifest::default()
    };
    adjust(&mut m);
    let mut v = serde_json::to_value(&m)?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("design_details".into(), details);
    }
    let text = serde_json::to_string_pretty(&v)? + "\n";
    std::fs::write(dir.join("manifest.json"), text).context("writing manifest.json")
}

/// What an exploration command's manifest says besides its status, trials and timings.
pub struct ManifestInfo<'a> {
    pub loaded: &'a Loaded,
    pub seed: u64,
    /// The design's one-line name (`sweep: full factorial lever grid x lhs`).
    pub design: String,
    pub policy: String,
    pub details: serde_json::Value,
}

impl ManifestInfo<'_> {
    /// Write `manifest.json` into `dir`; `adjust` has the last say.
    pub fn write(
        &self,
        dir: &Path,
        trials: u64,
        threads: usize,
        secs: f64,
        adjust: impl FnOnce(&mut Manifest),
    ) -> Result<()> {
        write_manifest_with(
            dir,
            self.loaded,
            self.seed,
            trials,
            threads,
            &self.design,
            &self.policy,
            secs,
            self.details.clone(),
            adjust,
        )
    }
}

/// The shard state of an exploration command (`sweep`, `sensitivity`): its
/// identity and span as JSON. Everything else `merge` needs is in the rows file,
/// from which it recomputes the summaries exactly as the unsharded command does.
pub const EXPLORE_SHARD_STATE: &str = "shard-state.json";

pub fn write_shard_state(dir: &Path, meta: &Meta) -> Result<()> {
    let text = serde_json::to_string_pretty(meta)? + "\n";
    std::fs::write(dir.join(EXPLORE_SHARD_STATE), text).context("writing shard-state.json")
}

/// A CSV file in the staging folder, written row by row.
pub struct CsvOut {
    w: BufWriter<std::fs::File>,
    name: &'static str,
}

impl CsvOut {
    pub fn create(dir: &Path, name: &'static str, header: &str) -> Result<CsvOut> {
        let path = dir.join(name);
        let mut w =
            BufWriter::new(std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?);
        w.write_all(header.as_bytes())?;
        w.write_all(b"\n")?;
        Ok(CsvOut { w, name })
    }

    pub fn row(&mut self, line: &str) -> Result<()> {
        self.w
            .write_all(line.as_bytes())
            .and_then(|_| self.w.write_all(b"\n"))
            .with_context(|| format!("writing {}", self.name))
    }

    pub fn finish(mut self) -> Result<()> {
        self.w.flush().with_context(|| format!("writing {}", self.name))
    }
}

/// Quote a CSV field if it needs it.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Column names: the ids of the model's uncertainties.
pub fn param_header(model: &Model) -> String {
    model.params.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(",")
}

/// Column names: the ids of the model's outcomes.
pub fn outcome_header(model: &Model) -> String {
    model
        .outcomes
        .iter()
        .map(|o| o.id.as_str())
        .collect::<Vec<_>>()
        .join(",")
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
        resume: &ResumeArgs,
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
    pub fn settle(&mut self, stopped: Option<u64>) -> Result<()> {
        if stopped.is_some() {
            let progress = format!("{} of {} trials", self.trials_done(), self.trials_total());
            return Err(self.session.interrupted(&progress).into());
        }
        self.save(self.session.meta.span.end)
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

/// The sink of an exploration command: each unit's rows (text) go to the rows
/// file, the rest to `fold`; checkpoints at batch boundaries.
pub struct Streamed<'a, F> {
    pub run: &'a mut RowsRun,
    pub fold: F,
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

/// Attach the calibrated ensemble to a design over the uncertainties (`sweep`, `sensitivity`, `discover`): each
/// trial then draws one member from (seed, trial), as in `run`, so the design's results integrate over what the
/// 2021–2023 record cannot pin down. A design over coefficients varies the very numbers a member fixes, so it
/// runs the register's values: `--ensemble FILE` with it is refused rather than silently ignored.
pub fn attach_ensemble(
    ens: &super::calibrate::EnsembleArgs,
    loaded: &mut Loaded,
    factors: crate::model::coefficients::FactorMode,
    scenario: Option<&Path>,
    quiet: bool,
) -> Result<()> {
    use crate::model::coefficients::FactorMode;
    if factors != FactorMode::Uncertainties {
        if let Some(f) = &ens.ensemble {
            bail!(
                "--ensemble {}: a design over coefficients (--factors {}) varies the coefficients an ensemble \
                 member fixes; drop --ensemble, or use --factors uncertainties to sample the ensemble",
                f.display(),
                factors.name()
            );
        }
        return Ok(());
    }
    ens.attach(loaded, scenario, quiet)?;
    Ok(())
}
