//! Summaries of experiment results (M in XLRM): moments, quantiles, intervals;
//! and the exploration estimators: Sobol and Morris sensitivity indices, PRIM
//! and CART scenario discovery.

pub mod cart;
pub mod morris;
pub mod prim;
pub mod sketch;
pub mod sobol;
pub mod stats;
pub mod summary;
