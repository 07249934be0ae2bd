//! Scenario-discovery charts: PRIM's peeling trajectory (coverage against
//! density, one point per box) and the chosen box (each restricted
//! uncertainty's limits within its range).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::render::{
    self, AXIS_DESC_PX, Canvas, Figure, Frame, GRID, INK, LABEL_PX, MUTED, PALETTE, SMALL_PX, draw_note, fmt_tick, mix,
    text_style,
};
use super::{ChartContext, ensure_fonts};

#[derive(Debug, Clone)]
pub struct TrajectoryChart {
    pub condition: String,
    /// (coverage, density, restricted dimensions) per box, in peeling order.
    pub points: Vec<(f64, f64, usize)>,
    pub chosen: usize,
}

/// Draw `dir/prim_trajectory.png` and `.svg`.
pub fn draw_trajectory(ctx: &ChartContext, c: &TrajectoryChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, "prim_trajectory", &TrajectoryFigure { ctx, c })
}

struct TrajectoryFigure<'a> {
    ctx: &'a ChartContext,
    c: &'a TrajectoryChart,
}

impl Figure for TrajectoryFigure<'_> {
    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let c = self.c;
        Frame {
            title: format!("Where does \"{}\" happen? PRIM peeling trajectory", c.condition),
            direction: None,
            key: Some(
                "Each point is a box: coverage = share of all such cases inside it, density = share of its \
                 experiments that are cases. Colour: number of uncertainties restricted. Ringed: the chosen box."
                    .into(),
            ),
        }
    }

    fn svg_title(&self) -> String {
        format!("PRIM peeling trajectory: {}", self.c.condition)
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let c = self.c;
        if c.points.is_empty() {
            draw_note(plot, "No boxes.")?;
            return Ok(());
        }
        let fmt = |v: &f64| fmt_tick(*v);
        let mut chart = ChartBuilder::on(plot)
            .margin_left(16)
            .margin_right(40)
            .margin_top(14)
            .margin_bottom(6)
            .x_label_area_size(62)
            .y_label_area_size(86)
            .build_cartesian_2d(-0.02..1.02, -0.02..1.02)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .x_desc("coverage")
            .y_desc("density")
            .label_style(text_style(LABEL_PX, FontStyle::Normal, INK))
            .axis_desc_style(text_style(AXIS_DESC_PX, FontStyle::Normal, INK))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(INK.stroke_width(1))
            .draw()?;
        let line: Vec<(f64, f64)> = c.points.iter().map(|p| (p.0, p.1)).collect();
        chart.draw_series(LineSeries::new(line, MUTED.stroke_width(1)))?;
        chart.draw_series(
            c.points
                .iter()
                .map(|&(x, y, k)| Circle::new((x, y), 6, render::policy_colour(k.min(7)).filled())),
        )?;
        if let Some(&(x, y, _)) = c.points.get(c.chosen) {
            chart.draw_series(std::iter::once(Circle::new((x, y), 12, INK.stroke_width(2))))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, y))
                    + Text::new(
                        format!("box {}", c.chosen),
                        (-20, 18),
                        text_style(LABEL_PX, FontStyle::Bold, INK),
                    ),
            ))?;
        }
        // Colour key.
        let max_k = c.points.iter().map(|p| p.2).max().unwrap_or(0);
        let style = text_style(SMALL_PX, FontStyle::Normal, INK);
        let (w, _) = plot.dim_in_pixel();
        for k in 0..=max_k.min(7) {
            let y = 24 + 22 * k as i32;
            plot.draw(&Circle::new(
                (w as i32 - 190, y + 8),
                6,
                render::policy_colour(k).filled(),
            ))?;
            plot.draw_text(&format!("{k} restricted"), &style, (w as i32 - 176, y))?;
        }
        Ok(())
    }
}

