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

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{
    self, Canvas, Figure, Frame, GRID, INK, MUTED, PALETTE, SMALL_PX, ellipsize, measure_text, mix, text_style,
};
use super::{ChartContext, ensure_fonts};
use crate::numfmt::{self, DiffText};

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
    /// The outcome is a probability: differences print in percentage points.
    pub percent_points: bool,
    /// The outcome's standard deviation (0 if unknown): differences within
    /// a billionth of it are floating-point noise and print as 0.
    pub scale: f64,
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

/// Text sizes (pixels): row labels and cell values; notes under labels;
/// intervals; column heads.
const LABEL_PX: f64 = SMALL_PX + 1.0;
const NOTE_PX: f64 = SMALL_PX - 2.0;
const VALUE_PX: f64 = SMALL_PX + 1.0;
const INTERVAL_PX: f64 = SMALL_PX - 1.0;
const HEAD_PX: f64 = SMALL_PX + 1.0;
/// Line heights for those sizes.
const LABEL_LINE: i32 = 20;
const NOTE_LINE: i32 = 17;
const HEAD_LINE: i32 = 20;
/// Row labels wider than this wrap onto a second line.
const MAX_LABEL_W: u32 = 520;
/// Narrowest label column and policy column.
const MIN_LABEL_W: u32 = 220;
const MIN_COL_W: u32 = 150;
/// Padding inside a cell and after the label column.
const PAD: u32 = 16;
/// Height reserved for the frame (title, subtitle, direction, key, footer).
const FRAME_H: i32 = 210;

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

/// The printed difference and interval of a cell (see [`crate::numfmt`]):
/// three significant digits at one precision, no exponent, noise as 0;
/// probabilities in percentage points.
pub fn cell_text(row: &ScorecardRow, c: &Cell) -> DiffText {
    if row.percent_points {
        numfmt::diff_interval_pp(c.diff, c.lo95, c.hi95)
    } else {
        numfmt::diff_interval(c.diff, c.lo95, c.hi95, row.scale)
    }
}

/// Draw `dir/scorecard.png` and `.svg`.
pub fn draw_scorecard(ctx: &ChartContext, s: &Scorecard, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, "scorecard", &ScorecardFigure::new(ctx, s))
}

/// Pixel size of the footer's citation lines.
const PROV_PX: f64 = SMALL_PX - 2.0;

/// Width of the figure: the label column and one column per policy, at least 1000 px.
fn figure_width(label_w: u32, col_w: u32, policies: usize) -> i32 {
    (label_w as i32 + 2 * render::PAGE_MARGIN + col_w as i32 * policies.max(1) as i32).max(1000)
}

/// Word wrap by width measured in the embedded font (the figure is sized
/// before there is a drawing area), breaking identifiers only after `_` or `-`.
fn wrap_measured(text: &str, px: f64, style: FontStyle, max_w: u32) -> Vec<String> {
    render::wrap_with(text, max_w, |s| Ok(measure_text(s, px, style))).expect("measuring text cannot fail")
}

/// A row, laid out: wrapped label, formatted cells, height.
struct RowLayout {
    label: Vec<String>,
    cells: Vec<DiffText>,
    height: i32,
}

struct ScorecardFigure<'a> {
    ctx: &'a ChartContext,
    s: &'a Scorecard,
    label_w: u32,
    col_w: u32,
    heads: Vec<Vec<String>>,
    head_h: i32,
    rows: Vec<RowLayout>,
    /// Footer lines: each policy's citation, wrapped to the figure's width so that
    /// no URL is cut off.
    provenance: Vec<String>,
}

impl<'a> ScorecardFigure<'a> {
    /// Measure every text with the font it is drawn in and size the columns
    /// from it, so that no label is cut and no number overflows its cell.
    fn new(ctx: &'a ChartContext, s: &'a Scorecard) -> Self {
        let widest_label = s
            .rows
            .iter()
            .flat_map(|r| {
                [
                    measure_text(&r.label, LABEL_PX, FontStyle::Normal),
                    measure_text(&r.note, NOTE_PX, FontStyle::Normal),
                ]
            })
            .max()
            .unwrap_or(0);
        let label_w = (widest_label + PAD).clamp(MIN_LABEL_W, MAX_LABEL_W + PAD);
        let texts: Vec<Vec<DiffText>> = s
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| cell_text(r, c)).collect())
            .collect();
        let widest_cell = texts
            .iter()
            .flatten()
            .flat_map(|t| {
                [
                    measure_text(&t.value, VALUE_PX, FontStyle::Bold),
                    measure_text(&t.interval, INTERVAL_PX, FontStyle::Normal),
                ]
            })
            .max()
            .unwrap_or(0);
        // Policy names: as wide as their longest word, wrapped at '_'.
        let widest_word = s
            .policies
            .iter()
            .flat_map(|p| p.split_inclusive('_'))
            .map(|w| measure_text(w, HEAD_PX, FontStyle::Bold))
            .max()
            .unwrap_or(0);
        let col_w = (widest_cell.max(widest_word) + PAD).max(MIN_COL_W);
        let heads: Vec<Vec<String>> = s
            .policies
            .iter()
            .map(|p| wrap_measured(p, HEAD_PX, FontStyle::Bold, col_w - PAD / 2))
            .collect();
        let head_lines = heads.iter().map(Vec::len).max().unwrap_or(1) as i32;
        let rows = s
            .rows
            .iter()
            .zip(texts)
            .map(|(r, cells)| {
                let label = wrap_measured(&r.label, LABEL_PX, FontStyle::Normal, label_w - PAD);
                let height = (6 + LABEL_LINE * label.len() as i32 + NOTE_LINE + 4).max(42);
                RowLayout { label, cells, height }
            })
            .collect();
        let w = figure_width(label_w, col_w, s.policies.len());
        let provenance = s
            .provenance
            .iter()
            .flat_map(|line| wrap_measured(line, PROV_PX, FontStyle::Normal, (w - 2 * render::PAGE_MARGIN) as u32))
            .collect();
        ScorecardFigure {
            provenance,
            ctx,
            s,
            label_w,
            col_w,
            heads,
            head_h: 10 + HEAD_LINE * head_lines,
            rows,
        }
    }
}

