//! `greatgame sensitivity`: which uncertainties matter most for an outcome
//! under one policy — Sobol indices (Saltelli design) or Morris elementary
//! effects — with tables and tornado charts.
//!
//! Randomness: every row of Saltelli base point j (A_j, B_j, AB_j^(i)), and
//! every point of Morris trajectory j, runs trials j R .. j R + R − 1 (R =
//! replications, outcomes averaged). The within-trial luck is thus common to
//! the rows being compared, so the differences that the estimators use come
//! from the uncertainties alone; the luck's own share of the variance is not
//! attributed to any uncertainty (it shows in 1 − Σ S1 and shrinks as R grows).

use super::explore::{self, CommonArgs, CsvOut, ManifestInfo, RowsRun, Streamed, field};
use super::resume::{ResumeArgs, install_stop_handler};
use crate::analysis::morris::{Effects, MorrisIndices};
use crate::analysis::sobol::{self, SobolIndices};
use crate::experiment::batch::{self, push_num};
use crate::experiment::checkpoint::{Identity, Meta};
use crate::experiment::samplers::{MorrisDesign, SaltelliDesign, SaltelliRow, to_params};
use crate::experiment::shard::{ShardSpec, shard_chunks};
use crate::model::Model;
use crate::model::coefficients::{CoefficientSpace, FactorMode};
use crate::plot::tornado::{TornadoBar, TornadoChart, draw_tornado};
use crate::report::manifest::{Manifest, MergedShard};
use crate::scenario;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Variance-based first-order and total indices (Saltelli design, N (d + 2) runs).
    Sobol,
    /// Morris elementary effects (r trajectories, r (d + 1) runs): cheap screening.
    Morris,
}

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
    /// What to vary: the declared uncertainties, coefficient groups (one factor per item of the
    /// register), or every coefficient on its own (docs/register.md).
    #[arg(long, value_enum, default_value = "uncertainties")]
    pub factors: FactorMode,
    /// With --factors groups|coefficients: only ids matching PATTERN (substring, `*` wildcard; several
    /// patterns separated by commas).
    #[arg(long, value_name = "PATTERN")]
    pub coefficients: Option<String>,
    #[command(flatten)]
    pub ensemble: super::calibrate::EnsembleArgs,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Compute only share K of N (whole Saltelli base points or Morris trajectories, contiguous) into --out;
    /// combine the shares with `greatgame merge`.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<ShardSpec>,
    #[command(flatten)]
    pub resume: ResumeArgs,
}

/// The options as saved in a shard state (`design` of its identity), so
/// `merge` can recompute the indices exactly as the unsharded command does.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SensitivitySpec {
    pub policy: Option<String>,
    pub method: String,
    pub samples: Option<u64>,
    pub replications: u64,
    pub outcomes: Vec<String>,
    pub bootstrap: usize,
    pub levels: u32,
    pub no_charts: bool,
    /// What the design varies (absent in states written before coefficient factors: the uncertainties).
    #[serde(default)]
    pub factors: FactorMode,
    #[serde(default)]
    pub coefficients: Option<String>,
    /// SHA-256 of the calibrated ensemble the trials drew from (absent: the nominal coefficients, and in states
    /// written before ensembles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<String>,
}

impl SensitivitySpec {
    fn of(args: &SensitivityArgs, loaded: &scenario::Loaded) -> SensitivitySpec {
        SensitivitySpec {
            policy: args.policy.clone(),
            method: args
                .method
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default(),
            // Resolved, so `--samples 256` and the default are the same design.
            samples: Some(args.samples.unwrap_or(match args.method {
                Method::Sobol => 256,
                Method::Morris => 20,
            })),
            replications: args.replications,
            outcomes: args.outcomes.clone(),
            bootstrap: args.bootstrap,
            levels: args.levels,
            no_charts: args.common.no_charts,
            factors: args.factors,
            coefficients: args.coefficients.clone(),
            ensemble: loaded.ensemble.as_ref().map(|e| e.sha256.clone()),
        }
    }

