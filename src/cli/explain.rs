//! `greatgame explain`: options, then [`crate::experiment::explain_job`] (which actors' choices and which
//! events differ between a policy and the baseline, on the same trials — the mechanism behind each outcome
//! difference — and its folder), then what the terminal shows.

use crate::experiment::explain_job::ExplainJob;
use crate::experiment::prepare::{PrepareOptions, StartMode, prepare};
use crate::experiment::select::{select_baseline, select_policies};
use crate::model::MAX_TRIALS;
use anyhow::{Result, bail};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// The policy to explain.
    #[arg(long, value_name = "POLICY")]
    pub policy: String,
    /// The policy it is compared with. Default: the scenario's baseline.
    #[arg(long, value_name = "POLICY")]
    pub baseline: Option<String>,
    /// Trials (at most 1,000,000,000).
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
    /// Let the history before the decision date run free instead of anchoring it to the known present, as
    /// `compare --free-history` does (`<scenario>.present.ron`; see docs/present.md).
    #[arg(long)]
    pub free_history: bool,
    /// Worker threads. Default: all cores.
    #[arg(long, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub threads: Option<usize>,
    /// How many of the largest differences to list and chart.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub top: usize,
    /// Output folder. Default: output/<scenario name>/explain-<policy>/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip the charts.
    #[arg(long)]
    pub no_charts: bool,
    /// Do not print the explanation to the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn execute(args: &ExplainArgs) -> Result<()> {
    if args.trials < 2 || args.trials > MAX_TRIALS {
        bail!(
            "--trials must be between 2 and {MAX_TRIALS} for intervals (got {})",
            args.trials
        );
    }
    if args.top == 0 {
        bail!("--top must be at least 1");
    }
    let threads = super::numbers::threads(args.threads)?;
    // Anchored as `compare` is, so what explain splits is the difference compare reports.
    let prep = prepare(&PrepareOptions {
        scenario: args.scenario.as_deref(),
        command: "explain",
        world: &args.world,
        start: StartMode::Decision,
        free_history: args.free_history,
        ensemble: args.ensemble.choice(),
        quiet: args.quiet,
    })?;
    let loaded = &prep.loaded;
    let model = &loaded.model;
    let base = select_baseline(model, args.baseline.as_deref())?;
    let policy = select_policies(model, std::slice::from_ref(&args.policy))?[0];
    let job = ExplainJob {
        baseline: base,
        policy,
        trials: args.trials,
        seed: args.seed,
        threads,
        top: args.top,
        out_dir: args.out.clone().unwrap_or_else(|| {
            PathBuf::from("output")
                .join(&model.name)
                .join(format!("explain-{}", model.policies[policy].id))
        }),
        charts: !args.no_charts,
        progress: std::io::stderr().is_terminal() && args.trials >= 2_000,
        anchor_suffix: prep.anchor_suffix.clone(),
        anchoring: prep.anchoring.clone(),
        ensemble: prep.ensemble.clone(),
    };
    let done = job.run(loaded)?;
    if !args.quiet {
        println!("{}", done.summary);
    }
    let cmp = &done.comparison;
    eprintln!(
        "greatgame: explained {} against {} on {} trials in {:.1} s; results in {}",
        cmp.policy_ids[cmp.design.rows[0]],
        cmp.policy_ids[0],
        args.trials,
        done.manifest.wall_time_seconds,
        done.dir.display()
    );
    Ok(())
}
