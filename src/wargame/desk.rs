//! A game as a team (or anyone who can read the folder) sees it: the public
//! record of the log, and with a team's passphrase that team's brief and
//! its own pending orders. Nothing here opens the white cell's secrets
//! except `team_passphrase` given the white-cell key.

use super::brief::Brief;
use super::game::{
    ClockEntry, GameInfo, GameSecret, NewRecord, OrdersEntry, OrdersRec, TurnEntry, brief_context, orders_context,
    secret_context,
};
use super::keys::{Credentials, Passphrase, Sealed, WhiteKey, open};
use super::log::{GameLock, Log};
use super::messages::{Message, MessageEntry};
use super::{SCENARIO_FILE, orders};
use crate::model::Model;
use crate::scenario::{self, Loaded};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Desk {
    pub dir: PathBuf,
    pub loaded: Loaded,
    pub info: GameInfo,
    pub log: Log,
    pub(crate) secret: Sealed,
    pub turns_played: u32,
    /// The teams' sealed briefs for the current turn.
    pub(crate) briefs: BTreeMap<String, Sealed>,
    /// The latest sealed submission of each team for the current turn.
    pub pending: BTreeMap<String, Sealed>,
    /// Every message of the game, sealed to its readers (`messages.rs`).
    pub messages: Vec<MessageEntry>,
    /// The white cell's deadline for the current turn, if it set one (public).
    pub clock: Option<ClockEntry>,
    pub(crate) lock: GameLock,
}

/// Check team `o.team`'s orders against what the team knows (its brief) in a game described by `info`: the
/// form, then each action's precondition on the team's estimates. `Desk::check` and the server's in-memory
/// game (`Game::check_as_team`) both check with this.
pub(crate) fn check_team_orders(
    model: &Model,
    scenario_text: &str,
    info: &GameInfo,
    over: bool,
    current_turn: u32,
    brief: &Brief,
    o: &OrdersRec,
) -> Result<()> {
    orders::validate_form(model, &info.teams, info.turns, over, current_turn, o)?;
    let actor = model
        .actors
        .iter()
        .position(|a| a.id == o.team)
        .with_context(|| format!("no actor `{}` in the scenario", o.team))?;
    orders::check_available(model, scenario_text, o, &brief.levers, |levers, k| {
        brief.available(model, actor, k, levers)
    })
}

impl Desk {
    /// Open the game in `dir`, verify the log's chain and read its public record.
    pub fn open(dir: &Path) -> Result<Desk> {
        if !dir.is_dir() {
            bail!(
                "no game at {}: the folder does not exist (create one with `greatgame wargame new --game {} --key-out FILE`)",
                dir.display(),
                dir.display()
            );
        }
        Desk::open_locked(dir, GameLock::exclusive(dir)?)
    }

