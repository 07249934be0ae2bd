//! Summaries of experiment results (M in XLRM): moments, quantiles, intervals.

pub mod sketch;
pub mod stats;
pub mod summary;
