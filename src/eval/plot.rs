//! SVG figures of an [`EvalReport`] (plotters' SVG backend; text is emitted as SVG `<text>`
//! elements, so no font files are needed).

use super::bootstrap::Estimate;
use super::harness::{EvalReport, PIT_BINS};
use crate::error::{Error, Result};
use plotters::prelude::*;

const SIZE: (u32, u32) = (760, 480);
/// NSE above this is drawn at the top edge (averaging's NSE(1) is d + 1).
const NSE_CAP: f64 = 2.0;

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Format(format!("drawing SVG: {e}"))
}

/// One named series of estimates over `k`; `None` entries leave a gap.
pub(crate) type Series = (String, Vec<Option<Estimate>>);

/// Every figure of `report` as `(file name, SVG text)`: `nse.svg` always; `nll.svg`,
/// `coverage_50.svg`, `coverage_90.svg` and `pit.svg` when some predictor returned
/// distributions; `family.svg` when some predictor returned family probabilities.
///
/// # Errors
/// [`Error::Format`] if plotters fails to draw.
pub fn figures(report: &EvalReport) -> Result<Vec<(String, String)>> {
    let all = |f: &dyn Fn(&super::PredictorReport) -> Option<Vec<Option<Estimate>>>| -> Vec<Series> {
        report.predictors.iter().filter_map(|p| f(p).map(|s| (p.name.clone(), s))).collect()
    };
    let wrap = |s: &Vec<Estimate>| s.iter().copied().map(Some).collect::<Vec<_>>();
    let title = |what: &str| format!("{what} — {} (d = {}, {} prompts)", report.config.eval_mixture, report.config.d, report.config.prompts);
    let mut out = Vec::new();

    let nse = all(&|p| Some(wrap(&p.nse)));
    let top = nse.iter().flat_map(|(_, s)| s.iter().flatten().map(|e| e.hi)).fold(1.0, f64::max).min(NSE_CAP) * 1.05;
    out.push(("nse.svg".into(), line_chart(&title("NSE(k)"), "normalised squared error", &nse, (0.0, top), Some(1.0))?));

    let nll = all(&|p| p.nll.clone());
    if !nll.is_empty() {
        let values = || nll.iter().flat_map(|(_, s)| s.iter().flatten().flat_map(|e| [e.lo, e.hi]));
        let (lo, hi) = (values().fold(f64::INFINITY, f64::min), values().fold(f64::NEG_INFINITY, f64::max));
        let pad = 0.05 * (hi - lo).max(0.1);
        out.push(("nll.svg".into(), line_chart(&title("NLL(k)"), "mean −log p(y) (nats)", &nll, (lo - pad, hi + pad), None)?));
        for (file, level, series) in [
            ("coverage_50.svg", 0.5, all(&|p| p.coverage_50.as_ref().map(wrap))),
            ("coverage_90.svg", 0.9, all(&|p| p.coverage_90.as_ref().map(wrap))),
        ] {
            let name = format!("coverage of the central {}% interval", level * 100.0);
            out.push((file.into(), line_chart(&title(&name), "fraction of y inside", &series, (0.0, 1.0), Some(level))?));
        }
        let pits: Vec<(String, Vec<f64>)> =
            report.predictors.iter().filter_map(|p| p.pit_histogram.clone().map(|h| (p.name.clone(), h))).collect();
        out.push(("pit.svg".into(), pit_chart(&title("PIT histogram"), &pits)?));
    }

    let family = all(&|p| p.true_family_prob.as_ref().map(wrap));
    if !family.is_empty() {
        out.push(("family.svg".into(), line_chart(&title("belief in the true family"), "mean P(true family)", &family, (0.0, 1.0), None)?));
    }
    Ok(out)
}

/// Lines of `mean` over `k` with shaded `[lo, hi]` bands, clamped into `y_range`, and an
/// optional dashed reference level.
fn line_chart(title: &str, y_desc: &str, series: &[Series], y_range: (f64, f64), reference: Option<f64>) -> Result<String> {
    index_chart(title, "k (context points)", y_desc, series, y_range, reference)
}

