//! How `run` shards merge ([`RunKind`]): the per-chunk moments folded in chunk order, exactly as the
//! unsharded run folds them, then sketches, fan histograms and kept values (which merge exactly in any
//! grouping), and the run's outputs written by the same code as `run`'s.

use super::checkpoint;
use super::merge::{MergeText, ShardDir, Shardable, merged_cost};
use super::run_job::{DECISION, SHARD_MOMENTS, sha256_file};
use super::shard::{MomentsReader, moments_record_len};
use super::{Accumulators, CHUNK, Design};
use crate::report::Manifest;
use crate::report::manifest::MergedShard;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::Duration;

/// Shards of `greatgame run`.
pub struct RunKind;

/// The ensemble a shard's manifest records (`None` when it ran the nominal coefficients or says nothing).
fn shard_ensemble(shard: &Path) -> Option<crate::calibrate::file::EnsembleRef> {
    let text = std::fs::read_to_string(shard.join("manifest.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    serde_json::from_value(v.get("ensemble")?.clone()).ok()
}

impl Shardable for RunKind {
    fn kind(&self) -> &'static str {
        "run"
    }

    fn merge_into(&self, shards: &[ShardDir], merged_from: Vec<MergedShard>, dir: &Path) -> Result<MergeText> {
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
        let mut manifest = Manifest::for_run(model, &meta.scenario_origin, id, threads, secs);
        manifest.status = "complete".into();
        manifest.complete = true;
        manifest.merged_from = Some(merged_from);
        // The ensemble is part of the shards' identity (its hash is in the design name), so the first shard's
        // manifest says which one every shard ran.
        manifest.ensemble = shard_ensemble(&shards[0].path);
        if let Some(a) = &meta.anchoring {
            let csv = dir.join(DECISION);
            manifest.anchoring = Some(crate::present::manifest_entry(
                a,
                csv.exists().then_some(csv.as_path()),
            )?);
        }
        let summary = crate::report::write_run_outputs(model, &results, &manifest, dir, id.fans)?;
        // With a newline, as `run` prints it.
        Ok(MergeText {
            notes: Vec::new(),
            summary: Some(summary + "\n"),
        })
    }
}
