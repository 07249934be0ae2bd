//! Shared rendering machinery for every chart in the crate.
//!
//! Each chart is described once, as a [`Figure`] whose `draw` method is generic
//! over the plotters backend, and [`write_png_and_svg`] runs that one routine
//! twice — into an RGB buffer (encoded with the `png` crate) and into an SVG
//! string. Drawing the two formats from one routine is what keeps them in
//! step: a label fixed for the PNG is fixed for the SVG too.
//!
//! The module also fixes the look that all charts share, so that a reader who
//! has seen one chart can read the next:
//!
//! * [`draw_frame`] puts a title, a subtitle naming the scenario and the run, and
//!   a footer carrying the scenario's caveat on every chart. The caveat is not
//!   optional: these are conditional scenarios, not forecasts, and a chart
//!   copied into a slide deck must carry that with it.
//! * [`PALETTE`] is the Okabe–Ito palette, chosen because it stays
//!   distinguishable under the common forms of colour blindness and on a
//!   washed-out projector. Colours go to policies by their index in the chart's
//!   input, so callers that list policies in the same order get the same colour
//!   for the same policy on every chart.
//! * Text sizes ([`TITLE_PX`] and friends) are large enough to read when a
//!   1200 × 700 chart is projected.
//!
//! Everything here is deterministic: no hash-map iteration, no clocks, so the
//! same input gives byte-identical files (useful for caching and for review
//! diffs of chart output).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{ChartContext, ensure_fonts};

/// Canvas size of a single chart, in pixels (width, height).
///
/// 1200 × 700 fits a 16:9 slide with room for a slide title, and leaves room
/// for up to eight policies side by side.
pub const CHART_SIZE: (u32, u32) = (1200, 700);

/// Caveat used when the scenario supplies an empty one: no chart may leave
/// without a caveat.
pub const DEFAULT_CAVEAT: &str = "Conditional scenarios, not forecasts: results follow from the model's assumptions.";

/// Okabe–Ito colour-blind-safe palette, in the order it is handed to policies.
///
/// Yellow is last because it is the weakest on a white background; it is only
/// used when a chart has eight policies. Beyond eight, colours repeat.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// Body text colour (near-black; pure black is harsh next to thin lines).
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text colour: subtitles, keys, footers.
pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid-line colour.
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

/// Title size in pixels.
pub const TITLE_PX: f64 = 30.0;
/// Subtitle size in pixels.
pub const SUBTITLE_PX: f64 = 19.0;
/// Axis-description ("unit") size in pixels.
pub const AXIS_DESC_PX: f64 = 19.0;
/// Tick-label and category-label size in pixels.
pub const LABEL_PX: f64 = 17.0;
/// Small annotation size (values printed on marks, footers).
pub const SMALL_PX: f64 = 15.0;

/// Horizontal page margin of the frame, in pixels.
pub const PAGE_MARGIN: i32 = 24;

/// The order in which policies take [`PALETTE`] colours: the two blues (blue
/// and sky blue) are six apart, so charts of up to six policies never show
/// two blues; black comes sixth, yellow last.
const POLICY_ORDER: [usize; 8] = [0, 1, 2, 3, 4, 6, 5, 7];

/// The colour of policy number `index` (cycling through [`PALETTE`] in
/// [`POLICY_ORDER`]). Every per-policy chart (distributions, ECDFs, event
/// bars, fan charts) colours policy `i` with this, so a policy keeps its
/// colour from chart to chart.
pub fn policy_colour(index: usize) -> RGBColor {
    PALETTE[POLICY_ORDER[index % POLICY_ORDER.len()]]
}

/// Dash patterns of policy lines, as (on, off, on, off, …) pixel lengths; an
/// empty pattern is a solid line. Colour alone fails in greyscale print and
/// for some readers, and two policies with equal outcomes draw one curve over
/// the other: a dash pattern per policy lets the lower curve show through the
/// gaps of the upper one.
pub const DASHES: [&[f64]; 8] = [
    &[],
    &[14.0, 6.0],
    &[3.0, 5.0],
    &[16.0, 5.0, 3.0, 5.0],
    &[7.0, 5.0],
    &[22.0, 6.0, 3.0, 6.0, 3.0, 6.0],
    &[10.0, 4.0, 10.0, 12.0],
    &[2.0, 3.0],
];

