//! `greatgame calibrate`: history matching on the calibration record; writes the accepted ensemble. Options,
//! the record and the design (`calibrate::points::Calibration`), then the run (`calibrate::run`: rows,
//! resume, shards, the ensemble and its report), `--write` (`calibrate::job`), and what the terminal shows.

use super::explore::CommonArgs;
use super::resume::{ResumeArgs, install_stop_handler};
use crate::calibrate::Rule;
use crate::calibrate::job::{CalibrateSpec, record_text, write_ensemble};
use crate::calibrate::points::Calibration;
use crate::calibrate::run::{CalibrateRun, run};
use crate::experiment::samplers::DesignKind;
use crate::experiment::shard::ShardSpec;
use crate::scenario;
use anyhow::{Context, Result};
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Calibration record. Default: as `hindcast` finds it.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Design points (coefficient groups and world views).
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub points: u64,
    /// Hindcast trials per point (the Monte Carlo variance of each statistic enters the implausibility).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub trials_per_point: u64,
    /// Design over the unit cube.
    #[arg(long, value_enum, default_value = "lhs")]
    pub design: DesignKind,
    /// Implausibility cutoff for the second-largest target implausibility (Pukelsheim's three-sigma rule).
    #[arg(long, default_value_t = 3.0)]
    pub cutoff: f64,
    /// Cutoff for the largest target implausibility (set it above --cutoff to let one target miss further).
    #[arg(long, default_value_t = 3.0)]
    pub max_cutoff: f64,
    /// Model discrepancy: its standard deviation as a share of each check's scale (judgement).
    #[arg(long, default_value_t = 0.1)]
    pub discrepancy: f64,
    /// Most members kept in the ensemble file (the first accepted points, in point order).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub max_members: u64,
    /// Also write the ensemble to FILE (e.g. scenarios/afghanistan.ensemble.ron, which commands then use).
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Compute only share K of N (whole design points) into --out; combine the shares with `greatgame merge`.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<ShardSpec>,
    #[command(flatten)]
    pub resume: ResumeArgs,
}

struct Prepared {
    loaded: scenario::Loaded,
    cal: Calibration,
    spec: CalibrateSpec,
}

fn rule_of(args: &CalibrateArgs) -> Rule {
    Rule {
        cutoff: args.cutoff,
        max_cutoff: args.max_cutoff,
        discrepancy: args.discrepancy,
    }
}

fn prepare(args: &CalibrateArgs) -> Result<Prepared> {
    let loaded = super::which_scenario::load(args.scenario.as_deref(), "calibrate", args.common.quiet)?;
    let record = crate::hindcast::load(&loaded.model, args.scenario.as_deref(), args.record.as_deref())?;
    super::which_scenario::announce_record(
        args.scenario.as_deref(),
        args.record.as_deref(),
        &record,
        args.common.quiet,
    );
    let record_text = record_text(args.scenario.as_deref(), args.record.as_deref())?;
    let rule = rule_of(args);
    let cal = Calibration::new(
        &loaded,
        &record,
        rule,
        args.design,
        args.points,
        args.trials_per_point,
        args.common.seed,
    )?;
    let spec = CalibrateSpec {
        design: args
            .design
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default(),
        points: args.points,
        trials_per_point: args.trials_per_point,
        rule,
        max_members: args.max_members,
        record_origin: record.origin.clone(),
        record_text,
        scenario_arg: args.scenario.as_ref().map(|p| p.display().to_string()),
    };
    Ok(Prepared { loaded, cal, spec })
}

pub fn execute(args: &CalibrateArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let Prepared { loaded, cal, spec } = prepare(args)?;
    let n = cal.points;
    let t = cal.trials_per_point;
    if !args.common.quiet {
        eprintln!(
            "greatgame: calibrate over {} coefficient group(s) and {} contested mechanism(s): {n} points x {t} \
             trials on {} target(s) up to {}",
            cal.space.factors.len(),
            cal.model.worlds.len(),
            cal.targets.len(),
            cal.record.calibrated_through
        );
    }
    let job = CalibrateRun {
        threads,
        out_dir: args.common.out_dir(&cal.model, "calibrate"),
        shard: args.shard,
        resume: args.resume.mode(),
        quiet: args.common.quiet,
    };
    install_stop_handler();
    let done = run(&loaded, &cal, &spec, &job)?;
    let secs = done.seconds;
    let dir = &done.dir;
    if let Some((s, points, trials)) = &done.shard {
        eprintln!(
            "greatgame: calibrate shard {s}: points {}..{} ({trials} trials) in {secs:.1} s; results in {}",
            points.start,
            points.end,
            dir.display()
        );
        return Ok(());
    }
    let file = done.ensemble.context("a finished calibration without its ensemble")?;
    if let Some(w) = &args.write {
        write_ensemble(w, &file.to_text()?)?;
    }
    eprintln!(
        "greatgame: calibrate {n} points x {t} trials in {secs:.1} s ({:.0} trials/s) on {threads} thread(s): {} \
         accepted ({:.1}%); results in {}{}",
        (n * t) as f64 / secs.max(1e-9),
        file.accepted,
        100.0 * file.acceptance_rate,
        dir.display(),
        args.write
            .as_ref()
            .map_or(String::new(), |w| format!("; ensemble written to {}", w.display()))
    );
    Ok(())
}