    fn args(&self, seed: u64, quiet: bool) -> Result<SensitivityArgs> {
        let method = Method::from_str(&self.method, false)
            .map_err(|e| anyhow::anyhow!("unknown method `{}` in the shard state: {e}", self.method))?;
        Ok(SensitivityArgs {
            scenario: None,
            policy: self.policy.clone(),
            method,
            samples: self.samples,
            replications: self.replications,
            outcomes: self.outcomes.clone(),
            bootstrap: self.bootstrap,
            levels: self.levels,
            factors: self.factors,
            coefficients: self.coefficients.clone(),
            ensemble: Default::default(),
            common: CommonArgs {
                seed,
                threads: None,
                out: None,
                no_charts: self.no_charts,
                quiet,
            },
            shard: None,
            resume: ResumeArgs::default(),
        })
    }
}

/// What the command derives from its arguments and the scenario.
struct Setup {
    policy: usize,
    outcomes: Vec<usize>,
    d: usize,
    reps: u64,
    names: Vec<String>,
    n_units: u64,
    rows_per_unit: u64,
    total: u64,
    saltelli: Option<SaltelliDesign>,
    morris: Option<MorrisDesign>,
    /// The coefficient factors (`--factors groups|coefficients`); `None` varies the uncertainties.
    space: Option<CoefficientSpace>,
}

impl Setup {
    fn new(args: &SensitivityArgs, loaded: &scenario::Loaded) -> Result<Setup> {
        let model = &loaded.model;
        let policy = explore::one_policy(model, args.policy.as_deref())?;
        let outcomes = explore::select_outcomes(model, &args.outcomes)?;
        if args.replications == 0 {
            bail!("--replications must be at least 1");
        }
        if args.bootstrap > 100_000 {
            bail!("--bootstrap is at most 100,000 (got {})", args.bootstrap);
        }
        let (space, names) = crate::model::coefficients::factors(loaded, args.factors, args.coefficients.as_deref())?;
        let d = names.len();
        let reps = args.replications;
        let seed = args.common.seed;
        let (n_units, rows_per_unit) = match args.method {
            Method::Sobol => (args.samples.unwrap_or(256), d as u64 + 2),
            Method::Morris => (args.samples.unwrap_or(20), d as u64 + 1),
        };
        let total = explore::check_trials(u128::from(n_units) * u128::from(rows_per_unit) * u128::from(reps))?;
        budget_check(args, d, n_units, rows_per_unit, total)?;
        let saltelli = match args.method {
            Method::Sobol => Some(SaltelliDesign::new(n_units, d, seed)?),
            Method::Morris => None,
        };
        let morris = match args.method {
            Method::Morris => Some(MorrisDesign::new(n_units, d, args.levels, seed)?),
            Method::Sobol => None,
        };
        Ok(Setup {
            policy,
            outcomes,
            d,
            reps,
            names,
            n_units,
            rows_per_unit,
            total,
            saltelli,
            morris,
            space,
        })
    }
}

/// Trials above which a coefficient design is refused (a few hours on a laptop at ~1,000 trials/s).
const HUGE_BUDGET: u64 = 5_000_000;

/// Say what the design costs before running it, and refuse a coefficient design too big to finish.
fn budget_check(args: &SensitivityArgs, d: usize, n: u64, rows: u64, total: u64) -> Result<()> {
    let formula = match args.method {
        Method::Sobol => format!("Saltelli: N (k + 2) = {n} x ({d} + 2)"),
        Method::Morris => format!("Morris: r (k + 1) = {n} x ({d} + 1)"),
    };
    if !args.common.quiet {
        eprintln!(
            "greatgame: sensitivity over {d} factor(s) ({}): {formula} = {} runs x {} replication(s) = {total} trials",
            args.factors.name(),
            n * rows,
            args.replications
        );
    }
    if args.factors != FactorMode::Uncertainties && total > HUGE_BUDGET {
        bail!(
            "this design needs {total} trials ({formula} runs x {} replications), more than {HUGE_BUDGET}; the budget \
             grows linearly with the number of factors k: screen first with `--method morris --samples 10`, vary \
             `--factors groups` rather than single coefficients, or narrow with `--coefficients PATTERN`",
            args.replications
        );
    }
    Ok(())
}

