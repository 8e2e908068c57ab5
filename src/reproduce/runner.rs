//! The one runner of every [`ExperimentDef`]: its models ensured (models.rs), panels of
//! predictors scored on shared prompts, summary tables and figures, written as the results
//! (report.rs).

use super::models::{LoadedModel, ensure_model};
use super::options::Options;
use super::report::{ExperimentOutput, PanelReport, Table, f4, markdown, opt4};
use super::{ExperimentDef, Study, model_def};
use crate::baselines::{default_baselines, least_squares_label};
use crate::error::{Error, Result, write_file};
use crate::eval::{
    Averages, DEFAULT_LEVEL, EvalConfig, Estimate, Evaluation, PredictorReport,
    Series, Slice, XAxis, figures, out_of_distribution_families, pit_chart, resolve_predictor, slices_chart, value_chart,
};
use crate::predictive::{Predictive, Predictor};
use crate::tasks::{Context, FamilySpec, Mixture, NoiseRange, Prompt, SeededRng};
use std::path::PathBuf;

/// Context points of each E6 slice (1-D models).
const SLICE_CONTEXT: usize = 12;
/// Grid of each E6 slice: `x` from −3 to 3 (x ~ N(0, 1) in pretraining).
const SLICE_GRID: usize = 121;
/// Seed label of the slice draws (derived from the evaluation seed).
const SLICE_STREAM: u64 = 0x0051_1CE5;

/// A predictor under a display name (reports name predictors by [`Predictor::name`]).
struct Named<'a> {
    name: String,
    inner: &'a dyn Predictor,
}

impl Predictor for Named<'_> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        self.inner.predict(context, queries)
    }

    fn predict_prompt(&self, prompt: &Prompt) -> Result<Vec<Predictive>> {
        self.inner.predict_prompt(prompt)
    }
}

/// One predictor of a panel and the pretraining mixture it was built for (which indexes its
/// family probabilities).
struct Entry<'a> {
    predictor: Named<'a>,
    built_for: Mixture,
}

struct Runner<'a> {
    def: &'a ExperimentDef,
    options: &'a Options,
    panels: Vec<PanelReport>,
    tables: Vec<Table>,
    figures: Vec<(String, String)>,
    skipped: Vec<String>,
}

/// Mean over positions `k ≥ 1` of one predictor's NSE, and its NSE at the last position.
fn nse_summary(p: &PredictorReport) -> (f64, Estimate) {
    (Averages::of(p).nse, *p.nse.last().unwrap_or(&Estimate { mean: f64::NAN, lo: f64::NAN, hi: f64::NAN }))
}

fn slug(text: &str) -> String {
    let s: String = text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' }).collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

impl<'a> Runner<'a> {
    /// Scores `entries` on prompts from `eval` in dimension `d` (`points` per prompt): one
    /// [`Evaluation`] per distinct `built_for` mixture, all drawing the same prompts (same
    /// mixture, seed and sizes).
    fn panel(&mut self, label: String, eval: &Mixture, d: usize, points: usize, noise: NoiseRange, entries: &[Entry]) -> Result<&PanelReport> {
        let mut evaluations: Vec<(Mixture, Evaluation)> = Vec::new();
        let mut reports = Vec::with_capacity(entries.len());
        for entry in entries {
            let i = match evaluations.iter().position(|(m, _)| *m == entry.built_for) {
                Some(i) => i,
                None => {
                    let config = EvalConfig {
                        mixture: entry.built_for.clone(),
                        eval_mixture: eval.clone(),
                        d,
                        d_eff: d,
                        points,
                        prompts: self.options.prompts(),
                        noise,
                        seed: self.options.seed,
                        resamples: self.options.resamples(),
                        level: DEFAULT_LEVEL,
                    };
                    evaluations.push((entry.built_for.clone(), Evaluation::new(config)?));
                    evaluations.len() - 1
                }
            };
            reports.push(evaluations[i].1.evaluate(&entry.predictor)?);
        }
        let report = evaluations.first().ok_or_else(|| Error::InvalidInput("a panel needs a predictor".into()))?.1.report(reports);
        eprintln!("{} {label}: {}", self.def.id, eval);
        self.panels.push(PanelReport { label, built_for: entries.iter().map(|e| e.built_for.to_string()).collect(), report });
        Ok(self.panels.last().unwrap_or_else(|| unreachable!()))
    }

    /// Adds a figure: the first is the main figure `<E>.svg`, the others `<E>-<what>.svg`.
    fn figure(&mut self, what: &str, svg: String) {
        let name = if self.figures.is_empty() { format!("{}.svg", self.def.id) } else { format!("{}-{}.svg", self.def.id, slug(what)) };
        self.figures.push((name, svg));
    }
}

impl Runner<'_> {
    /// Baselines built from labels for `mixture`; `bayes` is the Bayes posterior of that prior
    /// (with the settings of [`Options`]), named `bayes_name`.
    fn baselines(&self, labels: &[&str], mixture: &Mixture, noise: NoiseRange, d: usize, bayes_name: &str) -> Result<Vec<(String, Box<dyn Predictor>)>> {
        labels
            .iter()
            .map(|&l| {
                // Least squares fits an intercept where the family has one (`linear(bias)`).
                let (name, label) = match l {
                    "bayes" => (bayes_name, self.options.bayes()),
                    "least_squares" => {
                        let label = least_squares_label(mixture);
                        (label, label)
                    }
                    _ => (l, l),
                };
                Ok((name.to_string(), resolve_predictor(label, mixture, noise, d)?))
            })
            .collect()
    }
}

