//! `wargame new`: the roster, the seed, the start state and the log.

use super::SCENARIO_FILE;
use super::brief::seal_all;
use super::game::{GameInfo, GameSecret, NewGame, NewRecord, Snapshot, StartAnchoring, secret_context};
use super::keys::{Passphrase, WhiteKey, seal};
use super::log::{LOG_FILE, Log};
use super::visibility::default_hidden;
use crate::calibrate::file::PickedMember;
use crate::model::time::Period;
use crate::model::{Model, TrialState};
use crate::present::{Anchor, Anchoring};
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
    /// Write a new white-cell key to this file (outside the game folder).
    pub key_out: Option<&'a Path>,
    /// Or use an existing white-cell key file (one key for several classes).
    pub key: Option<&'a Path>,
    /// `--ensemble FILE` (default: found as for every command) and `--no-ensemble`.
    pub ensemble: Option<&'a Path>,
    pub no_ensemble: bool,
    /// `--free-history`: let the status-quo history to the start run free instead of anchoring it to the known
    /// present (as `run --free-history`).
    pub free_history: bool,
}

/// A created game: its configuration, the white-cell key and each team's passphrase.
pub struct Created {
    pub config: NewGame,
    pub key: WhiteKey,
    pub passphrases: Vec<(String, Passphrase)>,
    /// The scenario's decision date (model turn): a game that starts before it cannot be anchored.
    pub decision_turn: u32,
}

/// Refuse a new key file inside the game folder (which is meant to be shared), or in a folder that does not
/// exist; `option` names the option that gave it (`--key-out` for `wargame new`, `--key` for `serve`).
pub fn check_key_out(key_out: &Path, game: &Path, option: &str) -> Result<()> {
    // Resolved through the nearest existing folder, so `..` and symbolic links do not hide the game folder.
    let abs = |p: &Path| -> std::path::PathBuf {
        let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let mut head = p.as_path();
        let mut tail = Vec::new();
        while !head.exists() {
            match (head.parent(), head.file_name()) {
                (Some(up), Some(name)) => {
                    tail.push(name.to_owned());
                    head = up;
                }
                _ => return p.clone(),
            }
        }
        let mut out = head.canonicalize().unwrap_or_else(|_| head.to_path_buf());
        out.extend(tail.iter().rev());
        out
    };
    let (k, g) = (abs(key_out), abs(game));
    if k.starts_with(&g) {
        bail!(
            "{option} {} is inside the game folder {}, which the teams can read; keep the white-cell key elsewhere \
             (e.g. {option} ~/{}.key on the instructor's machine)",
            key_out.display(),
            game.display(),
            g.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "game".into())
        );
    }
    if let Some(parent) = k.parent()
        && !parent.is_dir()
    {
        bail!(
            "{option} {}: the folder {} does not exist; create it first or choose another place",
            key_out.display(),
            parent.display()
        );
    }
    Ok(())
}

