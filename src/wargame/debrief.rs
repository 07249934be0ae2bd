//! `wargame report`: the after-action review.
//!
//! Definitions (also in docs/instructor-guide.md):
//! * **Continuations**: 1,000 Monte Carlo runs from the game's start state
//!   with the orders the teams actually gave, turn by turn (levers as played,
//!   team actions forced where still available; model actors choose; no
//!   white-cell overrides), each with its own dice. They show what the same
//!   choices could have produced.
//! * **Percentile**: for each outcome (the scenario's outcomes, measured over
//!   the turns played), the share of continuations the game did better than.
//! * **Luck versus choice**, per turn *t* and outcome, on the outcome's
//!   per-turn quantity *q* (the change in its variable, or the number of its
//!   events, during the turn), from the state the game was actually in at the
//!   start of the turn, with common random numbers:
//!   `choice = E[q | orders played] − E[q | status-quo orders]`,
//!   `luck = q(dice as rolled, no override) − E[q | orders played]`,
//!   `white cell = q(as played) − q(no override)`.
//!   Summed over turns they add up exactly to the game's difference from the
//!   status-quo expectation, `Σ q(as played) − Σ E[q | status quo]`.

use super::game::{Game, Plan, TurnRec, play_turn};
use super::{Purpose, sample_seed, turn_seed};
use crate::experiment::collect::OutcomeRecorder;
use crate::model::{MeasureDef, Model, TrialState};
use crate::plot::ChartContext;
use crate::plot::render::{fmt_num, quantile};
use crate::plot::wargame::{LuckChart, LuckPanel, PlayedFan, PlayedPanel, write};
use crate::report::Manifest;
use crate::report::staging::Staging;
use crate::scenario::schema::OutcomeKind;
use anyhow::{Context, Result, bail};
use base64::Engine;
use rayon::prelude::*;
use serde::Serialize;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct DebriefOptions {
    /// Monte Carlo continuations for the fan chart and the percentiles.
    pub continuations: u64,
    /// Samples per turn and per set of orders for luck versus choice.
    pub samples: u64,
}

