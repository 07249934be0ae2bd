//! Side-by-side comparison charts with one slot per policy: violin-and-box
//! plots of a continuous outcome, and bar charts of event probabilities.
//!
//! plotters has no violin, KDE or categorical-label support that fits, so the
//! x axis is a plain numeric axis with policy `i` centred at `x = i`, and the
//! marks and the (wrapped, unquoted) policy names are drawn by hand.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{
    self, AXIS_DESC_PX, Canvas, CategoryLabels, Figure, Frame, GRID, INK, LABEL_PX, SMALL_PX, darker,
    draw_label_with_halo, draw_note, finite_range, finite_sorted, fmt_num, fmt_tick, mix, pad_range, plottable,
    policy_colour, quantile, skipped_note, text_style,
};
use super::{ChartContext, EventChart, OutcomeChart, PolicySample, ensure_fonts};

type Chart2d<'a, DB> = plotters::chart::ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Number of grid points of each violin's KDE. 128 points is smooth at any
/// size these charts are drawn and keeps SVGs small.
const KDE_GRID: usize = 128;
/// Half-width of the widest part of a violin, in slots (a slot is 1.0 wide).
const VIOLIN_HALF_WIDTH: f64 = 0.4;
/// Half-width of the box, in slots.
const BOX_HALF_WIDTH: f64 = 0.07;
/// Half-width of a probability bar, in slots.
const BAR_HALF_WIDTH: f64 = 0.32;

/// Chart layout around the categorical axis (pixels).
const MARGIN_LEFT: i32 = 16;
const MARGIN_RIGHT: i32 = 28;
const MARGIN_TOP: i32 = 14;
const Y_LABEL_AREA: i32 = 96;
/// Maximum lines of a wrapped policy name under the axis.
const NAME_LINES: usize = 4;

/// Size of the policy names under the axis: smaller when many policies share
/// the width, so that long names need fewer lines.
fn name_px(n: usize) -> f64 {
    if n > 5 { LABEL_PX - 2.0 } else { LABEL_PX }
}

/// Draw `dir/dist_<id>.png` and `.svg`: per policy, either a violin
/// (distribution of the outcome across trials) with a box (p25–p75), a median
/// line and whiskers at p05–p95, or — for outcomes that take few distinct
/// values, such as small counts — bars of the share of trials at each value
/// (see [`distribution_layout`]).
///
/// Why these marks: the violin shows shape (skew, bimodality: "most trials are
/// calm but some explode") that a box alone hides; the box and whiskers give
/// the quantiles a reader quotes. Whiskers are at the 5th and 95th percentiles
/// rather than plotters' fixed 1.5·IQR, because "90% of trials fall between"
/// is something a policy reader can use. Each violin is trimmed to the
/// observed range, so no violin suggests values that never occurred (such as
/// negative counts), and each is scaled to the same maximum width, so shapes
/// can be compared but areas cannot. A smoothed violin of a count that takes
/// five values invents the values in between; bars do not.
///
/// Long tails are cut off the axis (never silently): the chart says where,
/// and marks under each policy the share of its trials beyond each cut.
///
/// Non-finite values are skipped (the number skipped is shown under the policy
/// name); policies without data get a "no data" note; all-equal samples draw
/// as a flat line labelled "all trials: `value`". Returns the PNG and SVG
/// paths.
pub fn draw_distribution(ctx: &ChartContext, c: &OutcomeChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    let fig = DistributionFigure::new(ctx, c);
    render::write_png_and_svg(dir, &format!("dist_{}", c.id), &fig)
}

/// How a distribution chart draws its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistributionKind {
    /// Violins with box, median and whiskers (continuous outcomes).
    Violins,
    /// Bars of the share of trials at each value (outcomes with few distinct
    /// values: counts, on/off totals).
    Counts,
}

/// The value axis of a distribution chart and how it is drawn, chosen from
/// every policy's values together (so all policies share one axis).
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionLayout {
    pub kind: DistributionKind,
    /// Smallest and largest finite value of all policies.
    pub data_range: (f64, f64),
    /// Smallest and largest value drawn: `data_range` unless a tail was cut.
    pub shown: (f64, f64),
    /// Set when the low tail was cut: values below `shown.0` are not drawn
    /// but counted.
    pub cut_low: bool,
    /// Set when the high tail was cut: values above `shown.1`.
    pub cut_high: bool,
    /// Share of all trials (every policy together) below and above the shown
    /// range.
    pub share_below: f64,
    pub share_above: f64,
}

/// Most distinct values an outcome may take on the shown axis to be drawn as
/// bars: beyond this the bars would be thinner than a few pixels.
pub const MAX_LEVELS: usize = 40;

