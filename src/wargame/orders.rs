//! Orders: what a team may submit, checked against the rules of the scenario.
//!
//! This module knows the scenario and the record of an order, not the game: `game.rs` checks orders on the
//! truth through it (`Game::check_orders`), `desk.rs` on a team's brief, so neither depends on the other here.

use crate::model::{LeverKindDef, Model};
use crate::scenario::diagnostics::closest;
use crate::scenario::schema::LeverValue;
use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};

/// A team's orders for one turn (the latest submission counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersRec {
    pub turn: u32,
    pub team: String,
    /// Lever settings (US team only), `(lever, value)` in human form; levers not named keep last turn's setting.
    #[serde(default)]
    pub levers: Vec<(String, String)>,
    /// Chosen action id, if any (for the US the model picks its action when none is given).
    #[serde(default)]
    pub action: Option<String>,
    /// Further actions, for an actor with lines of effort: at most one action per line in all (with `action`);
    /// lines left without an order are chosen by the model. Empty for actors without lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_actions: Vec<String>,
}

impl OrdersRec {
    /// Orders with `actions` (one per line; the first goes in `action`, as orders were stored before lines).
    pub fn new(turn: u32, team: String, levers: Vec<(String, String)>, actions: Vec<String>) -> OrdersRec {
        let mut it = actions.into_iter();
        OrdersRec {
            turn,
            team,
            levers,
            action: it.next(),
            more_actions: it.collect(),
        }
    }

    /// Every ordered action id.
    pub fn actions(&self) -> impl Iterator<Item = &String> {
        self.action.iter().chain(&self.more_actions)
    }
}

pub fn did_you_mean(name: &str, candidates: &[String]) -> String {
    match closest(name, candidates) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!("choose from: {}", candidates.join(", ")),
    }
}

/// The choice slot and option an ordered action `id` of actor `actor` fills: its line's slot for an actor with
/// lines, the actor's single slot otherwise. `hold` on an actor with lines is accepted per line only when
/// written `hold:<line>` (it then orders "no action on that line").
pub fn slot_of_order(model: &Model, actor: usize, id: &str) -> Result<(usize, u8)> {
    let a = &model.actors[actor];
    if a.lined
        && let Some(line) = id.strip_prefix("hold:")
    {
        let s = a
            .slots
            .clone()
            .find(|&s| model.slots[s].line.as_deref() == Some(line))
            .ok_or_else(|| {
                anyhow!(
                    "{} has no line `{line}`; its lines: {}",
                    a.name,
                    lines_of(model, actor).join(", ")
                )
            })?;
        return Ok((s, crate::model::HOLD));
    }
    match a.actions.iter().position(|x| x.id == id) {
        Some(k) => Ok((a.actions[k].slot, k as u8)),
        None => {
            let mut ids: Vec<String> = a.actions.iter().map(|x| x.id.clone()).collect();
            if a.lined {
                ids.extend(lines_of(model, actor).iter().map(|l| format!("hold:{l}")));
            }
            bail!("{} has no action `{id}`; {}", a.name, did_you_mean(id, &ids))
        }
    }
}

/// The names of actor `actor`'s lines of effort (empty for an actor without lines).
pub fn lines_of(model: &Model, actor: usize) -> Vec<String> {
    model.actors[actor]
        .slots
        .clone()
        .filter_map(|s| model.slots[s].line.clone())
        .collect()
}

/// Check that an order names at most one action per line (one action in all for an actor without lines).
pub fn check_one_per_line(model: &Model, actor: usize, o: &OrdersRec) -> Result<()> {
    let a = &model.actors[actor];
    let mut taken: Vec<(usize, &String)> = Vec::new();
    for id in o.actions() {
        let (s, _) = slot_of_order(model, actor, id)?;
        if let Some((_, prev)) = taken.iter().find(|(t, _)| *t == s) {
            match &model.slots[s].line {
                Some(line) => bail!(
                    "two actions on {}'s line `{line}`: `{prev}` and `{id}`; order at most one action per line \
                     (lines: {})",
                    a.name,
                    lines_of(model, actor).join(", ")
                ),
                None => bail!(
                    "{} picks one action per turn (got `{prev}` and `{id}`); give --action once",
                    a.name
                ),
            }
        }
        taken.push((s, id));
    }
    Ok(())
}

/// Parse `value` for lever `name`; returns (lever index, encoded value).
pub fn encode_lever(model: &Model, name: &str, value: &str) -> Result<(usize, f64)> {
    let ids: Vec<String> = model.levers.iter().map(|l| l.id.clone()).collect();
    let l = model
        .levers
        .iter()
        .position(|x| x.id == name)
        .ok_or_else(|| anyhow!("unknown lever `{name}`; {}", did_you_mean(name, &ids)))?;
    let def = &model.levers[l];
    let v = value.trim();
    let written = match &def.kind {
        LeverKindDef::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => LeverValue::Bool(true),
            "false" | "no" | "off" => LeverValue::Bool(false),
            _ => bail!("lever `{name}` is true or false (got `{v}`)"),
        },
        LeverKindDef::Level(lo, hi) => match v.parse::<f64>() {
            Ok(x) => LeverValue::Num(x),
            Err(_) => bail!("lever `{name}` takes a number in [{lo}, {hi}] (got `{v}`)"),
        },
        LeverKindDef::Enum(_) => LeverValue::Opt(v.to_string()),
    };
    let x = def.encode(&written).map_err(|e| anyhow!(e))?;
    Ok((l, x))
}