fn entries<'b>(owned: &'b [(String, Box<dyn Predictor>)], built_for: &Mixture) -> Vec<Entry<'b>> {
    owned.iter().map(|(name, p)| Entry { predictor: Named { name: name.clone(), inner: p.as_ref() }, built_for: built_for.clone() }).collect()
}

fn model_entry<'b>(m: &'b LoadedModel) -> Entry<'b> {
    Entry { predictor: Named { name: m.record.name.clone(), inner: &m.predictor }, built_for: m.meta.mixture.clone() }
}

/// Runs one experiment: ensures its models, runs its study, writes `<E>.json`, `<E>.md` and
/// the figures into `options.out`, and returns what it wrote.
///
/// # Errors
/// As [`ensure_model`]; evaluation, drawing and I/O errors.
pub fn run_experiment(def: &ExperimentDef, options: &Options) -> Result<(ExperimentOutput, Vec<PathBuf>)> {
    let specialists: &[&str] = match def.study {
        Study::Selection { specialists } => specialists,
        _ => &[],
    };
    let mut records = Vec::new();
    let mut models: Vec<Option<LoadedModel>> = Vec::new();
    let mut specialist_models: Vec<Option<LoadedModel>> = Vec::new();
    for (i, name) in def.models.iter().chain(specialists).enumerate() {
        let (record, loaded) = ensure_model(model_def(name)?, options)?;
        records.push(record);
        if i < def.models.len() { models.push(loaded) } else { specialist_models.push(loaded) }
    }
    let mut run = Runner { def, options, panels: Vec::new(), tables: Vec::new(), figures: Vec::new(), skipped: Vec::new() };
    for r in &records {
        if r.source == "missing" {
            run.skipped.push(format!("{}: not trained yet (--no-train); its part of the study is left out", r.name));
        }
    }
    let present: Vec<&LoadedModel> = models.iter().flatten().collect();
    match def.study {
        Study::Curves => curves(&mut run, &present)?,
        Study::Selection { .. } => selection(&mut run, &present, &specialist_models.iter().flatten().collect::<Vec<_>>())?,
        Study::Convex { alphas, slices } => convex(&mut run, &present, alphas, slices)?,
        Study::Omega { below, above } => omega(&mut run, &present, below, above)?,
        Study::Calibration => calibration(&mut run, &present)?,
    }
    let output = ExperimentOutput {
        experiment: def.id.into(),
        title: def.title.into(),
        question: def.question.into(),
        command: options.command(def.id),
        quick: options.quick,
        prompts: options.prompts(),
        resamples: options.resamples(),
        level: DEFAULT_LEVEL,
        seed: options.seed,
        bayes: options.bayes().to_string(),
        models: records,
        skipped: run.skipped,
        tables: run.tables,
        figures: run.figures.iter().map(|(n, _)| n.clone()).collect(),
        panels: run.panels,
    };
    let json = serde_json::to_string_pretty(&output).map_err(|e| Error::Format(e.to_string()))?;
    let mut files = vec![(format!("{}.json", def.id), json), (format!("{}.md", def.id), markdown(&output))];
    files.extend(run.figures);
    let mut written = Vec::new();
    for (name, text) in files {
        let path = options.out.join(name);
        write_file(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok((output, written))
}

fn d_points(m: &LoadedModel) -> (usize, usize) {
    (m.meta.config.n_dims, m.meta.config.max_points)
}

/// E1, E2: each model on its own mixture beside the relevant baselines.
fn curves(run: &mut Runner, models: &[&LoadedModel]) -> Result<()> {
    for m in models {
        let (d, points) = d_points(m);
        let labels = default_baselines(&m.meta.mixture);
        let owned = run.baselines(&labels.iter().map(String::as_str).collect::<Vec<_>>(), &m.meta.mixture, m.meta.noise, d, "bayes")?;
        let mut list = vec![model_entry(m)];
        list.extend(entries(&owned, &m.meta.mixture));
        let panel = run.panel(format!("prompts from {}", m.meta.mixture), &m.meta.mixture, d, points, m.meta.noise, &list)?.clone();
        let ks: Vec<usize> = [0, 1, d / 2, d, 2 * d, 4 * d, points - 1].into_iter().filter(|&k| k < points).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let table = Table {
            caption: format!("NSE(k) on prompts from `{}` (d = {d}), mean [90% interval]", m.meta.mixture),
            header: std::iter::once("predictor".to_string()).chain(ks.iter().map(|k| format!("k = {k}"))).collect(),
            rows: panel
                .report
                .predictors
                .iter()
                .map(|p| std::iter::once(p.name.clone()).chain(ks.iter().map(|&k| format!("{:.3} [{:.3}, {:.3}]", p.nse[k].mean, p.nse[k].lo, p.nse[k].hi))).collect())
                .collect(),
        };
        let figs = figures(&panel.report)?;
        run.tables.push(table);
        if let Some((_, svg)) = figs.into_iter().find(|(n, _)| n == "nse.svg") {
            run.figure(&m.record.name, svg);
        }
    }
    Ok(())
}

/// E3–E5: per family of the first model, every mixture model against the family's specialist.
fn selection(run: &mut Runner, models: &[&LoadedModel], specialists: &[&LoadedModel]) -> Result<()> {
    let Some(first) = models.first() else { return Ok(()) };
    let (d, points) = d_points(first);
    let mut costs: Vec<Series> = Vec::new();
    let mut rows = Vec::new();
    let mut family_figures = Vec::new();
    for component in &first.meta.mixture.components {
        let family = Mixture::single(component.family.clone());
        let Some(specialist) = specialists.iter().find(|s| s.meta.mixture.components.len() == 1 && s.meta.mixture.components[0].family == component.family) else {
            run.skipped.push(format!("family {}: its specialist is missing", component.family));
            continue;
        };
        let owned = run.baselines(&["bayes", "least_squares"], &family, first.meta.noise, d, "bayes (this family's prior)")?;
        let mut list: Vec<Entry> = models.iter().map(|m| model_entry(m)).collect();
        list.push(Entry { predictor: Named { name: format!("{} (specialist)", specialist.record.name), inner: &specialist.predictor }, built_for: specialist.meta.mixture.clone() });
        list.extend(entries(&owned, &family));
        let panel = run.panel(format!("prompts from {}", component.family), &family, d, points, first.meta.noise, &list)?.clone();
        let spec = &panel.report.predictors[models.len()];
        let (spec_mean, spec_last) = nse_summary(spec);
        for (m, p) in models.iter().zip(&panel.report.predictors) {
            let (mean, last) = nse_summary(p);
            let weight = m.meta.mixture.components.iter().find(|c| c.family == component.family).map_or(0.0, |c| c.weight / m.meta.mixture.components.iter().map(|c| c.weight).sum::<f64>());
            rows.push(vec![
                format!("`{}`", component.family),
                m.record.name.clone(),
                format!("{weight}"),
                f4(mean),
                f4(spec_mean),
                format!("{:+.4}", mean - spec_mean),
                f4(last.mean),
                f4(spec_last.mean),
                format!("{:+.4}", last.mean - spec_last.mean),
            ]);
            let diff = p.nse.iter().zip(&spec.nse).map(|(a, b)| Some(Estimate { mean: a.mean - b.mean, lo: a.mean - b.mean, hi: a.mean - b.mean })).collect();
            costs.push((format!("{} on {}", m.record.name, component.family.name()), diff));
        }
        if let Some((_, svg)) = figures(&panel.report)?.into_iter().find(|(n, _)| n == "nse.svg") {
            family_figures.push((format!("nse {}", component.family.name()), svg));
        }
    }
    run.tables.push(Table {
        caption: format!("Selection cost NSE_mixture − NSE_specialist (d = {d}): mean over k = 1 … {} and at k = {}", points - 1, points - 1),
        header: ["prompts from", "model", "pretraining weight", "NSE mean", "specialist", "cost", "NSE last k", "specialist", "cost"].map(String::from).to_vec(),
        rows,
    });
    if !costs.is_empty() {
        let values = || costs.iter().flat_map(|(_, s)| s.iter().flatten().map(|e| e.mean));
        let (lo, hi) = (values().fold(0.0, f64::min), values().fold(0.0, f64::max));
        let pad = 0.05 * (hi - lo).max(0.05);
        let title = format!("{}: selection cost NSE_mixture(k) − NSE_specialist(k)", run.def.id);
        let xs: Vec<f64> = (0..points).map(|k| k as f64).collect();
        let axis = XAxis { desc: "k (context points)", values: &xs, integer: true, shade: None };
        run.figure("selection cost", value_chart(&axis, &title, "NSE difference", &costs, (lo - pad, hi + pad), Some(0.0))?);
    }
    for (what, svg) in family_figures {
        run.figure(&what, svg);
    }
    Ok(())
}

/// Summary rows and a chart of NSE at the last k against a swept parameter.
fn sweep_outputs(run: &mut Runner, m: &LoadedModel, param: &str, values: &[f64], panels: &[PanelReport], shade: Option<(f64, f64)>) -> Result<()> {
    let names: Vec<String> = panels[0].report.predictors.iter().map(|p| p.name.clone()).collect();
    let last = panels[0].report.config.points - 1;
    let mut header = vec![param.to_string()];
    for n in &names {
        header.push(format!("{n}: NSE mean k ≥ 1"));
        header.push(format!("{n}: NSE k = {last}"));
    }
    let rows = values
        .iter()
        .zip(panels)
        .map(|(v, panel)| {
            let mut row = vec![format!("{v:.3}")];
            for p in &panel.report.predictors {
                let (mean, at_last) = nse_summary(p);
                row.push(f4(mean));
                row.push(format!("{:.4} [{:.4}, {:.4}]", at_last.mean, at_last.lo, at_last.hi));
            }
            row
        })
        .collect();
    run.tables.push(Table { caption: format!("{} (d = {}, noise σ ~ U[{}, {}]) against {param}", m.record.name, m.meta.config.n_dims, m.meta.noise.lo, m.meta.noise.hi), header, rows });
    let series: Vec<Series> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), panels.iter().map(|p| p.report.predictors.get(i).map(|r| nse_summary(r).1)).collect()))
        .collect();
    let top = series.iter().flat_map(|(_, s)| s.iter().flatten().map(|e| e.hi)).fold(1.0, f64::max).min(2.0) * 1.05;
    let title = format!("{}: NSE at k = {last} against {param} — {} (d = {})", run.def.id, m.record.name, m.meta.config.n_dims);
    let svg = value_chart(&XAxis { desc: param, values, integer: false, shade }, &title, "normalised squared error", &series, (0.0, top), Some(1.0))?;
    run.figure(&m.record.name, svg);
    Ok(())
}