/// Tail fences: this many interquartile ranges beyond the pooled quartiles
/// (Tukey's "far out" fences).
const FENCE_IQRS: f64 = 3.0;
/// A tail is cut only if it would take more than this share of the axis.
const TAIL_MIN_SHARE_OF_AXIS: f64 = 0.1;
/// Never hide more than this share of all trials on one side.
const MAX_HIDDEN: f64 = 0.05;

/// Choose the axis and the marks for `samples` (see [`draw_distribution`]).
/// `None` if no policy has a finite value.
///
/// The axis: each policy's body runs from its lower quartile minus 3
/// interquartile ranges to its upper quartile plus 3 (Tukey's "far out"
/// fences; from its 1st to its 99th percentile when its quartiles coincide),
/// widened so that it never leaves out more than 5% of the policy's trials on
/// a side; the chart's body covers every policy's. A tail
/// beyond the body is cut off the axis when it would take more than a tenth
/// of it — then the body would be squeezed into a line — and the cut sits at
/// the most extreme value inside the body. Otherwise the axis runs from the
/// smallest to the largest value.
///
/// Outcomes with few distinct values (see below) over their whole range are
/// never cut: their bars show every value.
///
/// The marks: bars of the share at each value when the shown values take at
/// most [`MAX_LEVELS`] distinct values and either all are whole numbers or
/// each value is shared by five trials on average (a discrete outcome: ties
/// are the rule, not an accident of a small sample); violins otherwise.
pub fn distribution_layout(samples: &[PolicySample]) -> Option<DistributionLayout> {
    let pooled = finite_sorted(
        &samples
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .collect::<Vec<_>>(),
    );
    let (&min, &max) = (pooled.first()?, pooled.last()?);
    let n = pooled.len() as f64;
    // Fences per policy, then the widest: pooled quartiles would be wide when
    // policies differ (a bimodal pool) and hide nothing, and a policy whose
    // whole distribution sits apart from the others must not be cut off.
    let (mut fence_lo, mut fence_hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in samples {
        let own = finite_sorted(s.values);
        let q = |p: f64| quantile(&own, p).unwrap_or(f64::NAN);
        if own.is_empty() {
            continue;
        }
        let (q1, q3) = (q(0.25), q(0.75));
        let iqr = q3 - q1;
        let (lo, hi) = if iqr > 0.0 {
            (q1 - FENCE_IQRS * iqr, q3 + FENCE_IQRS * iqr)
        } else {
            (q(0.01), q(0.99))
        };
        fence_lo = fence_lo.min(lo.min(q(MAX_HIDDEN)));
        fence_hi = fence_hi.max(hi.max(q(1.0 - MAX_HIDDEN)));
    }
    let span = max - min;
    let mut lo = min;
    let mut hi = max;
    let mut cut_low = false;
    let mut cut_high = false;
    // Bars of a few distinct values show every value at once: nothing to cut.
    let (all_levels, all_integral) = levels_of(&pooled);
    let cut_needed = !is_discrete(all_levels, all_integral, pooled.len());
    if cut_needed && span.is_finite() && span > 0.0 {
        if fence_lo - min > TAIL_MIN_SHARE_OF_AXIS * span {
            // The lowest value at or above the fence: the cut is a real value.
            lo = pooled[pooled.partition_point(|&v| v < fence_lo).min(pooled.len() - 1)];
            cut_low = lo > min;
        }
        if max - fence_hi > TAIL_MIN_SHARE_OF_AXIS * span {
            let k = pooled.partition_point(|&v| v <= fence_hi);
            hi = pooled[k.saturating_sub(1)];
            cut_high = hi < max;
        }
    }
    if hi < lo {
        (lo, hi, cut_low, cut_high) = (min, max, false, false);
    }
    let below = pooled.partition_point(|&v| v < lo);
    let above = pooled.len() - pooled.partition_point(|&v| v <= hi);
    let shown = &pooled[below..pooled.len() - above];
    let (levels, integral) = levels_of(shown);
    let discrete = is_discrete(levels, integral, shown.len());
    Some(DistributionLayout {
        kind: if discrete {
            DistributionKind::Counts
        } else {
            DistributionKind::Violins
        },
        data_range: (min, max),
        shown: (lo, hi),
        cut_low,
        cut_high,
        share_below: below as f64 / n,
        share_above: above as f64 / n,
    })
}

/// Number of distinct values of ascending `sorted`, and whether all are
/// whole numbers.
fn levels_of(sorted: &[f64]) -> (usize, bool) {
    let mut levels = 0;
    let mut integral = true;
    for (k, &v) in sorted.iter().enumerate() {
        if k == 0 || v != sorted[k - 1] {
            levels += 1;
        }
        integral &= v.fract() == 0.0;
    }
    (levels, integral)
}

/// Few distinct values, and either whole numbers or five trials per value on
/// average (see [`distribution_layout`]).
fn is_discrete(levels: usize, integral: bool, n: usize) -> bool {
    levels > 0 && levels <= MAX_LEVELS && (integral || n >= 5 * levels)
}

impl DistributionLayout {
    /// The chart's note on what the axis leaves out, ending with how the chart
    /// marks it (`marked`), or `None` if nothing was cut.
    pub fn cut_note(&self, marked: &str) -> Option<String> {
        use crate::numfmt::percent;
        let mut parts = Vec::new();
        if self.cut_low {
            parts.push(format!(
                "{} of all trials lie below {} (down to {})",
                percent(self.share_below),
                fmt_num(self.shown.0),
                fmt_num(self.data_range.0)
            ));
        }
        if self.cut_high {
            parts.push(format!(
                "{} lie above {} (up to {})",
                percent(self.share_above),
                fmt_num(self.shown.1),
                fmt_num(self.data_range.1)
            ));
        }
        if parts.is_empty() {
            return None;
        }
        Some(format!("Axis cut to show the body: {}; {marked}.", parts.join(" and ")))
    }
}

/// Draw `dir/prob_<id>.png` and `.svg`: one bar per policy with the event's
/// probability, its 95% interval as an error bar, and the value printed above.
///
/// The y axis always starts at 0 (bar length is the message, and a truncated
/// axis would exaggerate differences). It runs to 1 unless every value and
/// interval is at most 0.5, in which case it stops at a round value just above
/// the largest, so rare events remain readable. Non-finite probabilities show
/// as "n/a"; values outside [0, 1] are clamped for drawing.
pub fn draw_event_probabilities(ctx: &ChartContext, c: &EventChart, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    ensure_fonts();
    let fig = EventFigure { ctx, chart: c };
    render::write_png_and_svg(dir, &format!("prob_{}", c.id), &fig)
}

/// The shape of one violin.
#[derive(Debug, Clone)]
enum Violin {
    /// No usable values.
    Empty,
    /// All values equal: a flat line at this value.
    Flat(f64),
    /// No density could be estimated (the spread overflows `f64`): the box
    /// and whiskers are drawn without a violin.
    BoxOnly,
    /// `(y, half_width)` pairs on a grid from the minimum to the maximum.
    Shape(Vec<(f64, f64)>),
}

/// Everything drawn for one policy, computed once (the figure is drawn twice).
#[derive(Debug, Clone)]
struct PolicyStats {
    name: String,
    /// Number of values given, and number of finite ones.
    total: usize,
    usable: usize,
    /// p05, p25, p50, p75, p95 (None if no usable values).
    quantiles: Option<[f64; 5]>,
    violin: Violin,
    /// Share of this policy's usable values below and above the shown range.
    below: f64,
    above: f64,
    /// `(value, share of usable trials)` of every distinct shown value, for
    /// [`DistributionKind::Counts`].
    levels: Vec<(f64, f64)>,
}

impl PolicyStats {
    fn new(name: &str, values: &[f64], layout: Option<&DistributionLayout>) -> Self {
        let sorted = finite_sorted(values);
        let qs = [0.05, 0.25, 0.5, 0.75, 0.95];
        let quantiles = if sorted.is_empty() {
            None
        } else {
            let mut q = [0.0; 5];
            for (slot, p) in q.iter_mut().zip(qs) {
                *slot = quantile(&sorted, p).unwrap_or(f64::NAN);
            }
            Some(q)
        };
        let (lo, hi) = layout.map_or((f64::NEG_INFINITY, f64::INFINITY), |l| l.shown);
        let below = sorted.partition_point(|&v| v < lo);
        let above = sorted.len() - sorted.partition_point(|&v| v <= hi);
        let n = sorted.len().max(1) as f64;
        let mut levels: Vec<(f64, f64)> = Vec::new();
        if layout.is_some_and(|l| l.kind == DistributionKind::Counts) {
            for &v in &sorted[below..sorted.len() - above] {
                match levels.last_mut() {
                    Some((x, c)) if *x == v => *c += 1.0,
                    _ => levels.push((v, 1.0)),
                }
            }
            for l in &mut levels {
                l.1 /= n;
            }
        }
        let violin = kde_violin(&sorted, quantiles, (lo, hi));
        PolicyStats {
            name: name.to_string(),
            total: values.len(),
            usable: sorted.len(),
            quantiles,
            violin,
            below: below as f64 / n,
            above: above as f64 / n,
            levels,
        }
    }
}

/// Gaussian KDE of ascending, finite `sorted` data on a fixed grid over the
/// part of its range inside `window`, with Silverman's rule-of-thumb
/// bandwidth `0.9 · min(sd, IQR/1.34) · n^(-1/5)` (falling back to the
/// standard deviation when the IQR is zero, as with mostly-tied discrete
/// data). All the data count towards the density, so a violin ends at a cut
/// axis with the width it has there. Densities are scaled so the widest
/// drawn point has half-width [`VIOLIN_HALF_WIDTH`].
///
/// Only points within 6 bandwidths of a grid point contribute (the rest add
/// less than 1e-8 of the peak), found by binary search in the sorted data, so
/// the cost stays small for 10,000-trial samples. Summation runs in data order,
/// so the result is deterministic.
fn kde_violin(sorted: &[f64], quantiles: Option<[f64; 5]>, window: (f64, f64)) -> Violin {
    let n = sorted.len();
    let (Some(&min), Some(&max), Some(q)) = (sorted.first(), sorted.last(), quantiles) else {
        return Violin::Empty;
    };
    if max <= min {
        return Violin::Flat(min);
    }
    let (glo, ghi) = (min.max(window.0), max.min(window.1));
    if glo >= ghi {
        // Everything (or all but one value) lies beyond the cut: the arrows
        // tell the story.
        return Violin::BoxOnly;
    }
    let nf = n as f64;
    let mean = sorted.iter().sum::<f64>() / nf;
    let var = sorted.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (nf - 1.0).max(1.0);
    let sd = var.sqrt();
    let iqr = q[3] - q[1];
    let spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    let mut h = 0.9 * spread * nf.powf(-0.2);
    // Never narrower than 1/200 of the drawn range: keeps a few extreme
    // outliers visible as a thin tail instead of invisible spikes.
    h = h.max((ghi - glo) / 200.0);
    if !(h.is_finite() && h > 0.0 && (ghi - glo).is_finite()) {
        return Violin::BoxOnly;
    }
    let reach = 6.0 * h;
    let mut dens = Vec::with_capacity(KDE_GRID);
    for k in 0..KDE_GRID {
        let y = glo + (ghi - glo) * k as f64 / (KDE_GRID - 1) as f64;
        let lo = sorted.partition_point(|&x| x < y - reach);
        let hi = sorted.partition_point(|&x| x <= y + reach);
        let d: f64 = sorted[lo..hi]
            .iter()
            .map(|&x| {
                let z = (y - x) / h;
                (-0.5 * z * z).exp()
            })
            .sum();
        dens.push((y, d));
    }
    let peak = dens.iter().map(|&(_, d)| d).fold(0.0, f64::max);
    if !(peak > 0.0 && peak.is_finite()) {
        return Violin::BoxOnly;
    }
    Violin::Shape(
        dens.into_iter()
            .map(|(y, d)| (y, VIOLIN_HALF_WIDTH * d / peak))
            .collect(),
    )
}

/// Left end of a policy's count bars, in slots from its centre.
const COUNT_BAR_LEFT: f64 = -0.38;
/// Length of the longest count bar on a chart, in slots.
const COUNT_BAR_MAX: f64 = 0.6;
/// Share labels are printed on count bars when a chart has at most this many
/// distinct values.
const COUNT_LABEL_LEVELS: usize = 12;

struct DistributionFigure<'a> {
    ctx: &'a ChartContext,
    title: String,
    unit: String,
    direction: String,
    description: String,
    layout: Option<DistributionLayout>,
    stats: Vec<PolicyStats>,
}

