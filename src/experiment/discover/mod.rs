//! Scenario discovery as a library call: run a design over the uncertainties (or coefficients) under one
//! policy, mark the experiments where a condition holds (`isisk_attacks_afghanistan>20`), and find the region
//! of the factor space where those cases concentrate — PRIM's box, and a CART tree as the alternative — as
//! readable rules ([`analysis`], a submodule: it reads this module's options). Plain options ([`DiscoverOptions`]) describe it.
//!
//! Experiment i is design point i; it runs trials i R .. i R + R − 1 (R =
//! replications, outcomes averaged before the condition is applied).

pub mod analysis;

use self::analysis::{Discovery, cart_section, prim_section};
use crate::analysis::prim::PrimOptions;
use crate::experiment::batch::{self, push_num};
use crate::experiment::check_trials;
use crate::experiment::rows_run::FirstError;
use crate::experiment::samplers::{DesignKind, UnitDesign, to_params};
use crate::experiment::select::{one_policy, outcome_index};
use crate::model::Model;
use crate::model::coefficients::FactorMode;
use crate::report::charts::chart_context;
use crate::report::csv::{CsvOut, field, outcome_header};
use crate::report::manifest::ManifestInfo;
use crate::report::staging::Staging;
use crate::scenario::Loaded;
use anyhow::{Result, bail};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

/// Which analyses to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiscoverMethod {
    Prim,
    Cart,
    Both,
}

/// What to discover, as plain values (the command line's options).
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Policy to examine; `None`: the baseline.
    pub policy: Option<String>,
    /// The cases of interest: OUTCOME>NUMBER (also <, >=, <=), several joined by "and".
    pub condition: String,
    pub method: DiscoverMethod,
    pub design: DesignKind,
    /// Number of experiments (design points).
    pub samples: u64,
    /// Trials averaged per experiment.
    pub replications: u64,
    /// PRIM: share of the box peeled off per step; share a paste may add; smallest box.
    pub alpha: f64,
    pub paste_alpha: f64,
    pub min_mass: f64,
    /// PRIM: the default box is the densest with at least this coverage.
    pub min_coverage: f64,
    /// PRIM: report this box of the trajectory instead of the default choice.
    pub box_index: Option<usize>,
    /// PRIM: subsamples for the stability check (`None`: 50 when PRIM runs).
    pub resamples: Option<usize>,
    /// PRIM: share of the experiments in each subsample.
    pub resample_share: f64,
    /// CART: maximum depth; smallest leaf as a share of the experiments; cross-validation folds (`None`: 10).
    pub depth: usize,
    pub min_leaf: f64,
    pub folds: Option<usize>,
    pub factors: FactorMode,
    /// With coefficient factors: only ids matching this pattern.
    pub coefficients: Option<String>,
    pub seed: u64,
    /// Draw the charts.
    pub charts: bool,
    /// Show no progress bar.
    pub quiet: bool,
}

/// A discovery to run: the options, threads and the output folder.
#[derive(Debug, Clone)]
pub struct DiscoverJob {
    pub options: DiscoverOptions,
    pub threads: usize,
    /// The output folder (written through a staging folder beside it).
    pub out_dir: PathBuf,
}

