//! Scenario discovery's analyses and their files: PRIM's peeling trajectory, chosen and simplified box with
//! quasi-p-values (`prim_trajectory.csv`, `prim_box.csv`), its resampling stability (`prim_stability.csv`, `prim_resamples.csv`),
//! CART's pruning path and leaves (`cart_pruning.csv`, `cart_leaves.csv`), each with its section of
//! `discover.md` and its charts. The design that produced the experiments is `experiment::discover`.

use super::DiscoverOptions;
use crate::analysis::cart::{self, CartOptions, prune};
use crate::analysis::prim::stability::{self, ResampleOptions, Stability};
use crate::analysis::prim::{self, PrimBox, PrimOptions, PrimResult, short};
use crate::experiment::batch::push_num;
use crate::plot::ChartContext;
use crate::plot::prim::{
    BoxChart, BoxLimit, StabilityChart, StabilityRow, TrajectoryChart, draw_box, draw_stability, draw_trajectory,
};
use crate::plot::render::quantile;
use crate::report::csv::{CsvOut, field};
use anyhow::{Result, bail};
use std::fmt::Write as _;
use std::path::Path;

/// The experiments and where their analyses go.
pub struct Discovery<'a> {
    /// The staging folder.
    pub dir: &'a Path,
    /// The design's factor values, one column per factor.
    pub cols: &'a [Vec<f64>],
    /// Whether the condition holds, per experiment.
    pub y: &'a [bool],
    /// The factors' names.
    pub names: &'a [String],
    /// The condition as written.
    pub condition: &'a str,
    pub ctx: &'a ChartContext,
    pub charts_dir: &'a Path,
    /// Resamples and folds run on this pool; each depends only on (seed, its index).
    pub pool: &'a rayon::ThreadPool,
    pub opts: &'a DiscoverOptions,
}

/// PRIM: the trajectory, the chosen box (simplified by quasi-p-values), its stability over resamples
/// (`resamples` > 0), the charts; returns the simplified box's rules, for the terminal.
pub fn prim_section(
    d: &Discovery,
    prim_opts: &PrimOptions,
    resamples: usize,
    md: &mut String,
) -> Result<Option<String>> {
    let (cols, y, names, opts) = (d.cols, d.y, d.names, d.opts);
    let r = prim::prim(cols, y, prim_opts)?;
    let chosen = match opts.box_index {
        Some(b) if b >= r.trajectory.len() => bail!(
            "--box {b}: the peeling trajectory has boxes 0 to {}",
            r.trajectory.len() - 1
        ),
        Some(b) => b,
        None => r.choose(opts.min_coverage),
    };
    let qp = r.quasi_p(cols, y, &r.trajectory[chosen]);
    let simple = r.simplify(cols, y, &r.trajectory[chosen], P_SIMPLIFY);
    write_prim(d.dir, &r, names, chosen, &qp, &simple, md, opts)?;
    let mut chosen_rules = Some(r.rules(&simple, names));
    if resamples > 0 {
        // With --box the resamples cannot reuse an index; they take the
        // densest box covering at least as much as the chosen one.
        let rule_coverage = match opts.box_index {
            Some(_) => r.trajectory[chosen].coverage,
            None => opts.min_coverage,
        };
        let ropts = ResampleOptions {
            resamples,
            share: opts.resample_share,
            seed: opts.seed,
        };
        let st = d
            .pool
            .install(|| stability::resample(cols, y, prim_opts, rule_coverage, P_SIMPLIFY, &ropts))?;
        let rule = match opts.box_index {
            Some(b) => format!("the densest with coverage ≥ {}, that of box {b}", short(rule_coverage)),
            None => format!("the densest with coverage ≥ {}", short(rule_coverage)),
        };
        let rows = write_stability(d.dir, &st, &r, chosen, &simple, names, &rule, md)?;
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
        if opts.charts {
            draw_stability(
                d.ctx,
                &StabilityChart {
                    condition: d.condition.to_string(),
                    resamples: st.completed(),
                    subsample: st.subsample,
                    rows,
                },
                d.charts_dir,
            )?;
        }
    }
    if opts.charts {
        draw_trajectory(
            d.ctx,
            &TrajectoryChart {
                condition: d.condition.to_string(),
                points: r
                    .trajectory
                    .iter()
                    .map(|b| (b.coverage, b.density, r.restricted(b).len()))
                    .collect(),
                chosen,
            },
            d.charts_dir,
        )?;
        let b = &r.trajectory[chosen];
        draw_box(
            d.ctx,
            &BoxChart {
                condition: d.condition.to_string(),
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
            d.charts_dir,
        )?;
    }
    Ok(chosen_rules)
}

/// CART: the tree (pruned by `folds`-fold cross-validation unless 0), its leaves, and the densest ones in
/// `discover.md`. `cases`: experiments where the condition holds.
pub fn cart_section(d: &Discovery, folds: usize, cases: usize, md: &mut String) -> Result<()> {
    let (cols, y, names, opts) = (d.cols, d.y, d.names, d.opts);
    let n = opts.samples;
    let min_leaf = ((opts.min_leaf * n as f64).ceil() as usize).max(1);
    let copts = CartOptions {
        max_depth: opts.depth,
        min_leaf,
    };
    writeln!(
        md,
        "## CART (depth ≤ {}, leaves ≥ {min_leaf} experiments)\n",
        opts.depth
    )?;
    let tree = if folds > 0 {
        let pruned = d.pool.install(|| prune::prune_cv(cols, y, &copts, folds, opts.seed))?;
        write_pruning(d.dir, &pruned, md)?;
        pruned.tree
    } else {
        writeln!(md, "The grown tree, not pruned (`--folds 0`).\n")?;
        cart::fit(cols, y, &copts)
    };
    let leaves = cart::leaves(&tree);
    let mut out = CsvOut::create(d.dir, "cart_leaves.csv", "leaf,n,cases,density,coverage,rules")?;
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
        let rules = l.rules(names);
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
            l.rules(names)
        )?;
    }
    md.push('\n');
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
    dir: &Path,
    r: &PrimResult,
    names: &[String],
    chosen: usize,
    qp: &[(usize, f64)],
    simple: &PrimBox,
    md: &mut String,
    opts: &DiscoverOptions,
) -> Result<()> {
    let mut out = CsvOut::create(
        dir,
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
        dir,
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
        opts.alpha,
        opts.paste_alpha,
        opts.min_mass,
        r.trajectory.len() - 1,
        if opts.box_index.is_some() {
            "chosen with --box".to_string()
        } else {
            format!("the densest with coverage ≥ {}", opts.min_coverage)
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
    dir: &Path,
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
        dir,
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
        dir,
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
fn write_pruning(dir: &Path, p: &prune::Pruned, md: &mut String) -> Result<()> {
    let mut out = CsvOut::create(
        dir,
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