impl<'a> DistributionFigure<'a> {
    fn new(ctx: &'a ChartContext, c: &OutcomeChart) -> Self {
        let layout = distribution_layout(&c.samples);
        DistributionFigure {
            ctx,
            title: c.title.to_string(),
            unit: c.unit.to_string(),
            direction: c.direction.to_string(),
            description: c.description.trim().to_string(),
            stats: c
                .samples
                .iter()
                .map(|s| PolicyStats::new(s.policy, s.values, layout.as_ref()))
                .collect(),
            layout,
        }
    }

    fn kind(&self) -> DistributionKind {
        self.layout.as_ref().map_or(DistributionKind::Violins, |l| l.kind)
    }

    /// The key: how to read the marks, what the axis leaves out, and what the
    /// outcome counts.
    fn key(&self) -> String {
        let marks = match self.kind() {
            DistributionKind::Violins => {
                "Shape: spread of outcomes across trials.  Box: middle 50% of trials.  White line: median \
                 (value printed).  Whiskers: 5th to 95th percentile."
                    .to_string()
            }
            DistributionKind::Counts => {
                let widest = self
                    .stats
                    .iter()
                    .flat_map(|s| s.levels.iter().map(|l| l.1))
                    .fold(0.0, f64::max);
                format!(
                    "Bars: share of trials with each value (longest bar: {} of a policy's trials).  \
                     Black triangle: median.",
                    crate::numfmt::percent(widest)
                )
            }
        };
        let mut key = marks;
        if let Some(note) = self
            .layout
            .as_ref()
            .and_then(|l| l.cut_note("arrows give each policy's share beyond the cut"))
        {
            key.push('\n');
            key.push_str(&note);
        }
        if !self.description.is_empty() {
            key.push('\n');
            key.push_str(&self.description);
        }
        key
    }

