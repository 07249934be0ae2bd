//! Forest plots: one row per item, a dot at the estimate and a line for its
//! 95% interval, against a vertical line at zero. Used by `explain` for the
//! largest differences in actors' choices and in event rates between a policy
//! and the baseline.
//!
//! The point of the chart is "which differences are clearly not zero, and how
//! big": rows are drawn in the order given (callers sort by size), intervals
//! that cross zero are drawn grey, and each row's value is printed at the
//! right so the chart can be quoted without reading the axis.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{
    self, AXIS_DESC_PX, Canvas, Figure, Frame, GRID, INK, LABEL_PX, MUTED, SMALL_PX, draw_note, ellipsize,
    finite_range, fmt_tick, pad_range, text_style,
};
use super::scorecard::{BETTER, WORSE};
use super::{ChartContext, ensure_fonts};

/// How to colour a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Better,
    Worse,
    /// A real difference with no better/worse (e.g. an actor's choice).
    Plain,
    /// Interval includes zero.
    Unclear,
}

#[derive(Debug, Clone)]
pub struct ForestRow {
    pub label: String,
    pub value: f64,
    pub lo95: f64,
    pub hi95: f64,
    /// Printed at the right, e.g. "+12.3 pp (41% → 53%)".
    pub text: String,
    pub tone: Tone,
}

#[derive(Debug, Clone)]
pub struct Forest {
    /// File stem.
    pub id: String,
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
    /// The package's provenance (author, seed file, date), shown in the key.
    pub source: String,
    pub rows: Vec<ForestRow>,
}

const ROW_H: i32 = 34;
const LABEL_W: u32 = 380;
const VALUE_W: u32 = 250;

/// Draw `dir/<id>.png` and `.svg`.
pub fn draw_forest(ctx: &ChartContext, f: &Forest, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, &f.id, &ForestFigure { ctx, f })
}

struct ForestFigure<'a> {
    ctx: &'a ChartContext,
    f: &'a Forest,
}

fn tone_colour(t: Tone) -> RGBColor {
    match t {
        Tone::Better => BETTER,
        Tone::Worse => WORSE,
        Tone::Plain => INK,
        Tone::Unclear => RGBColor(0x99, 0x99, 0x99),
    }
}

impl Figure for ForestFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, (260 + ROW_H * self.f.rows.len().max(3) as i32 + 60) as u32)
    }

    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let f = self.f;
        Frame {
            title: f.title.clone(),
            direction: Some(f.subtitle.clone()),
            key: Some(format!(
                "Dot: mean paired difference (policy − baseline, same trials). Line: 95% interval. Grey: interval \
                 includes 0. Package: {}.",
                f.source
            )),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let f = self.f;
        if f.rows.is_empty() {
            draw_note(plot, "No difference distinguishable from noise.")?;
            return Ok(());
        }
        let n = f.rows.len();
        let range = finite_range(f.rows.iter().flat_map(|r| [r.value, r.lo95, r.hi95]).chain([0.0]));
        let (lo, hi) = range.unwrap_or((-1.0, 1.0));
        let (xlo, xhi) = pad_range(lo, hi, 0.06);
        let x_fmt = |v: &f64| fmt_tick(*v);
        let mut chart = ChartBuilder::on(plot)
            .margin_left(LABEL_W as i32)
            .margin_right(VALUE_W as i32)
            .margin_top(8)
            .margin_bottom(4)
            .x_label_area_size(56)
            .build_cartesian_2d(xlo..xhi, (-(n as f64) + 0.5)..0.5)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_label_formatter(&x_fmt)
            .x_desc(f.x_desc.as_str())
            .label_style(text_style(LABEL_PX, FontStyle::Normal, INK))
            .axis_desc_style(text_style(AXIS_DESC_PX, FontStyle::Normal, INK))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(INK.stroke_width(1))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -(n as f64) + 0.5), (0.0, 0.5)],
            INK.stroke_width(2),
        )))?;
        let label_style = text_style(SMALL_PX + 1.0, FontStyle::Normal, INK).pos(Pos::new(HPos::Right, VPos::Center));
        let value_style = text_style(SMALL_PX, FontStyle::Normal, MUTED).pos(Pos::new(HPos::Left, VPos::Center));
        let (pw, _) = plot.dim_in_pixel();
        for (i, r) in f.rows.iter().enumerate() {
            let y = -(i as f64);
            let colour = tone_colour(r.tone);
            if r.lo95.is_finite() && r.hi95.is_finite() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(r.lo95, y), (r.hi95, y)],
                    colour.stroke_width(3),
                )))?;
            }
            if r.value.is_finite() {
                chart.draw_series(std::iter::once(Circle::new((r.value, y), 6, colour.filled())))?;
            }
            let (_, py) = chart.backend_coord(&(xlo, y));
            // `backend_coord` is in canvas pixels, so labels go on the root area.
            let label = ellipsize(root, &r.label, &label_style, LABEL_W - 16)?;
            root.draw_text(&label, &label_style, (LABEL_W as i32 - 10, py))?;
            let text = ellipsize(root, &r.text, &value_style, VALUE_W - 16)?;
            root.draw_text(&text, &value_style, (pw as i32 - VALUE_W as i32 + 12, py))?;
        }
        Ok(())
    }
}