/// The dash pattern of policy number `index` (see [`DASHES`]).
pub fn policy_dash(index: usize) -> &'static [f64] {
    DASHES[index % DASHES.len()]
}

/// Cut a polyline (pixel coordinates) into the "on" pieces of a dash
/// `pattern` that runs continuously along it. An empty or all-zero pattern
/// gives the whole line as one piece.
pub fn dash_pieces(points: &[(i32, i32)], pattern: &[f64]) -> Vec<Vec<(i32, i32)>> {
    let total: f64 = pattern.iter().filter(|x| x.is_finite() && **x > 0.0).sum();
    if pattern.is_empty() || total <= 0.0 || points.len() < 2 {
        return if points.is_empty() {
            Vec::new()
        } else {
            vec![points.to_vec()]
        };
    }
    let round = |p: (f64, f64)| (p.0.round() as i32, p.1.round() as i32);
    let mut pieces = Vec::new();
    let mut k = 0; // index in the pattern
    let mut left = pattern[0].max(0.0); // length left in the current dash or gap
    let mut cur: Vec<(i32, i32)> = vec![points[0]];
    for w in points.windows(2) {
        let (a, b) = (
            (f64::from(w[0].0), f64::from(w[0].1)),
            (f64::from(w[1].0), f64::from(w[1].1)),
        );
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        let mut t = 0.0; // distance covered along this segment
        while len - t > left {
            t += left;
            let p = round((a.0 + (b.0 - a.0) * t / len, a.1 + (b.1 - a.1) * t / len));
            if k % 2 == 0 {
                cur.push(p);
                pieces.push(std::mem::take(&mut cur));
            } else {
                cur = vec![p];
            }
            k = (k + 1) % pattern.len();
            left = pattern[k].max(0.0);
        }
        left -= len - t;
        if k % 2 == 0 {
            cur.push(w[1]);
        }
    }
    if k % 2 == 0 && cur.len() > 1 {
        pieces.push(cur);
    }
    pieces.retain(|p| p.len() > 1);
    pieces
}

/// Draw the polyline `points` (pixel coordinates on `area`) in `style`,
/// dashed by `pattern` (see [`dash_pieces`]).
pub fn draw_dashed<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[(i32, i32)],
    pattern: &[f64],
    style: ShapeStyle,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    for piece in dash_pieces(points, pattern) {
        area.draw(&PathElement::new(piece, style))?;
    }
    Ok(())
}

/// Width in pixels of `text` in the embedded sans-serif face at `size` px
/// and `style`, measured with the font itself (no drawing area needed), for
/// sizing a canvas before drawing on it.
pub fn measure_text(text: &str, size: f64, style: FontStyle) -> u32 {
    ensure_fonts();
    if text.is_empty() {
        return 0;
    }
    FontDesc::new(FontFamily::SansSerif, size, style)
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or_else(|_| (text.chars().count() as f64 * size * 0.62).ceil() as u32)
}

/// Linear mix of two colours: `t = 0` gives `a`, `t = 1` gives `b`.
///
/// Used to derive outlines (mix with black) and opaque light tints (mix with
/// white) from palette colours; an opaque tint looks the same in PNG and SVG
/// viewers, where alpha blending sometimes differs.
pub fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let f = |x: u8, y: u8| (f64::from(x) * (1.0 - t) + f64::from(y) * t).round() as u8;
    RGBColor(f(a.0, b.0), f(a.1, b.1), f(a.2, b.2))
}

/// A darker shade of `c`, for outlines and thin lines (keeps yellow and sky
/// blue visible against white).
pub fn darker(c: RGBColor) -> RGBColor {
    mix(c, BLACK, 0.3)
}

