//! `sweep` as a library call: every combination of lever values (a full factorial grid) over a design of the
//! uncertainties (or of coefficients), with replications; rows streamed to `experiments.csv`, the summary
//! folded per combination, outputs by [`outputs`] (a submodule: they read this module's `Setup`, and this module calls them, for the command and for `merge`). Plain options ([`SweepOptions`]) describe it, so the
//! command line, `merge` (from the options saved in a shard state, [`SweepSpec`]) and a server run the same
//! code.
//!
//! Experiment order (the row order of `experiments.csv`): design point i,
//! then replication r, then lever combination c (last lever fastest):
//! experiment = (i R + r) C + c. Point i, replication r runs trial
//! k = i R + r, so its random streams depend only on (seed, i, r), and every
//! lever combination sees the same draws (common random numbers). A
//! contiguous range of experiments is therefore a self-contained share.

pub mod outputs;

use crate::analysis::stats::OutcomeStats;
use crate::experiment::batch::{self, push_num};
use crate::experiment::check_trials;
use crate::experiment::checkpoint::{Identity, Meta};
use crate::experiment::levers::LeverGrid;
use crate::experiment::merge::{MergeText, ShardDir, Shardable, merged_cost};
use crate::experiment::rows_run::RowsRun;
use crate::experiment::samplers::{DesignKind, UnitDesign, to_params};
use crate::experiment::select::{one_policy, select_outcomes};
use crate::experiment::session::ResumeMode;
use crate::experiment::shard::{ShardSpec, shard_chunks};
use crate::model::Model;
use crate::model::coefficients::{CoefficientSpace, FactorMode};
use crate::report::csv::{field, outcome_header};
use crate::report::manifest::{ManifestInfo, MergedShard};
use crate::scenario::Loaded;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// What to sweep, as plain values (the command line's options).
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Base policy: levers not swept follow it. `None`: the baseline.
    pub policy: Option<String>,
    /// Levers and their values: NAME=v1,v2,... or, for a numeric lever, NAME=a:b:n.
    pub levers: Vec<String>,
    pub design: DesignKind,
    /// Points of the uncertainty design.
    pub samples: u64,
    /// Replications per design point.
    pub replications: u64,
    /// Outcomes for the summary and charts; empty: every Maximize/Minimize outcome.
    pub outcomes: Vec<String>,
    pub factors: FactorMode,
    /// With coefficient factors: only ids matching this pattern.
    pub coefficients: Option<String>,
    pub seed: u64,
    /// Draw the charts.
    pub charts: bool,
    /// Show no progress bar.
    pub quiet: bool,
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
    fn of(opts: &SweepOptions, loaded: &Loaded) -> SweepSpec {
        SweepSpec {
            policy: opts.policy.clone(),
            levers: opts.levers.clone(),
            design: opts
                .design
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default(),
            samples: opts.samples,
            replications: opts.replications,
            outcomes: opts.outcomes.clone(),
            no_charts: !opts.charts,
            factors: opts.factors,
            coefficients: opts.coefficients.clone(),
            ensemble: loaded.ensemble.as_ref().map(|e| e.sha256.clone()),
        }
    }

    /// The options of the unsharded sweep these describe (quiet: a merge shows no progress bar).
    pub fn options(&self, seed: u64) -> Result<SweepOptions> {
        let design = DesignKind::from_str(&self.design, false)
            .map_err(|e| anyhow::anyhow!("unknown design `{}` in the shard state: {e}", self.design))?;
        Ok(SweepOptions {
            policy: self.policy.clone(),
            levers: self.levers.clone(),
            design,
            samples: self.samples,
            replications: self.replications,
            outcomes: self.outcomes.clone(),
            factors: self.factors,
            coefficients: self.coefficients.clone(),
            seed,
            charts: !self.no_charts,
            quiet: true,
        })
    }
}