    /// The y range drawn: the shown values, padded; more on a cut side, to
    /// leave room for the arrows, and by half a step for count bars.
    fn yrange(&self, l: &DistributionLayout) -> (f64, f64) {
        let (lo, hi) = l.shown;
        let (plo, phi) = pad_range(lo, hi, 0.04);
        let span = phi - plo;
        let step = self.count_step().unwrap_or(0.0);
        let lo_pad = if l.cut_low { 0.1 * span } else { 0.0 }.max(0.6 * step);
        let hi_pad = if l.cut_high { 0.1 * span } else { 0.0 }.max(0.6 * step);
        (plo - lo_pad, phi + hi_pad)
    }

    /// The smallest gap between two distinct shown values of a count chart.
    fn count_step(&self) -> Option<f64> {
        if self.kind() != DistributionKind::Counts {
            return None;
        }
        let mut vals: Vec<f64> = self.stats.iter().flat_map(|s| s.levels.iter().map(|l| l.0)).collect();
        vals.sort_by(f64::total_cmp);
        vals.dedup();
        vals.windows(2)
            .map(|w| w[1] - w[0])
            .filter(|d| *d > 0.0)
            .reduce(f64::min)
    }
}

impl Figure for DistributionFigure<'_> {
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
            let what = if self.stats.is_empty() {
                "No policies to show."
            } else {
                "No data: no finite values for any policy."
            };
            draw_note(plot, what)?;
            return Ok(());
        };
        let (ylo, yhi) = self.yrange(layout);
        let names: Vec<&str> = self.stats.iter().map(|s| s.name.as_str()).collect();
        let notes: Vec<Option<String>> = self.stats.iter().map(|s| skipped_note(s.total, s.usable)).collect();
        let y_fmt = |v: &f64| fmt_tick(*v);
        let axes = CategoryAxes {
            labels: CategoryLabels {
                names: &names,
                notes: &notes,
                max_lines: NAME_LINES,
                font_px: name_px(names.len()),
            },
            yrange: (ylo, yhi),
            y_desc: &self.unit,
            y_fmt: &y_fmt,
            top_margin: MARGIN_TOP,
        };
        let mut chart = category_chart(root, plot, &axes)?;
        let (lo, hi) = layout.shown;
        let clamp = |v: f64| v.clamp(lo, hi);

        for (i, s) in self.stats.iter().enumerate() {
            let x = i as f64;
            let colour = policy_colour(i);
            if self.kind() == DistributionKind::Counts {
                self.draw_counts(root, &mut chart, i, s)?;
            } else {
                match &s.violin {
                    Violin::Empty => continue,
                    Violin::BoxOnly => {}
                    Violin::Flat(v) => {
                        // Every trial gave the same value: a flat line with a dot
                        // at the median instead of a box of zero height.
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(x - VIOLIN_HALF_WIDTH, *v), (x + VIOLIN_HALF_WIDTH, *v)],
                            darker(colour).stroke_width(4),
                        )))?;
                        chart.draw_series(std::iter::once(Circle::new((x, *v), 6, INK.filled())))?;
                        let (px, py) = chart.backend_coord(&(x + BOX_HALF_WIDTH, *v));
                        let style = text_style(SMALL_PX, FontStyle::Bold, INK).pos(Pos::new(HPos::Left, VPos::Bottom));
                        draw_label_with_halo(root, &format!("all trials: {}", fmt_num(*v)), &style, (px + 4, py - 6))?;
                        continue;
                    }
                    Violin::Shape(pts) => {
                        let mut outline: Vec<(f64, f64)> = pts.iter().map(|&(y, w)| (x + w, y)).collect();
                        outline.extend(pts.iter().rev().map(|&(y, w)| (x - w, y)));
                        chart.draw_series(std::iter::once(Polygon::new(
                            outline.clone(),
                            mix(colour, WHITE, 0.55).filled(),
                        )))?;
                        if let Some(&first) = outline.first() {
                            outline.push(first);
                        }
                        chart.draw_series(std::iter::once(PathElement::new(
                            outline,
                            darker(colour).stroke_width(2),
                        )))?;
                    }
                }
                if let Some([p05, p25, p50, p75, p95]) = s.quantiles {
                    let [p05, p25, m, p75, p95] = [p05, p25, p50, p75, p95].map(clamp);
                    let whisker = INK.stroke_width(2);
                    let cap = BOX_HALF_WIDTH * 0.6;
                    chart.draw_series([
                        PathElement::new(vec![(x, p05), (x, p25)], whisker),
                        PathElement::new(vec![(x, p75), (x, p95)], whisker),
                    ])?;
                    // Caps only where the whisker really ends (not at a cut).
                    for (v, raw) in [(p05, s.quantiles.map(|q| q[0])), (p95, s.quantiles.map(|q| q[4]))] {
                        if raw == Some(v) {
                            chart.draw_series(std::iter::once(PathElement::new(
                                vec![(x - cap, v), (x + cap, v)],
                                whisker,
                            )))?;
                        }
                    }
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(x - BOX_HALF_WIDTH, p25), (x + BOX_HALF_WIDTH, p75)],
                        INK.filled(),
                    )))?;
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x - BOX_HALF_WIDTH, m), (x + BOX_HALF_WIDTH, m)],
                        WHITE.stroke_width(3),
                    )))?;
                    // Median value to the right of the box, on a white patch so the
                    // violin outline does not run through it.
                    let (px, py) = chart.backend_coord(&(x + BOX_HALF_WIDTH, m));
                    let style = text_style(SMALL_PX, FontStyle::Bold, INK).pos(Pos::new(HPos::Left, VPos::Center));
                    draw_label_with_halo(root, &fmt_num(p50), &style, (px + 6, py))?;
                }
            }
            self.draw_beyond(root, &chart, layout, i, s, (ylo, yhi))?;
        }
        Ok(())
    }
}

