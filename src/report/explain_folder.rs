//! The files of `explain`'s folder: `explain.md`, `explain.csv` (action shares and event rates per year,
//! paired), `comparison.csv`, `drivers.csv`, `manifest.json`, and the forest charts of the `top` largest
//! differences in actions and events (unless left out). Returns what the terminal shows.

use super::compare_charts::{action_forest, context, event_forest};
use super::comparison::{self, CompareReport};
use super::staging::write_atomic;
use anyhow::Result;
use std::path::Path;

/// Write the explanation's files into `dir` (a staging folder); returns the terminal's text.
pub fn write(report: &CompareReport, dir: &Path, top: usize, charts: bool) -> Result<String> {
    let md = comparison::explain_markdown(report, top);
    write_atomic(&dir.join("explain.md"), md.as_bytes())?;
    write_atomic(&dir.join("explain.csv"), &comparison::explain_csv(report)?)?;
    write_atomic(&dir.join("comparison.csv"), &comparison::comparison_csv(report)?)?;
    write_atomic(&dir.join("drivers.csv"), &comparison::drivers_csv(report)?)?;
    let mut json = serde_json::to_vec_pretty(report.manifest)?;
    json.push(b'\n');
    write_atomic(&dir.join("manifest.json"), &json)?;
    if charts {
        let charts_dir = dir.join("charts");
        std::fs::create_dir_all(&charts_dir)?;
        let ctx = context(report);
        for &slot in &report.cmp.design.rows {
            if let Some(mut f) = action_forest(report, slot) {
                f.rows.truncate(top);
                crate::plot::forest::draw_forest(&ctx, &f, &charts_dir)?;
            }
            if let Some(mut f) = event_forest(report, slot) {
                f.rows.truncate(top);
                crate::plot::forest::draw_forest(&ctx, &f, &charts_dir)?;
            }
        }
    }
    let mut text = comparison::section_header(report, "why the policy differs");
    text.push_str(&comparison::section_headline(report));
    text.push_str(&comparison::section_mechanisms(report, top, true));
    Ok(text)
}
