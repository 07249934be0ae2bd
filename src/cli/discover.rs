//! `greatgame discover`: scenario discovery. Run a design over the
//! uncertainties under one policy, mark the experiments where a condition
//! holds (`--where "isisk_attacks_afghanistan>20"`), and find the region of
//! the uncertainty space where those cases concentrate — PRIM's box, and a
//! CART tree as the alternative — as readable rules.
//!
//! Experiment i is design point i; it runs trials i R .. i R + R − 1 (R =
//! replications, outcomes averaged before the condition is applied).

use super::explore::{self, CommonArgs};
use crate::analysis::cart::{self, CartOptions, prune};
use crate::analysis::prim::stability::{self, ResampleOptions, Stability};
use crate::analysis::prim::{self, PrimBox, PrimOptions, PrimResult, short};
use crate::experiment::batch::{self, push_num};
use crate::experiment::check_trials;
use crate::experiment::samplers::{DesignKind, UnitDesign, to_params};
use crate::experiment::select::{one_policy, outcome_index};
use crate::model::Model;
use crate::model::coefficients::FactorMode;
use crate::plot::prim::{
    BoxChart, BoxLimit, StabilityChart, StabilityRow, TrajectoryChart, draw_box, draw_stability, draw_trajectory,
};
use crate::plot::render::quantile;
use crate::report::charts::chart_context;
use crate::report::csv::{CsvOut, field, outcome_header};
use crate::report::manifest::write_manifest;
use crate::report::staging::Staging;
use anyhow::{Result, bail};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiscoverMethod {
    Prim,
    Cart,
    Both,
}

#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {
    /// Scenario file (RON). Default: the built-in Afghanistan scenario.
    pub scenario: Option<PathBuf>,
    /// Policy to examine. Default: the baseline policy.
    #[arg(long, value_name = "NAME")]
    pub policy: Option<String>,
    /// The cases of interest: OUTCOME>NUMBER (also <, >=, <=), several joined by "and".
    #[arg(long = "where", value_name = "CONDITION")]
    pub condition: String,
    #[arg(long, value_enum, default_value = "both")]
    pub method: DiscoverMethod,
    /// Design over the uncertainties.
    #[arg(long, value_enum, default_value = "lhs")]
    pub design: DesignKind,
    /// Number of experiments (design points).
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub samples: u64,
    /// Trials averaged per experiment.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::numbers::count::<u64>)]
    pub replications: u64,
    /// PRIM: share of the box peeled off per step.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub alpha: f64,
    /// PRIM: share of the box a paste may add.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub paste_alpha: f64,
    /// PRIM: smallest box, as a share of the experiments.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub min_mass: f64,
    /// PRIM: the default box is the densest with at least this coverage.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub min_coverage: f64,
    /// PRIM: report this box of the trajectory instead of the default choice.
    #[arg(long = "box", value_name = "INDEX", allow_negative_numbers = true, value_parser = super::numbers::zero_or_more::<usize>)]
    pub box_index: Option<usize>,
    /// PRIM: stability check — rerun PRIM on this many random subsamples (0: skip) [default: 50].
    #[arg(long, value_name = "R", allow_negative_numbers = true, value_parser = super::numbers::zero_or_more::<usize>)]
    pub resamples: Option<usize>,
    /// PRIM: share of the experiments in each subsample (the rest score the box out of sample).
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub resample_share: f64,
    /// CART: maximum depth of the grown tree (before pruning).
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = super::numbers::count::<usize>)]
    pub depth: usize,
    /// CART: smallest leaf, as a share of the experiments.
    #[arg(long, default_value_t = 0.02, allow_negative_numbers = true)]
    pub min_leaf: f64,
    /// CART: cross-validation folds for cost-complexity pruning (0: keep the grown tree) [default: 10].
    #[arg(long, value_name = "K", allow_negative_numbers = true, value_parser = super::numbers::zero_or_more::<usize>)]
    pub folds: Option<usize>,
    /// What to vary: the declared uncertainties, coefficient groups, or single coefficients
    /// (docs/register.md); the boxes are then stated in those factors.
    #[arg(long, value_enum, default_value = "uncertainties")]
    pub factors: FactorMode,
    /// With --factors groups|coefficients: only ids matching PATTERN (substring, `*` wildcard, comma-separated).
    #[arg(long, value_name = "PATTERN")]
    pub coefficients: Option<String>,
    #[command(flatten)]
    pub ensemble: super::calibrate::EnsembleArgs,
    #[command(flatten)]
    pub common: CommonArgs,
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