/// The first two families of a model's mixture.
fn two_families(m: &LoadedModel) -> Option<(FamilySpec, FamilySpec)> {
    match m.meta.mixture.components.as_slice() {
        [a, b, ..] => Some((a.family.clone(), b.family.clone())),
        _ => None,
    }
}

/// E6: `convex(α, f1, f2)` for every α; slices for 1-D models.
fn convex(run: &mut Runner, models: &[&LoadedModel], alphas: &[f64], slices: &[f64]) -> Result<()> {
    for m in models {
        let Some((f1, f2)) = two_families(m) else {
            run.skipped.push(format!("{}: needs a mixture of two families", m.record.name));
            continue;
        };
        let (d, points) = d_points(m);
        let owned = run.baselines(&["bayes", "least_squares", "knn(k=3)"], &m.meta.mixture, m.meta.noise, d, "bayes (pretraining prior)")?;
        let mut panels = Vec::new();
        for &alpha in alphas {
            let family = FamilySpec::Convex { alpha, first: Box::new(f1.clone()), second: Box::new(f2.clone()) };
            let mut list = vec![model_entry(m)];
            list.extend(entries(&owned, &m.meta.mixture));
            panels.push(run.panel(format!("{}: α = {alpha}", m.record.name), &Mixture::single(family), d, points, m.meta.noise, &list)?.clone());
        }
        sweep_outputs(run, m, &format!("α (α·{} + (1 − α)·{})", f1.name(), f2.name()), alphas, &panels, None)?;
        if d == 1 {
            let svg = slice_figure(run, m, &f1, &f2, slices, &owned[0])?;
            run.figure(&format!("slices {}", m.record.name), svg);
        }
    }
    Ok(())
}

