//! Lever-sweep charts: an outcome against one lever's values (mean with
//! quantile bands), and a heatmap of the mean over two levers.
//!
//! Lever values sit at evenly spaced positions labelled with the values
//! themselves (option names, `true`/`false`, numbers), so enum and numeric
//! levers read the same way; a numeric lever swept with a range `a:b:n` is
//! evenly spaced anyway.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::render::{
    self, AXIS_DESC_PX, Canvas, Figure, Frame, GRID, INK, LABEL_PX, PALETTE, SMALL_PX, draw_note, fmt_num, fmt_tick,
    mix, pad_range, text_style,
};
use super::{ChartContext, ensure_fonts};

/// Summary of one outcome at one lever value.
#[derive(Debug, Clone, Copy)]
pub struct BandPoint {
    pub mean: f64,
    /// 5th, 25th, 50th, 75th, 95th percentiles over experiments.
    pub q: [f64; 5],
}

#[derive(Debug, Clone)]
pub struct BandChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub unit: &'a str,
    pub direction: &'a str,
    /// The lever on the x axis, e.g. "sanctions_relief".
    pub lever: &'a str,
    pub categories: Vec<String>,
    pub points: Vec<BandPoint>,
    /// For a 0/1 outcome the mean is a probability and bands say nothing;
    /// only the mean is drawn.
    pub is_event: bool,
    /// e.g. "averaged over recognition (3 values)"; empty if only one lever.
    pub note: String,
}

/// Draw `dir/sweep_<lever>_<id>.png` and `.svg`.
pub fn draw_band(ctx: &ChartContext, c: &BandChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, &format!("sweep_{}_{}", c.lever, c.id), &BandFigure { ctx, c })
}

struct BandFigure<'a, 'b> {
    ctx: &'a ChartContext,
    c: &'a BandChart<'b>,
}

fn category_formatter(cats: &[String]) -> impl Fn(&f64) -> String + '_ {
    move |v: &f64| {
        let k = v.round();
        if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < cats.len() {
            cats[k as usize].clone()
        } else {
            String::new()
        }
    }
}

impl Figure for BandFigure<'_, '_> {
    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let c = self.c;
        let key = if c.is_event {
            "Line: share of experiments in which the event occurs, at each lever value.".to_string()
        } else {
            "Line: mean over experiments; dark band: middle 50%; light band: middle 90%.".to_string()
        };
        let key = if c.note.is_empty() {
            key
        } else {
            format!("{key} {}", c.note)
        };
        Frame {
            title: format!("{} by {}", c.title, c.lever),
            direction: Some(render::direction_line(c.direction)),
            key: Some(key),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let c = self.c;
        let vals = c.points.iter().flat_map(|p| {
            let mut v = vec![p.mean];
            if !c.is_event {
                v.extend_from_slice(&p.q);
            }
            v
        });
        let Some((lo, hi)) = render::finite_range(vals) else {
            draw_note(plot, "No data: no finite outcome values.")?;
            return Ok(());
        };
        let (ylo, yhi) = pad_range(lo, hi, 0.06);
        let k = c.categories.len().max(1);
        let fmt_x = category_formatter(&c.categories);
        let fmt_y = |v: &f64| fmt_tick(*v);
        let mut chart = ChartBuilder::on(plot)
            .margin_left(16)
            .margin_right(30)
            .margin_top(14)
            .margin_bottom(6)
            .x_label_area_size(62)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.5..(k as f64 - 0.5), ylo..yhi)?;
        chart
            .configure_mesh()
            .x_labels(k.min(24))
            .y_labels(7)
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .x_desc(c.lever)
            .y_desc(if c.unit.trim().is_empty() { "value" } else { c.unit })
            .label_style(text_style(LABEL_PX, FontStyle::Normal, INK))
            .axis_desc_style(text_style(AXIS_DESC_PX, FontStyle::Normal, INK))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(INK.stroke_width(1))
            .draw()?;
        let colour = PALETTE[0];
        let xs = |i: usize| i as f64;
        if !c.is_event {
            for (band, tint) in [((0, 4), 0.82), ((1, 3), 0.6)] {
                let mut poly: Vec<(f64, f64)> = Vec::new();
                for (i, p) in c.points.iter().enumerate() {
                    poly.push((xs(i), p.q[band.1]));
                }
                for (i, p) in c.points.iter().enumerate().rev() {
                    poly.push((xs(i), p.q[band.0]));
                }
                if poly.iter().all(|p| p.1.is_finite()) {
                    chart.draw_series(std::iter::once(Polygon::new(poly, mix(colour, WHITE, tint).filled())))?;
                }
            }
        }
        let line: Vec<(f64, f64)> = c
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.mean.is_finite())
            .map(|(i, p)| (xs(i), p.mean))
            .collect();
        chart.draw_series(LineSeries::new(line.clone(), colour.stroke_width(3)))?;
        chart.draw_series(line.iter().map(|&p| Circle::new(p, 5, colour.filled())))?;
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct HeatmapChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub unit: &'a str,
    pub direction: &'a str,
    pub x_lever: &'a str,
    pub y_lever: &'a str,
    pub x_categories: Vec<String>,
    pub y_categories: Vec<String>,
    /// `means[y][x]`.
    pub means: Vec<Vec<f64>>,
}

