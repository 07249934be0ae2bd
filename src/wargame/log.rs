//! The game log: JSON lines, append-only, hash-chained.
//!
//! Every line is one record `{"seq":N,"prev":"<hex>","kind":"…","data":{…},"hash":"<hex>"}`.
//! `hash` is the SHA-256 of the previous record's hash, a newline, and the
//! line's own bytes without the `,"hash":"…"` suffix. The chain makes a hand
//! edit anywhere in the file (or a record removed from the middle) visible,
//! and the message names the line.
//!
//! Durability: a command never edits the file in place. It writes the whole
//! new log to a temporary file, syncs it, and renames it over the old one
//! (then syncs the folder), so after a crash or `kill -9` the log is either the
//! old one or the new one: at most the command in flight is lost. A final line
//! that is cut short (no newline and not a valid record: a copy taken mid-write,
//! a file system without atomic rename) is treated as that lost command: it is
//! reported and dropped, and the next command rewrites the log without it. A
//! complete line that fails its check is never dropped: that is an error.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const LOG_FILE: &str = "log.jsonl";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// `,"hash":"` + 64 hex digits + `"}`.
const HASH_SUFFIX_LEN: usize = 9 + 64 + 2;

/// One record as stored (without its hash, which is checked on reading).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub prev: String,
    pub kind: String,
    pub data: serde_json::Value,
}

/// The verified log of a game.
#[derive(Debug, Clone)]
pub struct Log {
    path: PathBuf,
    pub entries: Vec<Entry>,
    /// Exact bytes of the verified lines (rewritten unchanged on append).
    lines: Vec<String>,
    last_hash: String,
    /// Set when a torn final line was dropped on reading.
    pub dropped_tail: Option<String>,
}

