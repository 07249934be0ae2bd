//! Summaries of experiment results (M in XLRM): moments, quantiles, intervals;
//! paired comparisons, robustness and mechanisms.

pub mod compare;
pub mod explain;
pub mod paired;
pub mod robustness;
pub mod sketch;
pub mod stats;
pub mod summary;
