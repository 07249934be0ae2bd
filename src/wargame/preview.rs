//! `wargame preview`: the white cell's look at the distribution of next-turn
//! outcomes under the orders submitted so far, before the dice are rolled.

use super::game::{Game, play_turn};
use super::{Purpose, sample_seed};
use crate::analysis::stats::Moments;
use crate::model::Trace;
use crate::plot::render::{fmt_num, quantile};
use anyhow::{Result, bail};
use std::fmt::Write;

pub fn preview(game: &Game, samples: u64) -> Result<String> {
    if game.is_over() {
        bail!("the game is over; nothing to preview");
    }
    let model = game.model();
    let k = game.current_turn();
    let plan = game.plan()?;
    let nv = model.vars.len();
    let ne = model.events.len();
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(samples as usize); nv];
    let mut p_any = vec![0.0; ne];
    let mut mean_count = vec![0.0; ne];
    let mut choice_probs: Vec<Vec<f64>> = Vec::new();
    let mut voided = vec![false; model.slots.len()];
    for j in 0..samples {
        let mut st = game.state.clone();
        let mut trace = Trace::default();
        let v = play_turn(
            model,
            &mut st,
            sample_seed(game.config.seed, Purpose::Preview, j, k),
            &plan,
            None,
            Some(&mut trace),
        );
        for (a, b) in voided.iter_mut().zip(v) {
            *a |= b;
        }
        for (v, x) in st.vars.iter().enumerate() {
            values[v].push(*x);
        }
        for e in 0..ne {
            p_any[e] += trace.event_p[e];
            mean_count[e] += trace.event_mean[e];
        }
        if j == 0 {
            choice_probs = trace.choice_probs.clone();
        }
    }
    let n = samples as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "=== White cell preview: turn {k} of {} ({}), {samples} Monte Carlo draws of the dice ===",
        game.config.turns,
        game.date(k)
    );
    let _ = writeln!(s, "\nMOVES (forced by orders, or the model's probabilities)");
    for (i, slot) in model.slots.iter().enumerate() {
        let a = &model.actors[slot.actor];
        let line = match plan.actions[i] {
            Some(x) if !voided[i] => format!("{} (team's order)", model.option_id(i, x)),
            _ => {
                let mut opts: Vec<(usize, f64)> = choice_probs[i].iter().copied().enumerate().collect();
                opts.sort_by(|x, y| y.1.total_cmp(&x.1));
                let mut parts: Vec<String> = opts
                    .iter()
                    .filter(|(_, p)| *p >= 0.005)
                    .map(|(x, p)| format!("{} {:.0}%", model.option_id(i, slot.options[*x]), 100.0 * p))
                    .collect();
                if voided[i] {
                    parts.push("(the team's order is unavailable under this turn's levers)".into());
                } else if game.pending.contains_key(&a.id) {
                    parts.push("(the team left this move to the model)".into());
                } else if game.is_team(&a.id) {
                    parts.push("(no order yet: the model would choose)".into());
                }
                parts.join(", ")
            }
        };
        match &slot.line {
            Some(l) => {
                let _ = writeln!(s, "  {:<10} [{l}] {line}", a.id);
            }
            None => {
                let _ = writeln!(s, "  {:<10} {line}", a.id);
            }
        }
    }
    let _ = writeln!(s, "\nEVENTS THIS TURN (chance of at least one; expected number)");
    for (e, ev) in model.events.iter().enumerate() {
        if p_any[e] / n < 0.0005 {
            continue;
        }
        let _ = writeln!(
            s,
            "  {:>6}  {:>6}  {}",
            format!("{:.1}%", 100.0 * p_any[e] / n),
            fmt_num(mean_count[e] / n),
            ev.label
        );
    }
    let hidden = |v: usize| game.config.hidden.iter().any(|h| h.var == model.vars[v].id);
    for (title, secret) in [
        ("KEY VARIABLES AT THE END OF THE TURN", false),
        (
            "HIDDEN KEY VARIABLES AT THE END OF THE TURN (true values: white cell only, keep them off the projector)",
            true,
        ),
    ] {
        let vars: Vec<usize> = model.key_vars().filter(|v| hidden(*v) == secret).collect();
        if vars.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title} (now → mean; 5th, 50th, 95th percentile)");
        for v in vars {
            let def = &model.vars[v];
            let mut m = Moments::default();
            values[v].iter().for_each(|x| m.push(*x));
            let mut sorted = values[v].clone();
            sorted.sort_by(f64::total_cmp);
            let q = |p| quantile(&sorted, p).map_or("n/a".into(), fmt_num);
            let _ = writeln!(
                s,
                "  {:<48} {:>9} → {:>9}  [{}, {}, {}]  {}",
                def.label,
                fmt_num(game.state.vars[v]),
                fmt_num(m.mean),
                q(0.05),
                q(0.5),
                q(0.95),
                def.unit
            );
        }
    }
    let missing: Vec<&String> = game
        .config
        .teams
        .iter()
        .filter(|t| !game.pending.contains_key(*t))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            s,
            "\nNot yet submitted: {} (shown as the model would play them).",
            missing.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    let _ = writeln!(s, "\n{}", model.caveat);
    Ok(s)
}