impl Default for DebriefOptions {
    fn default() -> Self {
        DebriefOptions {
            continuations: 1000,
            samples: 400,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OutcomeResult {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub direction: String,
    pub played: f64,
    pub continuation_mean: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    /// Share of continuations strictly below / equal to / above the played value.
    pub below: f64,
    pub tied: f64,
    pub above: f64,
    /// Share of continuations the game did strictly better than (None for Info outcomes).
    pub better_than: Option<f64>,
    /// Per turn (choice, luck, white cell), on the per-turn quantity.
    pub per_turn: Vec<[f64; 3]>,
    pub per_turn_unit: String,
    pub choice_total: f64,
    pub luck_total: f64,
    pub white_cell_total: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Debrief {
    pub turns_played: u32,
    pub continuations: u64,
    pub samples_per_turn: u64,
    pub outcomes: Vec<OutcomeResult>,
}

fn direction(kind: &OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Maximize => "higher is better",
        OutcomeKind::Minimize => "lower is better",
        OutcomeKind::Info => "",
    }
}

/// The per-turn quantity of outcome `o` for a turn that went from `before` to `after`.
fn per_turn(model: &Model, o: usize, before: &TrialState, after: &TrialState) -> f64 {
    match model.outcomes[o].measure {
        MeasureDef::Final(v) | MeasureDef::Mean(v) | MeasureDef::Min(v) | MeasureDef::Max(v) | MeasureDef::Total(v) => {
            after.vars[v as usize] - before.vars[v as usize]
        }
        MeasureDef::Count(e) | MeasureDef::PerYear(e) | MeasureDef::Occurs(e) => {
            f64::from(after.turn_events[e as usize])
        }
        MeasureDef::ActionCount(a, k) => f64::from(u8::from(model.chose(&after.choices, a as usize, k as usize))),
    }
}

fn per_turn_unit(model: &Model, o: usize) -> String {
    match model.outcomes[o].measure {
        MeasureDef::Final(v) | MeasureDef::Mean(v) | MeasureDef::Min(v) | MeasureDef::Max(v) | MeasureDef::Total(v) => {
            format!(
                "change in {}, {}",
                model.vars[v as usize].id, model.vars[v as usize].unit
            )
        }
        MeasureDef::Count(_) | MeasureDef::PerYear(_) | MeasureDef::Occurs(_) => "events".into(),
        MeasureDef::ActionCount(..) => "times chosen".into(),
    }
}

/// Outcome values over a path of states (`path[0]` is the start).
fn outcomes_of(model: &Model, path: &[TrialState]) -> Vec<f64> {
    let mut rec = OutcomeRecorder::new(model);
    for st in &path[1..] {
        rec.observe(model, &st.record());
    }
    let mut out = Vec::new();
    rec.finish(model, &mut out);
    out
}

/// Outcomes that the played turns say something about (their window overlaps the game).
fn relevant_outcomes(game: &Game) -> Vec<usize> {
    let first = game.config.start_turn;
    let last = first + game.turns.len() as u32 - 1;
    game.model()
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.from_turn <= last && o.to_turn >= first)
        .map(|(i, _)| i)
        .collect()
}

/// The part of outcome `o`'s window the game played: (first, last) model turns.
fn played_window(game: &Game, o: usize) -> (u32, u32) {
    let def = &game.model().outcomes[o];
    let first = game.config.start_turn;
    let last = first + game.turns.len() as u32 - 1;
    (def.from_turn.max(first), def.to_turn.min(last))
}

/// Outcome `o`'s label and unit for the game. The scenario words them for
/// its whole window ("at end-2030", "probability, 2026-2030"); the debrief
/// measures them over the turns played, so the years of the scenario's
/// window are replaced by the game's first and last turn ("at the end of
/// 2026Q4", "probability, 2026Q1–2026Q4").
fn game_labels(game: &Game, o: usize) -> (String, String) {
    let model = game.model();
    let def = &model.outcomes[o];
    let cal = model.calendar;
    let (first, last) = played_window(game, o);
    relabel_window(
        (&def.label, &def.unit),
        (
            cal.year(def.from_turn).floor() as i64,
            cal.year(def.to_turn).floor() as i64,
        ),
        (&cal.label(first), &cal.label(last)),
    )
}

/// Replace the years `from`-`to` (and "end-`to`") in `label` and `unit` by the game's window.
pub fn relabel_window(texts: (&str, &str), (from, to): (i64, i64), (first, last): (&str, &str)) -> (String, String) {
    let window = if first == last {
        first.to_string()
    } else {
        format!("{first}–{last}")
    };
    let fix = |t: &str| -> String {
        let mut t = t.to_string();
        for dash in ["-", "–"] {
            t = t.replace(&format!("{from}{dash}{to}"), &window);
        }
        t = t.replace(&format!("by end-{to}"), &format!("by the end of {last}"));
        t = t.replace(&format!("at end-{to}"), &format!("at the end of {last}"));
        t.replace(&format!("end-{to}"), &format!("end of {last}"))
    };
    (fix(texts.0), fix(texts.1))
}

/// Which of choice, luck and the white cell moved an outcome most, by the
/// size of its share; "no change" when none moved it.
pub fn mostly(choice: f64, luck: f64, white_cell: f64) -> &'static str {
    let mut best = ("no change", NEGLIGIBLE);
    for (name, v) in [("choice", choice), ("luck", luck), ("white cell", white_cell)] {
        if v.is_finite() && v.abs() > best.1 {
            best = (name, v.abs());
        }
    }
    best.0
}

/// Contributions smaller than this are rounding noise of exact zeros.
const NEGLIGIBLE: f64 = 1e-9;

/// A signed contribution for the table: "0" for none, else with its sign.
pub fn signed(v: f64) -> String {
    if !v.is_finite() || v.abs() <= NEGLIGIBLE {
        return "0".into();
    }
    let s = fmt_num(v);
    // A contribution that rounds to zero at the table's precision reads "0", not "+0.0000".
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        return "0".into();
    }
    if v > 0.0 { format!("+{s}") } else { s }
}

/// A share as a whole percentage; never "-0%".
pub fn pct(share: f64) -> String {
    let p = (100.0 * share).round();
    format!("{:.0}%", if p == 0.0 { 0.0 } else { p })
}

/// The plans the teams played, turn by turn (computed on the played states).
fn played_plans(game: &Game) -> Result<Vec<Plan>> {
    game.turns
        .iter()
        .enumerate()
        .map(|(t, rec)| game.plan_from(&game.history[t], &rec.orders))
        .collect()
}

