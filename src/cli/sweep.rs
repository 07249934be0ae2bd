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

use super::explore::{self, CommonArgs, CsvOut, field};
use crate::analysis::stats::OutcomeStats;
use crate::experiment::batch::{self, push_num};
use crate::experiment::levers::LeverGrid;
use crate::experiment::samplers::{DesignKind, UnitDesign, to_params};
use crate::plot::sweep::{BandChart, BandPoint, HeatmapChart, draw_band, draw_heatmap};
use crate::report::staging::Staging;
use crate::scenario;
use anyhow::{Result, bail};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

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
    #[arg(long, default_value_t = 100)]
    pub samples: u64,
    /// Replications per design point (each its own trial luck).
    #[arg(long, default_value_t = 1)]
    pub replications: u64,
    /// Outcomes for the summary and charts (repeatable). Default: every Maximize/Minimize outcome.
    #[arg(long = "outcome", value_name = "ID")]
    pub outcomes: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn execute(args: &SweepArgs) -> Result<()> {
    let threads = args.common.threads()?;
    let loaded = scenario::load(args.scenario.as_deref())?;
    let mut model = loaded.model.clone();
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
    let design = UnitDesign::new(args.design, n_points, model.params.len(), args.common.seed)?;
    let policies = grid.add_policies(&mut model, base);
    let model = &model;
    let out_dir = args.common.out_dir(model, "sweep");
    let staging = Staging::new(&out_dir)?;
    let seed = args.common.seed;

    let mut header = String::from("experiment,point,replication,trial,policy");
    for l in &grid.levers {
        write!(header, ",{}", l.id)?;
    }
    write!(
        header,
        ",{},{}",
        explore::param_header(model),
        explore::outcome_header(model)
    )?;
    let mut csv = CsvOut::create(staging.path(), "experiments.csv", &header)?;
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
    // Per combination, per selected outcome: moments and a quantile sketch.
    let mut stats = vec![vec![OutcomeStats::default(); outcomes.len()]; n_combos as usize];
    let started = Instant::now();
    let bar = batch::progress_bar(total, !args.common.quiet);
    batch::for_each_ordered(
        units,
        threads,
        n_combos,
        bar.as_ref(),
        |u| {
            let (i, r) = (u / reps, u % reps);
            let mut unit = vec![0.0; model.params.len()];
            design.point(i, &mut unit);
            let mut params = vec![0.0; model.params.len()];
            to_params(model, &unit, &mut params);
            let (_, outs) = batch::simulate(model, seed, u, Some(&params), &policies);
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
        |_, (text, outs)| {
            for (c, values) in outs.iter().enumerate() {
                for (s, &o) in stats[c].iter_mut().zip(&outcomes) {
                    s.push(values[o]);
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

    // summary.csv: one row per (combination, outcome).
    let mut sh = String::from("policy");
    for l in &grid.levers {
        write!(sh, ",{}", l.id)?;
    }
    sh.push_str(",outcome,n,mean,sd,p05,p25,p50,p75,p95");
    let mut summary = CsvOut::create(staging.path(), "summary.csv", &sh)?;
    for (c, row) in stats.iter().enumerate() {
        for (s, &o) in row.iter().zip(&outcomes) {
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
        let dir = staging.path().join("charts");
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
                    &dir,
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
                    &dir,
                )?;
                charts += 1;
            }
        }
    }

    let details = serde_json::json!({
        "command": "sweep",
        "base_policy": model.policies[base].id,
        "levers": grid.levers.iter().map(|l| serde_json::json!({"id": l.id, "values": l.labels})).collect::<Vec<_>>(),
        "combinations": n_combos,
        "uncertainty_design": args.design.name(),
        "samples": n_points,
        "replications": reps,
        "experiments": total,
        "experiment_order": "experiment = (point * replications + replication) * combinations + combination; trial = point * replications + replication",
        "outcomes": outcomes.iter().map(|&o| model.outcomes[o].id.clone()).collect::<Vec<_>>(),
    });
    explore::write_manifest(
        staging.path(),
        &loaded,
        seed,
        total,
        threads,
        &format!("sweep: full factorial lever grid x {}", args.design.name()),
        &model.policies[base].id,
        secs,
        details,
    )?;
    if !args.common.quiet {
        print_summary(model, &grid, &stats, &outcomes);
    }
    let dir = staging.commit()?;
    eprintln!(
        "greatgame: sweep of {n_combos} lever combination(s) x {n_points} point(s) x {reps} replication(s) = {total} trials in {secs:.1} s ({:.0} trials/s) on {threads} thread(s); {charts} chart(s); results in {}",
        total as f64 / secs.max(1e-9),
        dir.display()
    );
    Ok(())
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
