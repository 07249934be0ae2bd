//! `wargame adjudicate`: resolve the turn and print the turn report, with the
//! dice chart for the projector.

use super::game::{Game, Override, TurnRec};
use crate::model::Model;
use crate::plot::render::fmt_num;
use crate::plot::wargame::{DiceChart, Die, write};
use crate::scenario::diagnostics::closest;
use anyhow::{Result, anyhow, bail};
use std::fmt::Write;
use std::path::PathBuf;

/// Parse `EVENT=yes|no|N` overrides and pair them with reasons (one per
/// override, or a single reason for all).
pub fn parse_overrides(model: &Model, specs: &[String], reasons: &[String]) -> Result<Vec<Override>> {
    if specs.is_empty() {
        if !reasons.is_empty() {
            bail!("--reason given without --override");
        }
        return Ok(Vec::new());
    }
    if reasons.is_empty() {
        bail!("every override needs a reason for the log: add --reason \"...\"");
    }
    if reasons.len() != 1 && reasons.len() != specs.len() {
        bail!(
            "{} overrides but {} reasons: give one --reason per --override, or a single one for all",
            specs.len(),
            reasons.len()
        );
    }
    let ids: Vec<String> = model.events.iter().map(|e| e.id.clone()).collect();
    let mut out: Vec<Override> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let (name, value) = spec
            .split_once('=')
            .ok_or_else(|| anyhow!("--override `{spec}`: write EVENT=yes, EVENT=no or EVENT=N"))?;
        let name = name.trim();
        let e = model.events.iter().position(|x| x.id == name).ok_or_else(|| {
            let hint = closest(name, &ids)
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("events: {}", ids.join(", ")));
            anyhow!("--override: no event `{name}`; {hint}")
        })?;
        let count = match value.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" => 1,
            "no" | "false" => 0,
            n => n
                .parse::<u32>()
                .map_err(|_| anyhow!("--override `{spec}`: the value must be yes, no or a number of occurrences"))?,
        };
        if model.events[e].once && count > 1 {
            bail!("--override `{spec}`: `{name}` can happen only once");
        }
        if out.iter().any(|o| o.event == name) {
            bail!("--override: `{name}` is overridden twice");
        }
        let reason = reasons
            .get(i)
            .or(reasons.first())
            .expect("checked above")
            .trim()
            .to_string();
        if reason.is_empty() {
            bail!("--reason for `{name}` is empty; say why the white cell overrides the dice");
        }
        out.push(Override {
            event: name.to_string(),
            count,
            reason,
        });
    }
    Ok(out)
}

/// The turn report: what each actor did, what happened, each die with its probability.
pub fn turn_report(game: &Game, rec: &TurnRec) -> String {
    let model = game.model();
    let mut s = String::new();
    let _ = writeln!(s, "=== Turn {} of {} — {} ===", rec.turn, game.config.turns, rec.date);
    let _ = writeln!(
        s,
        "\nWHAT EACH ACTOR DID (p = the model's probability of that move; roll = the die)"
    );
    for m in rec.result.moves.iter() {
        let Some(a) = model.actors.iter().find(|x| x.id == m.actor) else {
            continue;
        };
        let label = match &m.line {
            Some(l) if m.action == "hold" => format!("no action on the {l} line"),
            Some(l) => format!(
                "[{l}] {}",
                a.actions
                    .iter()
                    .find(|x| x.id == m.action)
                    .map_or("", |x| x.label.as_str())
            ),
            None => a
                .actions
                .iter()
                .find(|x| x.id == m.action)
                .map_or(String::new(), |x| x.label.clone()),
        };
        let how = if m.by == "team" {
            format!("team's order (the model would have given it p = {})", fmt_num(m.p))
        } else {
            format!("{}, p = {}, roll {:.3}", m.by, fmt_num(m.p), m.u)
        };
        let _ = writeln!(
            s,
            "  {:<10} {:<24} {label}\n  {:<10} {:<24} [{how}]",
            m.actor, m.action, "", ""
        );
    }
    let _ = writeln!(s, "\nWHAT HAPPENED (each event's die: chance this turn, what came up)");
    for (e, d) in rec.result.events.iter().enumerate() {
        let ev = &model.events[e];
        if d.p <= 0.0 && d.count == 0 && !d.forced {
            continue;
        }
        let outcome = if d.count == 0 {
            "no".to_string()
        } else if d.count == 1 {
            "YES".to_string()
        } else {
            format!("YES × {}", d.count)
        };
        let forced = if d.forced { "  [white-cell override]" } else { "" };
        let _ = writeln!(
            s,
            "  {:<8} P = {:>6}  {}{forced}",
            outcome,
            format!("{:.1}%", 100.0 * d.p),
            ev.label
        );
    }
    if !rec.overrides.is_empty() {
        let _ = writeln!(s, "\nWHITE-CELL OVERRIDES (logged)");
        for o in &rec.overrides {
            let _ = writeln!(s, "  {} = {}  because: {}", o.event, o.count, o.reason);
        }
    }
    let before = &game.history[rec.turn as usize - 1];
    let hidden = |v: usize| game.config.hidden.iter().any(|h| h.var == model.vars[v].id);
    for (title, secret) in [
        ("KEY VARIABLES (public)", false),
        (
            "HIDDEN KEY VARIABLES (true values: white cell only, keep them off the projector)",
            true,
        ),
    ] {
        let vars: Vec<usize> = model.key_vars().filter(|v| hidden(*v) == secret).collect();
        if vars.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title}");
        for v in vars {
            let def = &model.vars[v];
            let (a, b) = (before.vars[v], rec.result.state.vars[v]);
            let _ = writeln!(
                s,
                "  {:<48} {:>9} → {:>9}  ({:+.3})  {}",
                def.label,
                fmt_num(a),
                fmt_num(b),
                b - a,
                def.unit
            );
        }
    }
    let _ = writeln!(s, "\n{}", model.caveat);
    s
}