/// Monte Carlo continuations: from the game's start state, the orders played
/// turn by turn, fresh dice (continuation `j` has its own stream). Each path
/// holds the start state and the state after every turn.
pub fn continuations(game: &Game, plans: &[Plan], n: u64) -> Vec<Vec<TrialState>> {
    let model = game.model();
    let seed = game.config.seed;
    (0..n)
        .into_par_iter()
        .map(|j| {
            let mut st = game.history[0].clone();
            let mut path = Vec::with_capacity(plans.len() + 1);
            path.push(st.clone());
            for (t, plan) in plans.iter().enumerate() {
                let k = t as u32 + 1;
                play_turn(
                    model,
                    &mut st,
                    sample_seed(seed, Purpose::Continuation, j, k),
                    plan,
                    None,
                    None,
                );
                path.push(st.clone());
            }
            path
        })
        .collect()
}

/// The played trajectory of every key variable over the fan of `paths`
/// (without the hidden ones unless `with_hidden`).
pub fn played_fan<'a>(
    game: &Game,
    paths: &[Vec<TrialState>],
    ctx: &'a ChartContext,
    with_hidden: bool,
) -> PlayedFan<'a> {
    let model = game.model();
    let times: Vec<f64> = game.history.iter().map(|s| model.calendar.year(s.turn)).collect();
    let panels: Vec<PlayedPanel> = model
        .key_vars()
        .filter(|v| with_hidden || !game.config.hidden.iter().any(|h| h.var == model.vars[*v].id))
        .map(|v| {
            let bands = (0..times.len())
                .map(|t| {
                    let mut xs: Vec<f64> = paths.iter().map(|p| p[t].vars[v]).collect();
                    xs.sort_by(f64::total_cmp);
                    [0.05, 0.25, 0.5, 0.75, 0.95].map(|q| quantile(&xs, q).unwrap_or(f64::NAN))
                })
                .collect();
            PlayedPanel {
                title: model.vars[v].label.clone(),
                unit: model.vars[v].unit.clone(),
                bands,
                played: game.history.iter().map(|s| s.vars[v]).collect(),
            }
        })
        .collect();
    PlayedFan {
        ctx,
        title: format!(
            "The game as played, over {} continuations with the same orders",
            fmt_thousands(paths.len() as u64)
        ),
        times,
        panels,
    }
}

/// Continuations with the orders played so far (for the turn report's trajectory chart).
pub fn continuations_so_far(game: &Game, n: u64) -> Result<Vec<Vec<TrialState>>> {
    Ok(continuations(game, &played_plans(game)?, n))
}