/// A sans-serif text style (the embedded DejaVu Sans), anchored top-left.
pub fn text_style(size: f64, style: FontStyle, colour: RGBColor) -> TextStyle<'static> {
    FontDesc::new(FontFamily::SansSerif, size, style)
        .color(&colour)
        .pos(Pos::new(HPos::Left, VPos::Top))
}

/// A drawing area on any plotters backend, in pixels from its top-left corner.
pub type Canvas<DB> = DrawingArea<DB, Shift>;

/// A chart that can draw itself on any plotters backend.
///
/// One implementation serves both PNG and SVG output (see
/// [`write_png_and_svg`]). Implementations should do their expensive work
/// (sorting, KDE) when they are constructed, not in `draw_plot`, because it runs
/// once per output format.
///
/// Every chart names its [`ChartContext`] and its [`Frame`]: the frame (title,
/// scenario and run, the caveat that results are conditional scenarios) is drawn
/// by [`Figure::draw`] for every figure alike, so no chart can leave it out.
pub trait Figure {
    /// Canvas size in pixels.
    fn size(&self) -> (u32, u32) {
        CHART_SIZE
    }

    /// The scenario and run this chart shows (subtitle, caveat footer, SVG `<desc>`).
    fn context(&self) -> &ChartContext;

    /// The title, direction line and key drawn around the plot.
    fn frame(&self) -> Frame;

    /// Title embedded in the SVG's `<title>` element (for screen readers and
    /// search): the frame's title unless a chart says otherwise.
    fn svg_title(&self) -> String {
        self.frame().title
    }

    /// Description embedded in the SVG's `<desc>` element: the scenario, the
    /// run and the full caveat, so the caveat is machine readable even when the
    /// visible footer had to be wrapped.
    fn svg_desc(&self) -> String {
        svg_description(self.context())
    }

    /// Draw the chart itself: `plot` is the area the frame leaves, `root` the whole canvas (for labels
    /// placed in canvas coordinates).
    fn draw_plot<DB: DrawingBackend>(&self, root: &Canvas<DB>, plot: &Canvas<DB>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static;

    /// Draw the whole chart on `root` (which covers the canvas): the frame, then the plot.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        let plot = draw_frame(root, self.context(), &self.frame())?;
        self.draw_plot(root, &plot)
    }
}

/// Render `fig` into PNG bytes.
///
/// Draws into an in-memory RGB buffer with `BitMapBackend::with_buffer` and
/// encodes it with the `png` crate: smaller files and fewer dependencies than
/// plotters' own bitmap encoder, and no timestamps, so output is reproducible.
pub fn render_png<F: Figure + ?Sized>(fig: &F) -> anyhow::Result<Vec<u8>> {
    ensure_fonts();
    let (w, h) = fig.size();
    anyhow::ensure!(w > 0 && h > 0, "chart size must be positive, got {w}x{h}");
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        fig.draw(&root)?;
        root.present()?;
    }
    encode_png(&buf, w, h)
}

/// Encode a packed 8-bit RGB buffer (`w * h * 3` bytes) as PNG.
pub fn encode_png(rgb: &[u8], w: u32, h: u32) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Balanced);
        let mut writer = enc.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

/// Render `fig` into an SVG document.
///
/// The figure's [`Figure::svg_title`] and [`Figure::svg_desc`] are inserted as
/// `<title>` and `<desc>` right after the opening `<svg>` tag.
pub fn render_svg<F: Figure + ?Sized>(fig: &F) -> anyhow::Result<String> {
    ensure_fonts();
    let (w, h) = fig.size();
    anyhow::ensure!(w > 0 && h > 0, "chart size must be positive, got {w}x{h}");
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        fig.draw(&root)?;
        root.present()?;
    }
    let mut meta = String::new();
    let title = fig.svg_title();
    if !title.is_empty() {
        meta.push_str(&format!("<title>{}</title>\n", xml_escape(&title)));
    }
    let desc = fig.svg_desc();
    if !desc.is_empty() {
        meta.push_str(&format!("<desc>{}</desc>\n", xml_escape(&desc)));
    }
    if !meta.is_empty()
        && let Some(start) = svg.find("<svg")
        && let Some(end) = svg[start..].find('>')
    {
        let at = start + end + 1;
        let at = if svg[at..].starts_with('\n') { at + 1 } else { at };
        svg.insert_str(at, &meta);
    }
    Ok(svg)
}

