//! Empirical cumulative distribution functions (ECDFs) of one outcome, one
//! stepped line per policy on shared axes.
//!
//! Why an ECDF next to the violins: it answers threshold questions directly
//! ("in what share of trials do attacks stay below 50 a year?") and shows
//! stochastic dominance at a glance (one curve left of another everywhere),
//! with no bandwidth or binning choices to argue about.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::distribution::{DistributionLayout, distribution_layout};
use super::render::{
    self, AXIS_DESC_PX, Canvas, Figure, Frame, GRID, INK, LABEL_PX, MUTED, SMALL_PX, draw_dashed, draw_note,
    finite_sorted, fmt_tick, limit_lines, pad_range, policy_colour, policy_dash, skipped_note, text_style, wrap_text,
};
use super::{ChartContext, OutcomeChart, PolicySample, ensure_fonts};

/// Rises (in cumulative share) smaller than this are merged into the next
/// kept one when thinning a curve (3/1000 is about a pixel on a 700 px
/// chart). Thinning keeps a 10,000-trial curve to a few hundred points: small
/// SVGs, and no sub-pixel segments, which plotters draws as a fuzzy line.
const STEP_TOLERANCE: f64 = 3e-3;

/// Rises smaller than this (about four pixels) are drawn as a straight
/// segment from the previous corner instead of a horizontal-then-vertical
/// step. Continuous outcomes then draw as a clean line rather than a
/// staircase of tiny steps, while the real jumps of discrete outcomes stay as
/// visible steps. The drawn curve stays within this of the true one.
const RISER_MIN: f64 = 1e-2;

/// Width of the legend column to the right of the plot, in pixels.
const LEGEND_WIDTH: u32 = 270;

/// Two policies' curves coincide when their ECDFs are never further apart
/// than this (2% of trials: under ten pixels on the chart, where two 3-pixel
/// lines read as one). The note gives the actual largest distance, so a
/// reader learns whether they are identical or merely close.
pub const COINCIDE_TOLERANCE: f64 = 0.02;

/// Largest vertical distance between the ECDFs of two ascending, finite
/// samples (the Kolmogorov–Smirnov statistic); 0 for identical
/// distributions, 1 if either is empty.
pub fn ecdf_distance(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return if a.is_empty() && b.is_empty() { 0.0 } else { 1.0 };
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut d: f64 = 0.0;
    while i < a.len() || j < b.len() {
        // Step past every copy of the next value in either sample.
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    d
}

/// Policies whose curves coincide with an earlier one's: `(later, earlier,
/// distance)`, each later policy paired with the first earlier policy within
/// [`COINCIDE_TOLERANCE`] of it (policies without data are left out).
pub fn coinciding(samples: &[PolicySample]) -> Vec<(usize, usize, f64)> {
    let sorted: Vec<Vec<f64>> = samples.iter().map(|s| finite_sorted(s.values)).collect();
    let mut out = Vec::new();
    for j in 1..sorted.len() {
        if sorted[j].is_empty() {
            continue;
        }
        if let Some((i, d)) = (0..j)
            .filter(|&i| !sorted[i].is_empty())
            .map(|i| (i, ecdf_distance(&sorted[i], &sorted[j])))
            .find(|&(_, d)| d <= COINCIDE_TOLERANCE)
        {
            out.push((j, i, d));
        }
    }
    out
}

/// Draw `dir/ecdf_<id>.png` and `.svg`: one stepped ECDF per policy, coloured
/// as on the other charts, with a legend in a column to the right of the plot
/// (so it can never hide a curve) and a dashed guide at the median (0.5).
///
/// Non-finite values are skipped; a policy without data is listed in the
/// legend as "(no data)" and draws nothing. All-equal samples draw as a single
/// step. Returns the PNG and SVG paths.
pub fn draw_ecdf(ctx: &ChartContext, c: &OutcomeChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    let fig = EcdfFigure::new(ctx, c);
    render::write_png_and_svg(dir, &format!("ecdf_{}", c.id), &fig)
}

/// One policy's ECDF, ready to draw.
#[derive(Debug, Clone)]
struct Curve {
    name: String,
    /// Number of values given, and number of finite ones.
    total: usize,
    usable: usize,
    /// Step corners `(x, F)`; the line starts at `(x, 0)` of the first and
    /// ends at `(x, 1)` of the last. Empty if there are no finite values.
    steps: Vec<(f64, f64)>,
    /// The earlier policy this curve coincides with, if any.
    same_as: Option<String>,
}

/// Corners of the ECDF of ascending, finite `sorted` data, to be joined by
/// straight segments.
///
/// For each distinct value `v` the curve rises from the share of values below
/// `v` to the share at or below it. Rises smaller than [`STEP_TOLERANCE`] are
/// merged into the next kept one, and rises smaller than [`RISER_MIN`] are
/// drawn as a slanted segment (see there), so the drawn curve is never more
/// than `RISER_MIN` from the true one vertically. The first point is at
/// `F = 0` and the last at `F = 1`.
fn ecdf_steps(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len();
    let mut out = Vec::new();
    let mut kept = 0.0; // F at the last kept corner
    let mut i = 0;
    while i < n {
        let v = sorted[i];
        let mut j = i;
        while j < n && sorted[j] == v {
            j += 1;
        }
        let f = j as f64 / n as f64;
        let rise = f - kept;
        if rise >= STEP_TOLERANCE || j == n {
            if rise >= RISER_MIN || out.is_empty() {
                out.push((v, kept));
            }
            out.push((v, f));
            kept = f;
        }
        i = j;
    }
    out
}

struct EcdfFigure<'a> {
    ctx: &'a ChartContext,
    title: String,
    unit: String,
    direction: String,
    description: String,
    curves: Vec<Curve>,
    layout: Option<DistributionLayout>,
    /// "b coincides with a" notes, in policy order.
    coincide: Vec<String>,
}