/// The estimators' inputs per selected outcome, folded unit by unit in order.
struct Folds {
    fa: Vec<Vec<f64>>,
    fb: Vec<Vec<f64>>,
    fab: Vec<Vec<Vec<f64>>>,
    effects: Vec<Effects>,
}

impl Folds {
    fn new(setup: &Setup) -> Folds {
        let (no, d) = (setup.outcomes.len(), setup.d);
        Folds {
            fa: vec![Vec::new(); no],
            fb: vec![Vec::new(); no],
            fab: vec![vec![Vec::new(); d]; no],
            effects: vec![Effects::new(d); no],
        }
    }

    /// One unit's rows (`ys[row][outcome]`, every outcome of the model).
    fn push(&mut self, setup: &Setup, ys: &[Vec<f64>], moves: &[(usize, f64)]) {
        for (slot, &o) in setup.outcomes.iter().enumerate() {
            if setup.saltelli.is_some() {
                self.fa[slot].push(ys[0][o]);
                self.fb[slot].push(ys[1][o]);
                for i in 0..setup.d {
                    self.fab[slot][i].push(ys[2 + i][o]);
                }
            } else {
                let y: Vec<f64> = ys.iter().map(|v| v[o]).collect();
                self.effects[slot].push(&y, moves);
            }
        }
    }

    /// The folds of a whole `runs.csv`, as the unsharded command makes them
    /// (numbers are written in Rust's shortest round-trip form, so the parsed
    /// values are the computed ones bit for bit).
    fn from_csv(setup: &Setup, model: &Model, path: &Path) -> Result<Folds> {
        let mut folds = Folds::new(setup);
        let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let no = model.outcomes.len();
        let per = setup.rows_per_unit as usize;
        let mut ys: Vec<Vec<f64>> = Vec::with_capacity(per);
        let mut unit = 0u64;
        for (i, line) in BufReader::with_capacity(1 << 16, f).lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if i == 0 {
                continue;
            }
            let mut cells = line.rsplitn(no + 1, ',');
            let mut y = vec![0.0; no];
            for v in y.iter_mut().rev() {
                let cell = cells.next().unwrap_or_default();
                *v = cell
                    .parse()
                    .with_context(|| format!("{}:{}: `{cell}` is not a number", path.display(), i + 1))?;
            }
            ys.push(y);
            if ys.len() == per {
                let moves = setup
                    .morris
                    .as_ref()
                    .map(|m| m.trajectory(unit).moves)
                    .unwrap_or_default();
                folds.push(setup, &ys, &moves);
                ys.clear();
                unit += 1;
            }
        }
        if unit != setup.n_units || !ys.is_empty() {
            bail!(
                "{} holds {} rows, the design has {}",
                path.display(),
                unit * setup.rows_per_unit + ys.len() as u64,
                setup.n_units * setup.rows_per_unit
            );
        }
        Ok(folds)
    }
}