/// Escape text for XML character data and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Make a chart id safe to use as a file stem.
///
/// Ids come from scenario files; anything outside `[A-Za-z0-9_.-]` becomes `_`
/// so an id can never name a file outside the output directory. An empty id
/// becomes `chart`.
pub fn sanitize_stem(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "chart".to_string() } else { s }
}

/// Write `fig` as `dir/<stem>.png` and `dir/<stem>.svg` (creating `dir`), and
/// return both paths, PNG first.
///
/// `stem` is passed through [`sanitize_stem`].
pub fn write_png_and_svg<F: Figure + ?Sized>(dir: &Path, stem: &str, fig: &F) -> anyhow::Result<Vec<PathBuf>> {
    let stem = sanitize_stem(stem);
    let png = render_png(fig).with_context(|| format!("rendering {stem}.png"))?;
    let svg = render_svg(fig).with_context(|| format!("rendering {stem}.svg"))?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let png_path = dir.join(format!("{stem}.png"));
    let svg_path = dir.join(format!("{stem}.svg"));
    fs::write(&png_path, png).with_context(|| format!("writing {}", png_path.display()))?;
    fs::write(&svg_path, svg).with_context(|| format!("writing {}", svg_path.display()))?;
    Ok(vec![png_path, svg_path])
}

/// The caveat to print: the scenario's, or [`DEFAULT_CAVEAT`] if it is blank.
pub fn caveat_text(ctx: &ChartContext) -> &str {
    let c = ctx.caveat.trim();
    if c.is_empty() { DEFAULT_CAVEAT } else { c }
}

/// SVG `<desc>` text for a chart: scenario, run label and the full caveat.
pub fn svg_description(ctx: &ChartContext) -> String {
    let head: Vec<&str> = [ctx.scenario.trim(), ctx.run_label.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if head.is_empty() {
        caveat_text(ctx).to_string()
    } else {
        format!("{}. {}", head.join(" · "), caveat_text(ctx))
    }
}

/// The direction line of a chart ("Direction: lower is better for the US"),
/// saying so explicitly when the scenario gives none.
pub fn direction_line(direction: &str) -> String {
    let d = direction.trim();
    if d.is_empty() {
        "Direction: not specified".to_string()
    } else {
        format!("Direction: {d}")
    }
}

/// The text parts of the common chart layout.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// Main title (bold, top left).
    pub title: String,
    /// Which way is good, e.g. "lower is better for the US" (drawn bold under
    /// the subtitle, because a chart read the wrong way round is worse than
    /// no chart).
    pub direction: Option<String>,
    /// How to read the marks ("box = middle 50% of trials ..."), in muted
    /// text. Lines separated by `\n` are separate paragraphs (each up to two
    /// wrapped lines): notes such as "axis cut at …" go there.
    pub key: Option<String>,
}

