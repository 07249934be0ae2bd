//! `greatgame merge`: combine the shard outputs of one run (`--shard K/N`)
//! into exactly what the unsharded run writes.
//!
//! The generic part checks that the shards belong together (same identity:
//! tool version, scenario hash, seed, trials, design, policies, options; the
//! same N; every K exactly once; each share the one the mapping gives; each
//! finished) and concatenates `trials.csv` in trial order. What to fold and
//! which summary files to write depends on the command that produced the
//! shards: one [`Shardable`] impl per kind, chosen by the `kind` recorded in
//! the shard state. Adding a kind (say `sweep`) means writing its shard state
//! with [`checkpoint::write`] (kind set in the identity, per-chunk moments or any
//! other state that must be folded in chunk order) and one impl here.

use super::explore::EXPLORE_SHARD_STATE;
use super::run::{SHARD_MOMENTS, SHARD_STATE, build_manifest, sha256_file, write_outputs};
use crate::experiment::checkpoint::{self, Meta};
use crate::experiment::runner::chunk_trials;
use crate::experiment::shard::{MomentsReader, moments_record_len};
use crate::experiment::{Accumulators, CHUNK, Design};
use crate::report::manifest::MergedShard;
use crate::report::staging::Staging;
use crate::scenario;
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard output folders (from `run --shard K/N --out DIR`), in any order.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where to write the combined results.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Do not print the summary tables to the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

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
    /// as the unsharded command would. `merged_from` is for the manifest.
    fn merge_into(&self, shards: &[ShardDir], merged_from: Vec<MergedShard>, dir: &Path, quiet: bool) -> Result<()>;
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

/// Every kind `merge` knows.
fn kinds() -> Vec<Box<dyn Shardable>> {
    vec![
        Box::new(RunKind),
        Box::new(super::sweep::SweepKind),
        Box::new(super::sensitivity::SensitivityKind),
        Box::new(super::calibrate::CalibrateKind),
    ]
}