/// One restricted uncertainty of a box.
#[derive(Debug, Clone)]
pub struct BoxLimit {
    pub name: String,
    /// The data range and the box limits.
    pub range: (f64, f64),
    pub limits: (f64, f64),
}

#[derive(Debug, Clone)]
pub struct BoxChart {
    pub condition: String,
    pub index: usize,
    pub coverage: f64,
    pub density: f64,
    pub mass: f64,
    pub limits: Vec<BoxLimit>,
}

/// Draw `dir/prim_box.png` and `.svg`.
pub fn draw_box(ctx: &ChartContext, c: &BoxChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, "prim_box", &BoxFigure { ctx, c })
}

struct BoxFigure<'a> {
    ctx: &'a ChartContext,
    c: &'a BoxChart,
}

impl Figure for BoxFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, (330 + 60 * self.c.limits.len() as u32).max(500))
    }

    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let c = self.c;
        Frame {
            title: format!("Box {} for \"{}\"", c.index, c.condition),
            direction: Some(format!(
                "coverage {:.0}%, density {:.0}%, mass {:.0}% of experiments",
                100.0 * c.coverage,
                100.0 * c.density,
                100.0 * c.mass
            )),
            key: Some(
                "Grey: the range explored for each uncertainty; blue: the box's limits. Uncertainties the box \
                 does not restrict are not shown."
                    .into(),
            ),
        }
    }

    fn svg_title(&self) -> String {
        format!("PRIM box {} for {}", self.c.index, self.c.condition)
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let c = self.c;
        if c.limits.is_empty() {
            draw_note(
                plot,
                "The box restricts no uncertainty: the condition is spread over the whole space.",
            )?;
            return Ok(());
        }
        let n = c.limits.len();
        let names: Vec<String> = c.limits.iter().map(|l| l.name.clone()).collect();
        let mut chart = share_rows(plot, names, -0.02..1.02, 300, "position within the explored range")?;
        let label = text_style(SMALL_PX, FontStyle::Normal, INK);
        for (k, l) in c.limits.iter().enumerate() {
            let y = (n - 1 - k) as f64;
            let span = (l.range.1 - l.range.0).max(1e-300);
            let a = (l.limits.0 - l.range.0) / span;
            let b = (l.limits.1 - l.range.0) / span;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.25), (1.0, y + 0.25)],
                mix(GRID, WHITE, 0.2).filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(a, y - 0.25), (b, y + 0.25)],
                PALETTE[0].filled(),
            )))?;
            // Label only the limits that restrict (the others sit on the range ends).
            for (x, v, restricts) in [
                (a, l.limits.0, l.limits.0 > l.range.0),
                (b, l.limits.1, l.limits.1 < l.range.1),
            ] {
                if restricts {
                    chart.draw_series(std::iter::once(Text::new(fmt_tick(v), (x, y + 0.45), label.clone())))?;
                }
            }
            for (x, v) in [(0.0, l.range.0), (1.0, l.range.1)] {
                chart.draw_series(std::iter::once(Text::new(
                    fmt_tick(v),
                    (x, y - 0.3),
                    label.clone().color(&MUTED),
                )))?;
            }
        }
        Ok(())
    }
}

/// One uncertainty's reproducibility under resampling.
#[derive(Debug, Clone)]
pub struct StabilityRow {
    pub name: String,
    pub in_box: bool,
    pub in_simplified: bool,
    /// Share of resampled boxes (chosen by the rule, and simplified) restricting it.
    pub reproducibility: f64,
    pub reproducibility_simplified: f64,
}

#[derive(Debug, Clone)]
pub struct StabilityChart {
    pub condition: String,
    pub resamples: usize,
    pub subsample: usize,
    pub rows: Vec<StabilityRow>,
}

/// Draw `dir/prim_stability.png` and `.svg`.
pub fn draw_stability(ctx: &ChartContext, c: &StabilityChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    render::write_png_and_svg(dir, "prim_stability", &StabilityFigure { ctx, c })
}

