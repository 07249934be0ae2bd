//! Writing results: each format is one small exporter behind [`Exporter`].
//!
//! All files of a run are written into a staging folder next to the output
//! folder and moved into place only when every exporter has succeeded, so an
//! interrupted or failed run never leaves a folder that looks complete.

pub mod bargain_folder;
pub mod charts;
pub mod compare_charts;
pub mod compare_folder;
pub mod comparison;
pub mod csv;
pub mod explain_folder;
pub mod fidelity;
pub mod html;
pub mod json;
pub mod listing;
pub mod manifest;
pub mod markdown;
pub mod ownership;
pub mod register;
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

/// Summaries, tables, charts and `manifest.json` of a finished run into `dir` (shared by `run` and `merge`, so
/// both write exactly the same files). Returns the summary tables as Markdown, for whoever shows them (the
/// terminal, unless `--quiet`).
pub fn write_run_outputs(
    model: &Model,
    results: &Results,
    manifest: &Manifest,
    dir: &Path,
    with_charts: bool,
) -> Result<String> {
    let summaries = crate::analysis::summary::summarise(model, results);
    let report = Report {
        model,
        results,
        summaries: &summaries,
        manifest,
    };
    let mut exporters: Vec<Box<dyn Exporter>> = vec![Box::new(json::SummaryJson), Box::new(markdown::SummaryMarkdown)];
    if with_charts {
        exporters.push(Box::new(charts::Charts));
    }
    for e in &exporters {
        e.export(&report, dir)?;
    }
    manifest.write(dir)?;
    Ok(markdown::render(&report))
}
