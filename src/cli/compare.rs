//! `greatgame compare`: options, then [`crate::experiment::compare_job`] (the paired run and its folder:
//! tables, charts, `report.html`, `summary.md`), then what the terminal shows.

use crate::analysis::robustness::{Threshold, parse_satisfice, parse_weights};
use crate::experiment::compare_job::{CompareJob, design_name, slots_and_rows};
pub use crate::experiment::prepare::StartMode;
use crate::experiment::prepare::{PrepareOptions, prepare};
use crate::experiment::select::{select_baseline, select_policies};
use crate::model::MAX_TRIALS;
use anyhow::{Result, bail};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Policies to compare with the baseline, comma-separated. Naming the
    /// baseline itself adds its (zero) self-comparison.
    #[arg(long, value_delimiter = ',', value_name = "A,B,...", conflicts_with = "all")]
    pub policies: Vec<String>,
    /// Compare every policy in the scenario with the baseline (the default
    /// when no --policies are given).
    #[arg(long)]
    pub all: bool,
    /// The policy every other is compared with. Default: the scenario's baseline.
    #[arg(long, value_name = "POLICY")]
    pub baseline: Option<String>,
    /// Trials (each runs every policy on the same draws; at most 1,000,000,000).
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
    /// Satisficing thresholds on outcomes, e.g. "isisk_attacks_afghanistan<=1,gdp_index_2030>=0.85".
    #[arg(long, value_name = "THRESHOLDS")]
    pub satisfice: Option<String>,
    /// Weights of outcomes in overall regret, e.g. "gdp_index_2030=3,women_rights_index=2"; unnamed outcomes
    /// keep weight 1, weight 0 leaves an outcome out. Default: equal weights.
    #[arg(long, value_name = "WEIGHTS")]
    pub weights: Option<String>,
    /// Output folder. Default: output/<scenario name>/compare/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip the charts and report.html (tables only).
    #[arg(long)]
    pub no_charts: bool,
    /// Do not print the comparison to the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// When each package takes over from the baseline: `decision` (every
    /// package at the decision date, so all are compared over the same
    /// history) or `article` (each at its own `start`, its article's date: the
    /// counterfactual "had it been done when argued"). Outcome windows stay.
    #[arg(long, value_enum, default_value_t = StartMode::Decision)]
    pub start: StartMode,
    /// Do not write decision_state.csv (each trial's state at the decision date, per policy).
    #[arg(long)]
    pub no_decision_state: bool,
    /// Let the history before the decision date run free instead of anchoring it to the known present
    /// (`<scenario>.present.ron`; see docs/present.md).
    #[arg(long)]
    pub free_history: bool,
}

pub fn execute(args: &CompareArgs) -> Result<()> {
    if args.trials == 0 || args.trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {})", args.trials);
    }
    let threads = super::numbers::threads(args.threads)?;
    let prep = prepare(&PrepareOptions {
        scenario: args.scenario.as_deref(),
        command: "compare",
        world: &args.world,
        start: args.start,
        free_history: args.free_history,
        ensemble: args.ensemble.choice(),
        quiet: args.quiet,
    })?;
    let loaded = &prep.loaded;
    let model = &loaded.model;
    let base = select_baseline(model, args.baseline.as_deref())?;
    let chosen = if args.policies.is_empty() {
        (0..model.policies.len()).collect()
    } else {
        select_policies(model, &args.policies)?
    };
    let (slots, rows) = slots_and_rows(model, base, &chosen, !args.policies.is_empty())?;
    let thresholds: Vec<Threshold> = match &args.satisfice {
        Some(t) => parse_satisfice(model, t)?,
        None => Vec::new(),
    };
    let weights = match &args.weights {
        Some(w) => parse_weights(model, w)?,
        None => Vec::new(),
    };
    let job = CompareJob {
        slots,
        rows,
        trials: args.trials,
        seed: args.seed,
        threads,
        thresholds,
        weights,
        out_dir: args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(&model.name).join("compare")),
        charts: !args.no_charts,
        decision_state: !args.no_decision_state,
        progress: std::io::stderr().is_terminal() && args.trials >= 2_000,
        watch: None,
        design_name: design_name(prep.article, &prep.anchor_suffix),
        anchoring: prep.anchoring.clone(),
        ensemble: prep.ensemble.clone(),
    };
    let done = job.run(loaded)?;
    if !args.quiet {
        println!("{}", done.summary);
    }
    let cmp = &done.comparison;
    eprintln!(
        "greatgame: compared {} policies with {} on {} trials in {:.1} s on {} thread(s) ({:.0} trials/s); results in {}",
        cmp.design.rows.len(),
        cmp.policy_ids[0],
        args.trials,
        done.manifest.wall_time_seconds,
        threads,
        done.manifest.trials_per_second,
        done.dir.display()
    );
    Ok(())
}