/// Draw the common layout and return the area left for the plot.
///
/// Top to bottom: the title, a subtitle `"<scenario> · <run label>"`, the
/// optional direction and key lines, then (returned) the plot area, and at the
/// bottom a footer with the caveat. Text that is too long for the canvas is
/// wrapped rather than clipped; the caveat is first shrunk a little so that it
/// usually stays on one line.
pub fn draw_frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ctx: &ChartContext,
    frame: &Frame,
) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    let max_w = (w as i32 - 2 * PAGE_MARGIN).max(50) as u32;
    let x = PAGE_MARGIN;
    let mut y = 14;

    let title_style = text_style(TITLE_PX, FontStyle::Bold, INK);
    let title = if frame.title.trim().is_empty() {
        "(untitled chart)"
    } else {
        frame.title.as_str()
    };
    for line in limit_lines(
        root,
        wrap_text(root, title, &title_style, max_w)?,
        2,
        &title_style,
        max_w,
    )? {
        root.draw_text(&line, &title_style, (x, y))?;
        y += 36;
    }

    let subtitle: Vec<&str> = [ctx.scenario.trim(), ctx.run_label.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if !subtitle.is_empty() {
        let style = text_style(SUBTITLE_PX, FontStyle::Normal, MUTED);
        let lines = wrap_text(root, &subtitle.join("  ·  "), &style, max_w)?;
        for line in limit_lines(root, lines, 2, &style, max_w)? {
            root.draw_text(&line, &style, (x, y))?;
            y += 24;
        }
    }
    if let Some(dir) = frame.direction.as_deref().filter(|d| !d.trim().is_empty()) {
        let style = text_style(SUBTITLE_PX - 1.0, FontStyle::Bold, INK);
        for line in limit_lines(root, wrap_text(root, dir.trim(), &style, max_w)?, 2, &style, max_w)? {
            root.draw_text(&line, &style, (x, y))?;
            y += 23;
        }
    }
    if let Some(key) = frame.key.as_deref().filter(|k| !k.trim().is_empty()) {
        // Paragraphs (separated by '\n') each start a line: the first is how
        // to read the marks, later ones what the chart leaves out or what
        // the outcome counts. Each is kept to two lines.
        let style = text_style(SMALL_PX + 1.0, FontStyle::Normal, MUTED);
        for para in key.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
            for line in limit_lines(root, wrap_text(root, para, &style, max_w)?, 2, &style, max_w)? {
                root.draw_text(&line, &style, (x, y))?;
                y += 21;
            }
        }
    }
    y += 4;

    // Footer: the caveat. Prefer one line at a slightly smaller size over
    // wrapping; wrap (up to three lines) only if it still does not fit.
    let caveat = caveat_text(ctx);
    let mut footer_style = text_style(SMALL_PX + 1.0, FontStyle::Italic, INK);
    let mut lines = vec![caveat.to_string()];
    for size in [SMALL_PX + 1.0, SMALL_PX, SMALL_PX - 1.0] {
        footer_style = text_style(size, FontStyle::Italic, INK);
        lines = wrap_text(root, caveat, &footer_style, max_w)?;
        if lines.len() <= 1 {
            break;
        }
    }
    let lines = limit_lines(root, lines, 3, &footer_style, max_w)?;
    let line_h = 20;
    let footer_h = 12 + line_h * lines.len() as i32 + 8;
    let footer_top = h as i32 - footer_h;
    root.draw(&PathElement::new(
        vec![(x, footer_top + 4), (w as i32 - PAGE_MARGIN, footer_top + 4)],
        GRID.stroke_width(1),
    ))?;
    for (k, line) in lines.iter().enumerate() {
        root.draw_text(line, &footer_style, (x, footer_top + 12 + line_h * k as i32))?;
    }

    let plot_h = (footer_top - y).max(10);
    Ok(root.clone().shrink((0, y), (w, plot_h as u32)))
}

/// Width in pixels of `text` drawn with `style` on `area`.
pub fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> anyhow::Result<u32>
where
    DB::ErrorType: 'static,
{
    if text.is_empty() {
        return Ok(0);
    }
    Ok(area.estimate_text_size(text, style)?.0)
}

/// Greedy word wrap of `text` to lines at most `max_width` pixels wide.
///
/// Lines break at spaces, and after hyphens and underscores when a word does
/// not fit ("Counter-" / "terrorism", "justsecurity_2021_" / "containment":
/// identifiers are never broken inside one of their words), and only as a
/// last resort between the characters of a piece that is wider than a line on
/// its own. Always returns
/// at least one line (possibly empty).
pub fn wrap_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: u32,
) -> anyhow::Result<Vec<String>>
where
    DB::ErrorType: 'static,
{
    wrap_with(text, max_width, |s| text_width(area, s, style))
}

