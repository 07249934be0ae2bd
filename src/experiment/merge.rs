//! Merging shards (`--shard K/N`) into exactly what the unsharded command writes.
//!
//! The generic part checks that the shards belong together (same identity: tool version, scenario hash, seed,
//! trials, design, policies, options; the same N; every K exactly once; each share the one the mapping gives;
//! each finished) and concatenates the rows files in trial order. What to fold and which summary files to write
//! depends on the command that produced the shards: one [`Shardable`] impl per kind, chosen by the `kind`
//! recorded in the shard state. Each impl lives with its command's library code (`run`'s in
//! [`super::run_merge`]); the caller hands [`MergePlan::new`] the kinds it knows, so this module depends on
//! none of them and no kind depends on another.
//!
//! Adding a kind means writing its shard state (with [`checkpoint::write`] for accumulators folded in chunk
//! order, or as JSON at [`EXPLORE_SHARD_STATE`] when the rows are enough) and one impl.

use super::Accumulators;
use super::checkpoint::{self, Meta};
use super::run_job::{DECISION, SHARD_STATE};
use super::runner::chunk_trials;
use crate::report::manifest::MergedShard;
use crate::report::staging::Staging;
use crate::scenario;
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The shard state of an exploration command (`sweep`, `sensitivity`, `calibrate`): its identity and span as
/// JSON. Everything else a merge needs is in the rows file, from which it recomputes the summaries exactly as
/// the unsharded command does.
pub const EXPLORE_SHARD_STATE: &str = "shard-state.json";

/// One validated shard folder.
pub struct ShardDir {
    pub path: PathBuf,
    pub meta: Meta,
}

impl ShardDir {
    /// The scenario the shard ran, from the text saved in its state, checked
    /// against the saved hash (a hand-edited state must not merge silently).
    pub fn scenario(&self) -> Result<scenario::Loaded> {
        let meta = &self.meta;
        let loaded = scenario::load_str(&meta.scenario_text, &meta.scenario_origin)?;
        if loaded.sha256 != meta.identity.scenario_sha256 {
            bail!("{}: the embedded scenario does not match its hash", self.path.display());
        }
        Ok(loaded)
    }

    /// The shard's saved accumulators (read again on demand so only one shard's are in memory at a time).
    pub fn state(&self) -> Result<Accumulators> {
        Ok(checkpoint::read(&self.path.join(SHARD_STATE))?.1)
    }
}

/// An output kind whose shards can be merged.
pub trait Shardable {
    /// The `kind` recorded in the shard state's identity.
    fn kind(&self) -> &'static str;
    /// Fold the shards' states (given in shard order, already validated) and
    /// write the kind's summary files and `manifest.json` into `dir`, exactly
    /// as the unsharded command would. `merged_from` is for the manifest. Returns what the unsharded command
    /// shows on the terminal.
    fn merge_into(&self, shards: &[ShardDir], merged_from: Vec<MergedShard>, dir: &Path) -> Result<MergeText>;
    /// The rows file each shard holds a part of (concatenated in shard order).
    fn rows_file(&self) -> &'static str {
        "trials.csv"
    }
    /// The span (in the kind's units of work) that shard `spec` must cover.
    fn span(&self, meta: &Meta) -> Result<Range<u64>> {
        meta.identity
            .shard
            .context("shard without K/N")?
            .chunks(meta.identity.trials)
    }
    /// The trials (rows) a shard holds, for the manifest.
    fn trials(&self, meta: &Meta) -> Range<u64> {
        chunk_trials(&meta.span, meta.identity.trials)
    }
}

/// What a merge has to say on the terminal, as the unsharded command would say it.
#[derive(Debug, Default)]
pub struct MergeText {
    /// Lines for the standard error (what the design costs, say).
    pub notes: Vec<String>,
    /// The summary for the standard output.
    pub summary: Option<String>,
}

/// Shards that were checked to form one whole run of a known kind, ready to be merged.
pub struct MergePlan {
    pub shards: Vec<ShardDir>,
    kind: Box<dyn Shardable>,
}

/// What a merge wrote.
#[derive(Debug)]
pub struct MergeOutcome {
    /// The merged output folder, in place.
    pub dir: PathBuf,
    pub shards: usize,
    pub trials: u64,
    /// What the unsharded command shows on the terminal.
    pub text: MergeText,
}

