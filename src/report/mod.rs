//! Writing results: each format is one small exporter behind [`Exporter`].
//!
//! All files of a run are written into a staging folder next to the output
//! folder and moved into place only when every exporter has succeeded, so an
//! interrupted or failed run never leaves a folder that looks complete.

pub mod charts;
pub mod compare_charts;
pub mod comparison;
pub mod fidelity;
pub mod html;
pub mod json;
pub mod manifest;
pub mod markdown;
pub mod ownership;
pub mod staging;

use crate::analysis::summary::PolicySummary;
use crate::experiment::Results;
use crate::model::Model;
use anyhow::Result;
use std::path::Path;

pub use manifest::Manifest;

/// Everything an exporter may read.
pub struct Report<'a> {
    pub model: &'a Model,
    pub results: &'a Results,
    pub summaries: &'a [PolicySummary],
    pub manifest: &'a Manifest,
}

/// One output format.
pub trait Exporter {
    /// Write this format's file(s) into `dir`.
    fn export(&self, report: &Report, dir: &Path) -> Result<()>;
}
