//! `greatgame compare`: paired differences of policies against a baseline,
//! robustness across uncertainty, the mechanisms behind the differences, and
//! one self-contained `report.html`.

use crate::analysis::compare::{CompareDesign, Comparison, compare};
use crate::analysis::robustness::{Threshold, parse_satisfice, parse_weights};
use crate::cli::run::select_policies;
use crate::model::{MAX_TRIALS, Model};
use crate::report::Manifest;
use crate::report::comparison::{self, CompareReport};
use crate::report::staging::{Staging, write_atomic};
use crate::report::{compare_charts, html};
use crate::scenario::Loaded;
use anyhow::{Context, Result, bail};
use std::io::{IsTerminal, Write};
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
    pub ensemble: super::calibrate::EnsembleArgs,
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

/// When packages start (see `--start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartMode {
    /// Every package at the scenario's decision date (comparable histories).
    Decision,
    /// Each package at its own `start:` (its article's date).
    Article,
}

/// Threads from the option (all cores by default).
pub fn threads(opt: Option<usize>) -> Result<usize> {
    match opt {
        Some(0) => bail!("--threads must be at least 1"),
        Some(t) => Ok(t),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// The baseline's index (the scenario's by default), with a hint for typos.
pub fn select_baseline(model: &Model, name: Option<&str>) -> Result<usize> {
    match name {
        None => Ok(model.baseline),
        Some(n) => select_policies(model, &[n.to_string()])
            .map(|v| v[0])
            .with_context(|| "in --baseline".to_string()),
    }
}

/// The manifest of a paired run.
pub fn manifest(loaded: &Loaded, cmp: &Comparison, design: &str, threads: usize) -> Manifest {
    let model = &loaded.model;
    let secs = cmp.elapsed.as_secs_f64();
    Manifest {
        tool: "greatgame".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: loaded.origin.clone(),
        scenario_name: model.name.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: cmp.design.seed,
        trials: cmp.design.trials,
        threads,
        design: design.into(),
        policies: cmp.policy_ids.clone(),
        baseline: cmp.policy_ids[0].clone(),
        decision_date: model.calendar.label(model.decision_turn),
        horizon: model.calendar.label(model.turns - 1),
        command_line: std::env::args().collect(),
        wall_time_seconds: secs,
        trials_per_second: cmp.design.trials as f64 / secs.max(1e-9),
        complete: true,
        status: "complete".into(),
        caveat: model.caveat.clone(),
        ..Manifest::default()
    }
}

pub fn execute(args: &CompareArgs) -> Result<()> {
    if args.trials == 0 || args.trials > MAX_TRIALS {
        bail!("--trials must be between 1 and {MAX_TRIALS} (got {})", args.trials);
    }
    let threads = threads(args.threads)?;
    let mut loaded = super::which_scenario::load(args.scenario.as_deref(), "compare", args.quiet)?;
    crate::model::worlds::fix(&mut loaded.model.worlds, &args.world).map_err(anyhow::Error::msg)?;
    let article = args.start == StartMode::Article;
    if article {
        loaded.model.use_article_starts();
    }
    let (anchor_suffix, anchoring) = crate::present::attach(
        &mut loaded.model,
        args.scenario.as_deref(),
        args.free_history || article,
        args.quiet,
    )?;
    let ensemble = args
        .ensemble
        .attach(&mut loaded, args.scenario.as_deref(), args.quiet)?;
    let model = &loaded.model;
    let base = select_baseline(model, args.baseline.as_deref())?;
    let chosen = if args.policies.is_empty() {
        (0..model.policies.len()).collect()
    } else {
        select_policies(model, &args.policies)?
    };
    let self_row = !args.policies.is_empty() && chosen.contains(&base);
    let mut slots = vec![base];
    slots.extend(chosen.iter().copied().filter(|&p| p != base));
    let mut rows: Vec<usize> = (1..slots.len()).collect();
    if self_row {
        rows.insert(0, 0);
    }
    if rows.is_empty() {
        bail!(
            "nothing to compare: the scenario has only the baseline `{}`; name policies with --policies",
            model.policies[base].id
        );
    }
    let thresholds: Vec<Threshold> = match &args.satisfice {
        Some(t) => parse_satisfice(model, t)?,
        None => Vec::new(),
    };
    let weights = match &args.weights {
        Some(w) => parse_weights(model, w)?,
        None => Vec::new(),
    };
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&model.name).join("compare"));
    let staging = Staging::new(&out_dir, "compare")?;
    let decision_path = staging.path().join(super::run::DECISION);
    let decision = if args.no_decision_state {
        None
    } else {
        let f =
            std::fs::File::create(&decision_path).with_context(|| format!("creating {}", decision_path.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
        let header = crate::present::decision_header(model, crate::present::anchored(model, &slots));
        w.write_all(header.as_bytes()).context("writing decision_state.csv")?;
        Some(crate::present::DecisionWriter::new(Box::new(w)))
    };
    let design = CompareDesign {
        slots,
        rows,
        trials: args.trials,
        seed: args.seed,
        threads,
        thresholds,
        weights,
        mechanisms: true,
        drivers: true,
        progress: std::io::stderr().is_terminal() && args.trials >= 2_000,
        decision,
    };
    let cmp = compare(model, &design)?;
    if let Some(w) = &design.decision {
        w.flush()?;
    }
    let design_name = match args.start {
        StartMode::Decision => "paired_monte_carlo",
        StartMode::Article => "paired_monte_carlo, packages from their articles' dates (--start article)",
    };
    let mut manifest = manifest(&loaded, &cmp, &format!("{design_name}{anchor_suffix}"), threads);
    if let Some(a) = &anchoring {
        let csv = (!args.no_decision_state).then_some(decision_path.as_path());
        manifest.anchoring = Some(crate::present::manifest_entry(a, csv)?);
    }
    manifest.ensemble = ensemble.clone();
    let report = CompareReport {
        model,
        cmp: &cmp,
        manifest: &manifest,
    };
    comparison::write_tables(&report, staging.path())?;
    if !args.no_charts {
        compare_charts::draw_all(&report, staging.path(), true)?;
        let page = html::render(&report, staging.path())?;
        write_atomic(&staging.path().join("report.html"), page.as_bytes())?;
    }
    let mut json = serde_json::to_vec_pretty(&manifest)?;
    json.push(b'\n');
    write_atomic(&staging.path().join("manifest.json"), &json)?;
    // summary.md: what the terminal shows, the robustness of the ranking first.
    let mut text = comparison::section_header(&report, "policy comparison");
    text.push_str(&comparison::section_rank_stability(&report));
    text.push_str(&comparison::section_headline(&report));
    text.push_str(&comparison::section_robustness(&report));
    write_atomic(&staging.path().join("summary.md"), text.as_bytes())?;
    if !args.quiet {
        println!("{text}");
    }
    let dir = staging.commit()?;
    eprintln!(
        "greatgame: compared {} policies with {} on {} trials in {:.1} s on {} thread(s) ({:.0} trials/s); results in {}",
        cmp.design.rows.len(),
        cmp.policy_ids[0],
        args.trials,
        manifest.wall_time_seconds,
        threads,
        manifest.trials_per_second,
        dir.display()
    );
    Ok(())
}
