//! Live updates: a watcher notices every new record of the game log, whoever wrote it (this server, or the
//! command line on the same folder), and tells the open pages through server-sent events.
//!
//! An event carries only its kind and the turn (`turn`, `message`, `orders`, `clock`), never content: a page
//! that hears one fetches its own view again through the same authenticated route, so live updates cannot leak
//! what the route would not show. A `message` event goes only to its readers and an `orders` event only to the
//! submitting team and the white cell (the log's public part says who they are). A `clock` event follows the
//! white cell's deadline (a `clock` record); the watcher also notices the log that appears when a game is made
//! from the set-up page.

use super::auth::WHITE_CELL;
use crate::wargame::log::{LOG_FILE, Log};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::sync::broadcast;

/// One notification.
#[derive(Debug, Clone)]
pub struct Note {
    pub kind: &'static str,
    pub turn: u32,
    /// Who may hear it (`None`: everyone; the white cell hears everything).
    pub readers: Option<Vec<String>>,
}

impl Note {
    pub fn heard_by(&self, who: &str) -> bool {
        who == WHITE_CELL || self.readers.as_ref().is_none_or(|r| r.iter().any(|x| x == who))
    }
}

/// How often the watcher looks at the log's size and time stamp.
const POLL: Duration = Duration::from_millis(300);

fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// Watch `dir`'s log and send a note for every record appended after `seen` records.
pub async fn watch(dir: PathBuf, tx: broadcast::Sender<Note>, on_turn: impl Fn(u32) + Send + 'static) {
    let path = dir.join(LOG_FILE);
    let mut last = stamp(&path);
    let mut seen = Log::open(&dir).map(|l| l.entries.len()).unwrap_or(0);
    loop {
        tokio::time::sleep(POLL).await;
        let now = stamp(&path);
        if now == last {
            continue;
        }
        last = now;
        let d = dir.clone();
        let Ok(Ok(log)) = tokio::task::spawn_blocking(move || Log::open(&d)).await else {
            continue;
        };
        let mut turn = log.entries.iter().filter(|e| e.kind == "turn").count() as u32 + 1;
        let new: Vec<_> = log.entries.iter().skip(seen.min(log.entries.len())).collect();
        turn -= new.iter().filter(|e| e.kind == "turn").count() as u32;
        for e in new {
            let note = match e.kind.as_str() {
                "turn" => {
                    turn += 1;
                    on_turn(turn);
                    Note {
                        kind: "turn",
                        turn,
                        readers: None,
                    }
                }
                "message" => Note {
                    kind: "message",
                    turn,
                    readers: e
                        .data
                        .get("sealed")
                        .and_then(|s| s.as_object())
                        .map(|m| m.keys().cloned().collect()),
                },
                "clock" => Note {
                    kind: "clock",
                    turn,
                    readers: None,
                },
                "orders" => Note {
                    kind: "orders",
                    turn,
                    readers: Some(
                        e.data
                            .get("team")
                            .and_then(|t| t.as_str())
                            .map(|t| vec![t.to_string()])
                            .unwrap_or_default(),
                    ),
                },
                _ => continue,
            };
            let _ = tx.send(note);
        }
        seen = log.entries.len();
    }
}