struct StabilityFigure<'a> {
    ctx: &'a ChartContext,
    c: &'a StabilityChart,
}

impl Figure for StabilityFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1200, (330 + 56 * self.c.rows.len() as u32).max(500))
    }

    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let c = self.c;
        Frame {
            title: format!("How often is each uncertainty in the box? \"{}\"", c.condition),
            direction: Some(format!(
                "PRIM rerun on {} random subsamples of {} experiments",
                c.resamples, c.subsample
            )),
            key: Some(
                "Light bar: share of resampled boxes (chosen by the same rule) restricting the uncertainty; dark \
                 bar: the same after dropping limits with quasi-p ≥ 0.05. ● in the chosen box, ◆ also in the \
                 simplified box. Dashed: 50%."
                    .into(),
            ),
        }
    }

    fn svg_title(&self) -> String {
        format!("PRIM box stability under resampling: {}", self.c.condition)
    }

    fn draw_plot<DB: DrawingBackend>(&self, _root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let c = self.c;
        if c.rows.is_empty() {
            draw_note(plot, "No resampled box restricts any uncertainty.")?;
            return Ok(());
        }
        let n = c.rows.len();
        let names: Vec<String> = c
            .rows
            .iter()
            .map(|r| {
                let mark = match (r.in_box, r.in_simplified) {
                    (_, true) => " ◆",
                    (true, false) => " ●",
                    _ => "",
                };
                format!("{}{mark}", r.name)
            })
            .collect();
        let mut chart = share_rows(plot, names, 0.0..1.02, 320, "share of resamples")?;
        chart.draw_series(DashedLineSeries::new(
            [(0.5, -0.6), (0.5, n as f64 - 0.4)],
            6,
            4,
            MUTED.stroke_width(1),
        ))?;
        let label = text_style(SMALL_PX, FontStyle::Normal, INK);
        for (k, r) in c.rows.iter().enumerate() {
            let y = (n - 1 - k) as f64;
            for (value, lo, hi, colour) in [
                (r.reproducibility, y + 0.02, y + 0.32, mix(PALETTE[0], WHITE, 0.55)),
                (r.reproducibility_simplified, y - 0.32, y - 0.02, PALETTE[0]),
            ] {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, lo), (value, hi)],
                    colour.filled(),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("{:.0}%", 100.0 * value),
                    (value + 0.01, hi),
                    label.clone(),
                )))?;
            }
        }
        Ok(())
    }
}

/// A chart with one row per name (the first at the top; row k sits at y = n − 1 − k) and shares across (ticks
/// as percentages), styled like the other charts.
fn share_rows<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    names: Vec<String>,
    x: std::ops::Range<f64>,
    name_width: u32,
    x_desc: &str,
) -> anyhow::Result<
    plotters::chart::ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
>
where
    DB::ErrorType: 'static,
{
    let n = names.len();
    let fmt_y = move |v: &f64| {
        let k = v.round();
        if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < names.len() {
            names[names.len() - 1 - k as usize].clone()
        } else {
            String::new()
        }
    };
    let fmt_x = |v: &f64| format!("{:.0}%", 100.0 * v);
    let mut chart = ChartBuilder::on(plot)
        .margin_left(16)
        .margin_right(40)
        .margin_top(10)
        .margin_bottom(6)
        .x_label_area_size(56)
        .y_label_area_size(name_width)
        .build_cartesian_2d(x, -0.6..(n as f64 - 0.4))?;
    chart
        .configure_mesh()
        .y_labels(n)
        .x_labels(6)
        .y_label_formatter(&fmt_y)
        .x_label_formatter(&fmt_x)
        .x_desc(x_desc)
        .label_style(text_style(LABEL_PX, FontStyle::Normal, INK))
        .axis_desc_style(text_style(AXIS_DESC_PX, FontStyle::Normal, INK))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(INK.stroke_width(1))
        .draw()?;
    Ok(chart)
}