/// [`line_chart`] with any description of the x axis (the series index).
pub(crate) fn index_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    y_range: (f64, f64),
    reference: Option<f64>,
) -> Result<String> {
    let points = series.iter().map(|(_, s)| s.len()).max().unwrap_or(1).max(2);
    let xs: Vec<f64> = (0..points).map(|k| k as f64).collect();
    value_chart(&XAxis { desc: x_desc, values: &xs, integer: true, shade: None }, title, y_desc, series, y_range, reference)
}

/// The x axis of [`value_chart`]: entry `i` of every series is drawn at `values[i]`.
pub(crate) struct XAxis<'a> {
    /// Axis label.
    pub desc: &'a str,
    /// x of each series entry, increasing.
    pub values: &'a [f64],
    /// Label ticks as integers (context sizes) rather than with two decimals.
    pub integer: bool,
    /// An x interval drawn as a grey band behind the lines (e.g. the trained frequency band).
    pub shade: Option<(f64, f64)>,
}

/// Lines of `mean` against `x.values` with shaded `[lo, hi]` bands, clamped into `y_range`,
/// an optional dashed reference level and an optional shaded x interval.
pub(crate) fn value_chart(
    x: &XAxis,
    title: &str,
    y_desc: &str,
    series: &[Series],
    y_range: (f64, f64),
    reference: Option<f64>,
) -> Result<String> {
    let x_min = x.values.first().copied().unwrap_or(0.0);
    let x_max = x.values.last().copied().filter(|&v| v > x_min).unwrap_or(x_min + 1.0);
    let clamp = |v: f64| v.clamp(y_range.0, y_range.1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(x_min..x_max, y_range.0..y_range.1)
            .map_err(plot_error)?;
        let integer_fmt = |v: &f64| format!("{v:.0}");
        let decimal_fmt = |v: &f64| format!("{v:.2}");
        chart
            .configure_mesh()
            .light_line_style(BLACK.mix(0.03))
            .x_labels(if x.integer { x.values.len().clamp(2, 21) } else { 11 })
            .x_label_formatter(if x.integer { &integer_fmt } else { &decimal_fmt })
            .x_desc(x.desc)
            .y_desc(y_desc)
            .draw()
            .map_err(plot_error)?;
        if let Some((lo, hi)) = x.shade {
            let (lo, hi) = (lo.clamp(x_min, x_max), hi.clamp(x_min, x_max));
            let band = Rectangle::new([(lo, y_range.0), (hi, y_range.1)], BLACK.mix(0.08).filled());
            chart.draw_series(std::iter::once(band)).map_err(plot_error)?;
        }
        if let Some(level) = reference {
            let span = x_max - x_min;
            let dashes = (0..40).map(|i| {
                let x0 = x_min + span * i as f64 / 40.0;
                PathElement::new(vec![(x0, level), (x0 + span / 80.0, level)], BLACK.mix(0.6))
            });
            chart.draw_series(dashes).map_err(plot_error)?;
        }
        for (i, (name, values)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            // Contiguous runs of present estimates.
            let runs: Vec<Vec<(f64, Estimate)>> = values
                .iter()
                .zip(x.values)
                .collect::<Vec<_>>()
                .split(|(e, _)| e.is_none())
                .filter(|run| !run.is_empty())
                .map(|run| run.iter().filter_map(|(e, x)| e.map(|e| (**x, e))).collect())
                .collect();
            for (r, run) in runs.iter().enumerate() {
                let band: Vec<(f64, f64)> = run
                    .iter()
                    .map(|(k, e)| (*k, clamp(e.hi)))
                    .chain(run.iter().rev().map(|(k, e)| (*k, clamp(e.lo))))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.15).filled()))).map_err(plot_error)?;
                let line = chart
                    .draw_series(LineSeries::new(run.iter().map(|(k, e)| (*k, clamp(e.mean))), color.stroke_width(2)))
                    .map_err(plot_error)?;
                if r == 0 {
                    line.label(name.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
                }
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// One panel of [`slices_chart`]: a 1-D function, the context shown to the predictors, and
/// their predicted means on a grid.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) struct Slice {
    /// Panel caption.
    pub title: String,
    /// `[m]` inputs of the grid, increasing.
    pub grid: Vec<f64>,
    /// `[m]` the noiseless function on the grid.
    pub truth: Vec<f64>,
    /// The context points `(x, y)`.
    pub context: Vec<(f64, f64)>,
    /// `(name, [m] predicted means)` per predictor.
    pub lines: Vec<(String, Vec<f64>)>,
}