pub fn execute(args: &DiscoverArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let mut loaded = super::which_scenario::load(args.scenario.as_deref(), "discover", args.common.quiet)?;
    explore::attach_ensemble(
        &args.ensemble,
        &mut loaded,
        args.factors,
        args.scenario.as_deref(),
        args.common.quiet,
    )?;
    let model = &loaded.model;
    let policy = one_policy(model, args.policy.as_deref())?;
    let cond = Condition::parse(model, &args.condition)?;
    if args.replications == 0 {
        bail!("--replications must be at least 1");
    }
    if args.samples < 10 {
        bail!(
            "--samples must be at least 10 for scenario discovery (got {})",
            args.samples
        );
    }
    if !(args.min_coverage >= 0.0 && args.min_coverage <= 1.0) {
        bail!("--min-coverage must lie in [0, 1] (got {})", args.min_coverage);
    }
    if !(args.min_leaf > 0.0 && args.min_leaf < 0.5) {
        bail!("--min-leaf must lie in (0, 0.5) (got {})", args.min_leaf);
    }
    if args.depth == 0 || args.depth > 10 {
        bail!("--depth must be between 1 and 10 (got {})", args.depth);
    }
    let uses_prim = matches!(args.method, DiscoverMethod::Prim | DiscoverMethod::Both);
    let uses_cart = matches!(args.method, DiscoverMethod::Cart | DiscoverMethod::Both);
    let resamples = match args.resamples {
        Some(r) if r > 0 && !uses_prim => bail!("--resamples checks PRIM's box, but --method is cart"),
        Some(r) => r,
        None if uses_prim => 50,
        None => 0,
    };
    let folds = match args.folds {
        Some(_) if !uses_cart => bail!("--folds prunes the CART tree, but --method is prim"),
        Some(k) => k,
        None => 10,
    };
    if folds == 1 || folds as u64 > args.samples {
        bail!(
            "--folds must be 0 (no pruning) or between 2 and --samples ({}) (got {folds})",
            args.samples
        );
    }
    if !(args.resample_share > 0.0 && args.resample_share < 1.0) {
        bail!("--resample-share must lie in (0, 1) (got {})", args.resample_share);
    }
    let sub = (args.resample_share * args.samples as f64).round() as u64;
    if resamples > 0 && (sub < 5 || sub >= args.samples) {
        bail!(
            "--resample-share {} of {} experiments gives subsamples of {sub}: each needs at least 5 experiments and must leave some out; change --resample-share or --samples",
            args.resample_share,
            args.samples
        );
    }
    let prim_opts = PrimOptions {
        alpha: args.alpha,
        paste_alpha: args.paste_alpha,
        min_mass: args.min_mass,
    };
    if !(prim_opts.alpha > 0.0 && prim_opts.alpha < 0.5) {
        bail!("--alpha must lie in (0, 0.5) (got {})", args.alpha);
    }
    if !(prim_opts.paste_alpha >= 0.0 && prim_opts.paste_alpha < 0.5) {
        bail!("--paste-alpha must lie in [0, 0.5) (got {})", args.paste_alpha);
    }
    if !(prim_opts.min_mass > 0.0 && prim_opts.min_mass < 1.0) {
        bail!("--min-mass must lie in (0, 1) (got {})", args.min_mass);
    }
    let (space, names) = crate::model::coefficients::factors(&loaded, args.factors, args.coefficients.as_deref())?;
    let d = names.len();
    if d == 0 {
        bail!("the scenario has no uncertainties to search");
    }
    if !args.common.quiet {
        eprintln!(
            "greatgame: discover over {d} factor(s) ({}): {} experiments x {} replication(s)",
            args.factors.name(),
            args.samples,
            args.replications
        );
    }
    let n = args.samples;
    let reps = args.replications;
    let total = check_trials(u128::from(n) * u128::from(reps))?;
    let design = UnitDesign::new(args.design, n, d, args.common.seed)?;
    let seed = args.common.seed;
    let out_dir = args.common.out_dir(model, "discover");
    let staging = Staging::new(&out_dir, "discover")?;
    let header = format!(
        "experiment,{},{},case",
        names.iter().map(|n| field(n)).collect::<Vec<_>>().join(","),
        outcome_header(model)
    );
    let mut csv = CsvOut::create(staging.path(), "experiments.csv", &header)?;
    let mut cols: Vec<Vec<f64>> = (0..d).map(|_| Vec::with_capacity(n as usize)).collect();
    let mut y: Vec<bool> = Vec::with_capacity(n as usize);
    let started = Instant::now();
    let failed: std::sync::Mutex<Option<anyhow::Error>> = std::sync::Mutex::new(None);
    let bar = batch::progress_bar(total, !args.common.quiet);
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
                    if args.factors == FactorMode::Coefficients {
                        for (p, (_, v)) in params.iter_mut().zip(sp.values(&unit)) {
                            *p = v;
                        }
                    }
                    match sp.model_at(&unit) {
                        Ok(m) => batch::simulate_mean_drawn(&m, seed, i * reps, reps, policy),
                        Err(e) => {
                            if let Ok(mut f) = failed.lock() {
                                f.get_or_insert(e);
                            }
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
    if let Some(e) = failed.into_inner().ok().flatten() {
        return Err(e.context("a design point's model"));
    }
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
        args.design.name(),
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
            args.design.name()
        ),
    );
    let charts_dir = staging.path().join("charts");
    let mut chosen_rules = None;
    let analysis_started = Instant::now();
    // Resamples and folds run on the run's threads; each depends only on
    // (seed, its index), so the results do not depend on the thread count.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    if matches!(args.method, DiscoverMethod::Prim | DiscoverMethod::Both) {
        let r = prim::prim(&cols, &y, &prim_opts)?;
        let chosen = match args.box_index {
            Some(b) if b >= r.trajectory.len() => bail!(
                "--box {b}: the peeling trajectory has boxes 0 to {}",
                r.trajectory.len() - 1
            ),
            Some(b) => b,
            None => r.choose(args.min_coverage),
        };
        let qp = r.quasi_p(&cols, &y, &r.trajectory[chosen]);
        let simple = r.simplify(&cols, &y, &r.trajectory[chosen], P_SIMPLIFY);
        write_prim(&staging, &r, &names, chosen, &qp, &simple, &mut md, args)?;
        chosen_rules = Some(r.rules(&simple, &names));
        if resamples > 0 {
            // With --box the resamples cannot reuse an index; they take the
            // densest box covering at least as much as the chosen one.
            let rule_coverage = match args.box_index {
                Some(_) => r.trajectory[chosen].coverage,
                None => args.min_coverage,
            };
            let ropts = ResampleOptions {
                resamples,
                share: args.resample_share,
                seed,
            };
            let st = pool.install(|| stability::resample(&cols, &y, &prim_opts, rule_coverage, P_SIMPLIFY, &ropts))?;
            let rule = match args.box_index {
                Some(b) => format!("the densest with coverage ≥ {}, that of box {b}", short(rule_coverage)),
                None => format!("the densest with coverage ≥ {}", short(rule_coverage)),
            };
            let rows = write_stability(&staging, &st, &r, chosen, &simple, &names, &rule, &mut md)?;
            let rep = st.reproducibility(true);
            let kept: Vec<String> = r
                .restricted(&simple)
                .into_iter()
                .map(|j| format!("{} {}", names[j], pct(rep[j])))
                .collect();
            if !kept.is_empty() {
                chosen_rules = chosen_rules.map(|c| {
                    format!(
                        "{c} (kept by the simplified boxes of {} resamples: {})",
                        st.completed(),
                        kept.join(", ")
                    )
                });
            }
            if !args.common.no_charts {
                draw_stability(
                    &ctx,
                    &StabilityChart {
                        condition: cond.text.clone(),
                        resamples: st.completed(),
                        subsample: st.subsample,
                        rows,
                    },
                    &charts_dir,
                )?;
            }
        }
        if !args.common.no_charts {
            draw_trajectory(
                &ctx,
                &TrajectoryChart {
                    condition: cond.text.clone(),
                    points: r
                        .trajectory
                        .iter()
                        .map(|b| (b.coverage, b.density, r.restricted(b).len()))
                        .collect(),
                    chosen,
                },
                &charts_dir,
            )?;
            let b = &r.trajectory[chosen];
            draw_box(
                &ctx,
                &BoxChart {
                    condition: cond.text.clone(),
                    index: chosen,
                    coverage: b.coverage,
                    density: b.density,
                    mass: b.mass,
                    limits: r
                        .restricted(b)
                        .into_iter()
                        .map(|j| BoxLimit {
                            name: match qp.iter().find(|q| q.0 == j) {
                                Some(&(_, p)) if p < 0.001 => format!("{} (p < 0.001)", names[j]),
                                Some(&(_, p)) => format!("{} (p = {})", names[j], fmt_p(p)),
                                None => names[j].clone(),
                            },
                            range: r.ranges[j],
                            limits: (b.lo[j], b.hi[j]),
                        })
                        .collect(),
                },
                &charts_dir,
            )?;
        }
    }
    if uses_cart {
        let min_leaf = ((args.min_leaf * n as f64).ceil() as usize).max(1);
        let copts = CartOptions {
            max_depth: args.depth,
            min_leaf,
        };
        writeln!(
            md,
            "## CART (depth ≤ {}, leaves ≥ {min_leaf} experiments)\n",
            args.depth
        )?;
        let tree = if folds > 0 {
            let pruned = pool.install(|| prune::prune_cv(&cols, &y, &copts, folds, seed))?;
            write_pruning(&staging, &pruned, &mut md)?;
            pruned.tree
        } else {
            writeln!(md, "The grown tree, not pruned (`--folds 0`).\n")?;
            cart::fit(&cols, &y, &copts)
        };
        let leaves = cart::leaves(&tree);
        let mut out = CsvOut::create(staging.path(), "cart_leaves.csv", "leaf,n,cases,density,coverage,rules")?;
        let base_rate = cases as f64 / n as f64;
        if leaves.len() == 1 {
            writeln!(
                md,
                "The pruned tree is a single leaf: no split predicts the condition out of sample better than its overall rate ({:.0}%).\n",
                100.0 * base_rate
            )?;
        } else {
            writeln!(
                md,
                "The leaves where the condition is more common than overall ({:.0}%), densest first (at most five; cart_leaves.csv has every leaf):\n\n| leaf | experiments | density | coverage | rules |\n|---:|---:|---:|---:|---|",
                100.0 * base_rate
            )?;
        }
        let mut order: Vec<usize> = (0..leaves.len()).collect();
        order.sort_by(|&a, &b| leaves[b].density().total_cmp(&leaves[a].density()).then(a.cmp(&b)));
        for (k, l) in leaves.iter().enumerate() {
            let cov = l.cases as f64 / cases as f64;
            let rules = l.rules(&names);
            let mut line = format!("{k},{},{}", l.n, l.cases);
            push_num(&mut line, l.density());
            push_num(&mut line, cov);
            write!(line, ",{}", field(&rules))?;
            out.row(&line)?;
        }
        out.finish()?;
        for &k in order.iter().filter(|&&k| leaves[k].density() > base_rate).take(5) {
            let l = &leaves[k];
            writeln!(
                md,
                "| {k} | {} | {:.0}% | {:.0}% | {} |",
                l.n,
                100.0 * l.density(),
                100.0 * l.cases as f64 / cases as f64,
                l.rules(&names)
            )?;
        }
        md.push('\n');
    }
    std::fs::write(staging.path().join("discover.md"), &md)?;
    let details = serde_json::json!({
        "command": "discover",
        "where": cond.text,
        "method": match args.method { DiscoverMethod::Prim => "prim", DiscoverMethod::Cart => "cart", DiscoverMethod::Both => "prim and cart" },
        "uncertainty_design": args.design.name(),
        "samples": n,
        "replications": reps,
        "cases": cases,
        "prim": {"alpha": args.alpha, "paste_alpha": args.paste_alpha, "min_mass": args.min_mass, "min_coverage": args.min_coverage, "box": args.box_index},
        "prim_resampling": {"resamples": resamples, "share": args.resample_share},
        "cart": {"depth": args.depth, "min_leaf": args.min_leaf, "folds": folds, "pruning": if folds > 0 { "cost-complexity, Brier cost, 1-SE rule" } else { "none" }},
        "analysis_seconds": analysis_started.elapsed().as_secs_f64(),
        "experiment_order": "experiment = design point; trials point * replications .. + replications - 1",
    });
    write_manifest(
        staging.path(),
        &loaded,
        seed,
        total,
        threads,
        &format!("discover: {}", args.design.name()),
        &model.policies[policy].id,
        secs,
        details,
    )?;
    if !args.common.quiet {
        println!("{md}");
    }
    let dir = staging.commit()?;
    eprintln!(
        "greatgame: {n} experiments ({total} trials) in {secs:.1} s on {threads} thread(s); {}results in {}",
        chosen_rules
            .map(|r| format!("PRIM box (simplified): {r}; "))
            .unwrap_or_default(),
        dir.display()
    );
    Ok(())
}

