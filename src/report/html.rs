//! `report.html`: the whole comparison on one self-contained page.
//!
//! Fit to paste into a memo or mail as a single file: the charts are the PNGs
//! just written to `charts/`, embedded as base64 `data:` URIs (PNG rather than
//! SVG because the PNGs carry their embedded-font text already rasterised, so
//! the page looks the same on a machine without DejaVu); the styles are
//! inline; nothing is fetched from the network. The text is the Markdown of
//! `comparison.md`, section by section, rendered with pulldown-cmark, with the
//! charts placed next to the section they illustrate.

use super::compare_charts::{action_forest, event_forest};
use super::comparison::{
    CompareReport, section_drivers, section_fidelity, section_header, section_headline, section_mechanisms,
    section_method, section_provenance, section_rank_stability, section_robustness, section_tables,
};
use crate::plot::render::sanitize_stem;
use anyhow::{Context, Result};
use base64::Engine;
use std::fmt::Write;
use std::path::Path;

/// Width of the page's text column in CSS pixels. Charts are drawn
/// [`crate::plot::render::CHART_SIZE`] wide and shown one per row, so at this width a chart is
/// displayed at its natural size and its smallest text (15 px) stays readable
/// (two charts side by side halved it, to about 7 px).
pub const CONTENT_WIDTH_PX: u32 = 1200;

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;max-width:1200px;margin:2em auto;\
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;\
margin-top:2em}table{border-collapse:collapse;margin:1em 0;font-size:.88em}th,td{border:1px solid #ddd;\
padding:.25em .5em;vertical-align:top}th{background:#f4f4f4}td:nth-child(n+3){text-align:right}\
blockquote{border-left:4px solid #D55E00;margin:1em 0;padding:.3em 1em;background:#fff7f0}figure{margin:1em 0}\
figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#555;font-size:.9em}\
figure.wide{overflow-x:auto}figure.wide img{max-width:none}\
details{margin:.6em 0}summary{cursor:pointer;font-weight:bold}code{background:#f4f4f4;padding:0 .2em}";

fn md_to_html(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_TABLES));
    out
}

fn escape(s: &str) -> String {
    crate::plot::render::xml_escape(s)
}

/// A `<figure>` embedding `charts/<stem>.png`, or a note if it is missing.
fn figure(charts: &Path, stem: &str, caption: &str) -> Result<String> {
    figure_with(charts, stem, caption, "")
}

/// [`figure`] with a CSS class on the `<figure>`: `wide` shows the chart at
/// its natural size, scrolling sideways if the page is narrower (the
/// scorecard grows with the number of policies, and shrinking it would
/// shrink its numbers below reading size).
fn figure_with(charts: &Path, stem: &str, caption: &str, class: &str) -> Result<String> {
    let path = charts.join(format!("{}.png", sanitize_stem(stem)));
    if !path.is_file() {
        return Ok(format!(
            "<p><em>Chart {} was not drawn (run without --no-charts).</em></p>\n",
            escape(stem)
        ));
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{}\"", escape(class))
    };
    Ok(format!(
        "<figure{class}><img alt=\"{a}\" src=\"data:image/png;base64,{b64}\"><figcaption>{a}</figcaption></figure>\n",
        a = escape(caption)
    ))
}

/// Build the page from the charts already written under `dir/charts`.
pub fn render(r: &CompareReport, dir: &Path) -> Result<String> {
    let charts = dir.join("charts");
    let mut body = String::new();
    body.push_str(&md_to_html(&section_header(r, "policy comparison")));
    body.push_str(&md_to_html(&section_rank_stability(r)));
    body.push_str(&figure(
        &charts,
        "rank_stability",
        "Share of trials in which each policy ranks 1st, 2nd, … on the per-trial overall score, per world (each \
         combination of contested views) and over all trials.",
    )?);
    body.push_str(&md_to_html(&section_headline(r)));
    body.push_str(&md_to_html(&section_fidelity(r)));
    body.push_str("<h2>Scorecard</h2>\n");
    body.push_str(&figure_with(
        &charts,
        "scorecard",
        "Paired differences from the baseline with 95% intervals; colour = better (blue) or worse (vermillion) for \
         the US, grey = cannot be told from noise.",
        "wide",
    )?);
    body.push_str(&md_to_html(&section_robustness(r)));
    body.push_str(&md_to_html(&section_mechanisms(r, 5, true)));
    if !r.cmp.drivers.is_empty() {
        body.push_str(&md_to_html(&section_drivers(r)));
    }
    for &slot in &r.cmp.design.rows {
        let pid = &r.cmp.policy_ids[slot];
        let mut figs = String::new();
        if let Some(f) = action_forest(r, slot) {
            figs.push_str(&figure(&charts, &f.id, &f.title)?);
        }
        if let Some(f) = event_forest(r, slot) {
            figs.push_str(&figure(&charts, &f.id, &f.title)?);
        }
        if !figs.is_empty() {
            let _ = write!(
                body,
                "<details><summary>Charts: why {} differs</summary>\n{figs}</details>\n",
                escape(pid)
            );
        }
    }
    body.push_str(
        "<h2>Distributions</h2>\n<p>Per outcome, every policy side by side (first trials of the run; \
                   event outcomes as probabilities with 95% intervals).</p>\n",
    );
    for def in &r.model.outcomes {
        let (stem, caption) = if def.is_event() {
            (format!("prob_{}", def.id), super::charts::event_title(r.model, def))
        } else {
            (format!("dist_{}", def.id), def.label.clone())
        };
        body.push_str(&figure(&charts, &stem, &caption)?);
    }
    body.push_str("<details><summary>All differences (tables)</summary>\n");
    body.push_str(&md_to_html(&section_tables(r)));
    body.push_str("</details>\n");
    body.push_str(&md_to_html(&section_provenance(r)));
    body.push_str(&md_to_html(&section_method(r)));
    let m = r.manifest;
    let _ = write!(
        body,
        "<h2>Manifest</h2>\n<p>greatgame {} · scenario <code>{}</code> sha256 <code>{}</code> · seed {} · {} trials · \
         {} thread(s) · {:.1} s · command: <code>{}</code></p>\n",
        escape(&m.version),
        escape(&m.scenario),
        escape(&m.scenario_sha256),
        m.seed,
        m.trials,
        m.threads,
        m.wall_time_seconds,
        escape(&m.command_line.join(" "))
    );
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — policy comparison</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        escape(&r.model.title)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::render::{CHART_SIZE, SMALL_PX};

    /// Charts are shown at their natural size: the smallest text on them
    /// (footers, keys, subtitles) stays at least 12 px on the page.
    #[test]
    fn chart_text_is_readable_at_the_displayed_width() {
        assert!(
            !STYLE.contains("grid-template-columns"),
            "charts side by side shrink their text"
        );
        let scale = (f64::from(CONTENT_WIDTH_PX) / f64::from(CHART_SIZE.0)).min(1.0);
        assert!(
            SMALL_PX * scale >= 12.0,
            "smallest chart text displays at {} px",
            SMALL_PX * scale
        );
        assert!(STYLE.contains(&format!("max-width:{CONTENT_WIDTH_PX}px")));
        assert!(STYLE.contains("figure.wide img{max-width:none}"));
    }
}
