//! `greatgame sensitivity`: options, then [`crate::experiment::sensitivity`] (Sobol indices or Morris
//! screening over the uncertainties or coefficients; rows, checkpoints, shards) and
//! [`crate::experiment::sensitivity::outputs`] (indices, report, tornado charts), then what the terminal shows.

use super::explore::{CommonArgs, FactorArgs};
use super::resume::{ResumeArgs, install_stop_handler};
use crate::experiment::sensitivity::{self, Method, SensitivityJob, SensitivityOptions, Setup, unit_name};
use crate::experiment::shard::ShardSpec;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Policy under which to measure sensitivity. Default: the baseline policy.
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    #[arg(long, value_enum, default_value = "sobol")]
    pub method: Method,
    /// Sobol: base points N (at most 65,536). Morris: trajectories r.
    #[arg(long, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub samples: Option<u64>,
    /// Trials averaged per design row (reduces the within-trial noise).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub replications: u64,
    /// Outcomes to analyse (repeatable). Default: every Maximize/Minimize outcome.
    #[arg(long = "outcome", value_name = "ID")]
    pub outcomes: Vec<String>,
    /// Bootstrap resamples for the 95% intervals.
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub bootstrap: usize,
    /// Morris: grid levels (even).
    #[arg(long, default_value_t = 4, allow_negative_numbers = true, value_parser = super::numbers::count::<u32>)]
    pub levels: u32,
    #[command(flatten)]
    pub factors: FactorArgs,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Compute only share K of N (whole Saltelli base points or Morris trajectories, contiguous) into --out;
    /// combine the shares with `greatgame merge`.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<ShardSpec>,
    #[command(flatten)]
    pub resume: ResumeArgs,
}

pub fn execute(args: &SensitivityArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let loaded = args
        .factors
        .load(args.scenario.as_deref(), "sensitivity", args.common.quiet)?;
    let job = SensitivityJob {
        options: SensitivityOptions {
            policy: args.policy.clone(),
            method: args.method,
            samples: args.samples,
            replications: args.replications,
            outcomes: args.outcomes.clone(),
            bootstrap: args.bootstrap,
            levels: args.levels,
            factors: args.factors.factors,
            coefficients: args.factors.coefficients.clone(),
            seed: args.common.seed,
            charts: !args.common.no_charts,
            quiet: args.common.quiet,
        },
        threads,
        out_dir: args.common.out_dir(&loaded.model, "sensitivity"),
        shard: args.shard,
        resume: args.resume.mode(),
    };
    let setup = Setup::new(&job.options, &loaded, |cost| {
        if !args.common.quiet {
            eprintln!("{cost}");
        }
    })?;
    install_stop_handler();
    let done = sensitivity::run(&loaded, &job, &setup)?;
    let secs = done.seconds;
    let n_units = setup.n_units;
    if let Some((spec, span, trials)) = &done.shard {
        eprintln!(
            "greatgame: sensitivity shard {spec}: {} {}..{} of {n_units} ({trials} trials) in {secs:.1} s; results in {}",
            unit_name(args.method),
            span.start,
            span.end,
            done.dir.display()
        );
        return Ok(());
    }
    if let Some(md) = &done.summary
        && !args.common.quiet
    {
        println!("{md}");
    }
    let total = setup.total;
    eprintln!(
        "greatgame: {} runs ({total} trials) in {secs:.1} s ({:.0} trials/s) on {threads} thread(s); results in {}",
        n_units * setup.rows_per_unit,
        total as f64 / secs.max(1e-9),
        done.dir.display()
    );
    Ok(())
}