impl DistributionFigure<'_> {
    /// Bars of the share of trials at each value, from a common left edge of
    /// the slot, with a triangle at the median and the shares printed when
    /// there are few values.
    fn draw_counts<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &mut Chart2d<'_, DB>,
        i: usize,
        s: &PolicyStats,
    ) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let x = i as f64;
        let colour = policy_colour(i);
        let widest = self
            .stats
            .iter()
            .flat_map(|s| s.levels.iter().map(|l| l.1))
            .fold(0.0, f64::max);
        if widest <= 0.0 {
            return Ok(());
        }
        let levels = {
            let mut v: Vec<f64> = self.stats.iter().flat_map(|s| s.levels.iter().map(|l| l.0)).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            v.len()
        };
        // Bar thickness: 70% of the step between values, 3 to 26 pixels.
        let step = self.count_step();
        let (_, py0) = chart.backend_coord(&(x, 0.0));
        let step_px = step.map_or(40.0, |d| f64::from((chart.backend_coord(&(x, d)).1 - py0).abs()));
        let half = (0.35 * step_px).clamp(1.5, 13.0).round() as i32;
        let left = x + COUNT_BAR_LEFT;
        let label_style = text_style(SMALL_PX - 1.0, FontStyle::Normal, INK).pos(Pos::new(HPos::Left, VPos::Center));
        for &(v, share) in &s.levels {
            let right = left + COUNT_BAR_MAX * share / widest;
            let (x0, yc) = chart.backend_coord(&(left, v));
            let (x1, _) = chart.backend_coord(&(right, v));
            let x1 = x1.max(x0 + 1);
            root.draw(&Rectangle::new([(x0, yc - half), (x1, yc + half)], colour.filled()))?;
            root.draw(&Rectangle::new(
                [(x0, yc - half), (x1, yc + half)],
                darker(colour).stroke_width(1),
            ))?;
            if levels <= COUNT_LABEL_LEVELS && half >= 6 {
                root.draw_text(&crate::numfmt::percent(share), &label_style, (x1 + 4, yc))?;
            }
        }
        if let Some(q) = s.quantiles {
            let m = self.layout.as_ref().map_or(q[2], |l| q[2].clamp(l.shown.0, l.shown.1));
            let (px, py) = chart.backend_coord(&(left, m));
            let tip = px - 3;
            root.draw(&Polygon::new(
                vec![(tip, py), (tip - 12, py - 8), (tip - 12, py + 8)],
                INK.filled(),
            ))?;
        }
        Ok(())
    }

    /// Arrows at a cut axis with the share of this policy's trials beyond it.
    fn draw_beyond<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &Chart2d<'_, DB>,
        layout: &DistributionLayout,
        i: usize,
        s: &PolicyStats,
        yrange: (f64, f64),
    ) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let x = i as f64;
        let style = text_style(SMALL_PX, FontStyle::Bold, INK).pos(Pos::new(HPos::Left, VPos::Center));
        let marks = [
            (layout.cut_low, s.below, yrange.0, -1, "below"),
            (layout.cut_high, s.above, yrange.1, 1, "above"),
        ];
        for (cut, share, edge, inward, word) in marks {
            if !cut || s.usable == 0 || share <= 0.0 {
                continue;
            }
            let (px, py) = chart.backend_coord(&(x, edge));
            // Arrow tip at the edge, pointing out of the plot (`inward` is the
            // pixel direction into it: down from the top, up from the bottom).
            let base = py + inward * 16;
            let tip = py + inward * 3;
            root.draw(&Polygon::new(
                vec![(px - 16, base), (px - 8, tip), (px, base)],
                INK.filled(),
            ))?;
            let text = format!("{} {word}", crate::numfmt::percent(share));
            draw_label_with_halo(root, &text, &style, (px + 4, (base + tip) / 2))?;
        }
        Ok(())
    }
}

