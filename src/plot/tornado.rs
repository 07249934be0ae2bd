//! Tornado chart of sensitivity indices: one horizontal bar per uncertainty,
//! longest on top, with 95% bootstrap intervals as whiskers. For Sobol the
//! bar is the total index (ST) with the first-order index (S1) as a thinner
//! bar inside it; for Morris the bar is μ* with σ marked by a diamond.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::render::{
    self, AXIS_DESC_PX, Canvas, Figure, Frame, GRID, INK, LABEL_PX, PALETTE, draw_note, fmt_tick, mix, text_style,
};
use super::{ChartContext, ensure_fonts};

#[derive(Debug, Clone)]
pub struct TornadoBar {
    pub name: String,
    /// Main value (ST or μ*) and its interval.
    pub value: f64,
    pub ci: (f64, f64),
    /// Second value (S1 with its interval, or σ with no interval).
    pub second: f64,
    pub second_ci: Option<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct TornadoChart<'a> {
    pub id: &'a str,
    pub title: String,
    /// What the bars are, e.g. "ST (total effect, bar) and S1 (first order, inner bar)".
    pub key: String,
    pub x_label: String,
    pub main_label: &'a str,
    pub second_label: &'a str,
    /// True for Morris: the second value is drawn as a marker, not a bar.
    pub second_is_marker: bool,
    pub bars: Vec<TornadoBar>,
}

/// Draw `dir/tornado_<id>.png` and `.svg`. Bars are drawn in the given order, top first.
pub fn draw_tornado(ctx: &ChartContext, c: &TornadoChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, &format!("tornado_{}", c.id), &TornadoFigure { ctx, c })
}

struct TornadoFigure<'a, 'b> {
    ctx: &'a ChartContext,
    c: &'a TornadoChart<'b>,
}

impl Figure for TornadoFigure<'_, '_> {
    fn size(&self) -> (u32, u32) {
        (1200, (260 + 34 * self.c.bars.len() as u32).max(500))
    }

    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let c = self.c;
        Frame {
            title: c.title.clone(),
            direction: None,
            key: Some(c.key.clone()),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, framed: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let c = self.c;
        // A legend row above the plot, so it can never hide a bar.
        let (legend, plot) = framed.split_vertically(36);
        let vals = c.bars.iter().flat_map(|b| {
            [b.value, b.ci.0, b.ci.1, b.second]
                .into_iter()
                .chain(b.second_ci.map(|x| [x.0, x.1]).into_iter().flatten())
        });
        let Some((lo, hi)) = render::finite_range(vals) else {
            draw_note(&plot, "No finite indices (the outcome does not vary).")?;
            return Ok(());
        };
        let xlo = lo.min(0.0);
        let xhi = if hi > xlo { hi + 0.05 * (hi - xlo) } else { xlo + 1.0 };
        let n = c.bars.len().max(1);
        let names: Vec<String> = c.bars.iter().map(|b| b.name.clone()).collect();
        // Top bar first: bar k sits at y = n - 1 - k.
        let fmt_y = move |v: &f64| {
            let k = v.round();
            if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < names.len() {
                names[names.len() - 1 - k as usize].clone()
            } else {
                String::new()
            }
        };
        let fmt_x = |v: &f64| fmt_tick(*v);
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(16)
            .margin_right(30)
            .margin_top(10)
            .margin_bottom(6)
            .x_label_area_size(56)
            .y_label_area_size(300)
            .build_cartesian_2d(xlo..xhi, -0.6..(n as f64 - 0.4))?;
        chart
            .configure_mesh()
            .y_labels(n)
            .x_labels(8)
            .y_label_formatter(&fmt_y)
            .x_label_formatter(&fmt_x)
            .x_desc(c.x_label.as_str())
            .label_style(text_style(LABEL_PX, FontStyle::Normal, INK))
            .axis_desc_style(text_style(AXIS_DESC_PX, FontStyle::Normal, INK))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(INK.stroke_width(1))
            .draw()?;
        let main = PALETTE[0];
        let second = PALETTE[1];
        for (k, b) in c.bars.iter().enumerate() {
            let y = (n - 1 - k) as f64;
            if b.value.is_finite() {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0_f64.max(xlo), y - 0.34), (b.value, y + 0.34)],
                    mix(main, WHITE, 0.35).filled(),
                )))?;
            }
            if b.second.is_finite() {
                if c.second_is_marker {
                    chart.draw_series(std::iter::once(TriangleMarker::new((b.second, y), 8, second.filled())))?;
                } else {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(0.0_f64.max(xlo), y - 0.14), (b.second, y + 0.14)],
                        second.filled(),
                    )))?;
                }
            }
            let whisker = |lo: f64, hi: f64, yy: f64| {
                vec![
                    PathElement::new(vec![(lo, yy), (hi, yy)], INK.stroke_width(2)),
                    PathElement::new(vec![(lo, yy - 0.1), (lo, yy + 0.1)], INK.stroke_width(2)),
                    PathElement::new(vec![(hi, yy - 0.1), (hi, yy + 0.1)], INK.stroke_width(2)),
                ]
            };
            if b.ci.0.is_finite() && b.ci.1.is_finite() {
                chart.draw_series(whisker(b.ci.0, b.ci.1, y + 0.22))?;
            }
            if let Some((l, h)) = b.second_ci
                && l.is_finite()
                && h.is_finite()
            {
                chart.draw_series(whisker(l, h, y - 0.22))?;
            }
        }
        let style = text_style(LABEL_PX, FontStyle::Normal, INK);
        let x0 = 320;
        legend.draw(&Rectangle::new(
            [(x0, 10), (x0 + 26, 26)],
            mix(main, WHITE, 0.35).filled(),
        ))?;
        legend.draw_text(c.main_label, &style, (x0 + 34, 9))?;
        let x1 = x0 + 260;
        if c.second_is_marker {
            legend.draw(&TriangleMarker::new((x1 + 13, 18), 8, second.filled()))?;
        } else {
            legend.draw(&Rectangle::new([(x1, 12), (x1 + 26, 24)], second.filled()))?;
        }
        legend.draw_text(c.second_label, &style, (x1 + 34, 9))?;
        Ok(())
    }
}