    /// Open the game in `dir` under `lock`, the folder's lock the caller already holds.
    pub fn open_locked(dir: &Path, lock: GameLock) -> Result<Desk> {
        let log = Log::open(dir)?;
        if let Some(msg) = &log.dropped_tail {
            eprintln!("warning: {msg}");
        }
        let path = log.path().display().to_string();
        let first = &log.entries[0];
        if first.kind != "new" {
            bail!(
                "{path}:1: the first record must create the game (found `{}`)",
                first.kind
            );
        }
        let new: NewRecord = serde_json::from_value(first.data.clone()).with_context(|| {
            format!("{path}:1: the game record is malformed (a game made by an older greatgame, without secrecy, cannot be opened: start a new one)")
        })?;
        let scenario_path = dir.join(SCENARIO_FILE);
        let loaded = scenario::load(Some(&scenario_path))?;
        if loaded.sha256 != new.game.scenario_sha256 {
            bail!(
                "{} was changed after the game was created (sha256 {} but the log says {}); the game can only be \
                 continued with the scenario it started with",
                scenario_path.display(),
                loaded.sha256,
                new.game.scenario_sha256
            );
        }
        let mut desk = Desk {
            dir: dir.to_path_buf(),
            loaded,
            info: new.game,
            secret: new.secret,
            turns_played: 0,
            briefs: new.briefs,
            pending: BTreeMap::new(),
            messages: Vec::new(),
            clock: None,
            log,
            lock,
        };
        let entries = desk.log.entries.clone();
        for e in entries.iter().skip(1) {
            let at = format!("{path}:{}", e.seq);
            match e.kind.as_str() {
                "orders" => {
                    let o: OrdersEntry =
                        serde_json::from_value(e.data.clone()).with_context(|| format!("{at}: malformed orders"))?;
                    if o.turn != desk.current_turn() || !desk.is_team(&o.team) {
                        bail!(
                            "{at}: orders of `{}` for turn {} recorded during turn {}",
                            o.team,
                            o.turn,
                            desk.current_turn()
                        );
                    }
                    desk.pending.insert(o.team, o.sealed);
                }
                "turn" => {
                    let t: TurnEntry = serde_json::from_value(e.data.clone())
                        .with_context(|| format!("{at}: malformed turn record"))?;
                    if t.turn != desk.current_turn() || desk.is_over() {
                        bail!("{at}: turn {} recorded during turn {}", t.turn, desk.current_turn());
                    }
                    desk.turns_played += 1;
                    desk.briefs = t.briefs;
                    desk.pending.clear();
                    desk.clock = None;
                }
                "clock" => {
                    desk.clock = Some(ClockEntry::from_log(
                        &e.data,
                        &at,
                        desk.current_turn(),
                        desk.info.turns,
                    )?);
                }
                "message" => {
                    let m: MessageEntry =
                        serde_json::from_value(e.data.clone()).with_context(|| format!("{at}: malformed message"))?;
                    if m.n as usize != desk.messages.len() + 1 {
                        bail!("{at}: message {} where {} was expected", m.n, desk.messages.len() + 1);
                    }
                    desk.messages.push(m);
                }
                other => bail!("{at}: unknown record kind `{other}`"),
            }
        }
        Ok(desk)
    }

    pub fn model(&self) -> &Model {
        &self.loaded.model
    }

    pub fn current_turn(&self) -> u32 {
        self.turns_played + 1
    }

    pub fn is_over(&self) -> bool {
        self.turns_played >= self.info.turns
    }

    pub fn date(&self, k: u32) -> String {
        self.model().calendar.label(self.info.start_turn + k - 1)
    }

    pub fn is_team(&self, actor: &str) -> bool {
        self.info.teams.iter().any(|t| t == actor)
    }

    /// Refuse a team that is not in the game, with the reason.
    pub fn require_team(&self, team: &str) -> Result<()> {
        if self.is_team(team) {
            return Ok(());
        }
        let ids = self.info.teams.clone();
        let why = if self.model().actors.iter().any(|a| a.id == team) {
            format!("`{team}` is played by the model in this game")
        } else {
            format!("no team `{team}`")
        };
        bail!(
            "{why}; the teams are {} ({})",
            ids.join(", "),
            orders::did_you_mean(team, &ids)
        )
    }

    /// Check the white-cell key against the log and open the game's secret.
    pub fn white_secret(&self, key: &WhiteKey) -> Result<GameSecret> {
        if key.check() != self.info.white_check {
            bail!(
                "this white-cell key does not belong to the game in {} (each game has its own key; use the file \
                 `wargame new --key-out` wrote for it)",
                self.dir.display()
            );
        }
        open(&key.seal_key(), &secret_context(), &self.secret)
            .with_context(|| format!("{}:1: the game's secret", self.log.path().display()))
    }