struct EventFigure<'a, 'b> {
    ctx: &'a ChartContext,
    chart: &'a EventChart<'b>,
}

/// Round upper limits for the probability axis when all values are small.
const PROB_TOPS: [f64; 11] = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6];

/// Upper end of the probability axis (see [`draw_event_probabilities`]).
fn probability_top(bars: &[super::EventBar]) -> f64 {
    let top = finite_range(bars.iter().flat_map(|b| [b.probability, b.lo95, b.hi95]))
        .map(|(_, hi)| hi.clamp(0.0, 1.0))
        .unwrap_or(1.0);
    if top > 0.5 {
        return 1.0;
    }
    let want = (top * 1.2).max(0.05);
    PROB_TOPS.iter().copied().find(|&t| t >= want).unwrap_or(1.0)
}

/// Probability as printed on a bar: two decimals, three below 0.1 so that
/// small probabilities do not all read "0.00".
fn fmt_prob(p: f64) -> String {
    if !p.is_finite() {
        "n/a".to_string()
    } else if p < 0.1 {
        format!("{p:.3}")
    } else {
        format!("{p:.2}")
    }
}

impl Figure for EventFigure<'_, '_> {
    fn context(&self) -> &ChartContext {
        self.ctx
    }

    fn frame(&self) -> Frame {
        let c = self.chart;
        Frame {
            title: c.title.to_string(),
            direction: Some(render::direction_line(c.direction)),
            key: Some({
                let mut key = "Bar: share of trials in which the event happens (value printed above).  Black line: \
                               95% interval."
                    .to_string();
                if !c.description.trim().is_empty() {
                    key.push('\n');
                    key.push_str(c.description.trim());
                }
                key
            }),
        }
    }

