//! `greatgame run`: build the experiment from a scenario, run it, summarise,
//! export and plot — in that order, one direction.

use crate::analysis::summary::summarise;
use crate::experiment::{self, Design, RunOptions};
use crate::model::{MAX_TRIALS, Model};
use crate::report::charts::Charts;
use crate::report::json::SummaryJson;
use crate::report::markdown::{self, SummaryMarkdown};
use crate::report::staging::Staging;
use crate::report::{Exporter, Manifest, Report};
use crate::scenario::{self, diagnostics::closest};
use anyhow::{Context, Result, bail};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Policy to run (repeatable). Default: every policy in the scenario.
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    /// Trials per policy (at most 1,000,000,000).
    #[arg(long, default_value_t = 10_000)]
    pub trials: u64,
    /// Master seed: the same seed gives the same results at any thread count.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads. Default: all cores.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder. Default: output/<scenario name>/.
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
}

/// Policy indices from names (all policies if none given), with suggestions for typos.
pub fn select_policies(model: &Model, names: &[String]) -> Result<Vec<usize>> {
    if names.is_empty() {
        return Ok((0..model.policies.len()).collect());
    }
    let ids: Vec<String> = model.policies.iter().map(|p| p.id.clone()).collect();
    let mut out = Vec::new();
    for n in names {
        match model.policy_index(n) {
            Some(i) if !out.contains(&i) => out.push(i),
            Some(_) => {}
            None => {
                let hint = closest(n, &ids)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| format!("policies: {}", ids.join(", ")));
                bail!("unknown policy `{n}`; {hint}");
            }
        }
    }
    Ok(out)
}

pub fn execute(args: &RunArgs) -> Result<()> {
    if args.trials == 0 || args.trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {})", args.trials);
    }
    let threads = match args.threads {
        Some(0) => bail!("--threads must be at least 1"),
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let loaded = scenario::load(args.scenario.as_deref())?;
    let model = &loaded.model;
    let policies = select_policies(model, &args.policies)?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&model.name));
    let staging = Staging::new(&out_dir)?;

    let design = Design {
        policies,
        trials: args.trials,
        seed: args.seed,
    };
    let opts = RunOptions {
        threads,
        progress: std::io::stderr().is_terminal() && args.trials >= 2_000,
        fans: !args.no_charts,
        keep_values: if args.no_charts { 0 } else { 10_000 },
    };
    let mut trials_file = if args.no_trials_file {
        None
    } else {
        let path = staging.path().join("trials.csv");
        let mut w =
            BufWriter::new(std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?);
        w.write_all(experiment::runner::trials_header(model).as_bytes())?;
        Some(w)
    };
    let results = experiment::run(model, &design, &opts, trials_file.as_mut().map(|w| w as &mut dyn Write))?;
    if let Some(mut w) = trials_file {
        w.flush().context("writing trials.csv")?;
    }

    let secs = results.elapsed.as_secs_f64();
    let manifest = Manifest {
        tool: "greatgame".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: loaded.origin.clone(),
        scenario_name: model.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: args.seed,
        trials: args.trials,
        threads,
        design: "monte_carlo".into(),
        policies: design.policies.iter().map(|&p| model.policies[p].id.clone()).collect(),
        baseline: model.policies[model.baseline].id.clone(),
        decision_date: model.calendar.label(model.decision_turn),
        horizon: model.calendar.label(model.turns - 1),
        command_line: std::env::args().collect(),
        wall_time_seconds: secs,
        trials_per_second: (args.trials as f64 * design.policies.len() as f64) / secs.max(1e-9),
        complete: true,
        caveat: model.caveat.clone(),
    };
    let summaries = summarise(model, &results);
    let report = Report {
        model,
        results: &results,
        summaries: &summaries,
        manifest: &manifest,
    };
    let mut exporters: Vec<Box<dyn Exporter>> = vec![Box::new(SummaryJson), Box::new(SummaryMarkdown)];
    if !args.no_charts {
        exporters.push(Box::new(Charts));
    }
    for e in &exporters {
        e.export(&report, staging.path())?;
    }
    if !args.quiet {
        println!("{}", markdown::render(&report));
    }
    let dir = staging.commit()?;
    eprintln!(
        "greatgame: {} trials x {} policies in {:.1} s on {} thread(s); results in {}",
        args.trials,
        design.policies.len(),
        secs,
        threads,
        dir.display()
    );
    Ok(())
}
