//! Hindcast outputs: `hindcast.csv`, `hindcast_events.csv`, `targets.md`,
//! `manifest.json` and `charts/` (one fan chart per series with the observed
//! points over it). Written into a staging folder by the caller.

use super::run::HindcastResults;
use super::spec::{Agg, Measure, Record};
use super::targets::{TargetResult, band_text};
use crate::model::Model;
use crate::numfmt::sig as fmt_sig;
use crate::plot::{self, ChartContext, FanChart, PolicyBands};
use crate::report::Manifest;
use anyhow::{Context, Result};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// The run manifest plus which record the hindcast was scored against.
#[derive(Debug, Serialize)]
pub struct HindcastManifest<'a> {
    #[serde(flatten)]
    pub run: &'a Manifest,
    pub record: &'a str,
    pub record_sha256: &'a str,
    pub calibrated_through: i32,
    pub targets_passed: usize,
    pub targets_total: usize,
}

/// Shortest round-trip form of a number for CSV (full precision, no exponent surprises).
fn num(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { String::new() }
}

/// `year,series,mean,p05,p50,p95`: one row per year and series, in the record's order.
pub fn hindcast_csv(rec: &Record, res: &HindcastResults) -> String {
    let mut out = String::from("year,series,mean,p05,p50,p95\n");
    for (y, year) in rec.years.iter().enumerate() {
        for (s, series) in rec.series.iter().enumerate() {
            let st = &res.series[s][y];
            let _ = writeln!(
                out,
                "{year},{},{},{},{},{}",
                series.id,
                num(st.moments.mean),
                num(st.sketch.quantile(0.05)),
                num(st.sketch.quantile(0.5)),
                num(st.sketch.quantile(0.95)),
            );
        }
    }
    out
}

/// `event,by_year,probability`: P(the event group has happened by the end of the year).
pub fn events_csv(rec: &Record, res: &HindcastResults) -> String {
    let mut out = String::from("event,by_year,probability\n");
    for (g, group) in rec.events.iter().enumerate() {
        for (y, year) in rec.years.iter().enumerate() {
            let _ = writeln!(
                out,
                "{},{year},{}",
                group.id,
                num(res.occurred[g][y] as f64 / res.trials as f64)
            );
        }
    }
    out
}

/// `targets.md`: each target on one line with the model's value, the band, PASS or FAIL.
pub fn targets_md(model: &Model, rec: &Record, res: &HindcastResults, results: &[TargetResult]) -> String {
    let passed = results.iter().filter(|t| t.pass()).count();
    let mut out = String::new();
    let _ = writeln!(out, "# Hindcast targets: {} of {} pass\n", passed, results.len());
    let _ = writeln!(
        out,
        "Scenario: {}. Policy `{}` from {} to {}, {} trials, seed {}. Record: {} (calibrated on years up to {}).\n",
        model.title,
        model.policies[rec.policy].id,
        model.calendar.label(0),
        rec.until_label,
        res.trials,
        res.seed,
        rec.origin,
        rec.calibrated_through
    );
    let _ = writeln!(
        out,
        "Each line: target id, PASS or FAIL, then for each check the model's value (with a 95% interval for \
         probabilities) and the band it must fall in. Model values are means over trials; a ratio compares the \
         mean of one year with the mean of another. The first year covers only the simulated quarters ({} onward).\n",
        model.calendar.label(0)
    );
    for t in results {
        let verdict = if t.pass() { "PASS" } else { "FAIL" };
        let checks: Vec<String> = t
            .checks
            .iter()
            .map(|c| {
                let iv = c
                    .interval
                    .map(|(a, b)| format!(" [95% {}–{}]", fmt_sig(a, 2), fmt_sig(b, 2)))
                    .unwrap_or_default();
                format!(
                    "{} = **{}**{} (band: {}{})",
                    c.what,
                    fmt_sig(c.value, 3),
                    iv,
                    band_text(c.min, c.max),
                    if c.pass { "" } else { ", missed" }
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "- **{}** {} — {}: {}. Record: {}.",
            t.target.id,
            verdict,
            t.target.target,
            checks.join("; "),
            t.target.band
        );
    }
    let _ = writeln!(out, "\n{}", model.caveat);
    out
}

/// One fan chart per series (annual bands) with the observed points over it.
pub fn charts(model: &Model, rec: &Record, res: &HindcastResults, dir: &Path) -> Result<()> {
    let dir = dir.join("charts");
    std::fs::create_dir_all(&dir).context("creating charts/")?;
    let ctx = ChartContext {
        scenario: model.title.clone(),
        run_label: format!(
            "hindcast, {} from {} to {}, {} trials, seed {}",
            model.policies[rec.policy].id,
            model.calendar.label(0),
            rec.until_label,
            res.trials,
            res.seed
        ),
        caveat: format!(
            "{} Calibrated on {}–{} only; later years are the model's out-of-sample path.",
            model.caveat, rec.years[0], rec.calibrated_through
        ),
    };
    // Plot each year at the middle of its simulated quarters (the last
    // quarter for year-end values), so a partial first year sits where it was simulated.
    let dt = model.calendar.dt();
    for (s, series) in rec.series.iter().enumerate() {
        let end = matches!(series.measure, Measure::Var { agg: Agg::End, .. });
        let times: Vec<f64> = rec
            .years
            .iter()
            .zip(&rec.turns_in_year)
            .map(|(&y, &n)| {
                let last = y as f64 + 1.0;
                if end { last } else { last - n as f64 * dt / 2.0 }
            })
            .collect();
        let bands: Vec<[f64; 5]> = res.series[s]
            .iter()
            .map(|st| [0.05, 0.25, 0.5, 0.75, 0.95].map(|q| st.sketch.quantile(q)))
            .collect();
        let observed: Vec<(f64, f64)> = series
            .observed
            .iter()
            .filter_map(|o| {
                let y = rec.years.iter().position(|&x| x == o.year)?;
                Some((times[y], o.value))
            })
            .collect();
        let title = format!("{} (hindcast)", series.label);
        plot::draw_fan_with_observed(
            &ctx,
            &FanChart {
                id: &series.id,
                title: &title,
                unit: &series.unit,
                times,
                decision: f64::NAN,
                policies: vec![PolicyBands {
                    policy: &model.policies[rec.policy].label,
                    bands,
                }],
            },
            &observed,
            &dir,
        )?;
    }
    Ok(())
}
