//! Fan charts: how a state variable's distribution across trials evolves over
//! time, as small multiples with one panel per policy.
//!
//! Why small multiples rather than overlaid fans: overlapping translucent bands
//! of several policies turn into mud; separate panels on a shared y range
//! compare levels just as well and stay readable.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{
    self, AXIS_DESC_PX, Canvas, Figure, Frame, GRID, INK, SMALL_PX, darker, draw_label_with_halo, draw_note, ellipsize,
    finite_range, fmt_tick, limit_lines, mix, pad_range, plottable, policy_colour, text_style, wrap_text,
};
use super::{ChartContext, FanChart, ensure_fonts};

/// Grid of panels for `n` policies: one row of up to three, 2×2 for four,
/// 2×3 for five or six, 3×3 for seven to nine, and further rows of three
/// beyond that. Returns (rows, columns).
pub fn fan_grid(n: usize) -> (usize, usize) {
    match n {
        0 | 1 => (1, 1),
        2 | 3 => (1, n),
        4 => (2, 2),
        5 | 6 => (2, 3),
        _ => (n.div_ceil(3), 3),
    }
}

/// Canvas size of a fan chart with `n` policies: 1200 px wide, 700 px high
/// for one row of panels and 200 px more per extra row, so panels never get
/// too flat to read.
pub fn fan_canvas_size(n: usize) -> (u32, u32) {
    let (rows, _) = fan_grid(n);
    (1200, 500 + 200 * rows as u32)
}

/// Draw `dir/fan_<id>.png` and `.svg`: one panel per policy on a shared y
/// range, each with the 90% band (p05–p95, light), the 50% band (p25–p75,
/// darker) and the median line, in the policy's colour, with a dashed vertical
/// line at the decision date.
///
/// Turns whose time or band values are non-finite are skipped, and the bands
/// break there rather than bridging the gap. If `times` and a policy's `bands`
/// differ in length, the extra entries are ignored. Turns are drawn in time
/// order whatever their order in the input. Returns the PNG and SVG paths.
pub fn draw_fan(ctx: &ChartContext, c: &FanChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    draw_fan_with_observed(ctx, c, &[], dir)
}

/// As [`draw_fan`], with observed values (e.g. the calibration record) drawn
/// as black diamonds over every panel, so the reader sees at once whether the
/// record falls inside the model's bands. Observations are `(time, value)`;
/// non-finite ones are skipped. A `decision` that is not finite draws no
/// decision line (a hindcast has none).
pub fn draw_fan_with_observed(
    ctx: &ChartContext,
    c: &FanChart,
    observed: &[(f64, f64)],
    dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    let mut fig = FanFigure::new(ctx, c);
    fig.observed = observed
        .iter()
        .copied()
        .filter(|&(t, v)| plottable(t) && plottable(v))
        .collect();
    if !fig.observed.is_empty() {
        let ys = fig.observed.iter().map(|o| o.1);
        let ts = fig.observed.iter().map(|o| o.0);
        fig.yrange = finite_range(ys.chain(fig.yrange.into_iter().flat_map(|(a, b)| [a, b])));
        fig.xrange = finite_range(ts.chain(fig.xrange.into_iter().flat_map(|(a, b)| [a, b])));
    }
    render::write_png_and_svg(dir, &format!("fan_{}", c.id), &fig)
}

/// A band over consecutive valid turns: (time, low, high).
type Run = Vec<(f64, f64, f64)>;

/// One policy's panel, precomputed.
#[derive(Debug, Clone)]
struct Panel {
    name: String,
    outer: Vec<Run>,
    inner: Vec<Run>,
    /// Median runs; low == high == median.
    median: Vec<Run>,
}

