//! `greatgame run`: options, then [`crate::experiment::run_job`] (the run itself: staging, checkpoints,
//! shards, outputs), then what the terminal shows.

use super::resume::{ResumeArgs, install_stop_handler};
use crate::experiment::prepare::{PrepareOptions, StartMode, prepare};
use crate::experiment::run_job::{RunJob, design_name};
use crate::experiment::select::select_policies;
use crate::experiment::shard::ShardSpec;
use crate::model::MAX_TRIALS;
use anyhow::{Result, bail};
use std::io::IsTerminal;
use std::path::PathBuf;

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
    pub ensemble: super::ensemble::EnsembleArgs,
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
    #[arg(long, value_enum, default_value_t = StartMode::Decision)]
    pub start: StartMode,
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

pub fn execute(args: &RunArgs) -> Result<()> {
    if args.trials == 0 || args.trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {})", args.trials);
    }
    args.resume.every()?;
    let threads = super::numbers::threads(args.threads)?;
    let prep = prepare(&PrepareOptions {
        scenario: args.scenario.as_deref(),
        command: "run",
        world: &args.world,
        start: args.start,
        free_history: args.free_history,
        ensemble: args.ensemble.choice(),
        quiet: args.quiet,
    })?;
    let loaded = &prep.loaded;
    let model = &loaded.model;
    let job = RunJob {
        policies: select_policies(model, &args.policies)?,
        trials: args.trials,
        seed: args.seed,
        threads,
        out_dir: args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(&model.name).join("run")),
        trials_file: !args.no_trials_file,
        charts: !args.no_charts,
        decision_state: !args.no_decision_state,
        progress: std::io::stderr().is_terminal() && args.trials >= 2_000,
        shard: args.shard,
        resume: args.resume.mode(),
        design_name: design_name(prep.article, &args.world, &prep.anchor_suffix, prep.ensemble.as_ref()),
        anchoring: prep.anchoring.clone(),
        ensemble: prep.ensemble.clone(),
    };
    let open = job.open(loaded)?;
    install_stop_handler();
    if let Some((done, total, path)) = open.resumed_from() {
        eprintln!(
            "greatgame: resuming at trial {} of {} from {}",
            done,
            total,
            path.display()
        );
    }
    let done = open.run()?;
    if let Some(summary) = &done.summary
        && !args.quiet
    {
        println!("{summary}");
    }
    eprintln!(
        "greatgame: {} trials x {} policies in {:.1} s on {} thread(s); results in {}",
        done.trials,
        done.policies,
        done.seconds,
        done.threads,
        done.dir.display()
    );
    Ok(())
}
