//! Saved run state: the accumulators of a run after some prefix of its chunks,
//! bit for bit, with what is needed to check that it belongs to a given run.
//!
//! One format serves two purposes: `checkpoint.bin`, written atomically at
//! batch boundaries while a run is going (so `--resume` can continue it), and
//! `shard-state.bin`, the final state of a shard (so `greatgame merge` can
//! combine shards). Layout:
//!
//! ```text
//! "GGSTATE\0"  u32 format version  u64 n + n bytes of JSON (Meta)  accumulators  sha256 of all before (32 bytes)
//! ```
//!
//! Integers are little-endian; floating-point numbers are stored as their bit
//! patterns, so NaN and infinities survive and nothing is rounded. The JSON part
//! holds the identity (what must match to continue or merge) and the progress;
//! the accumulators follow in binary (see [`encode_acc`]).

use super::runner::Accumulators;
use super::shard::ShardSpec;
use crate::analysis::sketch::Sketch;
use crate::analysis::stats::{Moments, OutcomeStats};
use crate::experiment::collect::FanHistograms;
use crate::model::Model;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::Path;

const MAGIC: &[u8; 8] = b"GGSTATE\0";
/// Bumped whenever the layout changes; older files are refused with a clear message.
pub const FORMAT_VERSION: u32 = 1;

/// What must be equal for a saved state to be continued (`--resume`) or
/// merged with other shards. Everything that changes any number in the output
/// is here; the thread count is not (results do not depend on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Which command produced it ("run"); `merge` dispatches on it.
    pub kind: String,
    pub version: String,
    /// The scenario is identified by its text's hash, not its path (shards may
    /// read it from different places).
    pub scenario_sha256: String,
    pub seed: u64,
    pub trials: u64,
    pub design: String,
    pub policies: Vec<String>,
    /// Fan-chart histograms and kept values are collected (charts wanted).
    pub fans: bool,
    pub keep_values: u64,
    pub trials_file: bool,
    pub shard: Option<ShardSpec>,
}

impl Identity {
    /// Human-readable list of the fields that differ (`field: ours vs theirs`).
    /// Options saved as JSON text (the exploration commands' `design`) are
    /// compared option by option (`design.samples: 100 vs 200`).
    pub fn differences(&self, other: &Identity) -> Vec<String> {
        let mut out = Vec::new();
        diff_values(
            "",
            &serde_json::to_value(self).unwrap_or_default(),
            &serde_json::to_value(other).unwrap_or_default(),
            &mut out,
        );
        out
    }
}