/// Parse `--set lever=value` arguments into normalised `(lever, value)` pairs.
pub fn parse_sets(model: &Model, sets: &[String]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for s in sets {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| anyhow!("`--set {s}`: write lever=value, e.g. `--set recognition=conditional`"))?;
        let name = name.trim();
        let (l, x) = encode_lever(model, name, value)?;
        if out.iter().any(|(n, _)| n == name) {
            bail!("lever `{name}` is set twice in one order");
        }
        out.push((model.levers[l].id.clone(), model.levers[l].show(x)));
    }
    Ok(out)
}

/// Check an order's form: a team of this game, the current turn, levers
/// only for the US, known levers and values, an action from the team's menu.
pub fn validate_form(
    model: &Model,
    teams: &[String],
    turns: u32,
    over: bool,
    current: u32,
    o: &OrdersRec,
) -> Result<()> {
    if !teams.contains(&o.team) {
        let why = if model.actors.iter().any(|a| a.id == o.team) {
            format!("`{}` is played by the model in this game", o.team)
        } else {
            format!("no team `{}`", o.team)
        };
        bail!(
            "{why}; the teams are {} ({})",
            teams.join(", "),
            did_you_mean(&o.team, teams)
        );
    }
    if over {
        bail!("the game is over ({turns} turns played); no more orders");
    }
    if o.turn != current {
        bail!("orders for turn {} but the game is at turn {current}", o.turn);
    }
    if o.team != "us" && !o.levers.is_empty() {
        bail!(
            "only the US team sets levers; team `{}` picks actions (--action, one per line of effort)",
            o.team
        );
    }
    if o.levers.is_empty() && o.actions().next().is_none() {
        bail!(
            "nothing to submit: give {}",
            if o.team == "us" {
                "lever settings (--set lever=value) and/or an action (--action)"
            } else {
                "an action (--action)"
            }
        );
    }
    for (name, value) in &o.levers {
        encode_lever(model, name, value)?;
    }
    let i = model
        .actors
        .iter()
        .position(|x| x.id == o.team)
        .expect("teams are actors");
    check_one_per_line(model, i, o)?;
    Ok(())
}

/// Check that the order's action is available under the levers that will be
/// in force: for the US team its own new settings, for other teams last
/// turn's (the US team's pending settings are secret until adjudication,
/// which checks every order again). `is_available(levers, k)` judges the
/// team's action `k`.
pub fn check_available(
    model: &Model,
    scenario_text: &str,
    o: &OrdersRec,
    in_force: &[f64],
    is_available: impl Fn(&[f64], usize) -> bool,
) -> Result<()> {
    let actor = model.actors.iter().find(|x| x.id == o.team).expect("teams are actors");
    let mut levers = in_force.to_vec();
    if o.team == "us" {
        for (name, value) in &o.levers {
            let (l, x) = encode_lever(model, name, value)?;
            levers[l] = x;
        }
    }
    for a in o.actions() {
        let Some(k) = actor.actions.iter().position(|x| &x.id == a) else {
            continue; // a line's `hold:<line>`: always available
        };
        check_one_available(scenario_text, actor, a, k, &levers, &is_available)?;
    }
    Ok(())
}

fn check_one_available(
    scenario_text: &str,
    actor: &crate::model::ActorDef,
    a: &str,
    k: usize,
    levers: &[f64],
    is_available: &impl Fn(&[f64], usize) -> bool,
) -> Result<()> {
    let levers = levers.to_vec();
    if !is_available(&levers, k) {
        let mut open: Vec<String> = (0..actor.actions.len())
            .filter(|&j| is_available(&levers, j))
            .map(|j| actor.actions[j].id.clone())
            .collect();
        // On a line, holding is always possible.
        if let Some(l) = &actor.actions[k].line {
            open.push(format!("hold:{l}"));
        }
        bail!(
            "action `{a}` ({}) is not available to {} now: its precondition `{}` does not hold in the \
             current state. Available now: {}",
            actor.actions[k].label,
            actor.name,
            precondition_text(scenario_text, &actor.id, a).unwrap_or_else(|| "when".into()),
            open.join(", ")
        );
    }
    Ok(())
}

/// The precondition of an action as written in the scenario file.
pub fn precondition_text(scenario_text: &str, actor: &str, action: &str) -> Option<String> {
    let opts = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let file: crate::scenario::schema::ScenarioFile = opts.from_str(scenario_text).ok()?;
    let a = file.actors.into_iter().find(|x| x.id == actor)?;
    a.actions.into_iter().find(|x| x.id == action)?.when
}
