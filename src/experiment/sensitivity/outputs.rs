//! A sensitivity analysis's outputs: `indices.csv` (Sobol S1/ST or Morris μ, μ*, σ with bootstrap intervals,
//! factors ranked), `sensitivity.md`, one tornado chart per outcome and `manifest.json`. Shared by the
//! unsharded analysis and `merge`, so both write the same files from the same folds (the bootstrap is seeded).

use super::{Folds, Method, SensitivityOptions, Setup, design_name, details};
use crate::analysis::morris::MorrisIndices;
use crate::analysis::sobol::{self, SobolIndices};
use crate::experiment::batch::push_num;
use crate::model::coefficients::FactorMode;
use crate::plot::tornado::{TornadoBar, TornadoChart, draw_tornado};
use crate::report::charts::chart_context;
use crate::report::csv::CsvOut;
use crate::report::manifest::{Manifest, ManifestInfo};
use crate::scenario::Loaded;
use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;

/// `indices.csv`, `sensitivity.md`, the charts and `manifest.json` from the
/// folded inputs: shared by the unsharded command and `merge`, so both write
/// the same files.
/// Returns `sensitivity.md`'s text, for the terminal.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    setup: &Setup,
    loaded: &Loaded,
    opts: &SensitivityOptions,
    folds: &Folds,
    dir: &Path,
    threads: usize,
    secs: f64,
    adjust: impl FnOnce(&mut Manifest),
) -> Result<String> {
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
    let seed = opts.seed;
    let ctx = chart_context(
        model,
        format!(
            "{} under {}, {} {}, {} replication(s), seed {seed}",
            match opts.method {
                Method::Sobol => "Sobol indices",
                Method::Morris => "Morris screening",
            },
            model.policies[policy].id,
            n_units,
            match opts.method {
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
        match opts.factors {
            FactorMode::Uncertainties => "uncertainties",
            FactorMode::Groups => "coefficient groups (docs/register.md)",
            FactorMode::Coefficients => "coefficients (docs/register.md)",
        },
        model.policies[policy].id,
        n_units * rows_per_unit,
        total
    )?;
    let charts_dir = dir.join("charts");
    match opts.method {
        Method::Sobol => {
            let mut out = CsvOut::create(
                dir,
                "indices.csv",
                "outcome,uncertainty,S1,S1_lo95,S1_hi95,ST,ST_lo95,ST_hi95,variance,n",
            )?;
            for (slot, &o) in outcomes.iter().enumerate() {
                let ix = sobol::indices(&fa[slot], &fb[slot], &fab[slot], opts.bootstrap, seed);
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
                if opts.charts {
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
                let ix = effects[slot].indices(opts.bootstrap, seed);
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
                if opts.charts {
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
    ManifestInfo {
        loaded,
        seed,
        design: design_name(opts.method).into(),
        policy: model.policies[policy].id.clone(),
        details: details(setup, opts, model),
    }
    .write(dir, total, threads, secs, adjust)?;
    Ok(md)
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