/// Draw `DIR/turns/turn-NN/dice.png|svg` (the turn's dice) and `trajectory.png|svg`
/// (the game so far over the fan of continuations) for turn `rec`, just adjudicated.
pub fn draw_turn_charts(game: &Game, rec: &TurnRec) -> Result<Vec<PathBuf>> {
    let model = game.model();
    let dir = game.dir.join("turns").join(format!("turn-{:02}", rec.turn));
    let ctx = super::debrief::chart_context(game);
    let mut dice = Vec::new();
    let before = &game.history[rec.turn as usize - 1];
    let mut probe = before.clone();
    let plan = game.plan_from(before, &rec.orders)?;
    // The probabilities of every option (the log stores only the chosen one's).
    let mut trace = crate::model::Trace::default();
    super::game::play_turn(
        model,
        &mut probe,
        super::turn_seed(game.config.seed, rec.turn),
        &plan,
        None,
        Some(&mut trace),
    );
    for (i, m) in rec.result.moves.iter().enumerate() {
        let Some(slot) = model.slots.get(i) else { continue };
        let a = &model.actors[slot.actor];
        let options: Vec<String> = slot
            .options
            .iter()
            .map(|&o| model.option_id(i, o).to_string())
            .collect();
        let pick = options.iter().position(|x| *x == m.action);
        let team = m.by == "team";
        dice.push(Die {
            label: match &slot.line {
                Some(l) => format!("{} [{l}]: {}", a.id, m.action),
                None => format!("{}: {}", a.id, m.action),
            },
            probs: trace.choice_probs[i].clone(),
            options,
            outcome: pick,
            roll: if team { None } else { Some(m.u) },
            note: if team {
                "team's order".into()
            } else {
                format!("p = {}", fmt_num(m.p))
            },
        });
    }
    for (e, d) in rec.result.events.iter().enumerate() {
        if d.p <= 0.0 && !d.forced {
            continue;
        }
        // Poisson events happen when the die lands above P(none): mirror the
        // roll so that, for every event, "left of the line" means it happened.
        let poisson = matches!(model.events[e].hazard, crate::model::HazardDef::Poisson(_));
        let roll = if poisson { 1.0 - d.u } else { d.u };
        dice.push(Die {
            label: model.events[e].label.clone(),
            probs: vec![d.p],
            options: vec!["happens".into()],
            outcome: (d.count > 0).then_some(0),
            roll: (!d.forced).then_some(roll),
            note: if d.forced {
                "white-cell override".into()
            } else if d.count > 1 {
                format!("happened × {}", d.count)
            } else if d.count == 1 {
                "happened".into()
            } else {
                "did not happen".into()
            },
        });
    }
    let fig = DiceChart {
        ctx: &ctx,
        title: format!("Turn {} ({}): the dice", rec.turn, rec.date),
        dice,
    };
    let mut files = write(&dir, "dice", &fig)?;
    // The game so far over what the same orders could have produced.
    if game.turns.len() == rec.turn as usize {
        let paths = super::debrief::continuations_so_far(game, TRAJECTORY_CONTINUATIONS)?;
        // This chart lives in the (shared) game folder: public variables only.
        let mut fan = super::debrief::played_fan(game, &paths, &ctx, false);
        fan.title = format!("After turn {} ({}): {}", rec.turn, rec.date, fan.title);
        files.extend(write(&dir, "trajectory", &fan)?);
    }
    Ok(files)
}

/// Continuations behind the turn report's trajectory chart (the debrief uses 1,000).
const TRAJECTORY_CONTINUATIONS: u64 = 300;

/// A public key variable's value before and after a turn.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicVar {
    pub label: String,
    pub before: f64,
    pub after: f64,
    pub unit: String,
}

/// An adjudicated turn as every team may see it: the moves and dice (which the dice chart on the projector
/// shows anyway), the events, the white cell's overrides with their reasons, and the public key variables.
/// The hidden variables' true values, the uncertain parameters and the seed are left out by construction:
/// nothing here is read from the hidden part of the state.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicTurn {
    pub turn: u32,
    pub date: String,
    pub moves: Vec<super::game::Move>,
    /// The events that had a chance this turn (or were overridden), with their dice.
    pub events: Vec<(String, super::game::Draw)>,
    pub overrides: Vec<Override>,
    pub public_vars: Vec<PublicVar>,
}

/// The public part of turn `rec` (see [`PublicTurn`]).
pub fn public_turn(game: &Game, rec: &TurnRec) -> PublicTurn {
    let model = game.model();
    let before = &game.history[rec.turn as usize - 1];
    let hidden = |v: usize| game.config.hidden.iter().any(|h| h.var == model.vars[v].id);
    PublicTurn {
        turn: rec.turn,
        date: rec.date.clone(),
        moves: rec.result.moves.clone(),
        events: rec
            .result
            .events
            .iter()
            .enumerate()
            .filter(|(_, d)| d.p > 0.0 || d.count > 0 || d.forced)
            .map(|(e, d)| (model.events[e].label.clone(), d.clone()))
            .collect(),
        overrides: rec.overrides.clone(),
        public_vars: model
            .key_vars()
            .filter(|v| !hidden(*v))
            .map(|v| PublicVar {
                label: model.vars[v].label.clone(),
                before: before.vars[v],
                after: rec.result.state.vars[v],
                unit: model.vars[v].unit.clone(),
            })
            .collect(),
    }
}
