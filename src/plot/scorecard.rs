//! The comparison scorecard: outcomes down, policies across, each cell the
//! paired difference from the baseline with its 95% interval, coloured by
//! whether it is better or worse for the US and by how much.
//!
//! Colour encodes direction *for the US* (blue better, vermillion worse — the
//! Okabe–Ito pair, safe under colour blindness), not the sign of the number:
//! fewer attacks and more GDP are both blue. Intensity is the size of the
//! difference in standard deviations of the outcome (full at 0.5 sd), so
//! outcomes in different units compare. Cells whose interval includes zero
//! stay grey: the model cannot tell them from noise. Bold text marks
//! differences that survive the Holm correction for testing many cells at
//! once. Information outcomes (no better or worse) are never coloured.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{
    self, Figure, Frame, GRID, INK, MUTED, PALETTE, SMALL_PX, draw_frame, ellipsize, fmt_num, limit_lines, mix,
    text_style, wrap_text,
};
use super::{ChartContext, ensure_fonts};

/// Better / worse colours (Okabe–Ito blue and vermillion).
pub const BETTER: RGBColor = PALETTE[0];
pub const WORSE: RGBColor = PALETTE[3];
/// Cells with no clear difference.
pub const NEUTRAL: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);
/// Standardised size at which a cell reaches full colour.
pub const FULL_AT_SD: f64 = 0.5;

/// One cell: the paired difference of one policy on one outcome.
#[derive(Debug, Clone)]
pub struct Cell {
    pub diff: f64,
    pub lo95: f64,
    pub hi95: f64,
    /// Difference in the outcome's standard deviations, oriented so that
    /// positive is better for the US; `None` for information outcomes.
    pub oriented_sd: Option<f64>,
    /// The 95% interval excludes 0.
    pub distinguishable: bool,
    /// Survives the Holm correction.
    pub holm: bool,
}

#[derive(Debug, Clone)]
pub struct ScorecardRow {
    pub label: String,
    /// e.g. "attacks per year · lower is better".
    pub note: String,
    /// One per policy column.
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone)]
pub struct Scorecard {
    pub title: String,
    pub baseline: String,
    pub policies: Vec<String>,
    pub rows: Vec<ScorecardRow>,
    /// One line per package: who wrote it, the seed file, the date (drawn
    /// under the table so the chart never travels without its sources).
    pub provenance: Vec<String>,
}

const ROW_H: i32 = 38;
const HEAD_H: i32 = 64;
const LABEL_W: i32 = 390;

/// Fill colour of a cell.
pub fn cell_colour(c: &Cell) -> RGBColor {
    match c.oriented_sd {
        None => WHITE,
        Some(_) if !c.distinguishable => NEUTRAL,
        Some(z) => {
            let t = (z.abs() / FULL_AT_SD).clamp(0.0, 1.0);
            let base = if z > 0.0 { BETTER } else { WORSE };
            mix(WHITE, base, 0.15 + 0.7 * t)
        }
    }
}

/// Draw `dir/scorecard.png` and `.svg`.
pub fn draw_scorecard(ctx: &ChartContext, s: &Scorecard, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, "scorecard", &ScorecardFigure { ctx, s })
}

struct ScorecardFigure<'a> {
    ctx: &'a ChartContext,
    s: &'a Scorecard,
}