/// Predictions against the truth of one seeded `convex(α)` draw per α (1-D model).
fn slice_figure(run: &Runner, m: &LoadedModel, f1: &FamilySpec, f2: &FamilySpec, alphas: &[f64], bayes: &(String, Box<dyn Predictor>)) -> Result<String> {
    let grid: Vec<f64> = (0..SLICE_GRID).map(|i| -3.0 + 6.0 * i as f64 / (SLICE_GRID - 1) as f64).collect();
    let k = SLICE_CONTEXT.min(m.meta.config.max_points - 1);
    let root = SeededRng::new(run.options.seed).derive(SLICE_STREAM);
    let mut out = Vec::new();
    for (i, &alpha) in alphas.iter().enumerate() {
        let family = FamilySpec::Convex { alpha, first: Box::new(f1.clone()), second: Box::new(f2.clone()) };
        let prompt = Mixture::single(family).sample_prompt(1, 1, k, m.meta.noise, &mut root.derive(i as u64))?;
        let context = Context::new(1, &prompt.xs, &prompt.ys)?;
        let means = |p: &dyn Predictor| -> Result<Vec<f64>> { Ok(p.predict(&context, &grid)?.iter().map(|p| p.mean).collect()) };
        let model_fam = m.predictor.predict(&context, &grid[..1])?.remove(0).family_probs;
        let belief = model_fam.map_or(String::new(), |p| format!(", model P({}) = {:.2}", f1.name(), p[0]));
        out.push(Slice {
            title: format!("α = {alpha}{belief}"),
            truth: grid.iter().map(|&x| prompt.function.eval(&[x])).collect(),
            context: prompt.xs.iter().copied().zip(prompt.ys.iter().copied()).collect(),
            lines: vec![("model".into(), means(&m.predictor)?), (bayes.0.clone(), means(bayes.1.as_ref())?)],
            grid: grid.clone(),
        });
    }
    slices_chart(&format!("{}: α·{} + (1 − α)·{}, {k} context points — {}", run.def.id, f1.name(), f2.name(), m.record.name), &out)
}