pub fn execute(args: &MergeArgs) -> Result<()> {
    let out = std::path::absolute(&args.out).unwrap_or_else(|_| args.out.clone());
    if let Some(d) = args
        .dirs
        .iter()
        .find(|d| std::path::absolute(d).is_ok_and(|d| out.starts_with(&d) || d.starts_with(&out)))
    {
        bail!(
            "--out {} would replace the shard folder {}; choose another output folder",
            args.out.display(),
            d.display()
        );
    }
    let shards = load_and_check(&args.dirs)?;
    let first = &shards[0].meta;
    let kind = kinds()
        .into_iter()
        .find(|k| k.kind() == first.identity.kind)
        .with_context(|| format!("this greatgame cannot merge `{}` shards", first.identity.kind))?;
    check_spans(&shards, kind.as_ref())?;
    if !args.quiet {
        let line = super::which_scenario::line("scenario", &first.scenario_origin, &first.identity.scenario_sha256);
        eprintln!("{line}, as saved in the shards");
    }
    // The marker names the kind of results (`run`, `sweep`, `sensitivity`), so a merged folder is the same as
    // the unsharded command's.
    let staging = Staging::new(&args.out, kind.kind())?;
    if first.identity.trials_file {
        concat_rows(&shards, kind.rows_file(), &staging.path().join(kind.rows_file()), |m| {
            m.rows_len
        })?;
    }
    // Each trial's state at the decision date (`run` shards that wrote it), concatenated the same way.
    if shards.iter().all(|s| s.meta.decision_len > 0) {
        let name = super::run::DECISION;
        concat_rows(&shards, name, &staging.path().join(name), |m| m.decision_len)?;
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
    kind.merge_into(&shards, merged_from, staging.path(), args.quiet)?;
    let dir = staging.commit()?;
    eprintln!(
        "greatgame: merged {} shards ({} trials) into {}",
        shards.len(),
        first.identity.trials,
        dir.display()
    );
    Ok(())
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

/// The ensemble a shard's manifest records (`None` when it ran the nominal coefficients or says nothing).
fn shard_ensemble(shard: &Path) -> Option<crate::calibrate::file::EnsembleRef> {
    let text = std::fs::read_to_string(shard.join("manifest.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    serde_json::from_value(v.get("ensemble")?.clone()).ok()
}

/// Shards of `greatgame run`.
struct RunKind;

impl Shardable for RunKind {
    fn kind(&self) -> &'static str {
        "run"
    }

    fn merge_into(&self, shards: &[ShardDir], merged_from: Vec<MergedShard>, dir: &Path, quiet: bool) -> Result<()> {
        let meta = &shards[0].meta;
        let id = &meta.identity;
        let loaded = shards[0].scenario()?;
        let model = &loaded.model;
        let policies = id
            .policies
            .iter()
            .map(|p| {
                model
                    .policy_index(p)
                    .with_context(|| format!("unknown policy `{p}` in the shard state"))
            })
            .collect::<Result<Vec<_>>>()?;
        let (np, no) = (policies.len(), model.outcomes.len());
        let mut acc = Accumulators::new(model, np, id.fans);
        let mut next_chunk = 0u64;
        for s in shards {
            // Moments: fold every chunk in chunk order, exactly as the unsharded run does.
            let path = s.path.join(SHARD_MOMENTS);
            let len = std::fs::metadata(&path)
                .with_context(|| format!("reading {}", path.display()))?
                .len();
            let records = s.meta.span.end - s.meta.span.start;
            if len != s.meta.moments_len || len != records * moments_record_len(np, no) as u64 {
                bail!(
                    "{} has the wrong size; the shard folder is damaged — rerun that shard",
                    path.display()
                );
            }
            if sha256_file(&path)? != s.meta.moments_sha256 {
                bail!("{} does not match its checksum; rerun that shard", path.display());
            }
            let mut r = MomentsReader::open(&path, np, no)?;
            for _ in 0..records {
                let (index, m) = r.next_record()?;
                if index != next_chunk {
                    bail!(
                        "{}: chunk {index} where chunk {next_chunk} was expected",
                        path.display()
                    );
                }
                for (acc_row, row) in acc.stats.iter_mut().zip(&m) {
                    for (a, c) in acc_row.iter_mut().zip(row) {
                        a.moments.merge(c);
                    }
                }
                next_chunk += 1;
            }
            // Sketches, histograms and kept values merge exactly in any grouping.
            let state = s.state()?;
            checkpoint::check_shape(&state, model, np, id.fans)?;
            for (acc_row, row) in acc.stats.iter_mut().zip(&state.stats) {
                for (a, c) in acc_row.iter_mut().zip(row) {
                    a.sketch.merge(&c.sketch);
                }
            }
            if let (Some(f), Some(sf)) = (acc.fans.as_mut(), state.fans.as_ref()) {
                f.merge(sf);
            }
            for (acc_row, row) in acc.values.iter_mut().zip(&state.values) {
                for (a, c) in acc_row.iter_mut().zip(row) {
                    a.extend_from_slice(c);
                }
            }
        }
        if next_chunk != id.trials.div_ceil(CHUNK) {
            bail!(
                "the shards cover {next_chunk} chunks, the run has {}",
                id.trials.div_ceil(CHUNK)
            );
        }
        let (secs, threads) = merged_cost(&merged_from);
        let design = Design {
            policies,
            trials: id.trials,
            seed: id.seed,
        };
        let results = acc.into_results(&design, Duration::from_secs_f64(secs), threads);
        let mut manifest = build_manifest(model, &meta.scenario_origin, id, threads, secs);
        manifest.status = "complete".into();
        manifest.complete = true;
        manifest.merged_from = Some(merged_from);
        // The ensemble is part of the shards' identity (its hash is in the design name), so the first shard's
        // manifest says which one every shard ran.
        manifest.ensemble = shard_ensemble(&shards[0].path);
        if let Some(a) = &meta.anchoring {
            let csv = dir.join(super::run::DECISION);
            manifest.anchoring = Some(crate::present::manifest_entry(
                a,
                csv.exists().then_some(csv.as_path()),
            )?);
        }
        write_outputs(model, &results, &manifest, dir, id.fans, quiet)
    }
}