impl Figure for ScorecardFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let w = (LABEL_W + 2 * render::PAGE_MARGIN + 200 * self.s.policies.len().max(1) as i32).max(1000);
        let h = 200 + HEAD_H + ROW_H * self.s.rows.len() as i32 + 40 + 19 * self.s.provenance.len() as i32;
        (w as u32, h as u32)
    }

    fn svg_title(&self) -> String {
        self.s.title.clone()
    }

    fn svg_desc(&self) -> String {
        render::svg_description(self.ctx)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let s = self.s;
        let frame = Frame {
            title: s.title.clone(),
            direction: Some(format!(
                "Each cell: mean paired difference from {} (policy − baseline), 95% interval in brackets.",
                s.baseline
            )),
            key: Some(format!(
                "Blue: better for the US; vermillion: worse; stronger colour = larger difference (full at {FULL_AT_SD} sd \
                 of the outcome). Grey: interval includes 0. Bold: also significant after Holm's correction. \
                 White: information only."
            )),
        };
        let plot = draw_frame(root, self.ctx, &frame)?;
        let (w, _) = plot.dim_in_pixel();
        let x0 = render::PAGE_MARGIN;
        let np = s.policies.len().max(1) as i32;
        let col_w = (w as i32 - 2 * render::PAGE_MARGIN - LABEL_W) / np;
        let head_style = text_style(SMALL_PX + 1.0, FontStyle::Bold, INK).pos(Pos::new(HPos::Center, VPos::Top));
        for (j, p) in s.policies.iter().enumerate() {
            let cx = x0 + LABEL_W + col_w * j as i32 + col_w / 2;
            let lines = limit_lines(
                &plot,
                wrap_text(&plot, &p.replace('_', " "), &head_style, (col_w - 10) as u32)?,
                3,
                &head_style,
                (col_w - 10) as u32,
            )?;
            for (k, line) in lines.iter().enumerate() {
                plot.draw_text(line, &head_style, (cx, 4 + 19 * k as i32))?;
            }
        }
        let label_style = text_style(SMALL_PX + 1.0, FontStyle::Normal, INK).pos(Pos::new(HPos::Left, VPos::Top));
        let note_style = text_style(SMALL_PX - 3.0, FontStyle::Normal, MUTED).pos(Pos::new(HPos::Left, VPos::Top));
        for (i, row) in s.rows.iter().enumerate() {
            let y = HEAD_H + ROW_H * i as i32;
            let label = ellipsize(&plot, &row.label, &label_style, (LABEL_W - 12) as u32)?;
            plot.draw_text(&label, &label_style, (x0, y + 3))?;
            let note = ellipsize(&plot, &row.note, &note_style, (LABEL_W - 12) as u32)?;
            plot.draw_text(&note, &note_style, (x0, y + 22))?;
            for (j, c) in row.cells.iter().enumerate() {
                let cx0 = x0 + LABEL_W + col_w * j as i32;
                let fill = cell_colour(c);
                plot.draw(&Rectangle::new(
                    [(cx0 + 2, y + 1), (cx0 + col_w - 2, y + ROW_H - 1)],
                    fill.filled(),
                ))?;
                // Dark text on light fills, white on strong ones.
                let lum = 0.299 * f64::from(fill.0) + 0.587 * f64::from(fill.1) + 0.114 * f64::from(fill.2);
                let ink = if lum < 140.0 { WHITE } else { INK };
                let muted = c.oriented_sd.is_none() || !c.distinguishable;
                let colour = if muted { MUTED } else { ink };
                let weight = if c.holm && !muted {
                    FontStyle::Bold
                } else {
                    FontStyle::Normal
                };
                let big = text_style(SMALL_PX, weight, colour).pos(Pos::new(HPos::Center, VPos::Top));
                let small =
                    text_style(SMALL_PX - 3.0, FontStyle::Normal, colour).pos(Pos::new(HPos::Center, VPos::Top));
                let cx = cx0 + col_w / 2;
                plot.draw_text(&signed(c.diff), &big, (cx, y + 3))?;
                let iv = format!("[{}, {}]", signed(c.lo95), signed(c.hi95));
                let iv = ellipsize(&plot, &iv, &small, (col_w - 8) as u32)?;
                plot.draw_text(&iv, &small, (cx, y + 21))?;
            }
            plot.draw(&PathElement::new(
                vec![(x0, y + ROW_H), (x0 + LABEL_W + col_w * np, y + ROW_H)],
                GRID.stroke_width(1),
            ))?;
        }
        let prov_style = text_style(SMALL_PX - 2.0, FontStyle::Normal, MUTED).pos(Pos::new(HPos::Left, VPos::Top));
        let top = HEAD_H + ROW_H * s.rows.len() as i32 + 10;
        for (k, line) in s.provenance.iter().enumerate() {
            let line = ellipsize(&plot, line, &prov_style, (w as i32 - 2 * render::PAGE_MARGIN) as u32)?;
            plot.draw_text(&line, &prov_style, (x0, top + 19 * k as i32))?;
        }
        Ok(())
    }
}

/// A number with an explicit sign ("+0.12", "−3.4"; zero without sign).
pub fn signed(v: f64) -> String {
    let s = fmt_num(v);
    if v > 0.0 && v.is_finite() && s != "0.000" {
        format!("+{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(z: Option<f64>, dist: bool) -> Cell {
        Cell {
            diff: 1.0,
            lo95: 0.5,
            hi95: 1.5,
            oriented_sd: z,
            distinguishable: dist,
            holm: dist,
        }
    }

    #[test]
    fn colours_follow_direction_for_the_us() {
        assert_eq!(cell_colour(&cell(None, true)), WHITE);
        assert_eq!(cell_colour(&cell(Some(1.0), false)), NEUTRAL);
        let better = cell_colour(&cell(Some(1.0), true));
        let worse = cell_colour(&cell(Some(-1.0), true));
        assert_eq!(better, mix(WHITE, BETTER, 0.85));
        assert_eq!(worse, mix(WHITE, WORSE, 0.85));
        // Smaller differences are paler.
        let faint = cell_colour(&cell(Some(0.05), true));
        assert!(u32::from(faint.0) + u32::from(faint.1) > u32::from(better.0) + u32::from(better.1));
        assert_eq!(signed(0.25), "+0.250");
        assert_eq!(signed(-2.0), "-2.00");
    }
}