    /// Team `team`'s passphrase from the credentials: its passphrase (checked),
    /// or the white-cell key (which derives every team's).
    pub fn team_passphrase(&self, team: &str, creds: &Credentials) -> Result<Passphrase> {
        self.require_team(team)?;
        let want = self.info.team_checks.get(team).with_context(|| {
            format!(
                "{}:1: the game record holds no passphrase check for team `{team}`",
                self.log.path().display()
            )
        })?;
        if let Some(text) = &creds.passphrase {
            let p = Passphrase::parse(text)?;
            if &p.check(team) != want {
                let other = self
                    .info
                    .team_checks
                    .iter()
                    .find(|(t, c)| **c == p.check(t))
                    .map(|(t, _)| t.clone());
                match other {
                    Some(t) => bail!(
                        "refused: that is team `{t}`'s passphrase, not team `{team}`'s; a team sees and orders only for itself"
                    ),
                    None => bail!(
                        "refused: wrong passphrase for team `{team}` (check it against the slip the white cell handed out)"
                    ),
                }
            }
            return Ok(p);
        }
        if creds.key.is_some() {
            return self.white_passphrase(team, &creds.white_key("this")?);
        }
        bail!(
            "team `{team}`'s passphrase is needed: give --passphrase (or set {}); the white cell handed it out at the \
             start of the game",
            super::keys::PASSPHRASE_ENV
        )
    }

    /// Team `team`'s passphrase, derived with the white-cell key.
    pub fn white_passphrase(&self, team: &str, key: &WhiteKey) -> Result<Passphrase> {
        self.require_team(team)?;
        let secret = self.white_secret(key)?;
        Ok(key.passphrase(secret.seed, team))
    }

    /// The team's brief for the current turn.
    pub fn brief(&self, team: &str, pass: &Passphrase) -> Result<Brief> {
        let sealed = self
            .briefs
            .get(team)
            .with_context(|| format!("the log holds no brief for team `{team}`"))?;
        open(&pass.seal_key(team), &brief_context(self.current_turn(), team), sealed)
            .with_context(|| format!("{}: team `{team}`'s brief", self.log.path().display()))
    }

    /// The team's own pending orders, if it submitted any this turn.
    pub fn own_orders(&self, team: &str, pass: &Passphrase) -> Result<Option<OrdersRec>> {
        self.pending
            .get(team)
            .map(|s| open(&pass.seal_key(team), &orders_context(self.current_turn(), team), s))
            .transpose()
    }

    /// The messages team `team` sent or received, opened with its passphrase.
    pub fn messages_for(&self, team: &str, pass: &Passphrase) -> Result<Vec<Message>> {
        super::messages::open_team(team, pass, &self.messages)
            .with_context(|| format!("{}: team `{team}`'s messages", self.log.path().display()))
    }

    /// Every message of the game, opened with the white-cell key (checked against the game first).
    pub fn messages_for_white(&self, key: &WhiteKey) -> Result<Vec<Message>> {
        self.white_secret(key)?;
        self.messages
            .iter()
            .map(|e| {
                super::messages::open_white(key, e)
                    .with_context(|| format!("{}: message {}", self.log.path().display(), e.n))
            })
            .collect()
    }

    /// Check team `o.team`'s orders against what it knows, seal and record them.
    pub fn submit(&mut self, o: OrdersRec, pass: &Passphrase) -> Result<()> {
        self.check(&o, pass)?;
        let entry = OrdersEntry::seal(&o, pass)?;
        self.log.append("orders", &entry)?;
        self.pending.insert(o.team, entry.sealed);
        Ok(())
    }

    /// Check team `o.team`'s orders against what it knows, without recording them (what `submit` checks;
    /// the server's preview of a team's orders).
    pub fn check(&self, o: &OrdersRec, pass: &Passphrase) -> Result<()> {
        let brief = self.brief(&o.team, pass)?;
        check_team_orders(
            self.model(),
            &self.loaded.text,
            &self.info,
            self.is_over(),
            self.current_turn(),
            &brief,
            o,
        )
    }

    /// The last record's sequence number and hash (note it to detect a rolled-back log).
    pub fn head(&self) -> (u64, String) {
        (self.log.entries.len() as u64, self.log.last_hash().to_string())
    }
}
