//! `sensitivity` as a library call: which uncertainties (or coefficients) matter most for an outcome under
//! one policy — Sobol indices (Saltelli design) or Morris elementary effects. Rows streamed to `runs.csv`, the
//! estimators' inputs folded unit by unit, outputs by [`outputs`] (a submodule: they read this module's `Setup` and folds, and this module calls them, for the command and for `merge`). Plain options
//! ([`SensitivityOptions`]) describe it, so the command line, `merge` ([`SensitivitySpec`], saved in a shard
//! state) and a server run the same code.
//!
//! Randomness: every row of Saltelli base point j (A_j, B_j, AB_j^(i)), and
//! every point of Morris trajectory j, runs trials j R .. j R + R − 1 (R =
//! replications, outcomes averaged). The within-trial luck is thus common to
//! the rows being compared, so the differences that the estimators use come
//! from the uncertainties alone; the luck's own share of the variance is not
//! attributed to any uncertainty (it shows in 1 − Σ S1 and shrinks as R grows).

pub mod outputs;

use crate::analysis::morris::Effects;
use crate::experiment::batch::{self, push_num};
use crate::experiment::check_trials;
use crate::experiment::checkpoint::{Identity, Meta};
use crate::experiment::merge::{MergeText, ShardDir, Shardable, merged_cost};
use crate::experiment::rows_run::RowsRun;
use crate::experiment::samplers::{MorrisDesign, SaltelliDesign, SaltelliRow, to_params};
use crate::experiment::select::{one_policy, select_outcomes};
use crate::experiment::session::ResumeMode;
use crate::experiment::shard::{ShardSpec, shard_chunks};
use crate::model::Model;
use crate::model::coefficients::{CoefficientSpace, FactorMode};
use crate::report::csv::{field, outcome_header, param_header};
use crate::report::manifest::{ManifestInfo, MergedShard};
use crate::scenario::Loaded;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Variance-based first-order and total indices (Saltelli design, N (d + 2) runs).
    Sobol,
    /// Morris elementary effects (r trajectories, r (d + 1) runs): cheap screening.
    Morris,
}

/// What to analyse, as plain values (the command line's options).
#[derive(Debug, Clone)]
pub struct SensitivityOptions {
    /// Policy under which to measure sensitivity; `None`: the baseline.
    pub policy: Option<String>,
    pub method: Method,
    /// Sobol: base points N. Morris: trajectories r. `None`: 256 and 20.
    pub samples: Option<u64>,
    /// Trials averaged per design row.
    pub replications: u64,
    /// Outcomes to analyse; empty: every Maximize/Minimize outcome.
    pub outcomes: Vec<String>,
    /// Bootstrap resamples for the 95% intervals.
    pub bootstrap: usize,
    /// Morris: grid levels.
    pub levels: u32,
    pub factors: FactorMode,
    /// With coefficient factors: only ids matching this pattern.
    pub coefficients: Option<String>,
    pub seed: u64,
    /// Draw the tornado charts.
    pub charts: bool,
    /// Show no progress bar.
    pub quiet: bool,
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
    fn of(opts: &SensitivityOptions, loaded: &Loaded) -> SensitivitySpec {
        SensitivitySpec {
            policy: opts.policy.clone(),
            method: opts
                .method
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default(),
            // Resolved, so `--samples 256` and the default are the same design.
            samples: Some(opts.samples.unwrap_or(match opts.method {
                Method::Sobol => 256,
                Method::Morris => 20,
            })),
            replications: opts.replications,
            outcomes: opts.outcomes.clone(),
            bootstrap: opts.bootstrap,
            levels: opts.levels,
            no_charts: !opts.charts,
            factors: opts.factors,
            coefficients: opts.coefficients.clone(),
            ensemble: loaded.ensemble.as_ref().map(|e| e.sha256.clone()),
        }
    }

    /// The options of the unsharded analysis these describe (quiet: a merge shows no progress bar).
    pub fn options(&self, seed: u64) -> Result<SensitivityOptions> {
        let method = Method::from_str(&self.method, false)
            .map_err(|e| anyhow::anyhow!("unknown method `{}` in the shard state: {e}", self.method))?;
        Ok(SensitivityOptions {
            policy: self.policy.clone(),
            method,
            samples: self.samples,
            replications: self.replications,
            outcomes: self.outcomes.clone(),
            bootstrap: self.bootstrap,
            levels: self.levels,
            factors: self.factors,
            coefficients: self.coefficients.clone(),
            seed,
            charts: !self.no_charts,
            quiet: true,
        })
    }
}

/// What the command derives from its arguments and the scenario.
pub struct Setup {
    pub policy: usize,
    pub outcomes: Vec<usize>,
    pub d: usize,
    pub reps: u64,
    pub names: Vec<String>,
    pub n_units: u64,
    pub rows_per_unit: u64,
    pub total: u64,
    pub saltelli: Option<SaltelliDesign>,
    pub morris: Option<MorrisDesign>,
    /// The coefficient factors (`--factors groups|coefficients`); `None` varies the uncertainties.
    pub space: Option<CoefficientSpace>,
}