/// Create the game folder (atomically: it appears complete or not at all)
/// and its white-cell key.
pub fn create(opts: &NewOptions) -> Result<Created> {
    if opts.game.join(LOG_FILE).exists() {
        bail!(
            "{} already holds a game; choose another --game folder (or delete this one to start over)",
            opts.game.display()
        );
    }
    // Only a new or empty folder: anything else (a file, a folder with files,
    // an earlier result) is refused before anything is written.
    let staging = Staging::new_game(opts.game)?;
    let key = match (opts.key_out, opts.key) {
        (Some(_), Some(_)) => bail!("give either --key-out (a new key) or --key (an existing key), not both"),
        (Some(out), None) => {
            check_key_out(out, opts.game, "--key-out")?;
            if out.exists() {
                bail!(
                    "--key-out {}: the file exists; greatgame never overwrites a key (use it with --key, or name a new file)",
                    out.display()
                );
            }
            WhiteKey::generate()?
        }
        (None, Some(k)) => WhiteKey::read(k)?,
        (None, None) => bail!(
            "a game needs a white-cell key: add --key-out FILE to create one (a file outside the game folder, kept \
             off the shared drive), or --key FILE to use an existing one"
        ),
    };
    let mut loaded = scenario::load(opts.scenario)?;
    // The game's hidden truth is one member of the calibrated ensemble, drawn from the game seed as trial 0 of a
    // run draws its member; the scenario copy in the folder stays the nominal text the teams may read.
    let member = PickedMember::draw(&loaded, opts.scenario, opts.ensemble, opts.no_ensemble, opts.seed, 0)?;
    if let Some(m) = &member {
        loaded.model = m.model(&loaded)?;
    }
    // The known present, read now so that its text can be sealed with the game (replay reads it from there).
    let present = match opts.free_history {
        true => None,
        false => Anchor::source_for(opts.scenario)?,
    };
    let mut config = new_game(&loaded, opts, &key, present)?;
    config.member = member;
    let passphrases: Vec<(String, Passphrase)> = config
        .teams
        .iter()
        .map(|t| (t.clone(), key.passphrase(config.seed, t)))
        .collect();
    let start = config.start_state.restore(&loaded.model)?;
    let briefs = seal_all(
        &loaded.model,
        &config,
        &key,
        &start,
        1,
        &vec![0; loaded.model.events.len()],
        None,
    )?;
    let record = NewRecord {
        game: config.info.clone(),
        secret: seal(
            &key.seal_key(),
            &secret_context(),
            &GameSecret {
                seed: config.seed,
                start_state: config.start_state.clone(),
                member: config.member.clone(),
                present: config.present.clone(),
            },
        )?,
        briefs,
    };
    std::fs::write(staging.path().join(SCENARIO_FILE), &loaded.text)
        .with_context(|| format!("copying the scenario into {}", staging.path().display()))?;
    let mut log = Log::create(staging.path());
    log.append("new", &record)?;
    if let Some(out) = opts.key_out {
        key.write_new(out, opts.game)?;
    }
    if let Err(e) = staging.commit() {
        if let Some(out) = opts.key_out {
            // The key of a game that was not created: this command wrote it a moment ago.
            let _ = std::fs::remove_file(out);
        }
        return Err(e);
    }
    Ok(Created {
        config,
        key,
        passphrases,
        decision_turn: loaded.model.decision_turn,
    })
}

fn new_game(loaded: &Loaded, opts: &NewOptions, key: &WhiteKey, present: Option<(String, String)>) -> Result<NewGame> {
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
    let anchor = match &present {
        Some((text, origin)) if start_turn >= model.decision_turn => Some(Anchor::from_str(model, text, origin)?),
        _ => None,
    };
    let (st, anchoring) = start_history(model, opts.seed, start_turn, anchor.as_ref());
    let present = match (present, anchor, anchoring) {
        (Some((text, origin)), Some(a), Some(fit)) => Some(StartAnchoring {
            origin,
            sha256: a.sha256,
            text,
            attempts: fit.attempts,
            accepted: fit.accepted,
        }),
        _ => None,
    };
    let team_checks = teams
        .iter()
        .map(|t| (t.clone(), key.passphrase(opts.seed, t).check(t)))
        .collect();
    Ok(NewGame {
        info: GameInfo {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            scenario_origin: loaded.origin.clone(),
            scenario_sha256: loaded.sha256.clone(),
            teams,
            start: cal.label(start_turn),
            start_turn,
            turns: opts.turns,
            hidden: default_hidden(model),
            white_check: key.check(),
            team_checks,
        },
        seed: opts.seed,
        start_state: Snapshot::of(&st),
        member: None,
        present,
    })
}

/// The world at a game's first turn: trial 0 of the game seed under the baseline, its history to the decision date
/// anchored to `anchor` when the game starts at or after that date — the state trial 0 of a `run` with the same
/// seed (and ensemble member) has there, so a game starts in the world the run's charts describe. A game that starts
/// earlier plays through the known years itself, and its history runs free.
fn start_history(
    model: &Model,
    seed: u64,
    start_turn: u32,
    anchor: Option<&Anchor>,
) -> (TrialState, Option<Anchoring>) {
    let mut st = model.new_trial(seed, 0);
    let mut anchoring = None;
    if let Some(a) = anchor
        && start_turn >= model.decision_turn
    {
        let (s, fit) = a.history(model, st, model.decision_turn, |_| {});
        st = s;
        anchoring = Some(fit);
    }
    while st.turn < start_turn {
        model.step(&mut st, model.baseline);
    }
    (st, anchoring)
}