/// The first sinusoid band of a model's mixture.
fn band(m: &LoadedModel) -> Option<(f64, f64)> {
    m.meta.mixture.components.iter().find_map(|c| match c.family {
        FamilySpec::Sinusoid { omega_lo, omega_hi } => Some((omega_lo, omega_hi)),
        _ => None,
    })
}

/// E7: sinusoids of one frequency ω on a grid around each model's band.
fn omega(run: &mut Runner, models: &[&LoadedModel], below: &[f64], above: &[f64]) -> Result<()> {
    for m in models {
        let Some((lo, hi)) = band(m) else {
            run.skipped.push(format!("{}: has no sinusoid family", m.record.name));
            continue;
        };
        let (d, points) = d_points(m);
        let omegas: Vec<f64> = below
            .iter()
            .map(|f| lo * f)
            .chain((0..5).map(|i| lo + (hi - lo) * i as f64 / 4.0))
            .chain(above.iter().map(|f| hi * f))
            .collect();
        let pretraining = run.baselines(&["bayes"], &m.meta.mixture, m.meta.noise, d, "bayes (pretraining prior)")?;
        let mut panels = Vec::new();
        for &w in &omegas {
            let family = Mixture::single(FamilySpec::Sinusoid { omega_lo: w, omega_hi: w });
            let truth = run.baselines(&["bayes", "least_squares", "knn(k=3)"], &family, m.meta.noise, d, "bayes (true ω)")?;
            let mut list = vec![model_entry(m)];
            list.extend(entries(&pretraining, &m.meta.mixture));
            list.extend(entries(&truth, &family));
            panels.push(run.panel(format!("{}: ω = {w}", m.record.name), &family, d, points, m.meta.noise, &list)?.clone());
        }
        sweep_outputs(run, m, "ω (rad per unit of u·x)", &omegas, &panels, Some((lo, hi)))?;
    }
    Ok(())
}

