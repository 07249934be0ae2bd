//! A sweep's outputs: `summary.csv` (per lever combination and outcome: n, mean, sd, quantiles), lever band
//! charts and, with two levers, heatmaps, `manifest.json`, and the terminal's table. Shared by the unsharded
//! sweep and `merge`, so both write the same files from the same folded statistics.

use super::{Setup, SweepOptions, details};
use crate::analysis::stats::OutcomeStats;
use crate::experiment::batch::push_num;
use crate::experiment::levers::LeverGrid;
use crate::model::Model;
use crate::plot::sweep::{BandChart, BandPoint, HeatmapChart, draw_band, draw_heatmap};
use crate::report::charts::{chart_context, direction};
use crate::report::csv::CsvOut;
use crate::report::manifest::{Manifest, ManifestInfo};
use crate::scenario::Loaded;
use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;

/// `summary.csv`, the charts and `manifest.json` from the folded statistics:
/// shared by the unsharded sweep and `merge`, so both write the same files.
/// Returns the number of charts and the terminal's summary.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    setup: &Setup,
    loaded: &Loaded,
    opts: &SweepOptions,
    stats: &[Vec<OutcomeStats>],
    dir: &Path,
    threads: usize,
    secs: f64,
    adjust: impl FnOnce(&mut Manifest),
) -> Result<(usize, String)> {
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
    let seed = opts.seed;

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
    if opts.charts && !grid.levers.is_empty() {
        let charts_dir = dir.join("charts");
        let ctx = chart_context(
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
                opts.design.name()
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
                        direction: direction(def.kind),
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
                        direction: direction(def.kind),
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

    ManifestInfo {
        loaded,
        seed,
        design: format!("sweep: full factorial lever grid x {}", opts.design.name()),
        policy: model.policies[base].id.clone(),
        details: details(setup, opts.design.name()),
    }
    .write(dir, total, threads, secs, adjust)?;
    Ok((charts, summary_text(model, grid, stats, outcomes)))
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

/// A compact table for the terminal: mean of each outcome per combination.
fn summary_text(model: &Model, grid: &LeverGrid, stats: &[Vec<OutcomeStats>], outcomes: &[usize]) -> String {
    let mut s = String::new();
    if stats.len() > 12 {
        let _ = writeln!(
            s,
            "{} lever combinations: see summary.csv for the mean and quantiles of each.",
            stats.len()
        );
        return s;
    }
    let _ = writeln!(s, "Mean outcome per lever combination (summary.csv has quantiles):\n");
    for (c, row) in stats.iter().enumerate() {
        let idx = grid.indices(c);
        let label: Vec<String> = grid
            .levers
            .iter()
            .zip(&idx)
            .map(|(l, &k)| format!("{}={}", l.id, l.labels[k]))
            .collect();
        let _ = writeln!(
            s,
            "  {}",
            if label.is_empty() {
                "(base policy)".into()
            } else {
                label.join(", ")
            }
        );
        for (st, &o) in row.iter().zip(outcomes) {
            let _ = writeln!(
                s,
                "      {:<28} {:>12}",
                model.outcomes[o].id,
                crate::plot::render::fmt_num(st.moments.mean)
            );
        }
    }
    s
}
