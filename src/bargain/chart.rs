//! Charts of a bargaining run: each dimension's positions over the states of a run, and the spread of final
//! positions over stochastic trials. Each chart is drawn once per backend (SVG and PNG) from the same code, and
//! returned as bytes so the caller decides where (and how atomically) to write them.

use super::model::Smp;
use super::run::History;
use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

const SIZE: (u32, u32) = (1000, 620);
/// Above this many actors a legend would cover the plot; the lines are still drawn.
const MAX_LEGEND: usize = 20;
const CAVEAT: &str = "Spatial Model of Politics (KTAB-compatible): a model's bargaining outcome, not a forecast.";

/// A chart rendered both ways.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub svg: String,
    pub png: Vec<u8>,
}

/// Anything that can draw itself onto a plotters drawing area of any backend.
trait Draw {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>;
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("chart drawing failed: {e}")
}

/// Render to an SVG string and to PNG bytes (drawn into an RGB buffer, then encoded with the `png` crate).
fn render(chart: &impl Draw) -> anyhow::Result<Rendered> {
    crate::plot::ensure_fonts();
    let (w, h) = SIZE;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
    }
    Ok(Rendered { svg, png: png_bytes })
}

/// Split off a strip at the bottom for the caveat; return the area above it.
fn with_caveat<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> anyhow::Result<DrawingArea<DB, Shift>> {
    root.fill(&WHITE).map_err(err)?;
    let (_, h) = root.dim_in_pixel();
    let (upper, lower) = root.split_vertically(h - 26);
    lower
        .draw_text(
            CAVEAT,
            &("sans-serif", 14).into_font().color(&RGBColor(90, 90, 90)),
            (12, 4),
        )
        .map_err(err)?;
    Ok(upper)
}

struct PositionsChart<'a> {
    smp: &'a Smp,
    history: &'a History,
    dim: usize,
}

impl Draw for PositionsChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = with_caveat(root)?;
        let (smp, h, k) = (self.smp, self.history, self.dim);
        let n = smp.num_actors();
        let last = h.num_states().saturating_sub(1).max(1) as f64;
        let values = (0..h.num_states()).flat_map(|t| (0..n).map(move |a| h.position(t, a, k)));
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (lo, hi) = ((lo - 5.0).max(0.0), (hi + 5.0).min(100.0));
        let mut chart = ChartBuilder::on(&area)
            .caption(
                format!("{}: {} by state", smp.scenario_name(), smp.dimension_names()[k]),
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..last, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("state (turn of bargaining)")
            .y_desc("position (0-100)")
            .x_labels((last as usize + 1).min(15))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(err)?;
        for a in 0..n {
            let color = Palette99::pick(a).to_rgba();
            let series = chart
                .draw_series(LineSeries::new(
                    (0..h.num_states()).map(|t| (t as f64, h.position(t, a, k))),
                    color.stroke_width(2),
                ))
                .map_err(err)?;
            if n <= MAX_LEGEND {
                series
                    .label(smp.actor_names()[a].clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            }
        }
        if n <= MAX_LEGEND {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(err)?;
        }
        Ok(())
    }
}

/// The chart of dimension `dim`'s positions over the states of a run.
pub fn positions_chart(smp: &Smp, history: &History, dim: usize) -> anyhow::Result<Rendered> {
    render(&PositionsChart { smp, history, dim })
}

struct QuantilesChart<'a> {
    smp: &'a Smp,
    quantiles: &'a [[f64; 5]],
    dim: usize,
    label: &'a str,
}

impl Draw for QuantilesChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = with_caveat(root)?;
        let (smp, k) = (self.smp, self.dim);
        let n = smp.num_actors();
        let d = smp.num_dimensions();
        let names = smp.actor_names();
        let formatter = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                names[i as usize].clone()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&area)
            .caption(
                format!(
                    "{}: final {} — {}",
                    smp.scenario_name(),
                    smp.dimension_names()[k],
                    self.label
                ),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..100.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(if n <= 40 { n } else { 10 })
            .x_label_formatter(&formatter)
            .x_desc("actor (box: p25-p75, whiskers: p05-p95, bar: median)")
            .y_desc("final position (0-100)")
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        for a in 0..n {
            let [p05, p25, p50, p75, p95] = self.quantiles[a * d + k];
            let x = a as f64;
            let color = Palette99::pick(a).to_rgba();
            let half = 0.3;
            chart
                .draw_series([
                    PathElement::new(vec![(x, p05), (x, p95)], BLACK.stroke_width(1)),
                    PathElement::new(
                        vec![(x - half / 2.0, p05), (x + half / 2.0, p05)],
                        BLACK.stroke_width(1),
                    ),
                    PathElement::new(
                        vec![(x - half / 2.0, p95), (x + half / 2.0, p95)],
                        BLACK.stroke_width(1),
                    ),
                ])
                .map_err(err)?;
            chart
                .draw_series([
                    Rectangle::new([(x - half, p25), (x + half, p75)], color.mix(0.6).filled()),
                    Rectangle::new([(x - half, p25), (x + half, p75)], BLACK.stroke_width(1)),
                ])
                .map_err(err)?;
            chart
                .draw_series([PathElement::new(
                    vec![(x - half, p50), (x + half, p50)],
                    BLACK.stroke_width(3),
                )])
                .map_err(err)?;
        }
        Ok(())
    }
}

/// The chart of the spread of final positions on dimension `dim` over stochastic trials; `quantiles` is
/// `[actor * dims + dim]` → p05/p25/p50/p75/p95 on 0–100; `label` says e.g. "1000 trials, seed 1".
pub fn quantiles_chart(smp: &Smp, quantiles: &[[f64; 5]], dim: usize, label: &str) -> anyhow::Result<Rendered> {
    render(&QuantilesChart {
        smp,
        quantiles,
        dim,
        label,
    })
}