impl<'a> EcdfFigure<'a> {
    fn new(ctx: &'a ChartContext, c: &OutcomeChart) -> Self {
        let layout = distribution_layout(&c.samples);
        let pairs = coinciding(&c.samples);
        let mut curves: Vec<Curve> = c
            .samples
            .iter()
            .map(|s| {
                let sorted = finite_sorted(s.values);
                Curve {
                    name: s.policy.to_string(),
                    total: s.values.len(),
                    usable: sorted.len(),
                    steps: ecdf_steps(&sorted),
                    same_as: None,
                }
            })
            .collect();
        // Group policies drawn over each other: each joins the group of the
        // earlier policy it coincides with; a group's note gives the largest
        // distance between any two of its members.
        let mut group: Vec<usize> = (0..curves.len()).collect();
        for &(j, i, _) in &pairs {
            curves[j].same_as = Some(c.samples[i].policy.to_string());
            group[j] = group[i];
        }
        let sorted: Vec<Vec<f64>> = c.samples.iter().map(|s| finite_sorted(s.values)).collect();
        let mut coincide = Vec::new();
        for g in 0..curves.len() {
            let idx: Vec<usize> = (0..curves.len()).filter(|&k| group[k] == g).collect();
            let members: Vec<&str> = idx.iter().map(|&k| c.samples[k].policy).collect();
            if members.len() < 2 {
                continue;
            }
            let width = idx
                .iter()
                .enumerate()
                .flat_map(|(a, &i)| idx[..a].iter().map(move |&j| (i, j)))
                .map(|(i, j)| ecdf_distance(&sorted[i], &sorted[j]))
                .fold(0.0, f64::max);
            let how = if width == 0.0 {
                "identical distributions".to_string()
            } else {
                format!("within {} of trials everywhere", crate::numfmt::percent(width))
            };
            let names = match members.split_last() {
                Some((last, rest)) if rest.len() > 1 => format!("{} and {last} coincide", rest.join(", ")),
                _ => format!("{} coincides with {}", members[1], members[0]),
            };
            coincide.push(format!("{names} ({how})"));
        }
        EcdfFigure {
            ctx,
            title: c.title.to_string(),
            unit: c.unit.to_string(),
            direction: c.direction.to_string(),
            description: c.description.trim().to_string(),
            curves,
            layout,
            coincide,
        }
    }

