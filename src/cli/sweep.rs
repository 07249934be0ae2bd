//! `greatgame sweep`: options, then [`crate::experiment::sweep`] (every combination of lever values over a
//! design of the uncertainties; rows, checkpoints, shards) and [`crate::experiment::sweep::outputs`] (summary, charts),
//! then what the terminal shows.

use super::explore::{CommonArgs, FactorArgs};
use super::resume::{ResumeArgs, install_stop_handler};
use crate::experiment::samplers::DesignKind;
use crate::experiment::shard::ShardSpec;
use crate::experiment::sweep::{Sweep, SweepJob, SweepOptions};
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Base policy: levers not swept follow it. Default: the baseline policy.
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// A lever and its values (repeatable): NAME=v1,v2,... or, for a numeric lever, NAME=a:b:n.
    #[arg(long = "lever", value_name = "NAME=VALUES")]
    pub levers: Vec<String>,
    /// Design over the uncertainties.
    #[arg(long, value_enum, default_value = "mc")]
    pub design: DesignKind,
    /// Points of the uncertainty design.
    #[arg(long, default_value_t = 100, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub samples: u64,
    /// Replications per design point (each its own trial luck).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub replications: u64,
    /// Outcomes for the summary and charts (repeatable). Default: every Maximize/Minimize outcome.
    #[arg(long = "outcome", value_name = "ID")]
    pub outcomes: Vec<String>,
    #[command(flatten)]
    pub factors: FactorArgs,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Compute only share K of N (whole design points, contiguous) into --out; combine the shares with
    /// `greatgame merge`.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<ShardSpec>,
    #[command(flatten)]
    pub resume: ResumeArgs,
}

pub fn execute(args: &SweepArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let loaded = args
        .factors
        .load(args.scenario.as_deref(), "sweep", args.common.quiet)?;
    let job = SweepJob {
        options: SweepOptions {
            policy: args.policy.clone(),
            levers: args.levers.clone(),
            design: args.design,
            samples: args.samples,
            replications: args.replications,
            outcomes: args.outcomes.clone(),
            factors: args.factors.factors,
            coefficients: args.factors.coefficients.clone(),
            seed: args.common.seed,
            charts: !args.common.no_charts,
            quiet: args.common.quiet,
        },
        threads,
        out_dir: args.common.out_dir(&loaded.model, "sweep"),
        shard: args.shard,
        resume: args.resume.mode(),
    };
    let sweep = Sweep::prepare(&loaded, &job)?;
    let s = &sweep.setup;
    let (n_points, reps, n_combos, total) = (s.n_points, s.reps, s.n_combos, s.total);
    if !args.common.quiet {
        eprintln!(
            "greatgame: sweep over {} factor(s) ({}): {n_points} points x {reps} replication(s) x {n_combos} lever \
             combination(s) = {total} trials",
            sweep.names.len(),
            args.factors.factors.name()
        );
    }
    install_stop_handler();
    let done = sweep.run()?;
    let secs = done.seconds;
    if let Some((spec, points, trials)) = &done.shard {
        eprintln!(
            "greatgame: sweep shard {spec}: design points {}..{} of {n_points} ({trials} trials) in {secs:.1} s; results in {}",
            points.start,
            points.end,
            done.dir.display()
        );
        return Ok(());
    }
    if let Some(summary) = &done.summary
        && !args.common.quiet
    {
        print!("{summary}");
    }
    eprintln!(
        "greatgame: sweep of {n_combos} lever combination(s) x {n_points} point(s) x {reps} replication(s) = {total} trials in {secs:.1} s ({:.0} trials/s) on {threads} thread(s); {} chart(s); results in {}",
        total as f64 / secs.max(1e-9),
        done.charts,
        done.dir.display()
    );
    Ok(())
}