/// What a finished discovery wrote.
#[derive(Debug)]
pub struct DiscoverOutcome {
    /// The output folder, in place.
    pub dir: PathBuf,
    pub experiments: u64,
    pub trials: u64,
    /// Time to run the design.
    pub seconds: f64,
    /// PRIM's simplified box as rules (with its reproducibility over resamples), if PRIM ran.
    pub rules: Option<String>,
    /// `discover.md`, for the terminal.
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed `--where`: outcome comparisons, all of which must hold.
#[derive(Debug, Clone)]
pub struct Condition {
    terms: Vec<(usize, Op, f64)>,
    text: String,
}

impl Condition {
    pub fn parse(model: &Model, text: &str) -> Result<Condition> {
        let mut terms = Vec::new();
        let example = "e.g. --where \"isisk_attacks_afghanistan>20\" or \"gdp_index_2030<0.8 and regime_collapse>=1\"";
        if text.trim().is_empty() {
            bail!("--where is empty; {example}");
        }
        for part in text.split(" and ") {
            let part = part.trim();
            let (pos, op, len) = [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)]
                .iter()
                .filter_map(|(s, op)| part.find(s).map(|p| (p, *op, s.len())))
                .min_by_key(|&(p, _, len)| (p, usize::MAX - len))
                .ok_or_else(|| anyhow::anyhow!("--where: `{part}` has no comparison (>, >=, <, <=); {example}"))?;
            let id = part[..pos].trim();
            let num = part[pos + len..].trim();
            if id.is_empty() {
                bail!("--where: `{part}` names no outcome; {example}");
            }
            let o = outcome_index(model, id, "--where")?;
            let x: f64 = num
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| anyhow::anyhow!("--where: `{num}` in `{part}` is not a number; {example}"))?;
            terms.push((o, op, x));
        }
        Ok(Condition {
            terms,
            text: text.trim().to_string(),
        })
    }

    pub fn holds(&self, values: &[f64]) -> bool {
        self.terms.iter().all(|&(o, op, x)| {
            let v = values[o];
            match op {
                Op::Gt => v > x,
                Op::Ge => v >= x,
                Op::Lt => v < x,
                Op::Le => v <= x,
            }
        })
    }
}

/// The options' checks, in the order the command line reports them, and what they resolve to.
struct Checked {
    uses_prim: bool,
    uses_cart: bool,
    resamples: usize,
    folds: usize,
    prim_opts: PrimOptions,
}

impl DiscoverOptions {
    fn check(&self) -> Result<Checked> {
        let opts = self;
        if opts.replications == 0 {
            bail!("--replications must be at least 1");
        }
        if opts.samples < 10 {
            bail!(
                "--samples must be at least 10 for scenario discovery (got {})",
                opts.samples
            );
        }
        if !(opts.min_coverage >= 0.0 && opts.min_coverage <= 1.0) {
            bail!("--min-coverage must lie in [0, 1] (got {})", opts.min_coverage);
        }
        if !(opts.min_leaf > 0.0 && opts.min_leaf < 0.5) {
            bail!("--min-leaf must lie in (0, 0.5) (got {})", opts.min_leaf);
        }
        if opts.depth == 0 || opts.depth > 10 {
            bail!("--depth must be between 1 and 10 (got {})", opts.depth);
        }
        let uses_prim = matches!(opts.method, DiscoverMethod::Prim | DiscoverMethod::Both);
        let uses_cart = matches!(opts.method, DiscoverMethod::Cart | DiscoverMethod::Both);
        let resamples = match opts.resamples {
            Some(r) if r > 0 && !uses_prim => bail!("--resamples checks PRIM's box, but --method is cart"),
            Some(r) => r,
            None if uses_prim => 50,
            None => 0,
        };
        let folds = match opts.folds {
            Some(_) if !uses_cart => bail!("--folds prunes the CART tree, but --method is prim"),
            Some(k) => k,
            None => 10,
        };
        if folds == 1 || folds as u64 > opts.samples {
            bail!(
                "--folds must be 0 (no pruning) or between 2 and --samples ({}) (got {folds})",
                opts.samples
            );
        }
        if !(opts.resample_share > 0.0 && opts.resample_share < 1.0) {
            bail!("--resample-share must lie in (0, 1) (got {})", opts.resample_share);
        }
        let sub = (opts.resample_share * opts.samples as f64).round() as u64;
        if resamples > 0 && (sub < 5 || sub >= opts.samples) {
            bail!(
                "--resample-share {} of {} experiments gives subsamples of {sub}: each needs at least 5 experiments and must leave some out; change --resample-share or --samples",
                opts.resample_share,
                opts.samples
            );
        }
        let prim_opts = PrimOptions {
            alpha: opts.alpha,
            paste_alpha: opts.paste_alpha,
            min_mass: opts.min_mass,
        };
        if !(prim_opts.alpha > 0.0 && prim_opts.alpha < 0.5) {
            bail!("--alpha must lie in (0, 0.5) (got {})", opts.alpha);
        }
        if !(prim_opts.paste_alpha >= 0.0 && prim_opts.paste_alpha < 0.5) {
            bail!("--paste-alpha must lie in [0, 0.5) (got {})", opts.paste_alpha);
        }
        if !(prim_opts.min_mass > 0.0 && prim_opts.min_mass < 1.0) {
            bail!("--min-mass must lie in (0, 1) (got {})", opts.min_mass);
        }
        Ok(Checked {
            uses_prim,
            uses_cart,
            resamples,
            folds,
            prim_opts,
        })
    }
}

