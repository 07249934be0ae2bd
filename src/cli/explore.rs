//! Pieces shared by the exploration commands (`sweep`, `sensitivity`,
//! `discover`): option checks, outcome and policy selection, the manifest,
//! and the streaming CSV file.

use crate::model::{MAX_TRIALS, Model};
use crate::plot::ChartContext;
use crate::report::Manifest;
use crate::scenario::Loaded;
use crate::scenario::diagnostics::closest;
use crate::scenario::schema::OutcomeKind;
use anyhow::{Context, Result, bail};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Options every exploration command takes.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// Master seed: the same seed gives the same files at any thread count.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads. Default: all cores.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder. Default: output/<scenario name>-<command>/.
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
            .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-{command}", model.name)))
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

/// The shard state of an exploration command (`sweep`, `sensitivity`): its
/// identity and span as JSON. Everything else `merge` needs is in the rows file,
/// from which it recomputes the summaries exactly as the unsharded command does.
pub const EXPLORE_SHARD_STATE: &str = "shard-state.json";

pub fn write_shard_state(dir: &Path, meta: &crate::experiment::checkpoint::Meta) -> Result<()> {
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
