//! The files of a comparison's folder (`compare`): the tables (`report::comparison`), the charts and the
//! self-contained `report.html` (unless left out), `manifest.json`, and `summary.md` — what the terminal shows,
//! the robustness of the ranking first. One function, so every caller of a comparison writes the same folder.

use super::comparison::{self, CompareReport};
use super::staging::write_atomic;
use super::{compare_charts, html};
use anyhow::Result;
use std::path::Path;

/// Write the comparison's files into `dir` (a staging folder); returns `summary.md`'s text.
pub fn write(report: &CompareReport, dir: &Path, charts: bool) -> Result<String> {
    comparison::write_tables(report, dir)?;
    if charts {
        compare_charts::draw_all(report, dir, true)?;
        let page = html::render(report, dir)?;
        write_atomic(&dir.join("report.html"), page.as_bytes())?;
    }
    let mut json = serde_json::to_vec_pretty(report.manifest)?;
    json.push(b'\n');
    write_atomic(&dir.join("manifest.json"), &json)?;
    let mut text = comparison::section_header(report, "policy comparison");
    text.push_str(&comparison::section_rank_stability(report));
    text.push_str(&comparison::section_headline(report));
    text.push_str(&comparison::section_robustness(report));
    write_atomic(&dir.join("summary.md"), text.as_bytes())?;
    Ok(text)
}