/// Draw `dir/heatmap_<id>.png` and `.svg`.
pub fn draw_heatmap(ctx: &ChartContext, c: &HeatmapChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, &format!("heatmap_{}", c.id), &HeatmapFigure { ctx, c })
}

struct HeatmapFigure<'a, 'b> {
    ctx: &'a ChartContext,
    c: &'a HeatmapChart<'b>,
}

impl Figure for HeatmapFigure<'_, '_> {
    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let c = self.c;
        Frame {
            title: format!("{} by {} and {}", c.title, c.x_lever, c.y_lever),
            direction: Some(render::direction_line(c.direction)),
            key: Some(format!(
                "Each cell: mean over experiments ({}); darker = higher.",
                if c.unit.trim().is_empty() { "value" } else { c.unit }
            )),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let c = self.c;
        let Some((lo, hi)) = render::finite_range(c.means.iter().flatten().copied()) else {
            draw_note(plot, "No data: no finite outcome values.")?;
            return Ok(());
        };
        let (nx, ny) = (c.x_categories.len().max(1), c.y_categories.len().max(1));
        let fmt_x = category_formatter(&c.x_categories);
        let fmt_y = category_formatter(&c.y_categories);
        let mut chart = ChartBuilder::on(plot)
            .margin_left(16)
            .margin_right(30)
            .margin_top(14)
            .margin_bottom(6)
            .x_label_area_size(62)
            .y_label_area_size(150)
            .build_cartesian_2d(-0.5..(nx as f64 - 0.5), -0.5..(ny as f64 - 0.5))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nx.min(24))
            .y_labels(ny.min(24))
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .x_desc(c.x_lever)
            .y_desc(c.y_lever)
            .label_style(text_style(LABEL_PX, FontStyle::Normal, INK))
            .axis_desc_style(text_style(AXIS_DESC_PX, FontStyle::Normal, INK))
            .axis_style(INK.stroke_width(1))
            .draw()?;
        let span = if hi > lo { hi - lo } else { 1.0 };
        let label = text_style(SMALL_PX, FontStyle::Normal, INK).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
        for (yi, row) in c.means.iter().enumerate() {
            for (xi, &m) in row.iter().enumerate() {
                let (x, y) = (xi as f64, yi as f64);
                let t = if m.is_finite() { (m - lo) / span } else { 0.0 };
                let fill = if m.is_finite() {
                    mix(WHITE, PALETTE[0], 0.1 + 0.85 * t)
                } else {
                    GRID
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    fill.filled(),
                )))?;
                let ink = if t > 0.55 { WHITE } else { INK };
                if nx * ny <= 400 {
                    chart.draw_series(std::iter::once(Text::new(
                        if m.is_finite() { fmt_num(m) } else { "–".into() },
                        (x, y),
                        label.clone().color(&ink),
                    )))?;
                }
            }
        }
        Ok(())
    }
}