    /// How to read the chart, including which way is better when the
    /// direction says so; what the axis leaves out; which curves coincide;
    /// what the outcome counts.
    fn key(&self) -> String {
        let d = self.direction.to_lowercase();
        let hint = if d.contains("lower is better") {
            "  Lower is better: curves further left (higher up) are better."
        } else if d.contains("higher is better") {
            "  Higher is better: curves further right (lower down) are better."
        } else {
            ""
        };
        let mut key = format!("Each line: share of trials with an outcome at or below the value on the x axis.{hint}");
        if let Some(note) = self
            .layout
            .as_ref()
            .and_then(|l| l.cut_note("lines start and end at the edges at the share beyond"))
        {
            key.push('\n');
            key.push_str(&note);
        }
        if !self.coincide.is_empty() {
            key.push_str(&format!("\nLines drawn over each other: {}.", self.coincide.join("; ")));
        }
        if !self.description.is_empty() {
            key.push('\n');
            key.push_str(&self.description);
        }
        key
    }
}

impl Figure for EcdfFigure<'_> {
    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        Frame {
            title: self.title.clone(),
            direction: Some(render::direction_line(&self.direction)),
            key: Some(self.key()),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let Some(layout) = &self.layout else {
            let what = if self.curves.is_empty() {
                "No policies to show."
            } else {
                "No data: no finite values for any policy."
            };
            draw_note(plot, what)?;
            return Ok(());
        };
        let (lo, hi) = layout.shown;
        let (pw, _) = plot.dim_in_pixel();
        let (plot_area, legend_area) = plot.split_horizontally(pw.saturating_sub(LEGEND_WIDTH));
        let (xlo, xhi) = pad_range(lo, hi, 0.03);
        let unit = if self.unit.trim().is_empty() {
            "value"
        } else {
            self.unit.trim()
        };
        let fmt = |v: &f64| fmt_tick(*v);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_left(16)
            .margin_right(20)
            .margin_top(14)
            .margin_bottom(6)
            .x_label_area_size(62)
            .y_label_area_size(86)
            .build_cartesian_2d(xlo..xhi, -0.02..1.02)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .x_desc(unit)
            .y_desc("share of trials at or below x")
            .label_style(text_style(LABEL_PX, FontStyle::Normal, INK))
            .axis_desc_style(text_style(AXIS_DESC_PX, FontStyle::Normal, INK))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(INK.stroke_width(1))
            .draw()?;

        chart.draw_series(DashedLineSeries::new(
            vec![(xlo, 0.5), (xhi, 0.5)],
            8,
            6,
            MUTED.stroke_width(1),
        ))?;
        for (i, c) in self.curves.iter().enumerate() {
            if c.steps.is_empty() {
                continue;
            }
            // The whole curve, cut to the axis: at a cut edge it enters and
            // leaves at the share of trials beyond.
            let (Some(first), Some(last)) = (c.steps.first(), c.steps.last()) else {
                continue;
            };
            let mut full = Vec::with_capacity(c.steps.len() + 2);
            full.push((first.0.min(xlo), 0.0));
            full.extend(c.steps.iter().copied());
            full.push((last.0.max(xhi), 1.0));
            let mut pts = clip_x(&full, xlo, xhi);
            pts.dedup();
            let px: Vec<(i32, i32)> = pts.iter().map(|p| chart.backend_coord(p)).collect();
            draw_dashed(root, &px, policy_dash(i), policy_colour(i).stroke_width(3))?;
        }

        draw_legend(&legend_area, &self.curves)?;
        Ok(())
    }
}

/// The part of the polyline `pts` (x never decreasing) with `lo <= x <= hi`,
/// with points interpolated where it crosses the bounds.
fn clip_x(pts: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(pts.len());
    let at = |a: (f64, f64), b: (f64, f64), x: f64| {
        let t = if b.0 > a.0 { (x - a.0) / (b.0 - a.0) } else { 1.0 };
        (x, a.1 + (b.1 - a.1) * t)
    };
    for (k, &p) in pts.iter().enumerate() {
        if let Some(&prev) = k.checked_sub(1).and_then(|j| pts.get(j)) {
            if prev.0 < lo && p.0 > lo {
                out.push(at(prev, p, lo));
            }
            if prev.0 < hi && p.0 > hi {
                out.push(at(prev, p, hi));
            }
        }
        if p.0 >= lo && p.0 <= hi {
            out.push(p);
        }
    }
    out
}