fn diff_values(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    let object = |v: &Value| match v {
        Value::Object(m) => Some(m.clone()),
        Value::String(s) => serde_json::from_str::<serde_json::Map<String, Value>>(s).ok(),
        _ => None,
    };
    if a == b {
        return;
    }
    match (object(a), object(b)) {
        (Some(x), Some(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                diff_values(
                    &sub,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ => out.push(format!("{path}: {a} vs {b}")),
    }
}

/// Identity plus progress: where the run stands and how long the rows files
/// were when this state was saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub identity: Identity,
    /// Where the scenario was read from (for the manifest), and its text (so a
    /// merge on another machine needs no scenario file).
    pub scenario_origin: String,
    pub scenario_text: String,
    /// The chunks this run (or shard) computes.
    pub span: Range<u64>,
    /// Every chunk in `span.start..next_chunk` is folded into the accumulators.
    pub next_chunk: u64,
    /// Bytes of the rows file (header included) that belong to those chunks.
    pub rows_len: u64,
    /// Bytes of the per-chunk moments file (shards only).
    pub moments_len: u64,
    /// Bytes of `decision_state.csv` (header included) that belong to those chunks; 0 when the run writes none.
    #[serde(default)]
    pub decision_len: u64,
    /// How the history before the decision date is anchored (the manifest's `anchoring`, without statistics);
    /// `None` when it runs free.
    #[serde(default)]
    pub anchoring: Option<serde_json::Value>,
    /// SHA-256 of the per-chunk moments file, once the shard is finished.
    pub moments_sha256: String,
    /// Compute time so far, over every session of this run.
    pub elapsed_seconds: f64,
    pub threads: usize,
    /// Trials done when each `--resume` started.
    pub resumed_at: Vec<u64>,
}

impl Meta {
    /// A run of `identity` over `span` that has done nothing yet.
    pub fn new(identity: Identity, loaded: &crate::scenario::Loaded, span: Range<u64>, threads: usize) -> Meta {
        Meta {
            identity,
            scenario_origin: loaded.origin.clone(),
            scenario_text: loaded.text.clone(),
            next_chunk: span.start,
            span,
            rows_len: 0,
            moments_len: 0,
            decision_len: 0,
            anchoring: None,
            moments_sha256: String::new(),
            elapsed_seconds: 0.0,
            threads,
            resumed_at: Vec::new(),
        }
    }

    pub fn trials_done(&self) -> u64 {
        let r = super::runner::chunk_trials(&(self.span.start..self.next_chunk), self.identity.trials);
        r.end.saturating_sub(r.start)
    }
    pub fn trials_total(&self) -> u64 {
        let r = super::runner::chunk_trials(&self.span, self.identity.trials);
        r.end.saturating_sub(r.start)
    }
    pub fn finished(&self) -> bool {
        self.next_chunk >= self.span.end
    }
}

/// Little-endian writer.
#[derive(Default)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    pub fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    pub fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    pub fn i64(&mut self, x: i64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    pub fn f64(&mut self, x: f64) {
        self.u64(x.to_bits());
    }
    pub fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
}

/// Little-endian reader that fails cleanly on truncated input.
pub struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Dec { buf, pos: 0 }
    }
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        let Some(end) = end else {
            bail!("the state is truncated (wanted {n} bytes at offset {})", self.pos);
        };
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into()?))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.bytes(8)?.try_into()?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.bytes(8)?.try_into()?))
    }
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A length, checked against what is left so a corrupt value cannot make us allocate wildly.
    pub fn len(&mut self, min_item_bytes: usize) -> Result<usize> {
        let n = self.u64()?;
        let left = (self.buf.len() - self.pos) as u64;
        if n.saturating_mul(min_item_bytes.max(1) as u64) > left {
            bail!(
                "the state is corrupt (a length of {n} at offset {} exceeds the file)",
                self.pos - 8
            );
        }
        Ok(n as usize)
    }
    pub fn done(&self) -> bool {
        self.pos == self.buf.len()
    }
}

/// Accumulators in binary: policies, outcomes, then per (policy, outcome)
/// moments (n, mean, m2) and sketch buckets; fan histograms; kept values.
pub fn encode_acc(e: &mut Enc, acc: &Accumulators) {
    e.len(acc.stats.len());
    e.len(acc.stats.first().map_or(0, Vec::len));
    for row in &acc.stats {
        for s in row {
            e.u64(s.moments.n);
            e.f64(s.moments.mean);
            e.f64(s.moments.m2());
            e.len(s.sketch.buckets().len());
            for (k, c, lo, hi) in s.sketch.buckets() {
                e.i64(k);
                e.u64(c);
                e.f64(lo);
                e.f64(hi);
            }
        }
    }
    match &acc.fans {
        None => e.u32(0),
        Some(f) => {
            e.u32(1);
            e.len(f.vars.len());
            f.vars.iter().for_each(|v| e.len(*v));
            e.len(f.turns);
            e.len(f.policies);
            e.len(f.counts.len());
            f.counts.iter().for_each(|c| e.u32(*c));
        }
    }
    for row in &acc.values {
        for v in row {
            e.len(v.len());
            v.iter().for_each(|x| e.f64(*x));
        }
    }
}