/// [`wrap_text`] with any way of measuring a line: a drawing area's estimate,
/// or [`measure_text`] when a figure is sized before there is an area.
pub fn wrap_with(
    text: &str,
    max_width: u32,
    mut width: impl FnMut(&str) -> anyhow::Result<u32>,
) -> anyhow::Result<Vec<String>> {
    // Pieces with a flag: does a space separate this piece from the previous
    // one? A word is split after its hyphens only if it is too wide for a
    // line of its own; the pieces then join without a space.
    let mut pieces: Vec<(&str, bool)> = Vec::new();
    for word in text.split_whitespace() {
        if word.contains(['-', '_']) && width(word)? > max_width {
            pieces.extend(
                word.split_inclusive(['-', '_'])
                    .enumerate()
                    .map(|(k, piece)| (piece, k == 0)),
            );
        } else {
            pieces.push((word, true));
        }
    }
    let mut lines = Vec::new();
    let mut cur = String::new();
    for (piece, spaced) in pieces {
        let candidate = match (cur.is_empty(), spaced) {
            (true, _) => piece.to_string(),
            (false, true) => format!("{cur} {piece}"),
            (false, false) => format!("{cur}{piece}"),
        };
        if width(&candidate)? <= max_width {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        // `piece` alone on a fresh line; break it up if it is still too wide.
        for ch in piece.chars() {
            let mut next = cur.clone();
            next.push(ch);
            if !cur.is_empty() && width(&next)? > max_width {
                lines.push(std::mem::take(&mut cur));
                cur.push(ch);
            } else {
                cur = next;
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    Ok(lines)
}

/// Keep at most `max_lines` lines; if any were dropped, end the last kept line
/// with an ellipsis (trimmed so that it still fits `max_width`).
pub fn limit_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    mut lines: Vec<String>,
    max_lines: usize,
    style: &TextStyle,
    max_width: u32,
) -> anyhow::Result<Vec<String>>
where
    DB::ErrorType: 'static,
{
    let max_lines = max_lines.max(1);
    if lines.len() <= max_lines {
        return Ok(lines);
    }
    lines.truncate(max_lines);
    if let Some(last) = lines.last_mut() {
        *last = ellipsize(area, &format!("{last}…"), style, max_width)?;
        if !last.ends_with('…') {
            last.pop();
            last.push('…');
        }
    }
    Ok(lines)
}

/// Shorten `text` with a trailing ellipsis until it fits in `max_width` pixels.
pub fn ellipsize<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: u32,
) -> anyhow::Result<String>
where
    DB::ErrorType: 'static,
{
    if text_width(area, text, style)? <= max_width {
        return Ok(text.to_string());
    }
    let mut chars: Vec<char> = text.trim_end_matches('…').chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if text_width(area, &candidate, style)? <= max_width {
            return Ok(candidate);
        }
    }
    Ok("…".to_string())
}

/// Draw a centred, muted note (e.g. "No data") in the middle of `area`.
pub fn draw_note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, note: &str) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let style = text_style(24.0, FontStyle::Normal, MUTED);
    let lines = wrap_text(area, note, &style, w.saturating_sub(20).max(40))?;
    let line_h = 30;
    let top = h as i32 / 2 - line_h * lines.len() as i32 / 2;
    let centred = style.pos(Pos::new(HPos::Center, VPos::Top));
    for (k, line) in lines.iter().enumerate() {
        area.draw_text(line, &centred, (w as i32 / 2, top + line_h * k as i32))?;
    }
    Ok(())
}