/// Restrictions with a quasi-p-value at or above this are dropped from the simplified box.
const P_SIMPLIFY: f64 = 0.05;

/// A quasi-p-value for people: two significant digits, tiny ones as "< 0.001".
fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else if p < 0.01 {
        format!("{p:.3}")
    } else {
        format!("{p:.2}")
    }
}

#[allow(clippy::too_many_arguments)]
fn write_prim(
    staging: &Staging,
    r: &PrimResult,
    names: &[String],
    chosen: usize,
    qp: &[(usize, f64)],
    simple: &PrimBox,
    md: &mut String,
    args: &DiscoverArgs,
) -> Result<()> {
    let mut out = CsvOut::create(
        staging.path(),
        "prim_trajectory.csv",
        "box,coverage,density,mass,n,cases,restricted,rules",
    )?;
    for (k, b) in r.trajectory.iter().enumerate() {
        let mut line = format!("{k}");
        for x in [b.coverage, b.density, b.mass] {
            push_num(&mut line, x);
        }
        write!(
            line,
            ",{},{},{},{}",
            b.n,
            b.cases,
            r.restricted(b).len(),
            field(&r.rules(b, names))
        )?;
        out.row(&line)?;
    }
    out.finish()?;
    let b = &r.trajectory[chosen];
    let mut out = CsvOut::create(
        staging.path(),
        "prim_box.csv",
        "uncertainty,restricted,box_low,box_high,range_low,range_high,quasi_p,in_simplified_box",
    )?;
    let restricted = r.restricted(b);
    let kept = r.restricted(simple);
    for (j, name) in names.iter().enumerate() {
        let mut line = format!("{},{}", name, u8::from(restricted.contains(&j)));
        for x in [b.lo[j], b.hi[j], r.ranges[j].0, r.ranges[j].1] {
            push_num(&mut line, x);
        }
        match qp.iter().find(|q| q.0 == j) {
            Some(&(_, p)) => push_num(&mut line, p),
            None => line.push(','),
        }
        write!(line, ",{}", u8::from(kept.contains(&j)))?;
        out.row(&line)?;
    }
    out.finish()?;
    writeln!(
        md,
        "## PRIM (peeling α = {}, pasting α = {}, minimum mass {})\n\nChosen box {chosen} of {} ({}):\n\n**{}**\n\ncoverage {:.0}% (share of all cases inside the box), density {:.0}% (share of the box's experiments that are cases), mass {:.0}% of experiments; {} of {} uncertainties restricted.\n",
        args.alpha,
        args.paste_alpha,
        args.min_mass,
        r.trajectory.len() - 1,
        if args.box_index.is_some() {
            "chosen with --box".to_string()
        } else {
            format!("the densest with coverage ≥ {}", args.min_coverage)
        },
        r.rules(b, names),
        100.0 * b.coverage,
        100.0 * b.density,
        100.0 * b.mass,
        restricted.len(),
        names.len()
    )?;
    writeln!(md, "| restriction | quasi-p |\n|---|---:|")?;
    for &(j, p) in qp {
        let mut one = r.trajectory[0].clone();
        one.lo[j] = b.lo[j];
        one.hi[j] = b.hi[j];
        writeln!(md, "| {} | {} |", r.rules(&one, names), fmt_p(p))?;
    }
    writeln!(
        md,
        "\nQuasi-p: the chance of this many cases in the box if the limit did not matter (the density of the box without it). \
         Keeping only limits with quasi-p < 0.05 (dropping the weakest first) gives the **simplified box**:\n\n**{}**\n\n\
         coverage {:.0}%, density {:.0}%, mass {:.0}%.\n",
        r.rules(simple, names),
        100.0 * simple.coverage,
        100.0 * simple.density,
        100.0 * simple.mass
    )?;
    writeln!(
        md,
        "Trajectory (every 5th box and the chosen one):\n\n| box | coverage | density | mass | restricted |\n|---:|---:|---:|---:|---:|"
    )?;
    for (k, bx) in r.trajectory.iter().enumerate() {
        if k % 5 == 0 || k == chosen || k + 1 == r.trajectory.len() {
            writeln!(
                md,
                "| {k}{} | {} | {} | {} | {} |",
                if k == chosen { " ◀" } else { "" },
                short(bx.coverage),
                short(bx.density),
                short(bx.mass),
                r.restricted(bx).len()
            )?;
        }
    }
    md.push('\n');
    Ok(())
}