/// A labelled PIT histogram (one probability per PIT bin), as [`pit_chart`] draws them.
type Histogram = (String, Vec<f64>);

/// E8: in distribution and out of it, the model against the Bayes posterior of its prior.
fn calibration(run: &mut Runner, models: &[&LoadedModel]) -> Result<()> {
    let mut rows = Vec::new();
    // PIT histograms: each model's in-distribution one (the summary figure), and per model one
    // per prompt set, so that no figure carries more than a handful of lines.
    let mut pits_in_distribution: Vec<Histogram> = Vec::new();
    let mut pits_by_model: Vec<(String, Vec<Histogram>)> = Vec::new();
    let mut beliefs: Vec<Series> = Vec::new();
    let mut max_points = 2;
    for m in models {
        let (d, points) = d_points(m);
        max_points = max_points.max(points);
        let owned = run.baselines(&["bayes"], &m.meta.mixture, m.meta.noise, d, "bayes (pretraining prior)")?;
        let ood = out_of_distribution_families(&m.meta.mixture)
            .into_iter()
            .filter(|(_, f)| match f {
                FamilySpec::Convex { alpha, .. } => *alpha == 0.5,
                FamilySpec::Sinusoid { .. } => band(m).is_some(),
                _ => false,
            })
            .map(|(label, f)| (label, Mixture::single(f)));
        let mut pits = Vec::new();
        for (i, (label, eval)) in std::iter::once(("in distribution".to_string(), m.meta.mixture.clone())).chain(ood).enumerate() {
            let mut list = vec![model_entry(m)];
            list.extend(entries(&owned, &m.meta.mixture));
            let panel = run.panel(format!("{}: {label}", m.record.name), &eval, d, points, m.meta.noise, &list)?.clone();
            let mut cells = vec![m.record.name.clone(), label.clone()];
            for p in &panel.report.predictors {
                let a = Averages::of(p);
                let c50 = p.coverage_50.as_ref().map(|c| c.iter().skip(1).map(|e| e.mean).sum::<f64>() / (c.len() - 1).max(1) as f64);
                cells.extend([opt4(a.nll), opt4(c50), opt4(a.coverage_90), opt4(a.true_family_prob)]);
            }
            rows.push(cells);
            if let Some(h) = &panel.report.predictors[0].pit_histogram {
                if i == 0 {
                    pits_in_distribution.push((m.record.name.clone(), h.clone()));
                }
                pits.push((label.clone(), h.clone()));
            }
            if i == 0 {
                for p in &panel.report.predictors {
                    if let Some(f) = &p.true_family_prob {
                        beliefs.push((format!("{}: {}", m.record.name, p.name.split(':').next().unwrap_or_default()), f.iter().copied().map(Some).collect()));
                    }
                }
            }
        }
        if !pits.is_empty() {
            pits_by_model.push((m.record.name.clone(), pits));
        }
    }
    let mut header = vec!["model".to_string(), "prompts".to_string()];
    for who in ["model", "Bayes"] {
        header.extend(["NLL", "cov. 50%", "cov. 90%", "P(true family)"].map(|h| format!("{h} {who}")));
    }
    run.tables.push(Table { caption: "Means over k = 1 … n − 1 (NLL in nats; coverage of the central intervals; mean probability of the true family where it is in the mixture)".into(), header, rows });
    if !pits_in_distribution.is_empty() {
        let title = "E8: PIT histograms in distribution (flat at 1 when calibrated)";
        run.figure("pit", pit_chart(title, &pits_in_distribution)?);
    }
    if !beliefs.is_empty() {
        let xs: Vec<f64> = (0..max_points).map(|k| k as f64).collect();
        let svg = value_chart(&XAxis { desc: "k (context points)", values: &xs, integer: true, shade: None }, "E8: mean P(true family), model and Bayes, in distribution", "P(true family)", &beliefs, (0.0, 1.0), None)?;
        run.figure("family belief", svg);
    }
    for (model, pits) in &pits_by_model {
        let title = format!("E8: PIT histograms of {model}, in and out of distribution");
        run.figure(&format!("pit {model}"), pit_chart(&title, pits)?);
    }
    Ok(())
}