    fn draw_plot<DB: DrawingBackend>(&self, root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let c = self.chart;
        if c.bars.is_empty() {
            draw_note(plot, "No policies to show.")?;
            return Ok(());
        }
        let top = probability_top(&c.bars);
        let names: Vec<&str> = c.bars.iter().map(|b| b.policy).collect();
        let notes: Vec<Option<String>> = c
            .bars
            .iter()
            .map(|b| (!plottable(b.probability)).then(|| "no data".to_string()))
            .collect();
        let y_fmt = |v: &f64| fmt_tick(*v);
        let axes = CategoryAxes {
            labels: CategoryLabels {
                names: &names,
                notes: &notes,
                max_lines: NAME_LINES,
                font_px: name_px(names.len()),
            },
            yrange: (0.0, top),
            y_desc: "probability (share of trials)",
            y_fmt: &y_fmt,
            // Extra room: values are printed above the bars and intervals.
            top_margin: MARGIN_TOP + 26,
        };
        let mut chart = category_chart(root, plot, &axes)?;

        for (i, b) in c.bars.iter().enumerate() {
            let x = i as f64;
            let colour = policy_colour(i);
            let mut label_top = 0.0_f64;
            if plottable(b.probability) {
                let p = b.probability.clamp(0.0, 1.0);
                label_top = p;
                chart.draw_series([
                    Rectangle::new([(x - BAR_HALF_WIDTH, 0.0), (x + BAR_HALF_WIDTH, p)], colour.filled()),
                    Rectangle::new(
                        [(x - BAR_HALF_WIDTH, 0.0), (x + BAR_HALF_WIDTH, p)],
                        darker(colour).stroke_width(1),
                    ),
                ])?;
            }
            if plottable(b.lo95) && plottable(b.hi95) {
                let (lo, hi) = (b.lo95.clamp(0.0, 1.0), b.hi95.clamp(0.0, 1.0));
                let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
                label_top = label_top.max(hi);
                let cap = 0.08;
                // A white casing under the black line keeps the interval
                // visible on dark bars (black is one of the palette colours).
                for style in [WHITE.stroke_width(5), INK.stroke_width(2)] {
                    chart.draw_series([
                        PathElement::new(vec![(x, lo), (x, hi)], style),
                        PathElement::new(vec![(x - cap, lo), (x + cap, lo)], style),
                        PathElement::new(vec![(x - cap, hi), (x + cap, hi)], style),
                    ])?;
                }
            }
            // Printed above the bar and its interval; the plot's top margin
            // leaves room for this even when the interval reaches 1.
            let (px, py) = chart.backend_coord(&(x, label_top.min(top)));
            let style = text_style(LABEL_PX + 1.0, FontStyle::Bold, INK).pos(Pos::new(HPos::Center, VPos::Bottom));
            root.draw_text(&fmt_prob(b.probability), &style, (px, py - 6))?;
        }
        Ok(())
    }
}