impl Figure for ScorecardFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let w = figure_width(self.label_w, self.col_w, self.s.policies.len());
        let body: i32 = self.rows.iter().map(|r| r.height).sum();
        let h = FRAME_H + self.head_h + body + 24 + 19 * self.provenance.len() as i32;
        (w as u32, h as u32)
    }

    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let s = self.s;
        Frame {
            title: s.title.clone(),
            direction: Some(format!(
                "Each cell: mean paired difference from {} (policy − baseline), 95% interval in brackets; \
                 probabilities in percentage points (pp).",
                s.baseline
            )),
            key: Some(format!(
                "Blue: better for the US; vermillion: worse; stronger colour = larger difference (full at {FULL_AT_SD} sd \
                 of the outcome). Grey: interval includes 0. Bold: also significant after Holm's correction. \
                 White: information only."
            )),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let s = self.s;
        let x0 = render::PAGE_MARGIN;
        let np = s.policies.len().max(1) as i32;
        let (label_w, col_w) = (self.label_w as i32, self.col_w as i32);
        let head_style = text_style(HEAD_PX, FontStyle::Bold, INK).pos(Pos::new(HPos::Center, VPos::Top));
        for (j, lines) in self.heads.iter().enumerate() {
            let cx = x0 + label_w + col_w * j as i32 + col_w / 2;
            for (k, line) in lines.iter().enumerate() {
                plot.draw_text(line, &head_style, (cx, 4 + HEAD_LINE * k as i32))?;
            }
        }
        let label_style = text_style(LABEL_PX, FontStyle::Normal, INK).pos(Pos::new(HPos::Left, VPos::Top));
        let note_style = text_style(NOTE_PX, FontStyle::Normal, MUTED).pos(Pos::new(HPos::Left, VPos::Top));
        let mut y = self.head_h;
        for (row, lay) in s.rows.iter().zip(&self.rows) {
            let mut ly = y + 4;
            for line in &lay.label {
                plot.draw_text(line, &label_style, (x0, ly))?;
                ly += LABEL_LINE;
            }
            let note = ellipsize(plot, &row.note, &note_style, (label_w - 8) as u32)?;
            plot.draw_text(&note, &note_style, (x0, ly))?;
            let cy = y + (lay.height - 38) / 2;
            for (j, (c, t)) in row.cells.iter().zip(&lay.cells).enumerate() {
                let cx0 = x0 + label_w + col_w * j as i32;
                let fill = cell_colour(c);
                plot.draw(&Rectangle::new(
                    [(cx0 + 2, y + 1), (cx0 + col_w - 2, y + lay.height - 1)],
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
                let big = text_style(VALUE_PX, weight, colour).pos(Pos::new(HPos::Center, VPos::Top));
                let small = text_style(INTERVAL_PX, FontStyle::Normal, colour).pos(Pos::new(HPos::Center, VPos::Top));
                let cx = cx0 + col_w / 2;
                plot.draw_text(&t.value, &big, (cx, cy + 2))?;
                plot.draw_text(&t.interval, &small, (cx, cy + 21))?;
            }
            y += lay.height;
            plot.draw(&PathElement::new(
                vec![(x0, y), (x0 + label_w + col_w * np, y)],
                GRID.stroke_width(1),
            ))?;
        }
        let prov_style = text_style(PROV_PX, FontStyle::Normal, MUTED).pos(Pos::new(HPos::Left, VPos::Top));
        let top = y + 10;
        for (k, line) in self.provenance.iter().enumerate() {
            plot.draw_text(line, &prov_style, (x0, top + 19 * k as i32))?;
        }
        Ok(())
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
        let row = |pp: bool| ScorecardRow {
            label: "x".into(),
            note: String::new(),
            percent_points: pp,
            scale: 0.5,
            cells: Vec::new(),
        };
        let noise = Cell {
            diff: 2.57e-20,
            lo95: -3.84e-4,
            hi95: 3.84e-4,
            ..cell(None, false)
        };
        let t = cell_text(&row(false), &noise);
        assert_eq!((t.value.as_str(), t.interval.as_str()), ("0", "[-0.000384, +0.000384]"));
        let t = cell_text(&row(true), &cell(None, true));
        assert_eq!((t.value.as_str(), t.interval.as_str()), ("+100 pp", "[+50, +150]"));
    }
}