pub fn decode_acc(d: &mut Dec) -> Result<Accumulators> {
    let np = d.len(1)?;
    let no = d.len(0)?;
    let mut stats = Vec::with_capacity(np);
    for _ in 0..np {
        let mut row = Vec::with_capacity(no);
        for _ in 0..no {
            let moments = Moments::from_parts(d.u64()?, d.f64()?, d.f64()?);
            let nb = d.len(32)?;
            let mut buckets = Vec::with_capacity(nb);
            for _ in 0..nb {
                buckets.push((d.i64()?, d.u64()?, d.f64()?, d.f64()?));
            }
            row.push(OutcomeStats {
                moments,
                sketch: Sketch::from_buckets(buckets),
            });
        }
        stats.push(row);
    }
    let fans = match d.u32()? {
        0 => None,
        1 => {
            let nv = d.len(8)?;
            let vars = (0..nv)
                .map(|_| d.u64().map(|v| v as usize))
                .collect::<Result<Vec<_>>>()?;
            let turns = d.u64()? as usize;
            let policies = d.u64()? as usize;
            let nc = d.len(4)?;
            let counts = (0..nc).map(|_| d.u32()).collect::<Result<Vec<_>>>()?;
            Some(FanHistograms {
                vars,
                turns,
                policies,
                counts,
            })
        }
        x => bail!("the state is corrupt (fan flag {x})"),
    };
    let mut values = Vec::with_capacity(np);
    for _ in 0..np {
        let mut row = Vec::with_capacity(no);
        for _ in 0..no {
            let n = d.len(8)?;
            row.push((0..n).map(|_| d.f64()).collect::<Result<Vec<_>>>()?);
        }
        values.push(row);
    }
    Ok(Accumulators { stats, fans, values })
}

/// Check that restored accumulators have the shape this model and design produce.
pub fn check_shape(acc: &Accumulators, model: &Model, policies: usize, fans: bool) -> Result<()> {
    let fresh = Accumulators::new(model, policies, fans);
    let same_fans = match (&acc.fans, &fresh.fans) {
        (None, None) => true,
        (Some(a), Some(b)) => a.vars == b.vars && a.turns == b.turns && a.counts.len() == b.counts.len(),
        _ => false,
    };
    if acc.stats.len() != policies
        || acc.stats.iter().any(|r| r.len() != model.outcomes.len())
        || acc.values.len() != policies
        || acc.values.iter().any(|r| r.len() != model.outcomes.len())
        || !same_fans
    {
        bail!("the saved state does not fit the scenario's outcomes and key variables");
    }
    Ok(())
}

/// Serialise a state (with checksum).
pub fn encode(meta: &Meta, acc: &Accumulators) -> Result<Vec<u8>> {
    let mut e = Enc::default();
    e.0.extend_from_slice(MAGIC);
    e.u32(FORMAT_VERSION);
    let json = serde_json::to_vec(meta)?;
    e.len(json.len());
    e.0.extend_from_slice(&json);
    encode_acc(&mut e, acc);
    let sum = Sha256::digest(&e.0);
    e.0.extend_from_slice(&sum);
    Ok(e.0)
}

/// Parse a state, verifying magic, version and checksum.
pub fn decode(bytes: &[u8]) -> Result<(Meta, Accumulators)> {
    if bytes.len() < MAGIC.len() + 4 + 32 || &bytes[..MAGIC.len()] != MAGIC {
        bail!("not a greatgame state file");
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        bail!("the checksum does not match (the file is damaged)");
    }
    let mut d = Dec::new(body);
    d.bytes(MAGIC.len())?;
    let v = d.u32()?;
    if v != FORMAT_VERSION {
        bail!("state format version {v}; this greatgame reads version {FORMAT_VERSION}");
    }
    let n = d.len(1)?;
    let meta: Meta = serde_json::from_slice(d.bytes(n)?).context("reading the state's header")?;
    let acc = decode_acc(&mut d)?;
    if !d.done() {
        bail!("the state has trailing bytes");
    }
    Ok((meta, acc))
}

