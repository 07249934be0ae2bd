//! `wargame new`: the roster, the seed, the start state and the log.

use super::SCENARIO_FILE;
use super::game::{NewGame, Snapshot};
use super::log::{LOG_FILE, Log};
use super::visibility::default_hidden;
use crate::model::time::Period;
use crate::report::staging::Staging;
use crate::scenario::diagnostics::closest;
use crate::scenario::{self, Loaded};
use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;

pub struct NewOptions<'a> {
    pub scenario: Option<&'a Path>,
    pub teams: &'a [String],
    pub start: Option<&'a str>,
    pub turns: u32,
    pub seed: u64,
    pub game: &'a Path,
}

/// Create the game folder (atomically: it appears complete or not at all).
pub fn create(opts: &NewOptions) -> Result<NewGame> {
    if opts.game.join(LOG_FILE).exists() {
        bail!(
            "{} already holds a game; choose another --game folder (or delete this one to start over)",
            opts.game.display()
        );
    }
    // Only a new or empty folder: anything else (a file, a folder with files,
    // an earlier result) is refused before anything is written.
    let staging = Staging::new_game(opts.game)?;
    let loaded = scenario::load(opts.scenario)?;
    let config = new_game(&loaded, opts)?;
    std::fs::write(staging.path().join(SCENARIO_FILE), &loaded.text)
        .with_context(|| format!("copying the scenario into {}", staging.path().display()))?;
    let mut log = Log::create(staging.path());
    log.append("new", &config)?;
    staging.commit()?;
    Ok(config)
}

fn new_game(loaded: &Loaded, opts: &NewOptions) -> Result<NewGame> {
    let model = &loaded.model;
    let ids: Vec<String> = model.actors.iter().map(|a| a.id.clone()).collect();
    let mut teams: Vec<String> = Vec::new();
    for t in opts
        .teams
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if !ids.iter().any(|i| i == t) {
            let hint = closest(t, &ids)
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| format!("actors: {}", ids.join(", ")));
            bail!("--teams: no actor `{t}` in the scenario; {hint}");
        }
        if teams.iter().any(|x| x == t) {
            bail!("--teams: `{t}` is listed twice");
        }
        teams.push(t.to_string());
    }
    if teams.is_empty() {
        bail!("--teams: name at least one actor to be played by a team, e.g. --teams us,taliban");
    }
    let cal = model.calendar;
    let start_turn = match opts.start {
        None => model.decision_turn,
        Some(s) => {
            let p = Period::parse(s, cal.per_year).map_err(|e| anyhow!("--start: {e}"))?;
            let t = p.turns_since(cal.start, cal.per_year);
            if t < 0 || t >= model.turns as i64 {
                bail!(
                    "--start {s} is outside the scenario ({} to {})",
                    cal.label(0),
                    cal.label(model.turns - 1)
                );
            }
            t as u32
        }
    };
    let room = model.turns - start_turn;
    if opts.turns == 0 || opts.turns > room {
        bail!(
            "--turns must be between 1 and {room} (the scenario ends at {}; a game starting {} has {room} turns left)",
            cal.label(model.turns - 1),
            cal.label(start_turn)
        );
    }
    // The status-quo history up to the start: trial 0 of the game seed.
    let mut st = model.new_trial(opts.seed, 0);
    while st.turn < start_turn {
        model.step(&mut st, model.baseline);
    }
    Ok(NewGame {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        scenario_origin: loaded.origin.clone(),
        scenario_sha256: loaded.sha256.clone(),
        seed: opts.seed,
        teams,
        start: cal.label(start_turn),
        start_turn,
        turns: opts.turns,
        hidden: default_hidden(model),
        start_state: Snapshot::of(&st),
    })
}

/// The start state recomputed from the scenario (for `replay`).
pub fn recompute_start(loaded: &Loaded, seed: u64, start_turn: u32) -> Snapshot {
    let model = &loaded.model;
    let mut st = model.new_trial(seed, 0);
    while st.turn < start_turn {
        model.step(&mut st, model.baseline);
    }
    Snapshot::of(&st)
}