impl Setup {
    /// Resolve the options against the model. `cost` hears, before a too-big design is refused, what the
    /// design costs (the command line prints it).
    pub fn new(opts: &SensitivityOptions, loaded: &Loaded, cost: impl FnOnce(String)) -> Result<Setup> {
        let model = &loaded.model;
        let policy = one_policy(model, opts.policy.as_deref())?;
        let outcomes = select_outcomes(model, &opts.outcomes)?;
        if opts.replications == 0 {
            bail!("--replications must be at least 1");
        }
        if opts.bootstrap > 100_000 {
            bail!("--bootstrap is at most 100,000 (got {})", opts.bootstrap);
        }
        let (space, names) = crate::model::coefficients::factors(loaded, opts.factors, opts.coefficients.as_deref())?;
        let d = names.len();
        let reps = opts.replications;
        let seed = opts.seed;
        let (n_units, rows_per_unit) = match opts.method {
            Method::Sobol => (opts.samples.unwrap_or(256), d as u64 + 2),
            Method::Morris => (opts.samples.unwrap_or(20), d as u64 + 1),
        };
        let total = check_trials(u128::from(n_units) * u128::from(rows_per_unit) * u128::from(reps))?;
        budget_check(opts, d, n_units, rows_per_unit, total, cost)?;
        let saltelli = match opts.method {
            Method::Sobol => Some(SaltelliDesign::new(n_units, d, seed)?),
            Method::Morris => None,
        };
        let morris = match opts.method {
            Method::Morris => Some(MorrisDesign::new(n_units, d, opts.levels, seed)?),
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
fn budget_check(
    opts: &SensitivityOptions,
    d: usize,
    n: u64,
    rows: u64,
    total: u64,
    cost: impl FnOnce(String),
) -> Result<()> {
    let formula = match opts.method {
        Method::Sobol => format!("Saltelli: N (k + 2) = {n} x ({d} + 2)"),
        Method::Morris => format!("Morris: r (k + 1) = {n} x ({d} + 1)"),
    };
    cost(format!(
        "greatgame: sensitivity over {d} factor(s) ({}): {formula} = {} runs x {} replication(s) = {total} trials",
        opts.factors.name(),
        n * rows,
        opts.replications
    ));
    if opts.factors != FactorMode::Uncertainties && total > HUGE_BUDGET {
        bail!(
            "this design needs {total} trials ({formula} runs x {} replications), more than {HUGE_BUDGET}; the budget \
             grows linearly with the number of factors k: screen first with `--method morris --samples 10`, vary \
             `--factors groups` rather than single coefficients, or narrow with `--coefficients PATTERN`",
            opts.replications
        );
    }
    Ok(())
}

/// The estimators' inputs per selected outcome, folded unit by unit in order.
pub struct Folds {
    pub fa: Vec<Vec<f64>>,
    pub fb: Vec<Vec<f64>>,
    pub fab: Vec<Vec<Vec<f64>>>,
    pub effects: Vec<Effects>,
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
    pub fn from_csv(setup: &Setup, model: &Model, path: &Path) -> Result<Folds> {
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

/// An analysis to run: the options and where the rows and outputs go.
#[derive(Debug, Clone)]
pub struct SensitivityJob {
    pub options: SensitivityOptions,
    pub threads: usize,
    /// The output folder (written through a locked staging folder beside it).
    pub out_dir: PathBuf,
    /// Compute only this share of the base points or trajectories.
    pub shard: Option<ShardSpec>,
    pub resume: ResumeMode,
}

/// What a finished analysis (or shard) did.
#[derive(Debug)]
pub struct SensitivityOutcome {
    /// The output folder, in place.
    pub dir: PathBuf,
    /// Compute time over every session.
    pub seconds: f64,
    /// For a shard: its K/N, its units (base points or trajectories) and its trials.
    pub shard: Option<(ShardSpec, Range<u64>, u64)>,
    /// `sensitivity.md`, for the terminal (a whole analysis).
    pub summary: Option<String>,
}

/// Run the analysis described by `job` on the prepared model in `loaded`, given its resolved `setup`
/// ([`Setup::new`]); resumes from a checkpoint if the job says so. A stop asked for by a signal returns
/// `session::Interrupted`.
pub fn run(loaded: &Loaded, job: &SensitivityJob, setup: &Setup) -> Result<SensitivityOutcome> {
    let opts = &job.options;
    let threads = job.threads;
    let model = &loaded.model;
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
    } = *setup;
    let seed = opts.seed;
    let span = match job.shard {
        Some(spec) => {
            if spec.count > n_units {
                bail!(
                    "--shard {spec}: a design of {n_units} {} can be split into at most {n_units} shard(s); use fewer \
                     shards or more --samples",
                    unit_name(opts.method)
                );
            }
            shard_chunks(n_units, spec.count, spec.index)
        }
        None => 0..n_units,
    };
    let header = format!(
        "experiment,{},row,moved,{},{}\n",
        if saltelli.is_some() { "base" } else { "trajectory" },
        match space {
            Some(s) => s.names().iter().map(|n| field(n)).collect::<Vec<_>>().join(","),
            None => param_header(model),
        },
        outcome_header(model)
    );
    let per_unit = rows_per_unit * reps;
    let fresh = Meta::new(
        identity(loaded, job, total, model.policies[policy].id.clone())?,
        loaded,
        span.clone(),
        threads,
    );
    let info = ManifestInfo {
        loaded,
        seed,
        design: design_name(opts.method).into(),
        policy: model.policies[policy].id.clone(),
        details: details(setup, opts, model),
    };
    let mut run = RowsRun::open(job.resume, &job.out_dir, fresh, "runs.csv", &header, per_unit, &info)?;
    let mut folds = Folds::new(setup);
    run.drive(
        threads,
        opts.quiet,
        |j, failed| {
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
                            failed.keep(e);
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
        |(ys, moves): (Vec<Vec<f64>>, Vec<(usize, f64)>)| folds.push(setup, &ys, &moves),
    )?;
    let secs = run.session.meta.elapsed_seconds;
    if let Some(spec) = job.shard {
        let t = run.trials();
        let note = format!(
            "shard {spec}: {} {}..{} of {n_units} (trials {}..{} of {total}), not a complete analysis; combine all {} \
             shards with `greatgame merge`",
            unit_name(opts.method),
            span.start,
            span.end,
            t.start,
            t.end,
            spec.count
        );
        let dir = run.finish_shard(&info, spec, span.clone(), note)?;
        return Ok(SensitivityOutcome {
            dir,
            seconds: secs,
            shard: Some((spec, span, t.end - t.start)),
            summary: None,
        });
    }
    // A resumed analysis folds its inputs from the whole rows file, as `merge` does.
    let resumed = run.resumed_part_way();
    let resumed_at = run.session.meta.resumed_at.clone();
    let (session, rows) = run.finish()?;
    let folds = if resumed {
        Folds::from_csv(setup, model, &rows)?
    } else {
        folds
    };
    let md = self::outputs::finish(setup, loaded, opts, &folds, session.path(), threads, secs, |m| {
        m.resumed_at_trials = resumed_at;
    })?;
    let dir = session.commit()?;
    Ok(SensitivityOutcome {
        dir,
        seconds: secs,
        shard: None,
        summary: Some(md),
    })
}

/// The identity of a sensitivity analysis: what must agree for a checkpoint to be resumed or shards to merge.
fn identity(loaded: &Loaded, job: &SensitivityJob, total: u64, policy: String) -> Result<Identity> {
    Ok(Identity {
        kind: "sensitivity".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_sha256: loaded.sha256.clone(),
        seed: job.options.seed,
        trials: total,
        design: serde_json::to_string(&SensitivitySpec::of(&job.options, loaded))?,
        policies: vec![policy],
        fans: false,
        keep_values: 0,
        trials_file: true,
        shard: job.shard,
    })
}

pub fn unit_name(m: Method) -> &'static str {
    match m {
        Method::Sobol => "base points",
        Method::Morris => "trajectories",
    }
}

pub fn design_name(m: Method) -> &'static str {
    match m {
        Method::Sobol => "sensitivity: saltelli",
        Method::Morris => "sensitivity: morris",
    }
}

pub fn details(setup: &Setup, opts: &SensitivityOptions, model: &Model) -> serde_json::Value {
    serde_json::json!({
        "command": "sensitivity",
        "method": match opts.method { Method::Sobol => "sobol (Saltelli 2010 first order, Jansen total; Owen-scrambled Sobol sequence)", Method::Morris => "morris (elementary effects, Campolongo mu*)" },
        "samples": setup.n_units,
        "rows_per_sample": setup.rows_per_unit,
        "replications": setup.reps,
        "bootstrap": opts.bootstrap,
        "levels": if opts.method == Method::Morris { Some(opts.levels) } else { None },
        "outcomes": setup.outcomes.iter().map(|&o| model.outcomes[o].id.clone()).collect::<Vec<_>>(),
        "experiment_order": "experiment = sample * rows_per_sample + row; trials sample * replications .. + replications - 1",
    })
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

impl Shardable for SensitivityKind {
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

    fn merge_into(&self, shards: &[ShardDir], merged_from: Vec<MergedShard>, dir: &Path) -> Result<MergeText> {
        let meta = &shards[0].meta;
        let loaded = shards[0].scenario()?;
        let opts = Self::spec(meta)?.options(meta.identity.seed)?;
        let mut notes = Vec::new();
        // The cost line too, as the unsharded command prints it.
        let setup = Setup::new(&opts, &loaded, |cost| notes.push(cost))?;
        let folds = Folds::from_csv(&setup, &loaded.model, &dir.join("runs.csv"))?;
        let (secs, threads) = merged_cost(&merged_from);
        let md = self::outputs::finish(&setup, &loaded, &opts, &folds, dir, threads, secs, |m| {
            m.merged_from = Some(merged_from);
        })?;
        // With a newline, as the unsharded command prints it.
        Ok(MergeText {
            notes,
            summary: Some(md + "\n"),
        })
    }
}
