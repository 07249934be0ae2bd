//! Runs across machines: shard *K* of *N* computes a deterministic,
//! contiguous share of a run, and `greatgame merge` puts the shares together.
//!
//! **Mapping.** A run of *T* trials has *C* = ⌈*T* / 256⌉ chunks
//! ([`CHUNK`](super::CHUNK)). Shard *K* of *N* (1-based) computes chunks
//! ⌊(*K*−1)·*C*/*N*⌋ .. ⌊*K*·*C*/*N*⌋ (end exclusive), i.e. trials from
//! 256·⌊(*K*−1)·*C*/*N*⌋ up to the next shard's first trial (or *T*). It depends
//! only on *T*, *N* and *K*; shares differ in size by at most one chunk.
//!
//! **Why per-chunk moments.** The unsharded run folds chunk statistics left to
//! right: ((c₀ ⊕ c₁) ⊕ c₂) ⊕ …, and Chan's merge of means and variances is not
//! associative in floating point. A shard therefore saves the moments of each
//! of its chunks (in `chunk-moments.bin`), and `merge` folds all of them in
//! chunk order — the same operations in the same order as the unsharded run,
//! hence bit-identical numbers. Sketches, fan histograms (integer counts and
//! min/max) and kept values (concatenated in trial order) merge exactly in any
//! grouping, so a shard saves them folded.

use super::CHUNK;
use crate::analysis::stats::{Moments, OutcomeStats};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

/// `--shard K/N`: this is share `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub index: u64,
    pub count: u64,
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let hint = "write it as K/N with 1 ≤ K ≤ N, e.g. --shard 2/8 for the second of eight shares";
        let (k, n) = s.split_once('/').ok_or_else(|| format!("`{s}` is not K/N; {hint}"))?;
        let parse = |x: &str, what: &str| {
            x.trim()
                .parse::<u64>()
                .map_err(|_| format!("{what} `{x}` is not a whole number; {hint}"))
        };
        let (index, count) = (parse(k, "K")?, parse(n, "N")?);
        if count == 0 || index == 0 || index > count {
            return Err(format!("`{s}` is out of range; {hint}"));
        }
        Ok(ShardSpec { index, count })
    }
}

impl ShardSpec {
    /// The chunks this shard computes in a run of `trials` trials.
    pub fn chunks(&self, trials: u64) -> Result<Range<u64>> {
        let c = trials.div_ceil(CHUNK);
        if self.count > c {
            bail!(
                "--shard {self}: a run of {trials} trials has only {c} chunk(s) of {CHUNK} trials, so it can be split \
                 into at most {c} shard(s); use fewer shards or more trials"
            );
        }
        Ok(shard_chunks(c, self.count, self.index))
    }
}

/// Chunks of shard `k` (1-based) of `n` among `chunks` chunks (see the module doc).
pub fn shard_chunks(chunks: u64, n: u64, k: u64) -> Range<u64> {
    let at = |i: u64| (u128::from(i) * u128::from(chunks) / u128::from(n)) as u64;
    at(k - 1)..at(k)
}

/// Bytes of one record of `chunk-moments.bin`: the chunk index, then
/// (n, mean, m2) for every (policy, outcome), policy-major.
pub fn moments_record_len(policies: usize, outcomes: usize) -> usize {
    8 + policies * outcomes * 24
}

/// Append chunk `index`'s moments to `out` (little-endian, floats as bit patterns).
pub fn encode_moments(out: &mut Vec<u8>, index: u64, stats: &[Vec<OutcomeStats>]) {
    out.extend_from_slice(&index.to_le_bytes());
    for row in stats {
        for s in row {
            out.extend_from_slice(&s.moments.n.to_le_bytes());
            out.extend_from_slice(&s.moments.mean.to_bits().to_le_bytes());
            out.extend_from_slice(&s.moments.m2().to_bits().to_le_bytes());
        }
    }
}

/// Streams `chunk-moments.bin` one record at a time (memory stays flat).
pub struct MomentsReader {
    reader: BufReader<std::fs::File>,
    buf: Vec<u8>,
    policies: usize,
    outcomes: usize,
}

impl MomentsReader {
    pub fn open(path: &Path, policies: usize, outcomes: usize) -> Result<Self> {
        let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(MomentsReader {
            reader: BufReader::with_capacity(1 << 16, f),
            buf: vec![0; moments_record_len(policies, outcomes)],
            policies,
            outcomes,
        })
    }

    /// The next record: chunk index and `moments[policy][outcome]`.
    pub fn next_record(&mut self) -> Result<(u64, Vec<Vec<Moments>>)> {
        self.reader
            .read_exact(&mut self.buf)
            .context("the per-chunk moments file ends early")?;
        let word = |i: usize| u64::from_le_bytes(self.buf[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        let index = word(0);
        let mut w = 1;
        let mut out = Vec::with_capacity(self.policies);
        for _ in 0..self.policies {
            let mut row = Vec::with_capacity(self.outcomes);
            for _ in 0..self.outcomes {
                row.push(Moments::from_parts(
                    word(w),
                    f64::from_bits(word(w + 1)),
                    f64::from_bits(word(w + 2)),
                ));
                w += 3;
            }
            out.push(row);
        }
        Ok((index, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/8".parse::<ShardSpec>().unwrap(), ShardSpec { index: 2, count: 8 });
        for bad in ["0/3", "4/3", "3", "a/3", "1/0", "1/-2"] {
            let e = bad.parse::<ShardSpec>().unwrap_err();
            assert!(e.contains("K/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn too_many_shards_is_explained() {
        let e = ShardSpec { index: 1, count: 5 }.chunks(1000).unwrap_err().to_string();
        assert!(e.contains("at most 4 shard"), "{e}");
    }

    proptest! {
        /// Shares are contiguous, cover every chunk exactly once, in order, and differ by at most one chunk.
        #[test]
        fn shards_partition_the_chunks(chunks in 1u64..100_000, n in 1u64..64) {
            prop_assume!(n <= chunks);
            let mut next = 0;
            let (mut lo, mut hi) = (u64::MAX, 0);
            for k in 1..=n {
                let r = shard_chunks(chunks, n, k);
                prop_assert_eq!(r.start, next);
                next = r.end;
                lo = lo.min(r.end - r.start);
                hi = hi.max(r.end - r.start);
            }
            prop_assert_eq!(next, chunks);
            prop_assert!(hi - lo <= 1 && lo >= 1);
        }
    }
}
