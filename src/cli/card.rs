//! `incontext card`: evaluates a trained model in and out of distribution and writes its model
//! card (`<stem>.md`), loss curve (`<stem>.loss.svg`) and the full reports (`<stem>.eval.json`)
//! beside the weights.

use incontext::error::{read_file, write_file};
use incontext::eval::{
    BarFloor, CardInputs, DEFAULT_PROMPTS, EvalConfig, EvalReport, Evaluation, TrainingLog,
    card_markdown, out_of_distribution_families, resolve_predictor,
};
use incontext::baselines::least_squares_label;
use incontext::model::{parameter_count, read_meta};
use incontext::tasks::{Mixture, MixtureComponent, NoiseRange};
use incontext::{Error, Result};
use std::path::PathBuf;

/// Arguments of `incontext card`.
#[derive(clap::Args, Debug)]
pub struct CardArgs {
    /// The trained model (`.safetensors`).
    #[arg(long)]
    pub model: PathBuf,
    /// The training log that `incontext train` wrote for this model (default: `<stem>.log.csv`
    /// beside the model; the zoo keeps its logs in docs/models/zoo/, outside what the page serves).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// The exact command(s) that trained it, in order (repeat the flag for a resumed run).
    #[arg(long = "train-command", required = true)]
    pub train_commands: Vec<String>,
    /// Prompts per evaluation (at least 1280; docs/SCIENCE.md, "Metrics").
    #[arg(long, default_value_t = DEFAULT_PROMPTS)]
    pub prompts: usize,
    /// Seed of the evaluation prompts and bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The page's model list (e.g. www/models/manifest.json, beside the model): adds or updates
    /// this model's entry with its size and SHA-256.
    #[arg(long, requires = "label")]
    pub manifest: Option<PathBuf>,
    /// The model's name in the page's model picker (with --manifest).
    #[arg(long)]
    pub label: Option<String>,
}


/// Runs the evaluations and writes the card.
///
/// # Errors
/// I/O, malformed weights or log, evaluation failures.
pub fn run(args: &CardArgs) -> Result<()> {
    let bytes = read_file(&args.model)?;
    let meta = read_meta(&bytes)?;
    let parameters = parameter_count(&bytes)?;
    let stem = args.model.with_extension("");
    let name = stem.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let sibling = |suffix: &str| PathBuf::from(format!("{}{suffix}", stem.display()));
    let log_file = args.log.clone().unwrap_or_else(|| sibling(".log.csv"));
    if !log_file.is_file() {
        return Err(Error::InvalidInput(format!(
            "the training log {} is missing: a card needs the log that `incontext train` wrote for the model (--log)",
            log_file.display()
        )));
    }
    let log = TrainingLog::parse_csv(&String::from_utf8_lossy(&read_file(&log_file)?))?;
    let last = log.steps.last().copied().unwrap_or(0);
    if last != meta.training_steps {
        return Err(Error::InvalidInput(format!(
            "{} ends at step {last} but the model was trained {} steps: it is the log of another run",
            log_file.display(),
            meta.training_steps
        )));
    }
    if let Some(manifest) = &args.manifest
        && !manifest.is_file()
    {
        return Err(Error::InvalidInput(format!("the manifest {} does not exist", manifest.display())));
    }

    let model_label = format!("transformer:{}", args.model.display());
    let mut names = vec![model_label];
    // The exact Bayes posterior of the pretraining prior, least squares (with an intercept for
    // families with a bias) and 3-NN; below, the Bayes posterior on the model's bins (NLL floor).
    names.extend(["bayes", least_squares_label(&meta.mixture), "knn(k=3)"].map(String::from));
    let d = meta.config.n_dims;
    let resolve = |n: &str| resolve_predictor(n, &meta.mixture, meta.noise, d);
    let mut predictors = names.iter().map(|n| resolve(n)).collect::<Result<Vec<_>>>()?;
    predictors.push(Box::new(BarFloor::new(resolve("bayes")?, meta.borders.clone())));
    let evaluate_at = |eval_mixture: Mixture, noise: NoiseRange| -> Result<EvalReport> {
        let evaluation = Evaluation::new(EvalConfig {
            eval_mixture,
            prompts: args.prompts,
            noise,
            seed: args.seed,
            ..EvalConfig::new(meta.mixture.clone(), d, meta.config.max_points)
        })?;
        let reports = predictors.iter().map(|p| evaluation.evaluate(p.as_ref())).collect::<Result<Vec<_>>>()?;
        eprintln!("evaluated on {} (noise {noise:?})", evaluation.config().eval_mixture);
        Ok(evaluation.report(reports))
    };
    let evaluate = |eval_mixture: Mixture| evaluate_at(eval_mixture, meta.noise);

    let mut in_distribution = vec![evaluate(meta.mixture.clone())?];
    if meta.mixture.components.len() > 1 {
        for c in &meta.mixture.components {
            in_distribution.push(evaluate(Mixture::new(vec![MixtureComponent { family: c.family.clone(), weight: 1.0 }])?)?);
        }
    }
    let out_of_distribution = out_of_distribution_families(&meta.mixture)
        .into_iter()
        .map(|(label, family)| Ok((label, evaluate(Mixture::single(family))?)))
        .collect::<Result<Vec<_>>>()?;

    // The whole mixture with σ in each third of the pretraining noise range.
    let NoiseRange { lo, hi } = meta.noise;
    let noise_levels = if hi > lo {
        let third = (hi - lo) / 3.0;
        (0..3)
            .map(|i| evaluate_at(meta.mixture.clone(), NoiseRange::new(lo + third * f64::from(i), lo + third * f64::from(i + 1))?))
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };

    let loss_svg = sibling(".loss.svg");
    let loss_name = loss_svg.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    write_file(&loss_svg, log.loss_curve_svg(&format!("{name}: training loss"), 50)?.as_bytes())?;
    let log_flag = args.log.as_ref().map(|l| format!(" --log {}", l.display())).unwrap_or_default();
    let card_command = format!(
        "incontext card --model {}{log_flag} --prompts {} --seed {} {}",
        args.model.display(),
        args.prompts,
        args.seed,
        args.train_commands.iter().map(|c| format!("--train-command '{c}'")).collect::<Vec<_>>().join(" ")
    );
    let markdown = card_markdown(&CardInputs {
        name: &name,
        meta: &meta,
        parameters,
        train_commands: &args.train_commands,
        card_command: &card_command,
        log: &log,
        loss_svg: &loss_name,
        in_distribution: &in_distribution,
        out_of_distribution: &out_of_distribution,
        noise_levels: &noise_levels,
    })?;
    let json = serde_json::json!({
        "in_distribution": in_distribution,
        "out_of_distribution": out_of_distribution,
        "noise_levels": noise_levels,
    });
    let json = serde_json::to_string_pretty(&json).map_err(|e| Error::Format(e.to_string()))?;
    for (path, text) in [(sibling(".md"), markdown.as_str()), (sibling(".eval.json"), json.as_str())] {
        write_file(&path, text.as_bytes())?;
        eprintln!("wrote {}", path.display());
    }
    eprintln!("wrote {}", loss_svg.display());
    if let (Some(manifest), Some(label)) = (&args.manifest, &args.label) {
        let file = args.model.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        super::manifest::upsert(manifest, &name, label, &file, &bytes, &meta)?;
        eprintln!("updated the entry '{name}' in {}", manifest.display());
    }
    print!("{markdown}");
    Ok(())
}
