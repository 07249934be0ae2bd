//! Experiments (how trials run): the designs, the parallel evaluators, and the
//! callbacks that keep what each trial produced.
//!
//! Determinism: trials are grouped into fixed chunks of [`CHUNK`] trials,
//! independent of the thread count; chunk results are merged in chunk order.
//! Trial *k* draws only from streams seeded by (master seed, k). Hence the
//! same seed gives byte-identical results at any `--threads`. The
//! exploration designs ([`samplers`], [`levers`]) run on [`batch`], which
//! keeps the same guarantees.

pub mod batch;
pub mod checkpoint;
pub mod collect;
pub mod compare_job;
pub mod discover;
pub mod explain_job;
pub mod levers;
mod member_order;
pub mod merge;
pub mod paired;
pub mod partial;
pub mod prepare;
pub mod rows_run;
pub mod run_job;
pub mod run_merge;
pub mod runner;
pub mod samplers;
pub mod select;
pub mod sensitivity;
pub mod session;
pub mod shard;
pub mod sweep;

pub use runner::{Accumulators, ChunkOut, ChunkSink, Design, Flow, Results, RunOptions, run, run_chunks};

/// Check a design's count of trials against the engine's limit (the exploration designs multiply samples,
/// replications and lever values, so the product is taken in `u128`).
pub fn check_trials(total: u128) -> anyhow::Result<u64> {
    use crate::model::MAX_TRIALS;
    if total == 0 || total > u128::from(MAX_TRIALS) {
        anyhow::bail!(
            "this design needs {total} trials; the limit is {MAX_TRIALS} — use fewer samples, replications or lever values"
        );
    }
    Ok(total as u64)
}

/// Trials per work unit. Fixed so that results never depend on threads.
pub const CHUNK: u64 = 256;
