//! greatgame: a policy-option scenario simulator (see ARCHITECTURE.md).
//!
//! Data flows one way: a [`scenario`] file is compiled into a [`model`]; an
//! [`experiment`] runs its trials under each policy; [`analysis`] summarises
//! the outcomes; [`report`] writes tables and the manifest and [`plot`] draws
//! the charts.

pub mod analysis;
pub mod bargain;
pub mod calibrate;
pub mod cli;
pub mod experiment;
pub mod hindcast;
pub mod model;
pub mod numfmt;
pub mod plot;
pub mod present;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod wargame;