pub fn execute(args: &SensitivityArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let mut loaded = super::which_scenario::load(args.scenario.as_deref(), "sensitivity", args.common.quiet)?;
    explore::attach_ensemble(
        &args.ensemble,
        &mut loaded,
        args.factors,
        args.scenario.as_deref(),
        args.common.quiet,
    )?;
    let model = &loaded.model;
    let setup = Setup::new(args, &loaded)?;
    let Setup {
        policy,
        d,
        reps,
        ref names,
        n_units,
        rows_per_unit,
        total,
        ref saltelli,
        ref morris,
        ref space,
        ..
    } = setup;
    let seed = args.common.seed;
    let span = match args.shard {
        Some(spec) => {
            if spec.count > n_units {
                bail!(
                    "--shard {spec}: a design of {n_units} {} can be split into at most {n_units} shard(s); use fewer \
                     shards or more --samples",
                    unit_name(args.method)
                );
            }
            shard_chunks(n_units, spec.count, spec.index)
        }
        None => 0..n_units,
    };
    let out_dir = args.common.out_dir(model, "sensitivity");
    let header = format!(
        "experiment,{},row,moved,{},{}\n",
        if saltelli.is_some() { "base" } else { "trajectory" },
        match space {
            Some(s) => s.names().iter().map(|n| field(n)).collect::<Vec<_>>().join(","),
            None => explore::param_header(model),
        },
        explore::outcome_header(model)
    );
    let failed: std::sync::Mutex<Option<anyhow::Error>> = std::sync::Mutex::new(None);
    let per_unit = rows_per_unit * reps;
    let trials_here = (span.end - span.start) * per_unit;
    let fresh = Meta::new(
        identity(&loaded, args, total, model.policies[policy].id.clone())?,
        &loaded,
        span.clone(),
        threads,
    );
    let info = ManifestInfo {
        loaded: &loaded,
        seed,
        design: design_name(args.method).into(),
        policy: model.policies[policy].id.clone(),
        details: details(&setup, args, model),
    };
    let mut run = RowsRun::open(&args.resume, &out_dir, fresh, "runs.csv", &header, per_unit, &info)?;
    install_stop_handler();
    let mut folds = Folds::new(&setup);
    let bar = batch::progress_bar(trials_here, !args.common.quiet);
    if let Some(b) = &bar {
        b.set_position(run.trials_done());
        b.reset_eta();
    }
    let stopped = batch::for_each_ordered(
        run.next()..span.end,
        threads,
        per_unit,
        bar.as_ref(),
        |j| {
            let mut unit = vec![0.0; d];
            let mut params = vec![0.0; d];
            let mut scratch = vec![0.0; 2 * d];
            let mut text = String::new();
            let mut ys: Vec<Vec<f64>> = Vec::with_capacity(rows_per_unit as usize);
            let mut moves = Vec::new();
            let rows: Vec<(String, String, Vec<f64>)> = if let Some(s) = saltelli {
                (0..s.rows_per_base())
                    .map(|k| {
                        let row = SaltelliRow::of(k);
                        s.point(j, row, &mut scratch, &mut unit);
                        let moved = match row {
                            SaltelliRow::AB(i) => names[i].clone(),
                            _ => String::new(),
                        };
                        (row.label(), moved, unit.clone())
                    })
                    .collect()
            } else if let Some(m) = morris {
                let tr = m.trajectory(j);
                moves = tr.moves.clone();
                tr.points
                    .iter()
                    .enumerate()
                    .map(|(s, g)| {
                        let u: Vec<f64> = g.iter().map(|&g| m.to_unit(g)).collect();
                        let moved = if s == 0 {
                            String::new()
                        } else {
                            names[tr.moves[s - 1].0].clone()
                        };
                        (s.to_string(), moved, u)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            for (k, (label, moved, u)) in rows.iter().enumerate() {
                let y = match space {
                    None => {
                        to_params(model, u, &mut params);
                        batch::simulate_mean(model, seed, j * reps, reps, &params, policy)
                    }
                    // A coefficient point: its own model, the uncertainties drawn from each trial's stream.
                    Some(sp) => match sp.model_at(u) {
                        Ok(m) => {
                            // The columns hold each factor's quantile of its range(s).
                            params.copy_from_slice(u);
                            batch::simulate_mean_drawn(&m, seed, j * reps, reps, policy)
                        }
                        Err(e) => {
                            if let Ok(mut f) = failed.lock() {
                                f.get_or_insert(e);
                            }
                            params.copy_from_slice(u);
                            vec![f64::NAN; model.outcomes.len()]
                        }
                    },
                };
                let _ = write!(text, "{},{j},{label},{}", j * rows_per_unit + k as u64, field(moved));
                for p in &params {
                    push_num(&mut text, *p);
                }
                for x in &y {
                    push_num(&mut text, *x);
                }
                text.push('\n');
                ys.push(y);
            }
            (text, (ys, moves))
        },
        Streamed {
            run: &mut run,
            fold: |(ys, moves): (Vec<Vec<f64>>, Vec<(usize, f64)>)| folds.push(&setup, &ys, &moves),
        },
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(e) = failed.into_inner().ok().flatten() {
        return Err(e.context("a design point's model"));
    }
    run.settle(stopped)?;
    let secs = run.session.meta.elapsed_seconds;
    if let Some(spec) = args.shard {
        let t = run.trials();
        let note = format!(
            "shard {spec}: {} {}..{} of {n_units} (trials {}..{} of {total}), not a complete analysis; combine all {} \
             shards with `greatgame merge`",
            unit_name(args.method),
            span.start,
            span.end,
            t.start,
            t.end,
            spec.count
        );
        let dir = run.finish_shard(&info, spec, span.clone(), note)?;
        eprintln!(
            "greatgame: sensitivity shard {spec}: {} {}..{} of {n_units} ({} trials) in {secs:.1} s; results in {}",
            unit_name(args.method),
            span.start,
            span.end,
            t.end - t.start,
            dir.display()
        );
        return Ok(());
    }
    // A resumed analysis folds its inputs from the whole rows file, as `merge` does.
    let resumed = run.resumed_part_way();
    let resumed_at = run.session.meta.resumed_at.clone();
    let (session, rows) = run.finish()?;
    let folds = if resumed {
        Folds::from_csv(&setup, model, &rows)?
    } else {
        folds
    };
    finish(&setup, &loaded, args, &folds, session.path(), threads, secs, |m| {
        m.resumed_at_trials = resumed_at;
    })?;
    let dir = session.commit()?;
    eprintln!(
        "greatgame: {} runs ({total} trials) in {secs:.1} s ({:.0} trials/s) on {threads} thread(s); results in {}",
        n_units * rows_per_unit,
        total as f64 / secs.max(1e-9),
        dir.display()
    );
    Ok(())
}

/// The identity of a sensitivity analysis: what must agree for a checkpoint to be resumed or shards to merge.
fn identity(loaded: &scenario::Loaded, args: &SensitivityArgs, total: u64, policy: String) -> Result<Identity> {
    Ok(Identity {
        kind: "sensitivity".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_sha256: loaded.sha256.clone(),
        seed: args.common.seed,
        trials: total,
        design: serde_json::to_string(&SensitivitySpec::of(args, loaded))?,
        policies: vec![policy],
        fans: false,
        keep_values: 0,
        trials_file: true,
        shard: args.shard,
    })
}

fn unit_name(m: Method) -> &'static str {
    match m {
        Method::Sobol => "base points",
        Method::Morris => "trajectories",
    }
}

fn design_name(m: Method) -> &'static str {
    match m {
        Method::Sobol => "sensitivity: saltelli",
        Method::Morris => "sensitivity: morris",
    }
}

fn details(setup: &Setup, args: &SensitivityArgs, model: &Model) -> serde_json::Value {
    serde_json::json!({
        "command": "sensitivity",
        "method": match args.method { Method::Sobol => "sobol (Saltelli 2010 first order, Jansen total; Owen-scrambled Sobol sequence)", Method::Morris => "morris (elementary effects, Campolongo mu*)" },
        "samples": setup.n_units,
        "rows_per_sample": setup.rows_per_unit,
        "replications": setup.reps,
        "bootstrap": args.bootstrap,
        "levels": if args.method == Method::Morris { Some(args.levels) } else { None },
        "outcomes": setup.outcomes.iter().map(|&o| model.outcomes[o].id.clone()).collect::<Vec<_>>(),
        "experiment_order": "experiment = sample * rows_per_sample + row; trials sample * replications .. + replications - 1",
    })
}

/// `indices.csv`, `sensitivity.md`, the charts and `manifest.json` from the
/// folded inputs: shared by the unsharded command and `merge`, so both write
/// the same files.
#[allow(clippy::too_many_arguments)]
fn finish(
    setup: &Setup,
    loaded: &scenario::Loaded,
    args: &SensitivityArgs,
    folds: &Folds,
    dir: &Path,
    threads: usize,
    secs: f64,
    adjust: impl FnOnce(&mut Manifest),
) -> Result<()> {
    let model = &loaded.model;
    let Setup {
        policy,
        ref outcomes,
        reps,
        ref names,
        n_units,
        rows_per_unit,
        total,
        ..
    } = *setup;
    let Folds {
        ref fa,
        ref fb,
        ref fab,
        ref effects,
    } = *folds;
    let seed = args.common.seed;
    let ctx = explore::chart_context(
        model,
        format!(
            "{} under {}, {} {}, {} replication(s), seed {seed}",
            match args.method {
                Method::Sobol => "Sobol indices",
                Method::Morris => "Morris screening",
            },
            model.policies[policy].id,
            n_units,
            match args.method {
                Method::Sobol => "base points",
                Method::Morris => "trajectories",
            },
            reps
        ),
    );
    let mut md = String::new();
    writeln!(
        md,
        "# Sensitivity of outcomes to the {} under `{}`\n\n{} runs ({} trials), seed {seed} (timings in manifest.json, so this file is reproducible).\n",
        match args.factors {
            FactorMode::Uncertainties => "uncertainties",
            FactorMode::Groups => "coefficient groups (docs/register.md)",
            FactorMode::Coefficients => "coefficients (docs/register.md)",
        },
        model.policies[policy].id,
        n_units * rows_per_unit,
        total
    )?;
    let charts_dir = dir.join("charts");
    match args.method {
        Method::Sobol => {
            let mut out = CsvOut::create(
                dir,
                "indices.csv",
                "outcome,uncertainty,S1,S1_lo95,S1_hi95,ST,ST_lo95,ST_hi95,variance,n",
            )?;
            for (slot, &o) in outcomes.iter().enumerate() {
                let ix = sobol::indices(&fa[slot], &fb[slot], &fab[slot], args.bootstrap, seed);
                let order = ranking(&ix.st);
                for &i in &order {
                    let mut line = format!("{},{}", model.outcomes[o].id, names[i]);
                    for x in [
                        ix.s1[i],
                        ix.s1_ci[i].0,
                        ix.s1_ci[i].1,
                        ix.st[i],
                        ix.st_ci[i].0,
                        ix.st_ci[i].1,
                        ix.variance,
                    ] {
                        push_num(&mut line, x);
                    }
                    write!(line, ",{}", ix.n)?;
                    out.row(&line)?;
                }
                sobol_markdown(&mut md, model, o, names, &ix, &order)?;
                if !args.common.no_charts {
                    let def = &model.outcomes[o];
                    draw_tornado(
                        &ctx,
                        &TornadoChart {
                            id: &def.id,
                            title: format!("What drives \"{}\"? Sobol indices", def.label),
                            key: "Bar: total index ST (share of variance involving the uncertainty); inner bar: \
                                  first-order index S1 (its effect alone). Whiskers: 95% bootstrap intervals."
                                .into(),
                            x_label: "share of the outcome's variance".into(),
                            main_label: "ST (total)",
                            second_label: "S1 (first order)",
                            second_is_marker: false,
                            bars: order
                                .iter()
                                .map(|&i| TornadoBar {
                                    name: names[i].clone(),
                                    value: ix.st[i],
                                    ci: ix.st_ci[i],
                                    second: ix.s1[i],
                                    second_ci: Some(ix.s1_ci[i]),
                                })
                                .collect(),
                        },
                        &charts_dir,
                    )?;
                }
            }
            out.finish()?;
        }
        Method::Morris => {
            let mut out = CsvOut::create(
                dir,
                "indices.csv",
                "outcome,uncertainty,mu,mu_star,mu_star_lo95,mu_star_hi95,sigma,n",
            )?;
            for (slot, &o) in outcomes.iter().enumerate() {
                let ix = effects[slot].indices(args.bootstrap, seed);
                let order = ranking(&ix.mu_star);
                for &i in &order {
                    let mut line = format!("{},{}", model.outcomes[o].id, names[i]);
                    for x in [
                        ix.mu[i],
                        ix.mu_star[i],
                        ix.mu_star_ci[i].0,
                        ix.mu_star_ci[i].1,
                        ix.sigma[i],
                    ] {
                        push_num(&mut line, x);
                    }
                    write!(line, ",{}", ix.n)?;
                    out.row(&line)?;
                }
                morris_markdown(&mut md, model, o, names, &ix, &order)?;
                if !args.common.no_charts {
                    let def = &model.outcomes[o];
                    draw_tornado(
                        &ctx,
                        &TornadoChart {
                            id: &def.id,
                            title: format!("What drives \"{}\"? Morris screening", def.label),
                            key: format!(
                                "Bar: μ*, the mean absolute effect of moving the uncertainty across its range (in {}); \
                                 whisker: 95% bootstrap interval; triangle: σ (non-linearity or interactions).",
                                def.unit
                            ),
                            x_label: format!("{} per unit of the uncertainty's probability scale", def.unit),
                            main_label: "μ* (importance)",
                            second_label: "σ (interactions)",
                            second_is_marker: true,
                            bars: order
                                .iter()
                                .map(|&i| TornadoBar {
                                    name: names[i].clone(),
                                    value: ix.mu_star[i],
                                    ci: ix.mu_star_ci[i],
                                    second: ix.sigma[i],
                                    second_ci: None,
                                })
                                .collect(),
                        },
                        &charts_dir,
                    )?;
                }
            }
            out.finish()?;
        }
    }
    std::fs::write(dir.join("sensitivity.md"), &md)?;
    explore::write_manifest_with(
        dir,
        loaded,
        seed,
        total,
        threads,
        design_name(args.method),
        &model.policies[policy].id,
        secs,
        details(setup, args, model),
        adjust,
    )?;
    if !args.common.quiet {
        println!("{md}");
    }
    Ok(())
}

/// Shards of `greatgame sensitivity`: the span is in Saltelli base points or
/// Morris trajectories, the rows are `runs.csv`; the indices, report, charts
/// and manifest are recomputed from the merged rows by the same code as the
/// unsharded command (the bootstrap is seeded, so the intervals agree too).
pub struct SensitivityKind;

impl SensitivityKind {
    fn spec(meta: &Meta) -> Result<SensitivitySpec> {
        serde_json::from_str(&meta.identity.design).context("the sensitivity shard state's options are damaged")
    }

    /// Trials per unit (base point or trajectory).
    fn per_unit(meta: &Meta) -> u64 {
        let units = Self::spec(meta)
            .ok()
            .and_then(|s| s.samples.or(Some(if s.method == "morris" { 20 } else { 256 })))
            .unwrap_or(0);
        meta.identity.trials.checked_div(units).unwrap_or(0)
    }
}

impl super::merge::Shardable for SensitivityKind {
    fn kind(&self) -> &'static str {
        "sensitivity"
    }

    fn rows_file(&self) -> &'static str {
        "runs.csv"
    }

    fn span(&self, meta: &Meta) -> Result<std::ops::Range<u64>> {
        let spec = meta.identity.shard.context("shard without K/N")?;
        let per = Self::per_unit(meta);
        let units = meta.identity.trials.checked_div(per).unwrap_or(0);
        if spec.count > units {
            bail!("shard {spec} of a design of only {units} unit(s)");
        }
        Ok(shard_chunks(units, spec.count, spec.index))
    }

    fn trials(&self, meta: &Meta) -> std::ops::Range<u64> {
        let per = Self::per_unit(meta);
        meta.span.start * per..meta.span.end * per
    }

    fn merge_into(
        &self,
        shards: &[super::merge::ShardDir],
        merged_from: Vec<MergedShard>,
        dir: &Path,
        quiet: bool,
    ) -> Result<()> {
        let meta = &shards[0].meta;
        let loaded = shards[0].scenario()?;
        let args = Self::spec(meta)?.args(meta.identity.seed, quiet)?;
        let setup = Setup::new(&args, &loaded)?;
        let folds = Folds::from_csv(&setup, &loaded.model, &dir.join("runs.csv"))?;
        let (secs, threads) = super::merge::merged_cost(&merged_from);
        finish(&setup, &loaded, &args, &folds, dir, threads, secs, |m| {
            m.merged_from = Some(merged_from);
        })
    }
}