/// Write a state atomically (temporary file, fsync, rename).
pub fn write(path: &Path, meta: &Meta, acc: &Accumulators) -> Result<()> {
    let bytes = encode(meta, acc)?;
    let tmp = path.with_extension("bin.tmp");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(&bytes)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_data().with_context(|| format!("syncing {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

/// Read a state file.
pub fn read(path: &Path) -> Result<(Meta, Accumulators)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    decode(&bytes).with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Meta, Accumulators) {
        let mut s = OutcomeStats::default();
        for x in [1.5, -2.25, 0.0, 1e9, 3.0] {
            s.push(x);
        }
        let acc = Accumulators {
            stats: vec![
                vec![s.clone(), OutcomeStats::default()],
                vec![s, OutcomeStats::default()],
            ],
            fans: Some(FanHistograms {
                vars: vec![0, 3],
                turns: 2,
                policies: 2,
                counts: (0..1024).collect(),
            }),
            values: vec![vec![vec![1.0, f64::NAN], vec![]], vec![vec![f64::INFINITY], vec![-0.0]]],
        };
        let meta = Meta {
            identity: Identity {
                kind: "run".into(),
                version: "0.1.0".into(),
                scenario_sha256: "ab".into(),
                seed: 7,
                trials: 1000,
                design: "monte_carlo".into(),
                policies: vec!["a".into(), "b".into()],
                fans: true,
                keep_values: 10,
                trials_file: true,
                shard: Some(ShardSpec { index: 2, count: 3 }),
            },
            scenario_origin: "x.ron".into(),
            scenario_text: "()".into(),
            span: 1..3,
            next_chunk: 2,
            rows_len: 123,
            moments_len: 0,
            decision_len: 0,
            anchoring: None,
            moments_sha256: String::new(),
            elapsed_seconds: 1.25,
            threads: 2,
            resumed_at: vec![256],
        };
        (meta, acc)
    }

    #[test]
    fn round_trip_is_bit_exact() {
        let (meta, acc) = sample();
        let bytes = encode(&meta, &acc).unwrap();
        let (m2, a2) = decode(&bytes).unwrap();
        assert_eq!(m2.identity, meta.identity);
        assert_eq!(m2.span, meta.span);
        assert_eq!(encode(&m2, &a2).unwrap(), bytes);
        assert_eq!(a2.stats, acc.stats);
        assert_eq!(a2.values[0][0][1].to_bits(), f64::NAN.to_bits());
        assert_eq!(a2.values[1][1][0].to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn damage_is_detected() {
        let (meta, acc) = sample();
        let bytes = encode(&meta, &acc).unwrap();
        let mut bad = bytes.clone();
        let i = bad.len() / 2;
        bad[i] ^= 1;
        assert!(decode(&bad).unwrap_err().to_string().contains("checksum"));
        assert!(decode(&bytes[..bytes.len() - 5]).is_err());
        assert!(
            decode(b"hello")
                .unwrap_err()
                .to_string()
                .contains("not a greatgame state")
        );
    }

    #[test]
    fn differences_name_the_fields() {
        let (meta, _) = sample();
        let mut other = meta.identity.clone();
        other.seed = 8;
        other.trials = 5;
        let d = meta.identity.differences(&other);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d.iter().any(|s| s.starts_with("seed: 7 vs 8")));
        // Options saved as JSON text are compared one by one.
        let mut a = meta.identity.clone();
        a.design = r#"{"samples":100,"levers":["x=1,2"],"no_charts":false}"#.into();
        let mut b = a.clone();
        b.design = r#"{"samples":200,"levers":["x=1,2"],"no_charts":true}"#.into();
        assert_eq!(
            a.differences(&b),
            vec!["design.no_charts: false vs true", "design.samples: 100 vs 200"]
        );
        b.design = "monte_carlo".into();
        assert_eq!(a.differences(&b).len(), 1);
        assert!(a.differences(&b)[0].starts_with("design: "));
    }
}