/// A share as "51%", or "–" when undefined.
fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0}%", 100.0 * x)
    } else {
        "–".into()
    }
}

/// Median and 5–95% range of a statistic across resamples, as percentages.
fn spread(v: &[f64]) -> String {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let q = |p: f64| pct(quantile(&s, p).unwrap_or(f64::NAN));
    if s.is_empty() {
        return "–".into();
    }
    format!("{} ({}–{})", q(0.5), q(0.05), q(0.95))
}

/// `prim_stability.csv`, `prim_resamples.csv` and the stability section of
/// the report; returns the chart's rows.
#[allow(clippy::too_many_arguments)]
fn write_stability(
    staging: &Staging,
    st: &Stability,
    r: &PrimResult,
    chosen: usize,
    simple: &PrimBox,
    names: &[String],
    rule: &str,
    md: &mut String,
) -> Result<Vec<StabilityRow>> {
    let raw = st.reproducibility(false);
    let simp = st.reproducibility(true);
    let in_box = r.restricted(&r.trajectory[chosen]);
    let in_simple = r.restricted(simple);
    let mut out = CsvOut::create(
        staging.path(),
        "prim_stability.csv",
        "uncertainty,in_chosen_box,in_simplified_box,reproducibility,reproducibility_simplified",
    )?;
    for (j, name) in names.iter().enumerate() {
        let mut line = format!(
            "{},{},{}",
            name,
            u8::from(in_box.contains(&j)),
            u8::from(in_simple.contains(&j))
        );
        push_num(&mut line, raw[j]);
        push_num(&mut line, simp[j]);
        out.row(&line)?;
    }
    out.finish()?;
    let mut out = CsvOut::create(
        staging.path(),
        "prim_resamples.csv",
        "resample,box,coverage_in,density_in,coverage_out,density_out,simplified_coverage_in,simplified_density_in,simplified_coverage_out,simplified_density_out,rules,simplified_rules",
    )?;
    for (k, res) in st.resamples.iter().enumerate() {
        let mut line = format!("{k}");
        match res {
            Some(res) => {
                write!(line, ",{}", res.index)?;
                for b in [&res.chosen, &res.simplified] {
                    for x in [Some(b.coverage_in), Some(b.density_in), b.coverage_out, b.density_out] {
                        match x {
                            Some(x) => push_num(&mut line, x),
                            None => line.push(','),
                        }
                    }
                }
                write!(
                    line,
                    ",{},{}",
                    field(&res.chosen.open.rules(names)),
                    field(&res.simplified.open.rules(names))
                )?;
            }
            None => line.push_str(",,,,,,,,,,(no case in the subsample),"),
        }
        out.row(&line)?;
    }
    out.finish()?;
    let done = st.completed();
    writeln!(
        md,
        "### Stability: PRIM on {} random subsamples\n\nEach resample runs PRIM on {} of the {} experiments (drawn without replacement, seeded from the run's seed), takes its box by the same rule ({rule}) and simplifies it the same way, then scores both boxes on the {} experiments left out{}.\n",
        st.resamples.len(),
        st.subsample,
        r.total,
        r.total - st.subsample,
        if done < st.resamples.len() {
            format!(
                " ({} subsample(s) held no case and were skipped)",
                st.resamples.len() - done
            )
        } else {
            String::new()
        }
    )?;
    writeln!(
        md,
        "**Reproducibility**: the share of resamples whose box restricts each uncertainty (uncertainties no resampled box restricts are left out). Near 100%: the finding does not hinge on which experiments were drawn; below about 50%: PRIM cut it by chance.\n\n| uncertainty | in chosen box | in simplified box | resampled boxes | resampled simplified boxes |\n|---|:-:|:-:|---:|---:|"
    )?;
    let mut order: Vec<usize> = (0..names.len())
        .filter(|&j| raw[j] > 0.0 || simp[j] > 0.0 || in_box.contains(&j))
        .collect();
    order.sort_by(|&a, &b| {
        simp[b]
            .total_cmp(&simp[a])
            .then(raw[b].total_cmp(&raw[a]))
            .then(a.cmp(&b))
    });
    let yes = |b: bool| if b { "yes" } else { "" };
    for &j in &order {
        writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            names[j],
            yes(in_box.contains(&j)),
            yes(in_simple.contains(&j)),
            pct(raw[j]),
            pct(simp[j])
        )?;
    }
    writeln!(
        md,
        "\n**Out of sample**: coverage and density of the resampled boxes on the experiments they were not found on, against the same boxes on their own subsample (median, and 5–95% range across resamples). A large drop from in-sample to out-of-sample density means the box is partly fitted to noise.\n\n| box | coverage in sample | coverage out of sample | density in sample | density out of sample |\n|---|---:|---:|---:|---:|"
    )?;
    for (label, simplified) in [("chosen by the rule", false), ("simplified", true)] {
        writeln!(
            md,
            "| {label} | {} | {} | {} | {} |",
            spread(&st.values(simplified, |b| Some(b.coverage_in))),
            spread(&st.values(simplified, |b| b.coverage_out)),
            spread(&st.values(simplified, |b| Some(b.density_in))),
            spread(&st.values(simplified, |b| b.density_out))
        )?;
    }
    md.push('\n');
    Ok(order
        .into_iter()
        .take(14)
        .map(|j| StabilityRow {
            name: names[j].clone(),
            in_box: in_box.contains(&j),
            in_simplified: in_simple.contains(&j),
            reproducibility: raw[j],
            reproducibility_simplified: simp[j],
        })
        .collect())
}