/// Draw `text` at `pos` (pixels on `area`) on a slightly translucent white
/// patch, so that lines running under a label (a violin outline, a band edge)
/// do not make it unreadable. The patch follows the style's anchor.
pub fn draw_label_with_halo<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    pos: (i32, i32),
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, th) = area.estimate_text_size(text, style)?;
    let (w, th) = (w as i32, th as i32);
    let x0 = match style.pos.h_pos {
        HPos::Left => pos.0,
        HPos::Center => pos.0 - w / 2,
        HPos::Right => pos.0 - w,
    };
    let y0 = match style.pos.v_pos {
        VPos::Top => pos.1,
        VPos::Center => pos.1 - th / 2,
        VPos::Bottom => pos.1 - th,
    };
    area.draw(&Rectangle::new(
        [(x0 - 3, y0 - 2), (x0 + w + 3, y0 + th + 3)],
        WHITE.mix(0.85).filled(),
    ))?;
    area.draw_text(text, style, pos)?;
    Ok(())
}

/// Category (policy) names for under a categorical x axis.
///
/// plotters' category axes quote their labels and cannot wrap them, so the
/// names are drawn by hand: each centred under its slot, wrapped to the slot
/// width (at spaces, then hyphens) and cut to `max_lines` lines with an
/// ellipsis. An optional `notes[i]` (e.g. "no data") goes on one extra muted
/// line under name `i`.
#[derive(Debug, Clone, Copy)]
pub struct CategoryLabels<'a> {
    pub names: &'a [&'a str],
    pub notes: &'a [Option<String>],
    pub max_lines: usize,
    pub font_px: f64,
}

impl CategoryLabels<'_> {
    fn style(&self) -> TextStyle<'static> {
        text_style(self.font_px, FontStyle::Normal, INK).pos(Pos::new(HPos::Center, VPos::Top))
    }

    fn line_height(&self) -> i32 {
        (self.font_px * 1.25).round() as i32
    }

    fn wrap_width(slot_width: u32) -> u32 {
        slot_width.saturating_sub(8).max(30)
    }

    /// Pixel height the labels need below the axis when each slot is
    /// `slot_width` pixels wide (including a 10 px gap under the axis).
    pub fn height<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, slot_width: u32) -> anyhow::Result<i32>
    where
        DB::ErrorType: 'static,
    {
        let style = self.style();
        let mut lines = 1;
        for name in self.names {
            lines = lines.max(wrap_text(area, name, &style, Self::wrap_width(slot_width))?.len());
        }
        let lines = lines.min(self.max_lines.max(1)) as i32;
        let note = if self.notes.iter().any(Option::is_some) { 18 } else { 0 };
        Ok(10 + self.line_height() * lines + note + 8)
    }

    /// Draw the labels on `root`, name `i` centred at pixel column
    /// `centres[i]`, starting at pixel row `top`. Returns the pixel row below
    /// the lowest line drawn.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        centres: &[i32],
        top: i32,
        slot_width: u32,
    ) -> anyhow::Result<i32>
    where
        DB::ErrorType: 'static,
    {
        let style = self.style();
        let note_style = text_style(SMALL_PX - 1.0, FontStyle::Italic, MUTED).pos(Pos::new(HPos::Center, VPos::Top));
        let width = Self::wrap_width(slot_width);
        let mut bottom = top;
        for (i, (&name, &cx)) in self.names.iter().zip(centres).enumerate() {
            let lines = limit_lines(
                root,
                wrap_text(root, name, &style, width)?,
                self.max_lines,
                &style,
                width,
            )?;
            let mut y = top;
            for line in &lines {
                root.draw_text(line, &style, (cx, y))?;
                y += self.line_height();
            }
            if let Some(Some(note)) = self.notes.get(i) {
                let note = ellipsize(root, note, &note_style, width)?;
                root.draw_text(&note, &note_style, (cx, y))?;
                y += 18;
            }
            bottom = bottom.max(y);
        }
        Ok(bottom)
    }
}

/// Largest magnitude a value may have to be drawn.
///
/// Beyond this the span of an axis can overflow `f64`, and plotters' pixel
/// mapping overflows `i32`, so such values are treated like NaN and ±inf:
/// skipped. No simulation outcome comes anywhere near it.
pub const MAX_ABS: f64 = 1e300;

/// Whether `v` can be drawn: finite and at most [`MAX_ABS`] in magnitude.
pub fn plottable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_ABS
}