impl MergePlan {
    /// Read the shard folders `dirs` (any order), check they form one whole run of one of `kinds`, and that
    /// `out` replaces none of them.
    pub fn new(dirs: &[PathBuf], out: &Path, kinds: Vec<Box<dyn Shardable>>) -> Result<MergePlan> {
        let abs_out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
        if let Some(d) = dirs
            .iter()
            .find(|d| std::path::absolute(d).is_ok_and(|d| abs_out.starts_with(&d) || d.starts_with(&abs_out)))
        {
            bail!(
                "--out {} would replace the shard folder {}; choose another output folder",
                out.display(),
                d.display()
            );
        }
        let shards = load_and_check(dirs)?;
        let first = &shards[0].meta;
        let kind = kinds
            .into_iter()
            .find(|k| k.kind() == first.identity.kind)
            .with_context(|| format!("this greatgame cannot merge `{}` shards", first.identity.kind))?;
        check_spans(&shards, kind.as_ref())?;
        Ok(MergePlan { shards, kind })
    }

    /// The first shard's state (scenario origin and hash, identity), for saying what is merged.
    pub fn first(&self) -> &Meta {
        &self.shards[0].meta
    }

    /// Concatenate the rows, fold the states and write the kind's outputs into `out` (through a staging
    /// folder, moved into place when complete).
    pub fn write(self, out: &Path) -> Result<MergeOutcome> {
        let MergePlan { shards, kind } = self;
        let first = &shards[0].meta;
        // The marker names the kind of results (`run`, `sweep`, `sensitivity`), so a merged folder is the same
        // as the unsharded command's.
        let staging = Staging::new(out, kind.kind())?;
        if first.identity.trials_file {
            concat_rows(&shards, kind.rows_file(), &staging.path().join(kind.rows_file()), |m| {
                m.rows_len
            })?;
        }
        // Each trial's state at the decision date (`run` shards that wrote it), concatenated the same way.
        if shards.iter().all(|s| s.meta.decision_len > 0) {
            concat_rows(&shards, DECISION, &staging.path().join(DECISION), |m| m.decision_len)?;
        }
        let merged_from = shards
            .iter()
            .map(|s| {
                let t = kind.trials(&s.meta);
                MergedShard {
                    shard: s.meta.identity.shard.map(|x| x.to_string()).unwrap_or_default(),
                    first_trial: t.start,
                    end_trial: t.end,
                    threads: s.meta.threads,
                    wall_time_seconds: s.meta.elapsed_seconds,
                    resumed_at_trials: s.meta.resumed_at.clone(),
                }
            })
            .collect();
        let text = kind.merge_into(&shards, merged_from, staging.path())?;
        let dir = staging.commit()?;
        Ok(MergeOutcome {
            dir,
            shards: shards.len(),
            trials: first.identity.trials,
            text,
        })
    }
}

/// Read every shard's state and check that together they are one whole run.
pub fn load_and_check(dirs: &[PathBuf]) -> Result<Vec<ShardDir>> {
    let mut shards = Vec::new();
    for d in dirs {
        let state = d.join(SHARD_STATE);
        let json = d.join(EXPLORE_SHARD_STATE);
        let meta = if state.is_file() {
            checkpoint::read(&state)?.0
        } else if json.is_file() {
            let text = std::fs::read_to_string(&json).with_context(|| format!("reading {}", json.display()))?;
            serde_json::from_str::<Meta>(&text).with_context(|| {
                format!(
                    "{} is damaged or from another version; rerun that shard",
                    json.display()
                )
            })?
        } else {
            bail!("{}", not_a_shard(d));
        };
        if meta.identity.shard.is_none() {
            bail!("{} is not a shard (its state has no --shard K/N)", d.display());
        }
        shards.push(ShardDir { path: d.clone(), meta });
    }
    shards.sort_by_key(|s| s.meta.identity.shard.map(|x| x.index));
    let first = &shards[0];
    let n = first.meta.identity.shard.map_or(0, |s| s.count);
    for s in &shards[1..] {
        let mut a = first.meta.identity.clone();
        let mut b = s.meta.identity.clone();
        let (ka, kb) = (a.shard.take(), b.shard.take());
        let diff = a.differences(&b);
        if !diff.is_empty() {
            bail!(
                "{} and {} are not shards of the same run: {}",
                first.path.display(),
                s.path.display(),
                diff.join("; ")
            );
        }
        if ka.map(|x| x.count) != kb.map(|x| x.count) {
            bail!(
                "{} is shard {} but {} is shard {}: every shard must come from the same --shard K/N split",
                first.path.display(),
                ka.map(|x| x.to_string()).unwrap_or_default(),
                s.path.display(),
                kb.map(|x| x.to_string()).unwrap_or_default()
            );
        }
    }
    for w in shards.windows(2) {
        if w[0].meta.identity.shard == w[1].meta.identity.shard {
            bail!(
                "shard {} is given twice: {} and {}",
                w[0].meta.identity.shard.map(|x| x.to_string()).unwrap_or_default(),
                w[0].path.display(),
                w[1].path.display()
            );
        }
    }
    let have: Vec<u64> = shards
        .iter()
        .filter_map(|s| s.meta.identity.shard.map(|x| x.index))
        .collect();
    let missing: Vec<String> = (1..=n)
        .filter(|k| !have.contains(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "missing shard(s) {} of this {n}-way run; give every shard folder (got {})",
            missing.join(", "),
            shards.len()
        );
    }
    Ok(shards)
}