pub fn compute(game: &Game, opts: DebriefOptions) -> Result<(Debrief, Vec<Vec<TrialState>>)> {
    let model = game.model();
    let t_played = game.turns.len();
    ensure_played(game)?;
    let plans = played_plans(game)?;
    let seed = game.config.seed;
    let paths = continuations(game, &plans, opts.continuations);
    let played_values = outcomes_of(model, &game.history);
    let cont_values: Vec<Vec<f64>> = paths.iter().map(|p| outcomes_of(model, p)).collect();

    // Luck versus choice, turn by turn, from the played states.
    let sq = Plan::status_quo(model);
    let relevant = relevant_outcomes(game);
    let no = model.outcomes.len();
    // per turn: per outcome (E_played, E_sq, realised_no_override, realised)
    let per_turn_rows: Vec<Vec<[f64; 4]>> = (0..t_played)
        .into_par_iter()
        .map(|t| {
            let k = t as u32 + 1;
            let before = &game.history[t];
            let mut sums = vec![[0.0f64; 2]; no];
            for j in 0..opts.samples {
                let s = sample_seed(seed, Purpose::LuckChoice, j, k);
                for (arm, plan) in [&plans[t], &sq].into_iter().enumerate() {
                    let mut st = before.clone();
                    play_turn(model, &mut st, s, plan, None, None);
                    for (o, sum) in sums.iter_mut().enumerate() {
                        sum[arm] += per_turn(model, o, before, &st);
                    }
                }
            }
            let mut raw = before.clone();
            play_turn(model, &mut raw, turn_seed(seed, k), &plans[t], None, None);
            let after = &game.history[t + 1];
            (0..no)
                .map(|o| {
                    [
                        sums[o][0] / opts.samples as f64,
                        sums[o][1] / opts.samples as f64,
                        per_turn(model, o, before, &raw),
                        per_turn(model, o, before, after),
                    ]
                })
                .collect()
        })
        .collect();

    let mut outcomes = Vec::new();
    for &o in &relevant {
        let def = &model.outcomes[o];
        let (label, unit) = game_labels(game, o);
        let played = played_values[o];
        let mut vals: Vec<f64> = cont_values.iter().map(|v| v[o]).filter(|x| x.is_finite()).collect();
        vals.sort_by(f64::total_cmp);
        let n = vals.len().max(1) as f64;
        let below = vals.iter().filter(|x| **x < played).count() as f64 / n;
        let above = vals.iter().filter(|x| **x > played).count() as f64 / n;
        let tied = 1.0 - below - above;
        let better_than = match def.kind {
            OutcomeKind::Maximize => Some(below),
            OutcomeKind::Minimize => Some(above),
            OutcomeKind::Info => None,
        };
        let per: Vec<[f64; 3]> = per_turn_rows
            .iter()
            .map(|rows| {
                let [ep, esq, raw, real] = rows[o];
                [ep - esq, raw - ep, real - raw]
            })
            .collect();
        outcomes.push(OutcomeResult {
            id: def.id.clone(),
            label,
            unit,
            direction: direction(&def.kind).into(),
            played,
            continuation_mean: vals.iter().sum::<f64>() / n,
            p05: quantile(&vals, 0.05).unwrap_or(f64::NAN),
            p50: quantile(&vals, 0.5).unwrap_or(f64::NAN),
            p95: quantile(&vals, 0.95).unwrap_or(f64::NAN),
            below,
            tied,
            above,
            better_than,
            choice_total: per.iter().map(|x| x[0]).sum(),
            luck_total: per.iter().map(|x| x[1]).sum(),
            white_cell_total: per.iter().map(|x| x[2]).sum(),
            per_turn: per,
            per_turn_unit: per_turn_unit(model, o),
        });
    }
    Ok((
        Debrief {
            turns_played: t_played as u32,
            continuations: opts.continuations,
            samples_per_turn: opts.samples,
            outcomes,
        },
        paths,
    ))
}

fn ensure_played(game: &Game) -> Result<()> {
    if game.turns.is_empty() {
        bail!("no turn has been adjudicated yet; the debrief needs at least one");
    }
    Ok(())
}

