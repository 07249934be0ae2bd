//! Messages between teams and the white cell (negotiation is half of a wargame).
//!
//! Messages are records of the game log (kind `message`), so they are hash-chained and crash-safe like orders,
//! and they survive a restart of `greatgame serve`. Each message is sealed once per reader: the sender (a team),
//! the recipient (a team, every team for `all`, or the white cell) and always the white cell. Who wrote to whom
//! is inside the seal; the log shows only how many copies there are and for whom. Sealing a copy for another team
//! needs that team's key, which only the white cell can derive: messages are sent through the server (which
//! holds the white-cell key), and read by a team with its own passphrase (`Desk::messages_for`).

use super::keys::{Passphrase, SealKey, Sealed, WhiteKey, open, seal};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The recipient (and reader) id of the white cell.
pub const WHITE: &str = "white";
/// The recipient id of a message to every team.
pub const ALL: &str = "all";
/// The longest message, in characters (a message is a note, not a document; it also bounds the log).
pub const MAX_CHARS: usize = 2000;

/// One message as its readers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Number of the message in the game (1, 2, …).
    pub n: u32,
    /// The game turn during which it was sent.
    pub turn: u32,
    /// A team id, or `white`.
    pub from: String,
    /// A team id, `white`, or `all`.
    pub to: String,
    pub text: String,
}

/// A message as logged: one sealed copy per reader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageEntry {
    pub n: u32,
    pub sealed: BTreeMap<String, Sealed>,
}

/// Sealing context of reader `reader`'s copy of message `n`.
pub fn context(n: u32, reader: &str) -> String {
    format!("message|{n}|{reader}")
}

/// The readers of a message from `from` to `to` in a game with `teams`: sender, recipients, white cell.
pub fn readers(teams: &[String], from: &str, to: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![WHITE.to_string()];
    let mut add = |r: &str| {
        if !out.iter().any(|x| x == r) {
            out.push(r.to_string());
        }
    };
    add(from);
    if to == ALL {
        teams.iter().for_each(|t| add(t));
    } else {
        add(to);
    }
    out
}

/// Check a message's sender, recipient and text.
pub fn check(teams: &[String], from: &str, to: &str, text: &str) -> Result<()> {
    let known = |x: &str| x == WHITE || teams.iter().any(|t| t == x);
    if !known(from) {
        bail!("no team `{from}` in this game");
    }
    if !(known(to) || to == ALL) {
        bail!(
            "no recipient `{to}`: write to a team ({}), `white` (the white cell) or `all`",
            teams.join(", ")
        );
    }
    if from == to {
        bail!("a message to oneself is a note: keep it on paper");
    }
    let text = text.trim();
    if text.is_empty() {
        bail!("the message is empty");
    }
    if text.chars().count() > MAX_CHARS {
        bail!("the message is longer than {MAX_CHARS} characters; split it");
    }
    Ok(())
}

/// The key that seals reader `reader`'s copy.
fn reader_key(white: &WhiteKey, seed: u64, reader: &str) -> SealKey {
    if reader == WHITE {
        white.seal_key()
    } else {
        white.passphrase(seed, reader).seal_key(reader)
    }
}

/// Seal `m` for each of its readers (the white cell's path: it derives every team's key).
pub fn seal_for_readers(white: &WhiteKey, seed: u64, teams: &[String], m: &Message) -> Result<MessageEntry> {
    check(teams, &m.from, &m.to, &m.text)?;
    let mut sealed = BTreeMap::new();
    for r in readers(teams, &m.from, &m.to) {
        sealed.insert(r.clone(), seal(&reader_key(white, seed, &r), &context(m.n, &r), m)?);
    }
    Ok(MessageEntry { n: m.n, sealed })
}

/// Open the white cell's copy of a logged message.
pub fn open_white(white: &WhiteKey, e: &MessageEntry) -> Result<Message> {
    let s = e.sealed.get(WHITE).context("a message without the white cell's copy")?;
    let m: Message = open(&white.seal_key(), &context(e.n, WHITE), s)?;
    if m.n != e.n {
        bail!("a sealed message was moved from another record");
    }
    Ok(m)
}

/// Open team `team`'s copies among `entries` (messages it sent or received).
pub fn open_team(team: &str, pass: &Passphrase, entries: &[MessageEntry]) -> Result<Vec<Message>> {
    let key = pass.seal_key(team);
    entries
        .iter()
        .filter_map(|e| e.sealed.get(team).map(|s| (e.n, s)))
        .map(|(n, s)| open(&key, &context(n, team), s))
        .collect()
}

/// Messages as text for a terminal, oldest first: `#N turn T, FROM → TO:` and the text, indented. `reader` is
/// whose messages they are (for the heading).
pub fn as_text(reader: &str, msgs: &[Message]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if msgs.is_empty() {
        let _ = writeln!(s, "No messages for {reader} yet.");
        return s;
    }
    let _ = writeln!(s, "Messages for {reader} ({}):", msgs.len());
    for m in msgs {
        let name = |x: &str| match x {
            WHITE => "white cell".to_string(),
            ALL => "all teams".to_string(),
            t => t.to_string(),
        };
        let _ = writeln!(s, "#{} turn {}, {} → {}:", m.n, m.turn, name(&m.from), name(&m.to));
        for line in m.text.lines() {
            let _ = writeln!(s, "    {line}");
        }
    }
    s
}
