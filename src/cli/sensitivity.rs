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

use super::explore::{self, CommonArgs, CsvOut, field};
use crate::analysis::morris::{Effects, MorrisIndices};
use crate::analysis::sobol::{self, SobolIndices};
use crate::experiment::batch::{self, push_num};
use crate::experiment::samplers::{MorrisDesign, SaltelliDesign, SaltelliRow, to_params};
use crate::plot::tornado::{TornadoBar, TornadoChart, draw_tornado};
use crate::report::staging::Staging;
use crate::scenario;
use anyhow::{Result, bail};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

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
    #[arg(long)]
    pub samples: Option<u64>,
    /// Trials averaged per design row (reduces the within-trial noise).
    #[arg(long, default_value_t = 1)]
    pub replications: u64,
    /// Outcomes to analyse (repeatable). Default: every Maximize/Minimize outcome.
    #[arg(long = "outcome", value_name = "ID")]
    pub outcomes: Vec<String>,
    /// Bootstrap resamples for the 95% intervals.
    #[arg(long, default_value_t = 200)]
    pub bootstrap: usize,
    /// Morris: grid levels (even).
    #[arg(long, default_value_t = 4)]
    pub levels: u32,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn execute(args: &SensitivityArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let loaded = scenario::load(args.scenario.as_deref())?;
    let model = &loaded.model;
    let policy = explore::one_policy(model, args.policy.as_deref())?;
    let outcomes = explore::select_outcomes(model, &args.outcomes)?;
    if args.replications == 0 {
        bail!("--replications must be at least 1");
    }
    if args.bootstrap > 100_000 {
        bail!("--bootstrap is at most 100,000 (got {})", args.bootstrap);
    }
    let d = model.params.len();
    let reps = args.replications;
    let seed = args.common.seed;
    let names: Vec<String> = model.params.iter().map(|p| p.id.clone()).collect();
    let (n_units, rows_per_unit) = match args.method {
        Method::Sobol => (args.samples.unwrap_or(256), d as u64 + 2),
        Method::Morris => (args.samples.unwrap_or(20), d as u64 + 1),
    };
    let total = explore::check_trials(u128::from(n_units) * u128::from(rows_per_unit) * u128::from(reps))?;
    let saltelli = match args.method {
        Method::Sobol => Some(SaltelliDesign::new(n_units, d, seed)?),
        Method::Morris => None,
    };
    let morris = match args.method {
        Method::Morris => Some(MorrisDesign::new(n_units, d, args.levels, seed)?),
        Method::Sobol => None,
    };
    let out_dir = args.common.out_dir(model, "sensitivity");
    let staging = Staging::new(&out_dir)?;

    let header = format!(
        "experiment,{},row,moved,{},{}",
        if saltelli.is_some() { "base" } else { "trajectory" },
        explore::param_header(model),
        explore::outcome_header(model)
    );
    let mut csv = CsvOut::create(staging.path(), "runs.csv", &header)?;
    // Estimator inputs per selected outcome.
    let no = outcomes.len();
    let mut fa: Vec<Vec<f64>> = vec![Vec::new(); no];
    let mut fb: Vec<Vec<f64>> = vec![Vec::new(); no];
    let mut fab: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); d]; no];
    let mut effects: Vec<Effects> = vec![Effects::new(d); no];
    let started = Instant::now();
    let bar = batch::progress_bar(total, !args.common.quiet);
    batch::for_each_ordered(
        n_units,
        threads,
        rows_per_unit * reps,
        bar.as_ref(),
        |j| {
            let mut unit = vec![0.0; d];
            let mut params = vec![0.0; d];
            let mut scratch = vec![0.0; 2 * d];
            let mut text = String::new();
            let mut ys: Vec<Vec<f64>> = Vec::with_capacity(rows_per_unit as usize);
            let mut moves = Vec::new();
            let rows: Vec<(String, String, Vec<f64>)> = if let Some(s) = &saltelli {
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
            } else if let Some(m) = &morris {
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
                to_params(model, u, &mut params);
                let y = batch::simulate_mean(model, seed, j * reps, reps, &params, policy);
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
            (text, ys, moves)
        },
        |_, (text, ys, moves)| {
            for (slot, &o) in outcomes.iter().enumerate() {
                if saltelli.is_some() {
                    fa[slot].push(ys[0][o]);
                    fb[slot].push(ys[1][o]);
                    for i in 0..d {
                        fab[slot][i].push(ys[2 + i][o]);
                    }
                } else {
                    let y: Vec<f64> = ys.iter().map(|v| v[o]).collect();
                    effects[slot].push(&y, &moves);
                }
            }
            csv.row(text.trim_end_matches('\n'))
        },
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    csv.finish()?;
    let secs = started.elapsed().as_secs_f64();

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
        "# Sensitivity of outcomes to the uncertainties under `{}`\n\n{} runs ({} trials), seed {seed} (timings in manifest.json, so this file is reproducible).\n",
        model.policies[policy].id,
        n_units * rows_per_unit,
        total
    )?;
    let charts_dir = staging.path().join("charts");
    match args.method {
        Method::Sobol => {
            let mut out = CsvOut::create(
                staging.path(),
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
                sobol_markdown(&mut md, model, o, &names, &ix, &order)?;
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
                staging.path(),
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
                morris_markdown(&mut md, model, o, &names, &ix, &order)?;
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
    std::fs::write(staging.path().join("sensitivity.md"), &md)?;
    let details = serde_json::json!({
        "command": "sensitivity",
        "method": match args.method { Method::Sobol => "sobol (Saltelli 2010 first order, Jansen total; Owen-scrambled Sobol sequence)", Method::Morris => "morris (elementary effects, Campolongo mu*)" },
        "samples": n_units,
        "rows_per_sample": rows_per_unit,
        "replications": reps,
        "bootstrap": args.bootstrap,
        "levels": if args.method == Method::Morris { Some(args.levels) } else { None },
        "outcomes": outcomes.iter().map(|&o| model.outcomes[o].id.clone()).collect::<Vec<_>>(),
        "experiment_order": "experiment = sample * rows_per_sample + row; trials sample * replications .. + replications - 1",
    });
    explore::write_manifest(
        staging.path(),
        &loaded,
        seed,
        total,
        threads,
        match args.method {
            Method::Sobol => "sensitivity: saltelli",
            Method::Morris => "sensitivity: morris",
        },
        &model.policies[policy].id,
        secs,
        details,
    )?;
    if !args.common.quiet {
        println!("{md}");
    }
    let dir = staging.commit()?;
    eprintln!(
        "greatgame: {} runs ({total} trials) in {secs:.1} s ({:.0} trials/s) on {threads} thread(s); results in {}",
        n_units * rows_per_unit,
        total as f64 / secs.max(1e-9),
        dir.display()
    );
    Ok(())
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