/// Write the after-action review into `out` (default `GAME/report`).
pub fn write_report(game: &Game, out: Option<&Path>, opts: DebriefOptions) -> Result<PathBuf> {
    let started = Instant::now();
    let model = game.model();
    ensure_played(game)?;
    let out_dir = match out {
        Some(o) => o.to_path_buf(),
        None if game.is_over() => game.dir.join("report"),
        None => bail!(
            "the game is not over ({} of {} turns played): a report now shows the hidden truth, and its default place \
             is inside the game folder the teams can read. Write it elsewhere with --out DIR (off the shared drive)",
            game.turns.len(),
            game.config.turns
        ),
    };
    // Before the work: refuse a folder holding files greatgame did not write.
    let staging = Staging::new(&out_dir, "wargame report")?;
    let (debrief, paths) = compute(game, opts)?;
    let charts_dir = staging.path().join("charts");
    let ctx = chart_context(game);

    // Played trajectory over the fan, for the key variables.
    let fan = played_fan(game, &paths, &ctx, true);
    write(&charts_dir, "played_vs_fan", &fan)?;
    let luck = LuckChart {
        ctx: &ctx,
        title: "Luck versus choice, turn by turn".into(),
        panels: debrief
            .outcomes
            .iter()
            // Outcomes without a direction, or that never moved, have nothing to show.
            .filter(|o| !o.direction.is_empty() && o.per_turn.iter().flatten().any(|v| *v != 0.0))
            .map(|o| LuckPanel {
                title: o.label.clone(),
                unit: o.per_turn_unit.clone(),
                direction: o.direction.clone(),
                turns: o.per_turn.iter().map(|x| (x[0], x[1], x[2])).collect(),
            })
            .collect(),
    };
    write(&charts_dir, "luck_vs_choice", &luck)?;

    let html = render_html(game, &debrief, &charts_dir)?;
    std::fs::write(staging.path().join("report.html"), html).context("writing report.html")?;
    std::fs::write(
        staging.path().join("debrief.json"),
        serde_json::to_string_pretty(&debrief)? + "\n",
    )
    .context("writing debrief.json")?;
    let secs = started.elapsed().as_secs_f64();
    let manifest = Manifest {
        tool: "greatgame".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: game.config.scenario_origin.clone(),
        scenario_name: model.name.clone(),
        scenario_sha256: game.config.scenario_sha256.clone(),
        seed: game.config.seed,
        trials: opts.continuations,
        threads: rayon::current_num_threads(),
        design: format!(
            "wargame_debrief ({} turns played; {} continuations; {} samples per turn and per set of orders for luck versus choice)",
            debrief.turns_played, opts.continuations, opts.samples
        ),
        policies: vec!["as_played".into(), model.policies[model.baseline].id.clone()],
        baseline: model.policies[model.baseline].id.clone(),
        decision_date: game.config.start.clone(),
        horizon: game.date(debrief.turns_played),
        command_line: std::env::args().collect(),
        wall_time_seconds: secs,
        trials_per_second: opts.continuations as f64 / secs.max(1e-9),
        complete: true,
        status: "complete".into(),
        caveat: model.caveat.clone(),
        anchoring: game.config.present.as_ref().map(|p| {
            serde_json::json!({
                "file": p.origin,
                "sha256": p.sha256,
                "applies_to": "the status-quo history from the scenario's start to the game's first turn",
                "attempts": p.attempts,
                "accepted": p.accepted,
            })
        }),
        ensemble: game
            .config
            .member
            .as_ref()
            .map(|m| crate::calibrate::file::EnsembleRef {
                file: m.ensemble.clone(),
                sha256: m.ensemble_sha256.clone(),
                members: m.members,
                calibration_seed: m.calibration_seed,
            }),
        ..Manifest::default()
    };
    std::fs::write(
        staging.path().join("manifest.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )
    .context("writing manifest.json")?;
    staging.commit()
}

fn fmt_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn img(path: &Path, alt: &str) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(format!(
        "<img alt=\"{}\" src=\"data:image/png;base64,{}\">",
        esc(alt),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

fn timeline_row(game: &Game, rec: &TurnRec, prev_levers: &[(String, String)]) -> String {
    let model = game.model();
    let mut orders = Vec::new();
    for o in &rec.orders {
        let mut parts: Vec<String> = o.levers.iter().map(|(l, v)| format!("{l} = {v}")).collect();
        for a in o.actions() {
            parts.push(format!("action {a}"));
        }
        orders.push(format!("<b>{}</b>: {}", esc(&o.team), esc(&parts.join("; "))));
    }
    for t in &game.config.teams {
        if !rec.orders.iter().any(|o| &o.team == t) {
            let what = if t == "us" {
                "no orders: last turn's levers kept"
            } else {
                "no orders: the model chose"
            };
            orders.push(format!("<b>{}</b>: <i>{what}</i>", esc(t)));
        }
    }
    let changed: Vec<String> = rec
        .result
        .levers
        .iter()
        .zip(prev_levers)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| format!("{} → {}", a.0, a.1))
        .collect();
    let moves: Vec<String> = rec
        .result
        .moves
        .iter()
        .map(|m| {
            let who = if m.by == "team" { "team" } else { "model" };
            format!(
                "{}: {} <small>({who}, p = {})</small>",
                esc(&m.actor),
                esc(&m.action),
                fmt_num(m.p)
            )
        })
        .collect();
    let events: Vec<String> = rec
        .result
        .events
        .iter()
        .enumerate()
        .filter(|(_, d)| d.count > 0)
        .map(|(e, d)| {
            let times = if d.count > 1 {
                format!(" × {}", d.count)
            } else {
                String::new()
            };
            let how = if d.forced {
                "override".to_string()
            } else {
                format!("P = {:.1}%", 100.0 * d.p)
            };
            format!("{}{times} <small>({how})</small>", esc(&model.events[e].label))
        })
        .collect();
    let overrides: Vec<String> = rec
        .overrides
        .iter()
        .map(|o| format!("{} = {}: {}", esc(&o.event), o.count, esc(&o.reason)))
        .collect();
    format!(
        "<tr><td>{}<br>{}</td><td>{}{}</td><td>{}</td><td>{}{}</td></tr>\n",
        rec.turn,
        esc(&rec.date),
        orders.join("<br>"),
        if changed.is_empty() {
            String::new()
        } else {
            format!("<br><small>levers changed: {}</small>", esc(&changed.join(", ")))
        },
        moves.join("<br>"),
        if events.is_empty() {
            "<i>none</i>".to_string()
        } else {
            events.join("<br>")
        },
        if overrides.is_empty() {
            String::new()
        } else {
            format!("<br><b>white cell:</b> {}", overrides.join("; "))
        }
    )
}

fn render_html(game: &Game, d: &Debrief, charts: &Path) -> Result<String> {
    let model = game.model();
    let mut h = String::new();
    let title = format!("After-action review — {}", model.title);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\
         body{{font-family:'DejaVu Sans',sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}}\
         th{{background:#f3f3f3}}td.n{{text-align:right}}img{{max-width:100%}}.caveat{{font-style:italic;border-left:4px solid #c33;padding-left:8px}}\
         </style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let _ = writeln!(
        h,
        "<p class=\"caveat\">{}</p>\n<p>Game seed {}; teams: {}; {} of {} turns played from {}. Scenario sha256 <code>{}</code>.</p>",
        esc(&model.caveat),
        game.config.seed,
        esc(&game.config.teams.join(", ")),
        d.turns_played,
        game.config.turns,
        esc(&game.config.start),
        esc(&game.config.scenario_sha256)
    );
    let _ = writeln!(
        h,
        "<p>The history to {}: {}.</p>",
        esc(&game.config.start),
        match &game.config.present {
            Some(p) => format!(
                "the status quo anchored to the known present ({}, {} draw(s){})",
                esc(&p.origin),
                p.attempts,
                if p.accepted {
                    ""
                } else {
                    "; no draw fit every soft fact"
                }
            ),
            None => "the status quo, running free (not anchored to the known present)".into(),
        }
    );
    if let Some(m) = &game.config.member {
        let views: Vec<String> = model
            .worlds
            .iter()
            .zip(&m.views)
            .map(|(w, v)| format!("{} = {v}", w.id))
            .collect();
        let _ = writeln!(
            h,
            "<p>The hidden truth: member {} of the {} in the calibrated ensemble {} (calibration design point {}); its \
             views: {}. The continuations run on it too.</p>",
            m.index,
            m.members,
            esc(&m.ensemble),
            m.point,
            esc(&views.join("; "))
        );
    }
    let _ = writeln!(
        h,
        "<h2>Timeline</h2>\n<table><tr><th>Turn</th><th>Orders</th><th>What each actor did</th><th>What happened</th></tr>"
    );
    let mut prev: Vec<(String, String)> = model
        .levers
        .iter()
        .zip(&game.history[0].levers)
        .map(|(l, v)| (l.id.clone(), l.show(*v)))
        .collect();
    for rec in &game.turns {
        h.push_str(&timeline_row(game, rec, &prev));
        prev.clone_from(&rec.result.levers);
    }
    h.push_str("</table>\n");
    let _ = writeln!(
        h,
        "<h2>The game against what the same choices could have produced</h2>\n<p>{} continuations start from the \
         same state and follow the same orders turn by turn (a team's action is replaced by the model's choice \
         where it is not available in that continuation); only the dice differ. White-cell overrides are not \
         applied.</p>\n{}",
        fmt_thousands(d.continuations),
        img(
            &charts.join("played_vs_fan.png"),
            "played trajectory over the fan of continuations"
        )?
    );
    let _ = writeln!(
        h,
        "<h2>Where the game ended</h2>\n<p>Each outcome is measured over the turns played (within the outcome's own \
         window). <i>Better than</i> is the share of continuations the game beat; ties (common for counts of rare \
         events) are shown separately.</p>\n<table><tr><th>Outcome</th><th>Played</th><th>Continuations: 5% / median / 95%</th>\
         <th>Verdict</th></tr>"
    );
    for o in &d.outcomes {
        let verdict = match o.better_than {
            Some(b) => format!(
                "better than {} of the outcomes your choices could have produced, as good as {}, worse than {} ({})",
                pct(b),
                pct(o.tied),
                pct((1.0 - b - o.tied).max(0.0)),
                o.direction
            ),
            None => format!(
                "higher than {}, lower than {} (information only)",
                pct(o.below),
                pct(o.above)
            ),
        };
        let _ = writeln!(
            h,
            "<tr><td>{} <small>({})</small></td><td class=\"n\">{}</td><td class=\"n\">{} / {} / {}</td><td>{}</td></tr>",
            esc(&o.label),
            esc(&o.unit),
            fmt_num(o.played),
            fmt_num(o.p05),
            fmt_num(o.p50),
            fmt_num(o.p95),
            verdict
        );
    }
    h.push_str("</table>\n");
    let _ = writeln!(
        h,
        "<h2>Luck versus choice</h2>\n<p>For each turn, from the state the game was actually in: <b>choice</b> = \
         expected result of the orders played minus expected result of status-quo orders (the baseline policy's \
         levers, every actor chosen by the model), with the same {} sets of dice for both; <b>luck</b> = what the \
         dice actually produced minus what the orders made expected; <b>white cell</b> = the effect of overrides. \
         They are measured on each outcome's per-turn quantity (the change in its variable, or its number of \
         events) and add up to the game's difference from the status-quo expectation.</p>\n{}",
        d.samples_per_turn,
        img(&charts.join("luck_vs_choice.png"), "luck versus choice per turn")?
    );
    h.push_str(
        "<table><tr><th>Outcome</th><th>Per-turn quantity</th><th>Choice (sum)</th><th>Luck (sum)</th>\
         <th>White cell (sum)</th><th>Mostly</th></tr>\n",
    );
    for o in &d.outcomes {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&o.label),
            esc(&o.per_turn_unit),
            signed(o.choice_total),
            signed(o.luck_total),
            signed(o.white_cell_total),
            mostly(o.choice_total, o.luck_total, o.white_cell_total)
        );
    }
    h.push_str("</table>\n");
    let _ = writeln!(
        h,
        "<p><small>Generated by greatgame {} (`wargame report`); numbers in debrief.json, provenance in manifest.json.</small></p>\n</body></html>",
        env!("CARGO_PKG_VERSION")
    );
    Ok(h)
}

/// The charts' context for a game (used by the turn charts of `adjudicate.rs` too: it lives here so that
/// `adjudicate` depends on `debrief` and not the other way round).
pub fn chart_context(game: &Game) -> ChartContext {
    let model = game.model();
    ChartContext {
        scenario: model.title.clone(),
        // No seed here: the turn charts sit in the shared game folder, and
        // from the seed anyone could recompute the hidden truth and the dice.
        run_label: format!("wargame, teams {}", game.config.teams.join(", ")),
        caveat: model.caveat.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mostly_names_the_largest_share_and_nothing_when_nothing_moved() {
        assert_eq!(mostly(0.0, 0.0, 0.0), "no change");
        assert_eq!(mostly(-0.0, 1e-17, -2e-16), "no change", "rounding noise of zeros");
        assert_eq!(mostly(0.0, 0.0, 1.0), "white cell");
        assert_eq!(mostly(0.2, -0.3, 1.0), "white cell");
        assert_eq!(mostly(0.5, -0.3, 0.0), "choice");
        assert_eq!(mostly(0.1, -0.3, 0.2), "luck");
        assert_eq!(mostly(f64::NAN, 0.0, 0.0), "no change");
    }

    #[test]
    fn signed_and_percent_never_print_minus_zero() {
        assert_eq!(signed(0.0), "0");
        assert_eq!(signed(-0.0), "0");
        assert_eq!(signed(-1e-15), "0");
        assert_eq!(signed(1.0), "+1.00");
        assert!(signed(-0.25).starts_with('-'));
        assert_eq!(pct(-0.0), "0%");
        assert_eq!(pct(-0.004), "0%");
        assert_eq!(pct(1e-18 - 1e-17), "0%");
        assert_eq!(pct(0.456), "46%");
        assert_eq!(pct(1.0), "100%");
    }

    #[test]
    fn labels_name_the_games_window_not_the_scenarios() {
        let w = |l: &str, u: &str| relabel_window((l, u), (2026, 2030), ("2026Q1", "2026Q4"));
        assert_eq!(
            w("Afghan real GDP at end-2030", "index, 2020 = 1"),
            ("Afghan real GDP at the end of 2026Q4".into(), "index, 2020 = 1".into())
        );
        assert_eq!(
            w("Pakistan-Afghanistan war", "probability, 2026-2030").1,
            "probability, 2026Q1–2026Q4"
        );
        assert_eq!(
            w("States (of six) recognizing the Taliban by end-2030", "states").0,
            "States (of six) recognizing the Taliban by the end of 2026Q4"
        );
        let one = relabel_window(("X", "clashes, 2021-2030"), (2021, 2030), ("2027Q2", "2027Q2"));
        assert_eq!(one.1, "clashes, 2027Q2");
    }
}