/// Everything the sweep derives from its arguments and the scenario.
pub struct Setup {
    pub model: Model,
    pub base: usize,
    pub grid: LeverGrid,
    pub outcomes: Vec<usize>,
    pub policies: Vec<usize>,
    pub n_points: u64,
    pub reps: u64,
    pub n_combos: u64,
    pub total: u64,
    pub base_id: String,
    pub lever_cells: Vec<String>,
}

impl Setup {
    pub fn new(opts: &SweepOptions, model: &Model) -> Result<Setup> {
        let mut model = model.clone();
        let base = one_policy(&model, opts.policy.as_deref())?;
        let grid = LeverGrid::parse(&model, &opts.levers)?;
        let outcomes = select_outcomes(&model, &opts.outcomes)?;
        if opts.replications == 0 {
            bail!("--replications must be at least 1");
        }
        let n_points = opts.samples;
        let reps = opts.replications;
        let n_combos = grid.combinations() as u64;
        let units = check_trials(u128::from(n_points) * u128::from(reps))?;
        let total = check_trials(u128::from(units) * u128::from(n_combos))?;
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
    pub fn push(&self, stats: &mut [Vec<OutcomeStats>], c: usize, values: &[f64]) {
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

/// A sweep to run: the options and where the rows and outputs go.
#[derive(Debug, Clone)]
pub struct SweepJob {
    pub options: SweepOptions,
    pub threads: usize,
    /// The output folder (written through a locked staging folder beside it).
    pub out_dir: PathBuf,
    /// Compute only this share of the design points.
    pub shard: Option<ShardSpec>,
    pub resume: ResumeMode,
}

/// What a finished sweep (or shard) did.
#[derive(Debug)]
pub struct SweepOutcome {
    /// The output folder, in place.
    pub dir: PathBuf,
    /// Compute time over every session of the sweep.
    pub seconds: f64,
    /// For a shard: its K/N, its design points, and its trials.
    pub shard: Option<(ShardSpec, Range<u64>, u64)>,
    pub charts: usize,
    /// The mean of each outcome per combination, for the terminal (a whole sweep).
    pub summary: Option<String>,
}

/// A sweep whose grid, outcomes and factors are resolved against the model, ready to run.
pub struct Sweep<'a> {
    loaded: &'a Loaded,
    job: &'a SweepJob,
    pub setup: Setup,
    space: Option<CoefficientSpace>,
    /// The design's factors (uncertainties, coefficient groups or coefficients).
    pub names: Vec<String>,
}

impl<'a> Sweep<'a> {
    /// Resolve `job` against the (prepared) model in `loaded`.
    pub fn prepare(loaded: &'a Loaded, job: &'a SweepJob) -> Result<Sweep<'a>> {
        let opts = &job.options;
        let setup = Setup::new(opts, &loaded.model)?;
        let (space, names) = crate::model::coefficients::factors(loaded, opts.factors, opts.coefficients.as_deref())?;
        Ok(Sweep {
            loaded,
            job,
            setup,
            space,
            names,
        })
    }

    /// Run the design (resuming from a checkpoint if the job says so), then write the outputs and move the
    /// folder into place. A stop asked for by a signal returns `session::Interrupted`.
    pub fn run(self) -> Result<SweepOutcome> {
        let Sweep {
            loaded,
            job,
            ref setup,
            ref space,
            ref names,
        } = self;
        let opts = &job.options;
        let threads = job.threads;
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
        } = *setup;
        let d = names.len();
        let design = UnitDesign::new(opts.design, n_points, d, opts.seed)?;
        let points = match job.shard {
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
        let seed = opts.seed;
        let info = ManifestInfo {
            loaded,
            seed,
            design: format!("sweep: full factorial lever grid x {}", opts.design.name()),
            policy: model.policies[setup.base].id.clone(),
            details: details(setup, opts.design.name()),
        };

        let mut header = String::from("experiment,point,replication,trial,policy");
        for l in &grid.levers {
            write!(header, ",{}", l.id)?;
        }
        writeln!(
            header,
            ",{},{}",
            names.iter().map(|n| field(n)).collect::<Vec<_>>().join(","),
            outcome_header(model)
        )?;
        let fresh = Meta::new(identity(loaded, job, total), loaded, units.clone(), threads);
        let mut run = RowsRun::open(
            job.resume,
            &job.out_dir,
            fresh,
            "experiments.csv",
            &header,
            n_combos,
            &info,
        )?;
        // Per combination, per selected outcome: moments and a quantile sketch.
        let mut stats = setup.empty_stats();
        run.drive(
            threads,
            opts.quiet,
            |u, failed| {
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
                        if opts.factors == FactorMode::Coefficients {
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
                                failed.keep(e);
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
            |outs: Vec<Vec<f64>>| {
                for (c, values) in outs.iter().enumerate() {
                    setup.push(&mut stats, c, values);
                }
            },
        )?;
        let secs = run.session.meta.elapsed_seconds;
        if let Some(spec) = job.shard {
            let t = run.trials();
            let note = format!(
                "shard {spec}: design points {}..{} of {n_points} (experiments {}..{} of {total}), not a complete sweep; \
                 combine all {} shards with `greatgame merge`",
                points.start, points.end, t.start, t.end, spec.count
            );
            let dir = run.finish_shard(&info, spec, points.clone(), note)?;
            return Ok(SweepOutcome {
                dir,
                seconds: secs,
                shard: Some((spec, points, t.end - t.start)),
                charts: 0,
                summary: None,
            });
        }
        // A resumed sweep folds its summary from the whole rows file, as `merge` does.
        let resumed = run.resumed_part_way();
        let resumed_at = run.session.meta.resumed_at.clone();
        let (session, rows) = run.finish()?;
        let stats = if resumed { setup.stats_from_csv(&rows)? } else { stats };
        let (charts, summary) =
            self::outputs::finish(setup, loaded, opts, &stats, session.path(), threads, secs, |m| {
                m.resumed_at_trials = resumed_at;
            })?;
        let dir = session.commit()?;
        Ok(SweepOutcome {
            dir,
            seconds: secs,
            shard: None,
            charts,
            summary: Some(summary),
        })
    }
}

/// The identity of a sweep: what must agree for a checkpoint to be resumed or shards to merge.
fn identity(loaded: &Loaded, job: &SweepJob, total: u64) -> Identity {
    Identity {
        kind: "sweep".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario_sha256: loaded.sha256.clone(),
        seed: job.options.seed,
        trials: total,
        design: serde_json::to_string(&SweepSpec::of(&job.options, loaded)).unwrap_or_default(),
        policies: Vec::new(),
        fans: false,
        keep_values: 0,
        trials_file: true,
        shard: job.shard,
    }
}

pub fn details(setup: &Setup, design_name: &str) -> serde_json::Value {
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

/// Shards of `greatgame sweep`: the span is in design points, the rows are
/// `experiments.csv`; the summary, charts and manifest are recomputed from the
/// merged rows by the same code as the unsharded sweep.
pub struct SweepKind;

impl SweepKind {
    fn spec(meta: &Meta) -> Result<SweepSpec> {
        serde_json::from_str(&meta.identity.design).context("the sweep shard state's options are damaged")
    }
}

impl Shardable for SweepKind {
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

    fn merge_into(&self, shards: &[ShardDir], merged_from: Vec<MergedShard>, dir: &Path) -> Result<MergeText> {
        let meta = &shards[0].meta;
        let loaded = shards[0].scenario()?;
        let opts = Self::spec(meta)?.options(meta.identity.seed)?;
        let setup = Setup::new(&opts, &loaded.model)?;
        let stats = setup.stats_from_csv(&dir.join("experiments.csv"))?;
        let (secs, threads) = merged_cost(&merged_from);
        let (_, summary) = self::outputs::finish(&setup, &loaded, &opts, &stats, dir, threads, secs, |m| {
            m.merged_from = Some(merged_from);
        })?;
        Ok(MergeText {
            notes: Vec::new(),
            summary: Some(summary),
        })
    }
}