/// Each shard covers the share the mapping gives it, and is finished.
fn check_spans(shards: &[ShardDir], kind: &dyn Shardable) -> Result<()> {
    for s in shards {
        let spec = s.meta.identity.shard.context("shard without K/N")?;
        let want = kind.span(&s.meta)?;
        if s.meta.span != want {
            bail!(
                "{}: shard {spec} covers units {:?} but the mapping gives {:?}",
                s.path.display(),
                s.meta.span,
                want
            );
        }
        if !s.meta.finished() {
            bail!(
                "{}: shard {spec} is unfinished ({} of {} trials); finish it with `run --shard {spec} --resume`",
                s.path.display(),
                s.meta.trials_done(),
                s.meta.trials_total()
            );
        }
    }
    Ok(())
}

fn not_a_shard(d: &Path) -> String {
    let name = d
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = d.with_file_name(format!(".{name}.partial"));
    if !d.exists() && partial.exists() {
        return format!(
            "{} does not exist yet: that shard is unfinished or was interrupted ({} holds its progress); finish it \
             by running its command (`run`, `sweep` or `sensitivity` with --shard K/N) again with --resume",
            d.display(),
            partial.display()
        );
    }
    if !d.exists() {
        return format!("{} does not exist", d.display());
    }
    let status = std::fs::read_to_string(d.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["status"].as_str().map(str::to_string));
    match status.as_deref() {
        Some("complete") => format!("{} is a complete run, not a shard; nothing to merge", d.display()),
        _ => format!(
            "{} is not a shard output folder (no {SHARD_STATE} or {EXPLORE_SHARD_STATE}); shards are written by \
             `greatgame run|sweep|sensitivity --shard K/N --out DIR`",
            d.display()
        ),
    }
}

/// `trials.csv` of every shard, in shard (= trial) order, with one header.
fn concat_rows(shards: &[ShardDir], name: &str, out: &Path, recorded: fn(&Meta) -> u64) -> Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, File::create(out).with_context(|| format!("creating {name}"))?);
    let mut header: Option<String> = None;
    for s in shards {
        let path = s.path.join(name);
        let f = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let len = f.metadata()?.len();
        if len != recorded(&s.meta) {
            bail!(
                "{} has {len} bytes but the shard recorded {}; the shard folder is damaged — rerun that shard",
                path.display(),
                recorded(&s.meta)
            );
        }
        let mut r = BufReader::with_capacity(1 << 16, f);
        let mut h = String::new();
        r.read_line(&mut h)?;
        match &header {
            None => {
                w.write_all(h.as_bytes())?;
                header = Some(h);
            }
            Some(first) if *first != h => bail!("{}: the header differs from the first shard's", path.display()),
            Some(_) => {}
        }
        std::io::copy(&mut r.by_ref(), &mut w).with_context(|| format!("copying {}", path.display()))?;
    }
    w.flush().with_context(|| format!("writing {name}"))?;
    Ok(())
}

/// Total wall time and threads of the shards, reported as the merged output's.
pub fn merged_cost(merged_from: &[MergedShard]) -> (f64, usize) {
    (
        merged_from.iter().map(|m| m.wall_time_seconds).sum(),
        merged_from.iter().map(|m| m.threads).sum(),
    )
}
