//! `greatgame discover`: options, then [`crate::experiment::discover`] (a design over the uncertainties, the
//! experiments where a condition holds, PRIM's box and a CART tree as rules — written by
//! [`crate::experiment::discover::analysis`]), then what the terminal shows.

use super::explore::{CommonArgs, FactorArgs};
use crate::experiment::discover::{self, DiscoverJob, DiscoverMethod, DiscoverOptions};
use crate::experiment::samplers::DesignKind;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Policy to examine. Default: the baseline policy.
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// The cases of interest: OUTCOME>NUMBER (also <, >=, <=), several joined by "and".
    #[arg(long = "where", value_name = "CONDITION")]
    pub condition: String,
    #[arg(long, value_enum, default_value = "both")]
    pub method: DiscoverMethod,
    /// Design over the uncertainties.
    #[arg(long, value_enum, default_value = "lhs")]
    pub design: DesignKind,
    /// Number of experiments (design points).
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub samples: u64,
    /// Trials averaged per experiment.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub replications: u64,
    /// PRIM: share of the box peeled off per step.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub alpha: f64,
    /// PRIM: share of the box a paste may add.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub paste_alpha: f64,
    /// PRIM: smallest box, as a share of the experiments.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub min_mass: f64,
    /// PRIM: the default box is the densest with at least this coverage.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub min_coverage: f64,
    /// PRIM: report this box of the trajectory instead of the default choice.
    #[arg(long = "box", value_name = "INDEX", allow_negative_numbers = true, value_parser = super::numbers::zero_or_more::<usize>)]
    pub box_index: Option<usize>,
    /// PRIM: stability check — rerun PRIM on this many random subsamples (0: skip) [default: 50].
    #[arg(long, value_name = "R", allow_negative_numbers = true, value_parser = super::numbers::zero_or_more::<usize>)]
    pub resamples: Option<usize>,
    /// PRIM: share of the experiments in each subsample (the rest score the box out of sample).
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub resample_share: f64,
    /// CART: maximum depth of the grown tree (before pruning).
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub depth: usize,
    /// CART: smallest leaf, as a share of the experiments.
    #[arg(long, default_value_t = 0.02, allow_negative_numbers = true)]
    pub min_leaf: f64,
    /// CART: cross-validation folds for cost-complexity pruning (0: keep the grown tree) [default: 10].
    #[arg(long, value_name = "K", allow_negative_numbers = true, value_parser = super::numbers::zero_or_more::<usize>)]
    pub folds: Option<usize>,
    #[command(flatten)]
    pub factors: FactorArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn execute(args: &DiscoverArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let loaded = args
        .factors
        .load(args.scenario.as_deref(), "discover", args.common.quiet)?;
    let job = DiscoverJob {
        options: DiscoverOptions {
            policy: args.policy.clone(),
            condition: args.condition.clone(),
            method: args.method,
            design: args.design,
            samples: args.samples,
            replications: args.replications,
            alpha: args.alpha,
            paste_alpha: args.paste_alpha,
            min_mass: args.min_mass,
            min_coverage: args.min_coverage,
            box_index: args.box_index,
            resamples: args.resamples,
            resample_share: args.resample_share,
            depth: args.depth,
            min_leaf: args.min_leaf,
            folds: args.folds,
            factors: args.factors.factors,
            coefficients: args.factors.coefficients.clone(),
            seed: args.common.seed,
            charts: !args.common.no_charts,
            quiet: args.common.quiet,
        },
        threads,
        out_dir: args.common.out_dir(&loaded.model, "discover"),
    };
    let done = discover::run(&loaded, &job, |line| {
        if !args.common.quiet {
            eprintln!("{line}");
        }
    })?;
    if !args.common.quiet {
        println!("{}", done.summary);
    }
    eprintln!(
        "greatgame: {} experiments ({} trials) in {:.1} s on {threads} thread(s); {}results in {}",
        done.experiments,
        done.trials,
        done.seconds,
        done.rules
            .map(|r| format!("PRIM box (simplified): {r}; "))
            .unwrap_or_default(),
        done.dir.display()
    );
    Ok(())
}
