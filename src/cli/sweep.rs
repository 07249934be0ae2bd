//! `greatgame sweep`: every combination of lever values (a full factorial
//! grid) over a design of the uncertainties, with replications; tidy CSV and
//! charts.
//!
//! Experiment order (the row order of `experiments.csv`): design point i,
//! then replication r, then lever combination c (last lever fastest):
//! experiment = (i R + r) C + c. Point i, replication r runs trial
//! k = i R + r, so its random streams depend only on (seed, i, r), and every
//! lever combination sees the same draws (common random numbers). A
//! contiguous range of experiments is therefore a self-contained share.

use super::explore::{self, CommonArgs, CsvOut, ManifestInfo, RowsRun, Streamed, field};
use super::resume::{ResumeArgs, install_stop_handler};
use crate::analysis::stats::OutcomeStats;
use crate::experiment::batch::{self, push_num};
use crate::experiment::checkpoint::{Identity, Meta};
use crate::experiment::levers::LeverGrid;
use crate::experiment::samplers::{DesignKind, UnitDesign, to_params};
use crate::experiment::shard::{ShardSpec, shard_chunks};
use crate::model::Model;
use crate::model::coefficients::FactorMode;
use crate::plot::sweep::{BandChart, BandPoint, HeatmapChart, draw_band, draw_heatmap};
use crate::report::manifest::{Manifest, MergedShard};
use crate::scenario;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

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
    /// What the design varies: the declared uncertainties, coefficient groups, or single coefficients
    /// (docs/register.md).
    #[arg(long, value_enum, default_value = "uncertainties")]
    pub factors: FactorMode,
    /// With --factors groups|coefficients: only ids matching PATTERN (substring, `*` wildcard, comma-separated).
    #[arg(long, value_name = "PATTERN")]
    pub coefficients: Option<String>,
    #[command(flatten)]
    pub ensemble: super::calibrate::EnsembleArgs,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Compute only share K of N (whole design points, contiguous) into --out; combine the shares with
    /// `greatgame merge`.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<ShardSpec>,
    #[command(flatten)]
    pub resume: ResumeArgs,
}

/// The sweep's options as saved in a shard state (`design` of its identity),
/// so `merge` can rebuild the grid and write what the unsharded sweep writes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepSpec {
    pub policy: Option<String>,
    pub levers: Vec<String>,
    pub design: String,
    pub samples: u64,
    pub replications: u64,
    pub outcomes: Vec<String>,
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

impl SweepSpec {
    fn of(args: &SweepArgs, loaded: &scenario::Loaded) -> SweepSpec {
        SweepSpec {
            policy: args.policy.clone(),
            levers: args.levers.clone(),
            design: args
                .design
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default(),
            samples: args.samples,
            replications: args.replications,
            outcomes: args.outcomes.clone(),
            no_charts: args.common.no_charts,
            factors: args.factors,
            coefficients: args.coefficients.clone(),
            ensemble: loaded.ensemble.as_ref().map(|e| e.sha256.clone()),
        }
    }