/// Factor indices by decreasing value (NaN last), ties by index.
fn ranking(v: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (v[a], v[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => a.cmp(&b),
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => y.total_cmp(&x).then(a.cmp(&b)),
        }
    });
    order
}

fn f3(x: f64) -> String {
    if x.is_finite() { format!("{x:.3}") } else { "–".into() }
}

fn sobol_markdown(
    md: &mut String,
    model: &crate::model::Model,
    o: usize,
    names: &[String],
    ix: &SobolIndices,
    order: &[usize],
) -> Result<()> {
    let def = &model.outcomes[o];
    writeln!(md, "## {} (`{}`)\n", def.label, def.id)?;
    if !ix.variance.is_finite() || ix.variance <= 0.0 {
        writeln!(md, "The outcome does not vary across the design: no indices.\n")?;
        return Ok(());
    }
    let sum_s1: f64 = ix.s1.iter().filter(|x| x.is_finite()).sum();
    writeln!(
        md,
        "Variance {} ({}²); Σ S1 = {:.2} (the rest is interactions and the trials' own luck).\n",
        crate::plot::render::fmt_num(ix.variance),
        def.unit,
        sum_s1
    )?;
    writeln!(
        md,
        "| uncertainty | S1 | 95% CI | ST | 95% CI |\n|---|---:|---|---:|---|"
    )?;
    for &i in order {
        writeln!(
            md,
            "| {} | {} | {} – {} | {} | {} – {} |",
            names[i],
            f3(ix.s1[i]),
            f3(ix.s1_ci[i].0),
            f3(ix.s1_ci[i].1),
            f3(ix.st[i]),
            f3(ix.st_ci[i].0),
            f3(ix.st_ci[i].1)
        )?;
    }
    md.push('\n');
    Ok(())
}

fn morris_markdown(
    md: &mut String,
    model: &crate::model::Model,
    o: usize,
    names: &[String],
    ix: &MorrisIndices,
    order: &[usize],
) -> Result<()> {
    let def = &model.outcomes[o];
    writeln!(md, "## {} (`{}`, {})\n", def.label, def.id, def.unit)?;
    writeln!(md, "| uncertainty | μ* | 95% CI | μ | σ |\n|---|---:|---|---:|---:|")?;
    for &i in order {
        writeln!(
            md,
            "| {} | {} | {} – {} | {} | {} |",
            names[i],
            f3(ix.mu_star[i]),
            f3(ix.mu_star_ci[i].0),
            f3(ix.mu_star_ci[i].1),
            f3(ix.mu[i]),
            f3(ix.sigma[i])
        )?;
    }
    md.push('\n');
    Ok(())
}