/// Split `(t, lo, hi)` points (in time order, `None` for invalid turns) into
/// runs of consecutive valid ones.
fn runs<I: IntoIterator<Item = Option<(f64, f64, f64)>>>(points: I) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut cur: Run = Vec::new();
    for p in points {
        match p {
            Some(p) => cur.push(p),
            None if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
            None => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct FanFigure<'a> {
    ctx: &'a ChartContext,
    title: String,
    unit: String,
    decision: Option<f64>,
    panels: Vec<Panel>,
    xrange: Option<(f64, f64)>,
    yrange: Option<(f64, f64)>,
    /// Observed points drawn over every panel.
    observed: Vec<(f64, f64)>,
}

impl<'a> FanFigure<'a> {
    fn new(ctx: &'a ChartContext, c: &FanChart) -> Self {
        // Turn indices with a finite time, in time order (stable for ties).
        let mut order: Vec<usize> = (0..c.times.len()).filter(|&k| plottable(c.times[k])).collect();
        order.sort_by(|&a, &b| c.times[a].total_cmp(&c.times[b]));

        let panels: Vec<Panel> = c
            .policies
            .iter()
            .map(|p| {
                let band = |lo: usize, hi: usize| {
                    runs(order.iter().map(|&k| {
                        let b = p.bands.get(k)?;
                        (plottable(b[lo]) && plottable(b[hi])).then_some((c.times[k], b[lo], b[hi]))
                    }))
                };
                Panel {
                    name: p.policy.to_string(),
                    outer: band(0, 4),
                    inner: band(1, 3),
                    median: band(2, 2),
                }
            })
            .collect();

        let used = |f: fn(&(f64, f64, f64)) -> [f64; 2]| {
            panels
                .iter()
                .flat_map(|p| p.outer.iter().chain(&p.inner).chain(&p.median))
                .flatten()
                .flat_map(f)
                .collect::<Vec<f64>>()
        };
        let yrange = finite_range(used(|p| [p.1, p.2]));
        let decision = plottable(c.decision).then_some(c.decision);
        let xrange = finite_range(used(|p| [p.0, p.0])).map(|(lo, hi)| match decision {
            Some(d) => (lo.min(d), hi.max(d)),
            None => (lo, hi),
        });
        FanFigure {
            ctx,
            title: c.title.to_string(),
            unit: c.unit.to_string(),
            decision,
            panels,
            xrange,
            yrange,
            observed: Vec::new(),
        }
    }
}

/// Year tick label: "2024" on whole years, one or two decimals otherwise.
fn fmt_year(x: f64) -> String {
    if (x - x.round()).abs() < 1e-6 {
        format!("{:.0}", x.round())
    } else if (x * 10.0 - (x * 10.0).round()).abs() < 1e-6 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Maximum number of x ticks for a time span: whole years when the span
/// allows (plotters then picks a step of 1, 2 or 5 years), at most six so
/// labels never collide in a three-column grid.
fn year_ticks(span: f64) -> usize {
    if span >= 2.0 {
        ((span.floor() as usize) + 1).min(6)
    } else {
        5
    }
}

impl Figure for FanFigure<'_> {
    fn size(&self) -> (u32, u32) {
        fan_canvas_size(self.panels.len())
    }

    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let mut key =
            String::from("Light band: 90% of trials (5th to 95th percentile).  Dark band: middle 50%.  Line: median.");
        if self.decision.is_some() {
            key.push_str("  Dashed line: decision date.");
        }
        if !self.observed.is_empty() {
            key.push_str("  Black diamonds: observed (calibration record).");
        }
        Frame {
            title: self.title.clone(),
            direction: None,
            key: Some(key),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let (Some((xlo, xhi)), Some((ylo, yhi))) = (self.xrange, self.yrange) else {
            let what = if self.panels.is_empty() {
                "No policies to show."
            } else {
                "No data: no finite values for any policy."
            };
            draw_note(plot, what)?;
            return Ok(());
        };
        // A little padding so markers at the first and last turn are not cut.
        let (xlo, xhi) = pad_range(xlo, xhi, 0.015);
        let (ylo, yhi) = pad_range(ylo, yhi, 0.05);

        // Unit once, rotated, left of the whole grid (the y range is shared).
        let (_, ph) = plot.dim_in_pixel();
        let (strip, grid) = plot.split_horizontally(34);
        let unit = if self.unit.trim().is_empty() {
            "value"
        } else {
            self.unit.trim()
        };
        let unit_style = text_style(AXIS_DESC_PX, FontStyle::Normal, INK)
            .pos(Pos::new(HPos::Center, VPos::Center))
            .transform(FontTransform::Rotate270);
        let unit = ellipsize(&strip, unit, &unit_style, ph.saturating_sub(20))?;
        strip.draw_text(&unit, &unit_style, (16, ph as i32 / 2))?;

        let (rows, cols) = fan_grid(self.panels.len());
        let cells = grid.split_evenly((rows, cols));
        let x_ticks = year_ticks(xhi - xlo);
        let y_fmt = |v: &f64| fmt_tick(*v);
        let x_fmt = |v: &f64| fmt_year(*v);
        // Panel captions: policy names, wrapped to two lines at most. All
        // panels reserve the same caption height so their axes line up.
        let caption_style = text_style(SMALL_PX + 3.0, FontStyle::Bold, INK).pos(Pos::new(HPos::Center, VPos::Top));
        let caption_w = grid.dim_in_pixel().0 / cols as u32;
        let captions = self
            .panels
            .iter()
            .map(|p| {
                limit_lines(
                    root,
                    wrap_text(root, &p.name, &caption_style, caption_w.saturating_sub(20))?,
                    2,
                    &caption_style,
                    caption_w.saturating_sub(20),
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let caption_lines = captions.iter().map(Vec::len).max().unwrap_or(1) as i32;
        let caption_h = 8 + 22 * caption_lines;
        for (i, ((p, cell), caption)) in self.panels.iter().zip(&cells).zip(&captions).enumerate() {
            let colour = policy_colour(i);
            let (cw, _) = cell.dim_in_pixel();
            let (head, body) = cell.split_vertically(caption_h);
            for (k, line) in caption.iter().enumerate() {
                head.draw_text(line, &caption_style, (cw as i32 / 2, 6 + 22 * k as i32))?;
            }
            let mut chart = ChartBuilder::on(&body)
                .margin(6)
                .margin_right(30) // room for half of a tick label at the right end
                .x_label_area_size(30)
                .y_label_area_size(64)
                .build_cartesian_2d(xlo..xhi, ylo..yhi)?;
            chart
                .configure_mesh()
                .x_labels(x_ticks)
                .y_labels(5)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .label_style(text_style(SMALL_PX, FontStyle::Normal, INK))
                .bold_line_style(GRID.stroke_width(1))
                .light_line_style(TRANSPARENT)
                .axis_style(INK.stroke_width(1))
                .draw()?;

            let light = mix(colour, WHITE, 0.72);
            let dark = mix(colour, WHITE, 0.35);
            for (runs, fill) in [(&p.outer, light), (&p.inner, dark)] {
                for run in runs.iter() {
                    if run.len() == 1 {
                        let (t, lo, hi) = run[0];
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(t, lo), (t, hi)],
                            fill.stroke_width(6),
                        )))?;
                        continue;
                    }
                    let mut poly: Vec<(f64, f64)> = run.iter().map(|&(t, lo, _)| (t, lo)).collect();
                    poly.extend(run.iter().rev().map(|&(t, _, hi)| (t, hi)));
                    chart.draw_series(std::iter::once(Polygon::new(poly, fill.filled())))?;
                }
            }
            let line = darker(colour);
            for run in &p.median {
                if run.len() == 1 {
                    chart.draw_series(std::iter::once(Circle::new((run[0].0, run[0].1), 4, line.filled())))?;
                } else {
                    chart.draw_series(LineSeries::new(
                        run.iter().map(|&(t, m, _)| (t, m)),
                        line.stroke_width(3),
                    ))?;
                }
            }
            if p.median.is_empty() && p.outer.is_empty() && p.inner.is_empty() {
                let (xr, yr) = chart.plotting_area().get_pixel_range();
                let style =
                    text_style(SMALL_PX + 2.0, FontStyle::Italic, INK).pos(Pos::new(HPos::Center, VPos::Center));
                root.draw_text("no data", &style, ((xr.start + xr.end) / 2, (yr.start + yr.end) / 2))?;
            }

            for &(t, v) in &self.observed {
                let (px, py) = chart.backend_coord(&(t, v));
                let diamond = |r: i32| vec![(px, py - r), (px + r, py), (px, py + r), (px - r, py)];
                root.draw(&Polygon::new(diamond(9), WHITE.filled()))?;
                root.draw(&Polygon::new(diamond(6), INK.filled()))?;
            }

            if let Some(d) = self.decision {
                chart.draw_series(DashedLineSeries::new(
                    vec![(d, ylo), (d, yhi)],
                    7,
                    5,
                    INK.stroke_width(2),
                ))?;
                let (dx, dy) = chart.backend_coord(&(d, yhi));
                let (xr, _) = chart.plotting_area().get_pixel_range();
                // Label on the side with more room, so it is never clipped.
                let (anchor, x) = if dx > (xr.start + xr.end) / 2 {
                    (HPos::Right, dx - 5)
                } else {
                    (HPos::Left, dx + 5)
                };
                let style = text_style(SMALL_PX - 1.0, FontStyle::Normal, INK).pos(Pos::new(anchor, VPos::Top));
                draw_label_with_halo(root, "decision", &style, (x, dy + 5))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_fit_the_brief() {
        assert_eq!(fan_grid(1), (1, 1));
        assert_eq!(fan_grid(3), (1, 3));
        assert_eq!(fan_grid(4), (2, 2));
        assert_eq!(fan_grid(6), (2, 3));
        assert_eq!(fan_grid(9), (3, 3));
        assert_eq!(fan_grid(10), (4, 3));
    }

    #[test]
    fn runs_break_at_gaps() {
        let r = runs([
            Some((1.0, 0.0, 1.0)),
            None,
            Some((2.0, 0.0, 1.0)),
            Some((3.0, 0.0, 1.0)),
            None,
        ]);
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].len(), 2);
    }

    #[test]
    fn year_labels() {
        assert_eq!(fmt_year(2024.0), "2024");
        assert_eq!(fmt_year(2024.5), "2024.5");
        assert_eq!(fmt_year(2024.25), "2024.25");
    }
}