/// What a categorical chart needs besides the marks.
struct CategoryAxes<'a> {
    labels: CategoryLabels<'a>,
    yrange: (f64, f64),
    y_desc: &'a str,
    y_fmt: &'a dyn Fn(&f64) -> String,
    /// Pixels between the frame's text and the top of the plot.
    top_margin: i32,
}

/// Build a chart with one slot per category on `plot` and draw its axes:
/// x from -0.5 to n-0.5 with policy `i` at `x = i`, no x ticks, y over
/// `yrange` with light horizontal grid lines and `y_desc` as the axis title,
/// and the category names (wrapped, never quoted) under the axis.
///
/// The label area under the axis is sized for the longest wrapped name, so
/// short names do not waste space and long ones are not clipped.
fn category_chart<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &'a DrawingArea<DB, Shift>,
    axes: &CategoryAxes,
) -> anyhow::Result<Chart2d<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let n = axes.labels.names.len().max(1);
    let (pw, _) = plot.dim_in_pixel();
    let slot = ((pw as i32 - MARGIN_LEFT - MARGIN_RIGHT - Y_LABEL_AREA).max(n as i32) / n as i32) as u32;
    let x_area = axes.labels.height(root, slot)?;
    let (ylo, yhi) = axes.yrange;
    let y_desc = if axes.y_desc.trim().is_empty() {
        "value"
    } else {
        axes.y_desc.trim()
    };
    let mut chart = ChartBuilder::on(plot)
        .margin_left(MARGIN_LEFT)
        .margin_right(MARGIN_RIGHT)
        .margin_top(axes.top_margin)
        .margin_bottom(4)
        .x_label_area_size(x_area)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), ylo..yhi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(axes.y_fmt)
        .y_desc(y_desc)
        .label_style(text_style(LABEL_PX, FontStyle::Normal, INK))
        .axis_desc_style(text_style(AXIS_DESC_PX, FontStyle::Normal, INK))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(INK.stroke_width(1))
        .draw()?;

    let centres: Vec<i32> = (0..axes.labels.names.len())
        .map(|i| chart.backend_coord(&(i as f64, ylo)).0)
        .collect();
    let axis_y = chart.backend_coord(&(0.0, ylo)).1;
    axes.labels.draw(root, &centres, axis_y + 10, slot)?;
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violin_handles_degenerate_samples() {
        assert!(matches!(PolicyStats::new("a", &[], None).violin, Violin::Empty));
        assert!(matches!(PolicyStats::new("a", &[f64::NAN], None).violin, Violin::Empty));
        assert!(matches!(PolicyStats::new("a", &[2.0; 50], None).violin, Violin::Flat(v) if v == 2.0));
        let s = PolicyStats::new("a", &[1.0, 2.0, 2.0, 3.0, f64::INFINITY], None);
        assert_eq!(s.usable, 4);
        let Violin::Shape(pts) = s.violin else {
            panic!("expected a shape")
        };
        assert_eq!(pts.len(), KDE_GRID);
        let widest = pts.iter().map(|p| p.1).fold(0.0, f64::max);
        assert!((widest - VIOLIN_HALF_WIDTH).abs() < 1e-12);
    }

    #[test]
    fn probability_axis_is_tight_only_for_small_values() {
        let bar = |p: f64, hi: f64| super::super::EventBar {
            policy: "x",
            probability: p,
            lo95: p / 2.0,
            hi95: hi,
        };
        assert_eq!(probability_top(&[bar(0.6, 0.7)]), 1.0);
        assert_eq!(probability_top(&[bar(0.03, 0.04)]), 0.05);
        assert_eq!(probability_top(&[bar(0.2, 0.3)]), 0.4);
        assert_eq!(probability_top(&[bar(f64::NAN, f64::NAN)]), 1.0);
    }
}