fn chain_hash(prev: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Log {
    /// A new, empty log at `dir/log.jsonl` (not written until the first append).
    pub fn create(dir: &Path) -> Log {
        Log {
            path: dir.join(LOG_FILE),
            entries: Vec::new(),
            lines: Vec::new(),
            last_hash: GENESIS.to_string(),
            dropped_tail: None,
        }
    }

    /// Read and verify `dir/log.jsonl`.
    pub fn open(dir: &Path) -> Result<Log> {
        let path = dir.join(LOG_FILE);
        let text = match fs::read(&path) {
            Ok(b) => String::from_utf8(b).map_err(|e| {
                anyhow::anyhow!(
                    "{}: the log is not valid UTF-8 (byte {}); it was damaged or edited with a binary tool",
                    path.display(),
                    e.utf8_error().valid_up_to()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "{} has no game log ({LOG_FILE}); create a game with `greatgame wargame new --game {}`",
                dir.display(),
                dir.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut log = Log::create(dir);
        let ends_with_newline = text.ends_with('\n');
        let raw: Vec<&str> = text.split_terminator('\n').collect();
        for (i, line) in raw.iter().enumerate() {
            let lineno = i + 1;
            let last = i + 1 == raw.len();
            match log.verify_line(line, lineno) {
                Ok(entry) => {
                    log.entries.push(entry);
                    log.lines.push(line.to_string());
                }
                Err(e) if last && !ends_with_newline => {
                    log.dropped_tail = Some(format!(
                        "{}:{lineno}: the last record is incomplete ({e}); it is the trace of a command interrupted \
                         while writing, and was dropped: that command did not happen",
                        path.display()
                    ));
                }
                Err(e) => bail!(
                    "{}:{lineno}: {e}. The log is append-only and hash-chained; it was edited, damaged or \
                     truncated by hand. Restore it from a copy, or start a new game",
                    path.display()
                ),
            }
        }
        if log.entries.is_empty() {
            bail!(
                "{}: the log holds no complete record; the game was never created",
                path.display()
            );
        }
        Ok(log)
    }

    fn verify_line(&mut self, line: &str, lineno: usize) -> Result<Entry, String> {
        if line.len() < HASH_SUFFIX_LEN + 2 || !line.is_char_boundary(line.len() - HASH_SUFFIX_LEN) {
            return Err("record is too short to carry its hash".into());
        }
        let (head, suffix) = line.split_at(line.len() - HASH_SUFFIX_LEN);
        let hash = suffix
            .strip_prefix(",\"hash\":\"")
            .and_then(|s| s.strip_suffix("\"}"))
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or("record does not end with its hash")?;
        let body = format!("{head}}}");
        let entry: Entry = serde_json::from_str(&body).map_err(|e| format!("record is not valid JSON ({e})"))?;
        let want_seq = self.entries.len() as u64 + 1;
        if entry.seq != want_seq {
            return Err(format!(
                "record has sequence number {} where {want_seq} was expected (a record was removed, duplicated or moved)",
                entry.seq
            ));
        }
        if entry.prev != self.last_hash {
            return Err("record does not follow the previous one (hash chain broken: a record before it was changed or removed)".into());
        }
        if chain_hash(&self.last_hash, &body) != hash {
            return Err("record's contents do not match its hash (it was edited)".into());
        }
        let _ = lineno;
        self.last_hash = hash.to_string();
        Ok(entry)
    }

    /// The serialized line for a new record (without writing it).
    fn line_for(&self, kind: &str, data: serde_json::Value) -> Result<(Entry, String, String)> {
        let entry = Entry {
            seq: self.entries.len() as u64 + 1,
            prev: self.last_hash.clone(),
            kind: kind.to_string(),
            data,
        };
        let body = serde_json::to_string(&entry)?;
        let hash = chain_hash(&self.last_hash, &body);
        let line = format!("{},\"hash\":\"{hash}\"}}", &body[..body.len() - 1]);
        Ok((entry, line, hash))
    }

    /// Append one record: the whole log is rewritten to a temporary file,
    /// synced and renamed into place.
    pub fn append<T: Serialize>(&mut self, kind: &str, data: &T) -> Result<()> {
        let (entry, line, hash) = self.line_for(kind, serde_json::to_value(data)?)?;
        let mut text = String::with_capacity(self.lines.iter().map(|l| l.len() + 1).sum::<usize>() + line.len() + 1);
        for l in self.lines.iter().chain(std::iter::once(&line)) {
            text.push_str(l);
            text.push('\n');
        }
        write_durable(&self.path, text.as_bytes())?;
        self.entries.push(entry);
        self.lines.push(line);
        self.last_hash = hash;
        self.dropped_tail = None;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hash of the last record (the head of the chain).
    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }
}

/// Write `bytes` to `path` so that a crash leaves either the old or the new
/// file: temporary file, fsync, rename, fsync of the folder.
pub fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all().with_context(|| format!("syncing {}", tmp.display()))?;
    }
    fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// An exclusive lock on the game folder for the duration of a command, so two
/// teams submitting at the same moment from two terminals cannot lose one
/// another's orders. Released when dropped.
pub struct GameLock(#[allow(dead_code)] File);

impl GameLock {
    pub fn exclusive(dir: &Path) -> Result<GameLock> {
        let path = dir.join(".lock");
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // fs4 rather than `File::lock`: the crate's minimum Rust version predates it.
        fs4::fs_std::FileExt::lock_exclusive(&f).with_context(|| format!("locking {}", path.display()))?;
        Ok(GameLock(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_detects_edits_and_tolerates_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::create(dir.path());
        for k in 0..3 {
            log.append("note", &serde_json::json!({ "k": k, "x": 0.1 + k as f64 }))
                .unwrap();
        }
        let reopened = Log::open(dir.path()).unwrap();
        assert_eq!(reopened.entries.len(), 3);
        let path = dir.path().join(LOG_FILE);
        let good = fs::read_to_string(&path).unwrap();

        // Torn last record: dropped with a message, earlier ones kept.
        fs::write(&path, &good[..good.len() - 20]).unwrap();
        let torn = Log::open(dir.path()).unwrap();
        assert_eq!(torn.entries.len(), 2);
        assert!(torn.dropped_tail.as_deref().unwrap().contains(":3:"));

        // Edited middle record: an error naming line 2.
        fs::write(&path, good.replacen("\"k\":1", "\"k\":7", 1)).unwrap();
        let err = Log::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("log.jsonl:2:"), "{err}");
        assert!(err.contains("edited"), "{err}");

        // Removed middle record: the next one no longer follows.
        let lines: Vec<&str> = good.lines().collect();
        fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
        let err = Log::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("log.jsonl:2:"), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any change of one byte before the last line is refused.
        #[test]
        fn any_edit_before_the_last_line_is_refused(pos in 0usize..10_000, byte in 32u8..127) {
            let dir = tempfile::tempdir().unwrap();
            let mut log = Log::create(dir.path());
            for k in 0..4 {
                log.append("note", &serde_json::json!({ "k": k, "why": "a reason", "x": [0.25, 1e-9] })).unwrap();
            }
            let path = dir.path().join(LOG_FILE);
            let mut bytes = fs::read(&path).unwrap();
            let last_start = bytes[..bytes.len() - 1].iter().rposition(|b| *b == b'\n').unwrap() + 1;
            let pos = pos % last_start;
            proptest::prop_assume!(bytes[pos] != byte);
            bytes[pos] = byte;
            fs::write(&path, &bytes).unwrap();
            proptest::prop_assert!(Log::open(dir.path()).is_err());
        }
    }
}