    /// The arguments of the unsharded sweep these options describe.
    pub fn args(&self, seed: u64, quiet: bool) -> Result<SweepArgs> {
        let design = DesignKind::from_str(&self.design, false)
            .map_err(|e| anyhow::anyhow!("unknown design `{}` in the shard state: {e}", self.design))?;
        Ok(SweepArgs {
            scenario: None,
            policy: self.policy.clone(),
            levers: self.levers.clone(),
            design,
            samples: self.samples,
            replications: self.replications,
            outcomes: self.outcomes.clone(),
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

/// Everything the sweep derives from its arguments and the scenario.
pub struct Setup {
    pub model: Model,
    base: usize,
    grid: LeverGrid,
    outcomes: Vec<usize>,
    policies: Vec<usize>,
    n_points: u64,
    reps: u64,
    n_combos: u64,
    total: u64,
    base_id: String,
    lever_cells: Vec<String>,
}

impl Setup {
    pub fn new(args: &SweepArgs, model: &Model) -> Result<Setup> {
        let mut model = model.clone();
        let base = explore::one_policy(&model, args.policy.as_deref())?;
        let grid = LeverGrid::parse(&model, &args.levers)?;
        let outcomes = explore::select_outcomes(&model, &args.outcomes)?;
        if args.replications == 0 {
            bail!("--replications must be at least 1");
        }
        let n_points = args.samples;
        let reps = args.replications;
        let n_combos = grid.combinations() as u64;
        let units = explore::check_trials(u128::from(n_points) * u128::from(reps))?;
        let total = explore::check_trials(u128::from(units) * u128::from(n_combos))?;
        let policies = grid.add_policies(&mut model, base);
        // Ensemble members must carry the lever grid's policies too.
        model.sync_members();
        let base_id = field(&model.policies[base].id);
        let lever_cells: Vec<String> = (0..n_combos as usize)
            .map(|c| {
                grid.indices(c)
                    .iter()
                    .zip(&grid.levers)
                    .map(|(&k, l)| format!(",{}", field(&l.labels[k])))
                    .collect()
            })
            .collect();
        Ok(Setup {
            model,
            base,
            grid,
            outcomes,
            policies,
            n_points,
            reps,
            n_combos,
            total,
            base_id,
            lever_cells,
        })
    }

    /// Fold one row's outcome values (combination `c`) into the summary statistics, in row order.
    fn push(&self, stats: &mut [Vec<OutcomeStats>], c: usize, values: &[f64]) {
        for (s, &o) in stats[c].iter_mut().zip(&self.outcomes) {
            s.push(values[o]);
        }
    }

    pub fn empty_stats(&self) -> Vec<Vec<OutcomeStats>> {
        vec![vec![OutcomeStats::default(); self.outcomes.len()]; self.n_combos as usize]
    }

    /// Summary statistics from a whole `experiments.csv` (as the unsharded
    /// sweep folds them: every row in order). Numbers are written in Rust's
    /// shortest round-trip form, so the parsed values are the computed ones bit for bit.
    pub fn stats_from_csv(&self, path: &Path) -> Result<Vec<Vec<OutcomeStats>>> {
        let mut stats = self.empty_stats();
        let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let no = self.model.outcomes.len();
        let mut values = vec![0.0; no];
        let mut rows = 0u64;
        for (i, line) in BufReader::with_capacity(1 << 16, f).lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if i == 0 {
                continue;
            }
            let mut cells = line.rsplitn(no + 1, ',');
            for v in values.iter_mut().rev() {
                let cell = cells.next().unwrap_or_default();
                *v = cell
                    .parse()
                    .with_context(|| format!("{}:{}: `{cell}` is not a number", path.display(), i + 1))?;
            }
            self.push(&mut stats, (rows % self.n_combos) as usize, &values);
            rows += 1;
        }
        if rows != self.total {
            bail!("{} has {rows} rows, the sweep has {}", path.display(), self.total);
        }
        Ok(stats)
    }
}

pub fn execute(args: &SweepArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let mut loaded = super::which_scenario::load(args.scenario.as_deref(), "sweep", args.common.quiet)?;
    explore::attach_ensemble(
        &args.ensemble,
        &mut loaded,
        args.factors,
        args.scenario.as_deref(),
        args.common.quiet,
    )?;
    let setup = Setup::new(args, &loaded.model)?;
    let Setup {
        ref model,
        ref grid,
        ref policies,
        n_points,
        reps,
        n_combos,
        total,
        ref base_id,
        ref lever_cells,
        ..
    } = setup;
    let (space, names) = crate::model::coefficients::factors(&loaded, args.factors, args.coefficients.as_deref())?;
    let d = names.len();
    if !args.common.quiet {
        eprintln!(
            "greatgame: sweep over {d} factor(s) ({}): {n_points} points x {reps} replication(s) x {n_combos} lever \
             combination(s) = {total} trials",
            args.factors.name()
        );
    }
    let failed: std::sync::Mutex<Option<anyhow::Error>> = std::sync::Mutex::new(None);
    let design = UnitDesign::new(args.design, n_points, d, args.common.seed)?;
    let points = match args.shard {
        Some(spec) => {
            if spec.count > n_points {
                bail!(
                    "--shard {spec}: a sweep of {n_points} design point(s) can be split into at most {n_points} \
                     shard(s); use fewer shards or more --samples"
                );
            }
            shard_chunks(n_points, spec.count, spec.index)
        }
        None => 0..n_points,
    };
    // The units of work are (point, replication) pairs: u = i R + r.
    let units = points.start * reps..points.end * reps;
    let out_dir = args.common.out_dir(model, "sweep");
    let seed = args.common.seed;
    let info = ManifestInfo {
        loaded: &loaded,
        seed,
        design: format!("sweep: full factorial lever grid x {}", args.design.name()),
        policy: model.policies[setup.base].id.clone(),
        details: details(&setup, args.design.name()),
    };

    let mut header = String::from("experiment,point,replication,trial,policy");
    for l in &grid.levers {
        write!(header, ",{}", l.id)?;
    }
    writeln!(
        header,
        ",{},{}",
        names.iter().map(|n| field(n)).collect::<Vec<_>>().join(","),
        explore::outcome_header(model)
    )?;
    let fresh = Meta::new(identity(&loaded, args, total), &loaded, units.clone(), threads);
    let mut run = RowsRun::open(
        &args.resume,
        &out_dir,
        fresh,
        "experiments.csv",
        &header,
        n_combos,
        &info,
    )?;
    install_stop_handler();
    // Per combination, per selected outcome: moments and a quantile sketch.
    let mut stats = setup.empty_stats();
    let bar = batch::progress_bar((units.end - units.start) * n_combos, !args.common.quiet);
    if let Some(b) = &bar {
        b.set_position(run.trials_done());
        b.reset_eta();
    }
    let stopped = batch::for_each_ordered(
        run.next()..units.end,
        threads,
        n_combos,
        bar.as_ref(),
        |u| {
            let (i, r) = (u / reps, u % reps);
            let mut unit = vec![0.0; d];
            design.point(i, &mut unit);
            let mut params = vec![0.0; d];
            let outs = match &space {
                None => {
                    to_params(model, &unit, &mut params);
                    batch::simulate(model, seed, u, Some(&params), policies).1
                }
                // A coefficient point: its own model with the same lever grid; the uncertainties are
                // drawn from the trial's stream. Columns: a coefficient's value, or a group's quantile.
                Some(sp) => {
                    params.copy_from_slice(&unit);
                    if args.factors == FactorMode::Coefficients {
                        for (p, (_, v)) in params.iter_mut().zip(sp.values(&unit)) {
                            *p = v;
                        }
                    }
                    match sp.model_at(&unit) {
                        Ok(mut m) => {
                            grid.add_policies(&mut m, setup.base);
                            batch::simulate(&m, seed, u, None, policies).1
                        }
                        Err(e) => {
                            if let Ok(mut f) = failed.lock() {
                                f.get_or_insert(e);
                            }
                            vec![vec![f64::NAN; model.outcomes.len()]; policies.len()]
                        }
                    }
                }
            };
            let mut text = String::new();
            for (c, values) in outs.iter().enumerate() {
                let _ = write!(
                    text,
                    "{},{i},{r},{u},{base_id}{}",
                    u * n_combos + c as u64,
                    lever_cells[c]
                );
                for p in &params {
                    push_num(&mut text, *p);
                }
                for x in values {
                    push_num(&mut text, *x);
                }
                text.push('\n');
            }
            (text, outs)
        },
        Streamed {
            run: &mut run,
            fold: |outs: Vec<Vec<f64>>| {
                for (c, values) in outs.iter().enumerate() {
                    setup.push(&mut stats, c, values);
                }
            },
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
            "shard {spec}: design points {}..{} of {n_points} (experiments {}..{} of {total}), not a complete sweep; \
             combine all {} shards with `greatgame merge`",
            points.start, points.end, t.start, t.end, spec.count
        );
        let dir = run.finish_shard(&info, spec, points.clone(), note)?;
        eprintln!(
            "greatgame: sweep shard {spec}: design points {}..{} of {n_points} ({} trials) in {secs:.1} s; results in {}",
            points.start,
            points.end,
            t.end - t.start,
            dir.display()
        );
        return Ok(());
    }
    // A resumed sweep folds its summary from the whole rows file, as `merge` does.
    let resumed = run.resumed_part_way();
    let resumed_at = run.session.meta.resumed_at.clone();
    let (session, rows) = run.finish()?;
    let stats = if resumed { setup.stats_from_csv(&rows)? } else { stats };
    let charts = finish(&setup, &loaded, args, &stats, session.path(), threads, secs, |m| {
        m.resumed_at_trials = resumed_at;
    })?;
    let dir = session.commit()?;
    eprintln!(
        "greatgame: sweep of {n_combos} lever combination(s) x {n_points} point(s) x {reps} replication(s) = {total} trials in {secs:.1} s ({:.0} trials/s) on {threads} thread(s); {charts} chart(s); results in {}",
        total as f64 / secs.max(1e-9),
        dir.display()
    );
    Ok(())
}

/// The identity of a sweep: what must agree for a checkpoint to be resumed or shards to merge.
fn identity(loaded: &scenario::Loaded, args: &SweepArgs, total: u64) -> Identity {
    Identity {
        kind: "sweep".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_sha256: loaded.sha256.clone(),
        seed: args.common.seed,
        trials: total,
        design: serde_json::to_string(&SweepSpec::of(args, loaded)).unwrap_or_default(),
        policies: Vec::new(),
        fans: false,
        keep_values: 0,
        trials_file: true,
        shard: args.shard,
    }
}

fn details(setup: &Setup, design_name: &str) -> serde_json::Value {
    let model = &setup.model;
    serde_json::json!({
        "command": "sweep",
        "base_policy": model.policies[setup.base].id,
        "levers": setup.grid.levers.iter().map(|l| serde_json::json!({"id": l.id, "values": l.labels})).collect::<Vec<_>>(),
        "combinations": setup.n_combos,
        "uncertainty_design": design_name,
        "samples": setup.n_points,
        "replications": setup.reps,
        "experiments": setup.total,
        "experiment_order": "experiment = (point * replications + replication) * combinations + combination; trial = point * replications + replication",
        "outcomes": setup.outcomes.iter().map(|&o| model.outcomes[o].id.clone()).collect::<Vec<_>>(),
    })
}

/// `summary.csv`, the charts and `manifest.json` from the folded statistics:
/// shared by the unsharded sweep and `merge`, so both write the same files.
/// Returns the number of charts.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    setup: &Setup,
    loaded: &scenario::Loaded,
    args: &SweepArgs,
    stats: &[Vec<OutcomeStats>],
    dir: &Path,
    threads: usize,
    secs: f64,
    adjust: impl FnOnce(&mut Manifest),
) -> Result<usize> {
    let Setup {
        ref model,
        base,
        ref grid,
        ref outcomes,
        n_points,
        reps,
        total,
        ref base_id,
        ref lever_cells,
        ..
    } = *setup;
    let seed = args.common.seed;

    // summary.csv: one row per (combination, outcome).
    let mut sh = String::from("policy");
    for l in &grid.levers {
        write!(sh, ",{}", l.id)?;
    }
    sh.push_str(",outcome,n,mean,sd,p05,p25,p50,p75,p95");
    let mut summary = CsvOut::create(dir, "summary.csv", &sh)?;
    for (c, row) in stats.iter().enumerate() {
        for (s, &o) in row.iter().zip(outcomes) {
            let mut line = format!("{base_id}{},{}", lever_cells[c], model.outcomes[o].id);
            let bp = band_point(s);
            write!(line, ",{}", s.moments.n)?;
            for x in [bp.mean, s.moments.sd()].iter().chain(bp.q.iter()) {
                push_num(&mut line, *x);
            }
            summary.row(&line)?;
        }
    }
    summary.finish()?;

    let mut charts = 0;
    if !args.common.no_charts && !grid.levers.is_empty() {
        let charts_dir = dir.join("charts");
        let ctx = explore::chart_context(
            model,
            format!(
                "sweep over {} under {}, {} points x {} replications ({}), seed {seed}",
                grid.levers
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
                model.policies[base].id,
                n_points,
                reps,
                args.design.name()
            ),
        );
        for (li, l) in grid.levers.iter().enumerate() {
            let others: Vec<String> = grid
                .levers
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != li)
                .map(|(_, o)| format!("{} ({} values)", o.id, o.values.len()))
                .collect();
            let note = if others.is_empty() {
                String::new()
            } else {
                format!("Pooled over {}.", others.join(", "))
            };
            for (oi, &o) in outcomes.iter().enumerate() {
                let def = &model.outcomes[o];
                let points = (0..l.values.len())
                    .map(|v| {
                        let mut acc = OutcomeStats::default();
                        for (c, row) in stats.iter().enumerate() {
                            if grid.indices(c)[li] == v {
                                acc.merge(&row[oi]);
                            }
                        }
                        band_point(&acc)
                    })
                    .collect();
                draw_band(
                    &ctx,
                    &BandChart {
                        id: &def.id,
                        title: &def.label,
                        unit: &def.unit,
                        direction: explore::direction(def.kind),
                        lever: &l.id,
                        categories: l.labels.clone(),
                        points,
                        is_event: def.is_event(),
                        note: note.clone(),
                    },
                    &charts_dir,
                )?;
                charts += 1;
            }
        }
        if grid.levers.len() == 2 {
            let (lx, ly) = (&grid.levers[1], &grid.levers[0]);
            for (oi, &o) in outcomes.iter().enumerate() {
                let def = &model.outcomes[o];
                let mut means = vec![vec![f64::NAN; lx.values.len()]; ly.values.len()];
                for (c, row) in stats.iter().enumerate() {
                    let idx = grid.indices(c);
                    means[idx[0]][idx[1]] = if row[oi].moments.n > 0 {
                        row[oi].moments.mean
                    } else {
                        f64::NAN
                    };
                }
                draw_heatmap(
                    &ctx,
                    &HeatmapChart {
                        id: &def.id,
                        title: &def.label,
                        unit: &def.unit,
                        direction: explore::direction(def.kind),
                        x_lever: &lx.id,
                        y_lever: &ly.id,
                        x_categories: lx.labels.clone(),
                        y_categories: ly.labels.clone(),
                        means,
                    },
                    &charts_dir,
                )?;
                charts += 1;
            }
        }
    }

    explore::write_manifest_with(
        dir,
        loaded,
        seed,
        total,
        threads,
        &format!("sweep: full factorial lever grid x {}", args.design.name()),
        &model.policies[base].id,
        secs,
        details(setup, args.design.name()),
        adjust,
    )?;
    if !args.common.quiet {
        print_summary(model, grid, stats, outcomes);
    }
    Ok(charts)
}

fn band_point(s: &OutcomeStats) -> BandPoint {
    if s.moments.n == 0 {
        return BandPoint {
            mean: f64::NAN,
            q: [f64::NAN; 5],
        };
    }
    BandPoint {
        mean: s.moments.mean,
        q: [0.05, 0.25, 0.5, 0.75, 0.95].map(|q| s.sketch.quantile(q)),
    }
}

/// A compact table on the terminal: mean of each outcome per combination.
fn print_summary(model: &crate::model::Model, grid: &LeverGrid, stats: &[Vec<OutcomeStats>], outcomes: &[usize]) {
    if stats.len() > 12 {
        println!(
            "{} lever combinations: see summary.csv for the mean and quantiles of each.",
            stats.len()
        );
        return;
    }
    println!("Mean outcome per lever combination (summary.csv has quantiles):\n");
    for (c, row) in stats.iter().enumerate() {
        let idx = grid.indices(c);
        let label: Vec<String> = grid
            .levers
            .iter()
            .zip(&idx)
            .map(|(l, &k)| format!("{}={}", l.id, l.labels[k]))
            .collect();
        println!(
            "  {}",
            if label.is_empty() {
                "(base policy)".into()
            } else {
                label.join(", ")
            }
        );
        for (s, &o) in row.iter().zip(outcomes) {
            println!(
                "      {:<28} {:>12}",
                model.outcomes[o].id,
                crate::plot::render::fmt_num(s.moments.mean)
            );
        }
    }
}

/// Shards of `greatgame sweep`: the span is in design points, the rows are
/// `experiments.csv`; the summary, charts and manifest are recomputed from the
/// merged rows by the same code as the unsharded sweep.
pub struct SweepKind;

impl SweepKind {
    fn spec(meta: &Meta) -> Result<SweepSpec> {
        serde_json::from_str(&meta.identity.design).context("the sweep shard state's options are damaged")
    }
}

impl super::merge::Shardable for SweepKind {
    fn kind(&self) -> &'static str {
        "sweep"
    }

    fn rows_file(&self) -> &'static str {
        "experiments.csv"
    }

    fn span(&self, meta: &Meta) -> Result<std::ops::Range<u64>> {
        let spec = meta.identity.shard.context("shard without K/N")?;
        let samples = Self::spec(meta)?.samples;
        if spec.count > samples {
            bail!("shard {spec} of a sweep of only {samples} design point(s)");
        }
        Ok(shard_chunks(samples, spec.count, spec.index))
    }

    fn trials(&self, meta: &Meta) -> std::ops::Range<u64> {
        let per_point = Self::spec(meta)
            .ok()
            .filter(|s| s.samples > 0)
            .map_or(0, |s| meta.identity.trials / s.samples);
        meta.span.start * per_point..meta.span.end * per_point
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
        let setup = Setup::new(&args, &loaded.model)?;
        let stats = setup.stats_from_csv(&dir.join("experiments.csv"))?;
        let (secs, threads) = super::merge::merged_cost(&merged_from);
        finish(&setup, &loaded, &args, &stats, dir, threads, secs, |m| {
            m.merged_from = Some(merged_from);
        })?;
        Ok(())
    }
}