/// The [`plottable`] values of `values` (NaN, ±inf and absurd magnitudes
/// dropped), sorted ascending.
pub fn finite_sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|&x| plottable(x)).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Quantile `q` (0..=1) of ascending `sorted` data, by linear interpolation
/// between order statistics (R's type 7, numpy's default). `None` if empty.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || !q.is_finite() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// Min and max of the [`plottable`] values, or `None` if there are none.
pub fn finite_range<I: IntoIterator<Item = f64>>(values: I) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|&v| plottable(v))
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Widen `[lo, hi]` by `frac` of its span on each side, so marks do not sit
/// on the frame. A zero-width range (all values equal) is widened to a
/// visible one around the value; a non-finite one becomes `[0, 1]`. The
/// result always has `lo < hi` and a finite span, which plotters needs.
pub fn pad_range(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    // Keep the span finite even for absurd inputs.
    let (lo, hi) = (lo.clamp(-MAX_ABS, MAX_ABS), hi.clamp(-MAX_ABS, MAX_ABS));
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let span = hi - lo;
    if span <= f64::EPSILON * lo.abs().max(hi.abs()).max(1e-300) {
        let d = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
        return (lo - d, hi + d);
    }
    (lo - span * frac, hi + span * frac)
}

/// Format a value for printing on a chart: three significant digits (kept
/// with trailing zeros, so "1.00" says how precise it is), thousands separated
/// by commas, never an exponent (see [`crate::numfmt`]), "0" for zero, "n/a"
/// for non-finite values.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    crate::numfmt::fixed(v, crate::numfmt::decimals_for(v, crate::numfmt::SIG))
}

/// Tick-label formatter for value axes: like [`fmt_num`] but without the
/// trailing zeros that make "0.500" look more precise than a tick is.
pub fn fmt_tick(v: f64) -> String {
    let s = fmt_num(v);
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" { "0".to_string() } else { t.to_string() }
    } else {
        s
    }
}

/// A note for a category label when values were missing: "no data" when
/// nothing was usable, "k invalid skipped" when some non-finite values were
/// dropped, `None` otherwise.
pub fn skipped_note(total: usize, usable: usize) -> Option<String> {
    if usable == 0 {
        Some("no data".to_string())
    } else if usable < total {
        Some(format!("{} invalid skipped", total - usable))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.25), Some(2.0));
        assert_eq!(quantile(&v, 0.1), Some(1.4));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.95), Some(7.0));
    }

    #[test]
    fn ranges_are_never_empty() {
        assert_eq!(pad_range(3.0, 3.0, 0.05), (2.7, 3.3));
        assert_eq!(pad_range(0.0, 0.0, 0.05), (-1.0, 1.0));
        assert_eq!(pad_range(f64::NAN, 1.0, 0.05), (0.0, 1.0));
        for (a, b) in [(-f64::MAX, f64::MAX), (f64::MAX, f64::MAX), (5.0, 1.0)] {
            let (lo, hi) = pad_range(a, b, 0.05);
            assert!(lo < hi && (hi - lo).is_finite(), "{a} {b} -> {lo} {hi}");
        }
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(fmt_num(12345.4), "12,345");
        assert_eq!(fmt_num(-1234.0), "-1,234");
        assert_eq!(fmt_num(0.1234), "0.123");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(2.57e-20), "0");
        assert_eq!(fmt_num(-7.48e-4), "-0.000748");
        assert_eq!(fmt_num(1.0), "1.00");
        assert_eq!(fmt_num(f64::NAN), "n/a");
        assert_eq!(fmt_tick(0.5), "0.5");
        assert_eq!(fmt_tick(20.0), "20");
    }

    #[test]
    fn stems_are_safe() {
        assert_eq!(sanitize_stem("dist_a/b"), "dist_a_b");
        assert_eq!(sanitize_stem("../x"), "_x");
        assert_eq!(sanitize_stem(""), "chart");
    }
}