/// Run the discovery described by `job` on the prepared model in `loaded`: the design (rows to
/// `experiments.csv`), then PRIM and/or CART on the cases, then `discover.md`, the charts and the manifest.
/// `announce` hears what the design is before it runs (the command line prints it).
pub fn run(loaded: &Loaded, job: &DiscoverJob, announce: impl FnOnce(String)) -> Result<DiscoverOutcome> {
    let opts = &job.options;
    let threads = job.threads;
    let model = &loaded.model;
    let policy = one_policy(model, opts.policy.as_deref())?;
    let cond = Condition::parse(model, &opts.condition)?;
    let Checked {
        uses_prim,
        uses_cart,
        resamples,
        folds,
        prim_opts,
    } = opts.check()?;
    let (space, names) = crate::model::coefficients::factors(loaded, opts.factors, opts.coefficients.as_deref())?;
    let d = names.len();
    if d == 0 {
        bail!("the scenario has no uncertainties to search");
    }
    announce(format!(
        "greatgame: discover over {d} factor(s) ({}): {} experiments x {} replication(s)",
        opts.factors.name(),
        opts.samples,
        opts.replications
    ));
    let n = opts.samples;
    let reps = opts.replications;
    let total = check_trials(u128::from(n) * u128::from(reps))?;
    let design = UnitDesign::new(opts.design, n, d, opts.seed)?;
    let seed = opts.seed;
    let staging = Staging::new(&job.out_dir, "discover")?;
    let header = format!(
        "experiment,{},{},case",
        names.iter().map(|n| field(n)).collect::<Vec<_>>().join(","),
        outcome_header(model)
    );
    let mut csv = CsvOut::create(staging.path(), "experiments.csv", &header)?;
    let mut cols: Vec<Vec<f64>> = (0..d).map(|_| Vec::with_capacity(n as usize)).collect();
    let mut y: Vec<bool> = Vec::with_capacity(n as usize);
    let started = Instant::now();
    let failed = FirstError::default();
    let bar = batch::progress_bar(total, !opts.quiet);
    batch::for_each_ordered(
        0..n,
        threads,
        reps,
        bar.as_ref(),
        |i| {
            let mut unit = vec![0.0; d];
            design.point(i, &mut unit);
            let mut params = vec![0.0; d];
            let values = match &space {
                None => {
                    to_params(model, &unit, &mut params);
                    batch::simulate_mean(model, seed, i * reps, reps, &params, policy)
                }
                // A coefficient point: its own model; columns hold a single coefficient's value, or a
                // group's quantile of its members' ranges.
                Some(sp) => {
                    params.copy_from_slice(&unit);
                    if opts.factors == FactorMode::Coefficients {
                        for (p, (_, v)) in params.iter_mut().zip(sp.values(&unit)) {
                            *p = v;
                        }
                    }
                    match sp.model_at(&unit) {
                        Ok(m) => batch::simulate_mean_drawn(&m, seed, i * reps, reps, policy),
                        Err(e) => {
                            failed.keep(e);
                            vec![f64::NAN; model.outcomes.len()]
                        }
                    }
                }
            };
            let case = cond.holds(&values);
            let mut line = format!("{i}");
            for p in &params {
                push_num(&mut line, *p);
            }
            for x in &values {
                push_num(&mut line, *x);
            }
            write!(line, ",{}", u8::from(case)).ok();
            (line, params, case)
        },
        |_, (line, params, case): (String, Vec<f64>, bool)| {
            for (c, p) in cols.iter_mut().zip(&params) {
                c.push(*p);
            }
            y.push(case);
            csv.row(&line)
        },
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    failed.check("a design point's model")?;
    csv.finish()?;
    let secs = started.elapsed().as_secs_f64();
    let cases = y.iter().filter(|&&c| c).count();
    if cases == 0 || cases == y.len() {
        bail!(
            "`{}` holds in {} of {} experiments under {}: there is no region to find. Pick a threshold that splits the experiments (experiments.csv was not kept; rerun with a different --where)",
            cond.text,
            cases,
            y.len(),
            model.policies[policy].id
        );
    }
    let mut md = String::new();
    writeln!(
        md,
        "# Scenario discovery: where does `{}` happen under `{}`?\n\n{} experiments ({} design, {} replication(s) each, seed {seed}); the condition holds in {} ({:.1}%).\n",
        cond.text,
        model.policies[policy].id,
        n,
        opts.design.name(),
        reps,
        cases,
        100.0 * cases as f64 / n as f64
    )?;
    let ctx = chart_context(
        model,
        format!(
            "{} under {}, {} experiments ({}), seed {seed}",
            cond.text,
            model.policies[policy].id,
            n,
            opts.design.name()
        ),
    );
    let charts_dir = staging.path().join("charts");
    let mut chosen_rules = None;
    let analysis_started = Instant::now();
    // Resamples and folds run on the run's threads; each depends only on
    // (seed, its index), so the results do not depend on the thread count.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let ctx_d = Discovery {
        dir: staging.path(),
        cols: &cols,
        y: &y,
        names: &names,
        condition: &cond.text,
        ctx: &ctx,
        charts_dir: &charts_dir,
        pool: &pool,
        opts,
    };
    if uses_prim {
        chosen_rules = prim_section(&ctx_d, &prim_opts, resamples, &mut md)?;
    }
    if uses_cart {
        cart_section(&ctx_d, folds, cases, &mut md)?;
    }
    std::fs::write(staging.path().join("discover.md"), &md)?;
    let details = serde_json::json!({
        "command": "discover",
        "where": cond.text,
        "method": match opts.method { DiscoverMethod::Prim => "prim", DiscoverMethod::Cart => "cart", DiscoverMethod::Both => "prim and cart" },
        "uncertainty_design": opts.design.name(),
        "samples": n,
        "replications": reps,
        "cases": cases,
        "prim": {"alpha": opts.alpha, "paste_alpha": opts.paste_alpha, "min_mass": opts.min_mass, "min_coverage": opts.min_coverage, "box": opts.box_index},
        "prim_resampling": {"resamples": resamples, "share": opts.resample_share},
        "cart": {"depth": opts.depth, "min_leaf": opts.min_leaf, "folds": folds, "pruning": if folds > 0 { "cost-complexity, Brier cost, 1-SE rule" } else { "none" }},
        "analysis_seconds": analysis_started.elapsed().as_secs_f64(),
        "experiment_order": "experiment = design point; trials point * replications .. + replications - 1",
    });
    ManifestInfo {
        loaded,
        seed,
        design: format!("discover: {}", opts.design.name()),
        policy: model.policies[policy].id.clone(),
        details,
    }
    .write(staging.path(), total, threads, secs, |_| {})?;
    let dir = staging.commit()?;
    Ok(DiscoverOutcome {
        dir,
        experiments: n,
        trials: total,
        seconds: secs,
        rules: chosen_rules,
        summary: md,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_and_validate() {
        let m = crate::scenario::load(None).unwrap().model;
        let c = Condition::parse(&m, "isisk_attacks_afghanistan>20").unwrap();
        let o = m
            .outcomes
            .iter()
            .position(|x| x.id == "isisk_attacks_afghanistan")
            .unwrap();
        let mut v = vec![0.0; m.outcomes.len()];
        v[o] = 21.0;
        assert!(c.holds(&v));
        v[o] = 20.0;
        assert!(!c.holds(&v));
        let c = Condition::parse(&m, "isisk_attacks_afghanistan >= 20 and gdp_index_2030 < 0.9").unwrap();
        assert_eq!(c.terms.len(), 2);
        assert_eq!(c.terms[0].1, Op::Ge);
        let e = Condition::parse(&m, "isisk_atacks_afghanistan>20")
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `isisk_attacks_afghanistan`"), "{e}");
        assert!(Condition::parse(&m, "isisk_attacks_afghanistan=20").is_err());
        assert!(Condition::parse(&m, "isisk_attacks_afghanistan>lots").is_err());
        assert!(Condition::parse(&m, ">3").is_err());
    }
}
