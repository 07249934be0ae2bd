//! `greatgame hindcast`: options, then [`crate::hindcast::job`] (run the status-quo policy from the takeover to
//! the record's last quarter, score it against the calibration record, write the folder), then what the
//! terminal shows.

use crate::experiment::prepare::{PrepareOptions, StartMode, prepare};
use crate::hindcast::{self, job::HindcastJob};
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct HindcastArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Calibration record. Default: the built-in record for the built-in
    /// scenario, else `<scenario stem>.hindcast.ron` beside the scenario.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Trials (at most 1,000,000,000).
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true, value_parser = super::numbers::trials::<u64>)]
    pub trials: u64,
    /// Master seed: trial k is trial k of `greatgame run` with the same seed.
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
    /// Output folder. Default: output/<scenario name>/hindcast/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip the charts (tables only).
    #[arg(long)]
    pub no_charts: bool,
    /// Do not print targets.md to the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn execute(args: &HindcastArgs) -> Result<()> {
    let threads = super::numbers::threads(args.threads)?;
    // The hindcast never anchors: it is the first years of every policy's free run.
    let prep = prepare(&PrepareOptions {
        scenario: args.scenario.as_deref(),
        command: "hindcast",
        world: &args.world,
        start: StartMode::Decision,
        free_history: true,
        ensemble: args.ensemble.choice(),
        quiet: args.quiet,
    })?;
    let loaded = &prep.loaded;
    let ensemble = match (
        prep.ensemble.clone(),
        crate::calibrate::resolve(
            args.scenario.as_deref(),
            args.ensemble.ensemble.as_deref(),
            args.ensemble.no_ensemble,
        )?,
    ) {
        (Some(r), Some((origin, text))) => Some((r, crate::calibrate::EnsembleFile::parse(&text, &origin)?)),
        _ => None,
    };
    let model = &loaded.model;
    let record = hindcast::load(model, args.scenario.as_deref(), args.record.as_deref())?;
    super::which_scenario::announce_record(args.scenario.as_deref(), args.record.as_deref(), &record, args.quiet);
    let job = HindcastJob {
        trials: args.trials,
        seed: args.seed,
        threads,
        out_dir: args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(&model.name).join("hindcast")),
        charts: !args.no_charts,
        ensemble,
    };
    let done = job.run(loaded, &record)?;
    if !args.quiet {
        println!("{}", done.targets_md);
    }
    eprintln!(
        "greatgame: hindcast {} trials in {:.1} s on {} thread(s); {} of {} targets pass; results in {}",
        args.trials,
        done.seconds,
        threads,
        done.passed,
        done.targets,
        done.dir.display()
    );
    Ok(())
}
