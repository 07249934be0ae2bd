//! Summaries of experiment results (M in XLRM): moments, quantiles, intervals;
//! paired comparisons, robustness and mechanisms; and the exploration
//! estimators: Sobol and Morris sensitivity indices, PRIM and CART scenario
//! discovery.

pub mod cart;
pub mod compare;
pub mod drivers;
pub mod explain;
pub mod member_ranks;
pub mod morris;
pub mod paired;
pub mod prim;
pub mod ranks;
pub mod robustness;
pub mod sketch;
pub mod sobol;
pub mod stats;
pub mod summary;