/// Panels side by side (up to three per row) of predictions against the truth in 1-D: the
/// truth in black, the context as dots, one coloured line per predictor (used by
/// `incontext reproduce`, native only).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn slices_chart(title: &str, slices: &[Slice]) -> Result<String> {
    let cols = slices.len().clamp(1, 3);
    let rows = slices.len().div_ceil(cols).max(1);
    let size = (360 * cols as u32, 300 * rows as u32 + 40);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let root = root.titled(title, ("sans-serif", 18)).map_err(plot_error)?;
        for (area, slice) in root.split_evenly((rows, cols)).iter().zip(slices) {
            let values = || slice.truth.iter().chain(slice.lines.iter().flat_map(|(_, l)| l)).chain(slice.context.iter().map(|p| &p.1));
            let lo = values().copied().fold(f64::INFINITY, f64::min);
            let hi = values().copied().fold(f64::NEG_INFINITY, f64::max);
            let pad = 0.1 * (hi - lo).max(0.5);
            let (x0, x1) = (slice.grid.first().copied().unwrap_or(-1.0), slice.grid.last().copied().unwrap_or(1.0));
            let mut chart = ChartBuilder::on(area)
                .caption(&slice.title, ("sans-serif", 14))
                .margin(8)
                .x_label_area_size(28)
                .y_label_area_size(40)
                .build_cartesian_2d(x0..x1, (lo - pad)..(hi + pad))
                .map_err(plot_error)?;
            chart.configure_mesh().light_line_style(BLACK.mix(0.03)).x_desc("x").draw().map_err(plot_error)?;
            let truth = slice.grid.iter().copied().zip(slice.truth.iter().copied());
            chart
                .draw_series(LineSeries::new(truth, BLACK.stroke_width(2)))
                .map_err(plot_error)?
                .label("truth")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2)));
            for (i, (name, means)) in slice.lines.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                let line = slice.grid.iter().copied().zip(means.iter().copied());
                chart
                    .draw_series(LineSeries::new(line, color.stroke_width(2)))
                    .map_err(plot_error)?
                    .label(name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
            }
            let dots = slice.context.iter().map(|&(x, y)| Circle::new((x, y), 3, BLACK.filled()));
            chart.draw_series(dots).map_err(plot_error)?;
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .label_font(("sans-serif", 11))
                .draw()
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// PIT histograms as step lines in density units (a calibrated predictor is flat at 1).
pub(crate) fn pit_chart(title: &str, histograms: &[(String, Vec<f64>)]) -> Result<String> {
    let bins = PIT_BINS as f64;
    let top = histograms.iter().flat_map(|(_, h)| h.iter().map(|f| f * bins)).fold(1.0, f64::max) * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..1.0, 0.0..top)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .light_line_style(BLACK.mix(0.03))
            .x_desc("PIT value F(y)")
            .y_desc("density")
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(0.0, 1.0), (1.0, 1.0)], BLACK.mix(0.6))))
            .map_err(plot_error)?;
        for (i, (name, hist)) in histograms.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let steps = hist.iter().enumerate().flat_map(|(b, f)| [(b as f64 / bins, f * bins), ((b + 1) as f64 / bins, f * bins)]);
            chart
                .draw_series(LineSeries::new(steps, color.stroke_width(2)))
                .map_err(plot_error)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}