/// Legend column: a short thick line in the policy's colour and the wrapped
/// policy name, one entry under the other, starting level with the plot top.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, curves: &[Curve]) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let heading = text_style(LABEL_PX, FontStyle::Bold, INK);
    area.draw_text("Policy", &heading, (8, 16))?;
    let style = text_style(LABEL_PX, FontStyle::Normal, INK);
    let note = text_style(SMALL_PX - 1.0, FontStyle::Italic, MUTED);
    let swatch = 44;
    let text_x = 8 + swatch + 10;
    let text_w = (w as i32 - text_x - 8).max(40) as u32;
    let mut y = 46;
    for (i, c) in curves.iter().enumerate() {
        if y > h as i32 - 24 {
            let more = format!("… and {} more", curves.len() - i);
            area.draw_text(&more, &note, (8, y))?;
            break;
        }
        let lines = limit_lines(area, wrap_text(area, &c.name, &style, text_w)?, 3, &style, text_w)?;
        draw_dashed(
            area,
            &[(8, y + 9), (8 + swatch, y + 9)],
            policy_dash(i),
            policy_colour(i).stroke_width(4),
        )?;
        for line in &lines {
            area.draw_text(line, &style, (text_x, y))?;
            y += 21;
        }
        if let Some(note_text) = skipped_note(c.total, c.usable) {
            area.draw_text(&note_text, &note, (text_x, y))?;
            y += 18;
        }
        if let Some(other) = &c.same_as {
            let text = format!("coincides with {other}");
            for line in limit_lines(area, wrap_text(area, &text, &note, text_w)?, 2, &note, text_w)? {
                area.draw_text(&line, &note, (text_x, y))?;
                y += 18;
            }
        }
        y += 8;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_exact_for_ties_and_end_at_one() {
        let s = ecdf_steps(&[1.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            s,
            vec![(1.0, 0.0), (1.0, 0.5), (2.0, 0.5), (2.0, 0.75), (3.0, 0.75), (3.0, 1.0)]
        );
        assert_eq!(ecdf_steps(&[5.0; 3]), vec![(5.0, 0.0), (5.0, 1.0)]);
        assert!(ecdf_steps(&[]).is_empty());
    }

    #[test]
    fn thinning_bounds_points_and_error() {
        let v: Vec<f64> = (0..10_000).map(f64::from).collect();
        let s = ecdf_steps(&v);
        assert!(s.len() <= 2 * 334, "{} points", s.len());
        assert_eq!(s.first().map(|p| p.1), Some(0.0));
        assert_eq!(s.last(), Some(&(9999.0, 1.0)));
    }

    /// Between data values the drawn polyline stays within `RISER_MIN` of
    /// the true ECDF.
    #[test]
    fn drawn_curve_stays_close() {
        let mut v: Vec<f64> = (0..5000).map(|k| (f64::from(k) * 0.37).sin() * 100.0).collect();
        v.extend(std::iter::repeat_n(10.0, 300)); // a real jump
        let sorted = finite_sorted(&v);
        let s = ecdf_steps(&sorted);
        let n = sorted.len() as f64;
        for w in sorted.windows(2).filter(|w| w[1] > w[0]) {
            let x = 0.5 * (w[0] + w[1]);
            let truth = sorted.partition_point(|&y| y <= x) as f64 / n;
            // Before the first corner the line is drawn flat at 0.
            let drawn = match s.windows(2).find(|p| p[0].0 <= x && x <= p[1].0 && p[1].0 > p[0].0) {
                Some(seg) => seg[0].1 + (x - seg[0].0) / (seg[1].0 - seg[0].0) * (seg[1].1 - seg[0].1),
                None => {
                    assert!(x < s[0].0, "no segment at {x}");
                    0.0
                }
            };
            assert!(
                (drawn - truth).abs() <= RISER_MIN + 1e-12,
                "at {x}: drawn {drawn}, true {truth}"
            );
        }
    }
}
