//! `greatgame hindcast`: run the status-quo policy from the takeover to the
//! record's last quarter and score it against the calibration record.

use crate::hindcast::{self, report};
use crate::report::Manifest;
use crate::report::staging::Staging;
use anyhow::{Result, bail};
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
    pub ensemble: super::calibrate::EnsembleArgs,
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
    let threads = match args.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut loaded = super::which_scenario::load(args.scenario.as_deref(), "hindcast", args.quiet)?;
    crate::model::worlds::fix(&mut loaded.model.worlds, &args.world).map_err(anyhow::Error::msg)?;
    let ensemble = args
        .ensemble
        .attach(&mut loaded, args.scenario.as_deref(), args.quiet)?;
    let ensemble_file = match (
        &ensemble,
        crate::calibrate::resolve(
            args.scenario.as_deref(),
            args.ensemble.ensemble.as_deref(),
            args.ensemble.no_ensemble,
        )?,
    ) {
        (Some(_), Some((origin, text))) => Some(crate::calibrate::EnsembleFile::parse(&text, &origin)?),
        _ => None,
    };
    let model = &loaded.model;
    let record = hindcast::load(model, args.scenario.as_deref(), args.record.as_deref())?;
    super::which_scenario::announce_record(args.scenario.as_deref(), args.record.as_deref(), &record, args.quiet);
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&model.name).join("hindcast"));
    let staging = Staging::new(&out_dir, "hindcast")?;

    let res = hindcast::run(model, &record, args.trials, args.seed, threads)?;
    let scored = hindcast::evaluate(&record, &res);
    let secs = res.elapsed.as_secs_f64();
    let manifest = Manifest {
        tool: "greatgame".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: loaded.origin.clone(),
        scenario_name: model.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: args.seed,
        trials: args.trials,
        threads,
        design: "hindcast".into(),
        policies: vec![model.policies[record.policy].id.clone()],
        baseline: model.policies[model.baseline].id.clone(),
        decision_date: model.calendar.label(model.decision_turn),
        horizon: record.until_label.clone(),
        command_line: std::env::args().collect(),
        wall_time_seconds: secs,
        trials_per_second: args.trials as f64 / secs.max(1e-9),
        complete: true,
        status: "complete".into(),
        caveat: model.caveat.clone(),
        anchoring: None,
        ensemble: ensemble.clone(),
        ..Manifest::default()
    };
    let passed = scored.iter().filter(|t| t.pass()).count();
    let hm = report::HindcastManifest {
        run: &manifest,
        record: &record.origin,
        record_sha256: &record.sha256,
        calibrated_through: record.calibrated_through,
        targets_passed: passed,
        targets_total: scored.len(),
    };
    let dir = staging.path();
    std::fs::write(dir.join("hindcast.csv"), report::hindcast_csv(&record, &res))?;
    std::fs::write(dir.join("hindcast_events.csv"), report::events_csv(&record, &res))?;
    let mut md = report::targets_md(model, &record, &res, &scored);
    if let Some(f) = &ensemble_file {
        md.push_str(&format!(
            "\n## The calibrated ensemble\n\nEach trial drew one of {} member(s) of {} (calibration seed {}, {} of {} \
             points accepted, {:.1}%). Coverage: the share of accepted members whose own calibration trials met \
             each target's band; survival: the share of accepted members holding each view against its prior \
             weight.\n\n",
            ensemble.as_ref().map_or(0, |e| e.members),
            ensemble.as_ref().map_or("", |e| e.file.as_str()),
            f.seed,
            f.accepted,
            f.points,
            100.0 * f.acceptance_rate
        ));
        md.push_str(&super::calibrate::coverage_md(f));
        std::fs::write(dir.join("ensemble_coverage.csv"), coverage_csv(f))?;
    }
    std::fs::write(dir.join("targets.md"), &md)?;
    if !args.no_charts {
        report::charts(model, &record, &res, dir)?;
    }
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&hm)? + "\n")?;
    if !args.quiet {
        println!("{md}");
    }
    let dir = staging.commit()?;
    eprintln!(
        "greatgame: hindcast {} trials in {:.1} s on {} thread(s); {} of {} targets pass; results in {}",
        args.trials,
        secs,
        threads,
        passed,
        scored.len(),
        dir.display()
    );
    Ok(())
}

/// Coverage per target and survival per view, one row each.
fn coverage_csv(f: &crate::calibrate::EnsembleFile) -> String {
    let mut s = String::from("kind,id,view,prior,share\n");
    for (t, c) in f.targets.iter().zip(&f.coverage) {
        s.push_str(&format!("coverage,{t},,,{c}\n"));
    }
    for v in &f.views {
        s.push_str(&format!(
            "survival,{},{},{},{}\n",
            v.mechanism, v.view, v.prior, v.posterior
        ));
    }
    s
}