/// `cart_pruning.csv` and the cross-validation curve in the report.
fn write_pruning(staging: &Staging, p: &prune::Pruned, md: &mut String) -> Result<()> {
    let mut out = CsvOut::create(
        staging.path(),
        "cart_pruning.csv",
        "subtree,alpha,leaves,brier,cv_brier,cv_se,lowest_cv,chosen",
    )?;
    for (k, t) in p.sequence.iter().enumerate() {
        let mut line = format!("{k}");
        push_num(&mut line, t.alpha);
        write!(line, ",{}", t.leaves)?;
        for x in [t.risk, t.cv_risk, t.cv_se] {
            push_num(&mut line, x);
        }
        write!(line, ",{},{}", u8::from(k == p.best), u8::from(k == p.chosen))?;
        out.row(&line)?;
    }
    out.finish()?;
    let (grown, kept) = (&p.sequence[0], &p.sequence[p.chosen]);
    writeln!(
        md,
        "Pruned by minimal cost-complexity (weakest link) with {}-fold cross-validation: the grown tree has {} leaves; the pruned tree keeps {} — the smallest subtree whose cross-validated Brier score is within one standard error of the lowest (the 1-SE rule). The cost is the Brier score (squared error of a leaf's case share as a prediction), so a leaf that concentrates the condition counts even when it holds fewer cases than non-cases.\n\n| subtree | α | leaves | Brier (fit) | Brier (CV) | SE |\n|---:|---:|---:|---:|---:|---:|",
        p.folds, grown.leaves, kept.leaves
    )?;
    for (k, t) in p.sequence.iter().enumerate() {
        let mark = match (k == p.chosen, k == p.best) {
            (true, true) => " ◀ (lowest CV)",
            (true, false) => " ◀",
            (false, true) => " (lowest CV)",
            _ => "",
        };
        writeln!(
            md,
            "| {k}{mark} | {} | {} | {} | {} | {} |",
            short(t.alpha),
            t.leaves,
            short(t.risk),
            short(t.cv_risk),
            short(t.cv_se)
        )?;
    }
    md.push('\n');
    Ok(())
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
