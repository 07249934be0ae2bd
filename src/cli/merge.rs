//! `greatgame merge`: combine the shard outputs of one run (`--shard K/N`) into exactly what the unsharded run
//! writes. The checks and the concatenation are [`crate::experiment::merge`]; each kind's folding is its
//! [`Shardable`] impl, beside its command's library code. This file lists the kinds and prints.

use crate::experiment::merge::MergePlan;
use crate::experiment::merge::Shardable;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard output folders (from `run --shard K/N --out DIR`), in any order.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where to write the combined results.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Do not print the summary tables to the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Every kind `merge` knows.
fn kinds() -> Vec<Box<dyn Shardable>> {
    vec![
        Box::new(crate::experiment::run_merge::RunKind),
        Box::new(crate::experiment::sweep::SweepKind),
        Box::new(crate::experiment::sensitivity::SensitivityKind),
        Box::new(crate::calibrate::run::CalibrateKind),
    ]
}

pub fn execute(args: &MergeArgs) -> Result<()> {
    let plan = MergePlan::new(&args.dirs, &args.out, kinds())?;
    if !args.quiet {
        let first = plan.first();
        let line = super::which_scenario::line("scenario", &first.scenario_origin, &first.identity.scenario_sha256);
        eprintln!("{line}, as saved in the shards");
    }
    let done = plan.write(&args.out)?;
    if !args.quiet {
        for note in &done.text.notes {
            eprintln!("{note}");
        }
        if let Some(summary) = &done.text.summary {
            print!("{summary}");
        }
    }
    eprintln!(
        "greatgame: merged {} shards ({} trials) into {}",
        done.shards,
        done.trials,
        done.dir.display()
    );
    Ok(())
}