/// The start state recomputed from the scenario and the sealed present (for `replay`), and whether the anchoring
/// drew the same history as when the game was made.
pub fn recompute_start(
    loaded: &Loaded,
    seed: u64,
    start_turn: u32,
    present: Option<&StartAnchoring>,
) -> Result<Snapshot> {
    let model = &loaded.model;
    let anchor = match present {
        None => None,
        Some(p) => {
            let a = Anchor::from_str(model, &p.text, &p.origin)?;
            if a.sha256 != p.sha256 {
                bail!(
                    "the known present sealed in the log (from {}) does not match its recorded SHA-256: the log was edited",
                    p.origin
                );
            }
            Some(a)
        }
    };
    let (st, fit) = start_history(model, seed, start_turn, anchor.as_ref());
    if let (Some(p), Some(fit)) = (present, fit)
        && (fit.attempts, fit.accepted) != (p.attempts, p.accepted)
    {
        bail!(
            "the anchored history to the start took {} attempt(s) (fits: {}) where the log records {} ({}): a \
             different build, or an edited log",
            fit.attempts,
            fit.accepted,
            p.attempts,
            p.accepted
        );
    }
    Ok(Snapshot::of(&st))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::runner::TrialDriver;

    /// A game that starts at the decision date starts where trial 0 of a `run` with the game's seed is at that
    /// date (same anchored history, same attempts), and the known present's hard facts hold in it.
    #[test]
    fn a_game_at_the_decision_date_starts_where_trial_0_of_a_run_does() {
        let loaded = scenario::load(None).unwrap();
        let model = &loaded.model;
        let anchor = Anchor::for_scenario(model, None).unwrap().unwrap();
        let russia = model.events.iter().position(|e| e.id == "recognition_russia").unwrap();
        let mut retried = false;
        for seed in 1..=12 {
            let (game, fit) = start_history(model, seed, model.decision_turn, Some(&anchor));
            let fit = fit.expect("a game at the decision date is anchored");
            retried |= fit.attempts > 1;
            let mut run = model.clone();
            run.present = Some(std::sync::Arc::new(Anchor::for_scenario(&run, None).unwrap().unwrap()));
            let mut driver = TrialDriver::new(&run);
            let st = driver.start(&run, seed, 0);
            driver.run_trial(&run, st, &[run.baseline], &mut |_, _| {}, &mut |_, _, _| {});
            let (vars, counts) = driver.decision_state(&run, 0);
            assert_eq!(game.turn, model.decision_turn);
            assert_eq!(game.vars, vars, "seed {seed}");
            assert_eq!(game.event_counts, counts, "seed {seed}");
            assert_eq!(driver.anchoring(), Some(fit), "seed {seed}");
            assert_eq!(
                game.event_counts[russia], 1,
                "seed {seed}: Russia recognised in 2025Q3, once"
            );
        }
        assert!(
            retried,
            "some seed's first history is rejected, so a retry is exercised"
        );
        // A later start continues the anchored history under the baseline; an earlier one runs free.
        let later = model.decision_turn + 2;
        let (st, fit) = start_history(model, 3, later, Some(&anchor));
        assert!(fit.is_some() && st.turn == later);
        let (st, fit) = start_history(model, 3, 4, Some(&anchor));
        assert!(fit.is_none() && st.turn == 4);
    }

    /// Logs written before games were anchored have no `present` in their secret: they read as free starts.
    #[test]
    fn a_secret_without_a_present_reads_as_a_free_start() {
        let loaded = scenario::load(None).unwrap();
        let st = loaded.model.new_trial(1, 0);
        let secret = serde_json::json!({ "seed": 1, "start_state": Snapshot::of(&st) });
        let secret: GameSecret = serde_json::from_value(secret).unwrap();
        assert!(secret.present.is_none() && secret.member.is_none());
    }
}
