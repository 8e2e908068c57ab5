//! Mixtures of families, observation noise, and prompt sampling.

use super::family::{FamilySpec, SampledFunction};
use super::label::split_top_level;
use super::rng::SeededRng;
use crate::error::{Result, ensure_finite, invalid};
use serde::{Deserialize, Serialize};

/// One family of a mixture and its (unnormalised, non-negative) weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MixtureComponent {
    #[serde(flatten)]
    pub family: FamilySpec,
    pub weight: f64,
}

/// A weighted list of families: each prompt first draws its family by weight. Text form:
/// `linear(bias):0.5,sinusoid(omega_lo=0.5,omega_hi=2.5):0.5` (weights default to 1 and are
/// normalised).
/// Read from files (weight metadata, reports) through [`Mixture::new`]'s checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedMixture")]
pub struct Mixture {
    pub components: Vec<MixtureComponent>,
}

/// A [`Mixture`] as read, before [`Mixture::new`]'s checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncheckedMixture {
    components: Vec<MixtureComponent>,
}

impl TryFrom<UncheckedMixture> for Mixture {
    type Error = crate::Error;

    fn try_from(raw: UncheckedMixture) -> Result<Self> {
        Self::new(raw.components)
    }
}

/// Per-prompt observation noise: `σ ~ U[lo, hi]`, then `y += σ·ε`, `ε ~ N(0, 1)`. Read from
/// files (`{ lo, hi }`) through [`NoiseRange::new`]'s checks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedNoiseRange")]
pub struct NoiseRange {
    pub lo: f64,
    pub hi: f64,
}

/// A [`NoiseRange`] as read, before [`NoiseRange::new`]'s checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncheckedNoiseRange {
    lo: f64,
    hi: f64,
}

impl TryFrom<UncheckedNoiseRange> for NoiseRange {
    type Error = crate::Error;

    fn try_from(raw: UncheckedNoiseRange) -> Result<Self> {
        Self::new(raw.lo, raw.hi)
    }
}

impl NoiseRange {
    /// No observation noise.
    pub const NONE: Self = Self { lo: 0.0, hi: 0.0 };

    /// Largest noise σ accepted: the families' values are O(1), and σ much beyond this makes
    /// sums of squared residuals overflow.
    pub const MAX_SIGMA: f64 = 1e6;

    /// # Errors
    /// [`crate::Error::InvalidInput`] unless `0 <= lo <= hi <= MAX_SIGMA`.
    pub fn new(lo: f64, hi: f64) -> Result<Self> {
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi) {
            return invalid(format!("noise range needs 0 <= lo <= hi (got {lo}, {hi})"));
        }
        if hi > Self::MAX_SIGMA {
            return invalid(format!("noise σ = {hi} is larger than {:e}, the most accepted", Self::MAX_SIGMA));
        }
        Ok(Self { lo, hi })
    }
}

/// One prompt: `n` input points `xs` (`[n, d]` row-major, coordinates beyond `d_eff` are 0),
/// their noisy values `ys` (`[n]`), which mixture component generated them, and its function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    /// Input dimension (the model's `n_dims`).
    pub d: usize,
    /// Active input coordinates (`d_eff <= d`); the rest are zero-padded.
    pub d_eff: usize,
    /// `[n, d]` row-major inputs.
    pub xs: Vec<f64>,
    /// `[n]` noisy targets.
    pub ys: Vec<f64>,
    /// Index of the generating family in the mixture.
    pub family: usize,
    /// The prompt's observation noise standard deviation σ.
    pub noise_std: f64,
    /// The noiseless function (for drawing the true curve).
    pub function: SampledFunction,
}

impl Prompt {
    /// The whole prompt as a [`Context`] (`[n, d]` inputs, `[n]` targets), whose accessors
    /// these delegate to.
    pub fn as_context(&self) -> Context<'_> {
        Context::prefix(self, self.ys.len())
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.as_context().len()
    }

    /// Whether the prompt has no points.
    pub fn is_empty(&self) -> bool {
        self.as_context().is_empty()
    }

    /// The `i`-th input, `[d]`.
    pub fn x(&self, i: usize) -> &[f64] {
        self.as_context().x(i)
    }
}

/// A context of `k` observed pairs and the query inputs to predict at; the unit every
/// predictor consumes. Built with [`Context::new`], which validates it.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// Input dimension.
    pub d: usize,
    /// `[k, d]` row-major inputs.
    pub xs: &'a [f64],
    /// `[k]` targets.
    pub ys: &'a [f64],
}

impl<'a> Context<'a> {
    /// # Errors
    /// [`crate::Error::InvalidInput`] when `d` is outside `1..=MAX_DIM`, `xs.len() != ys.len()·d`,
    /// or any value is NaN/Inf.
    pub fn new(d: usize, xs: &'a [f64], ys: &'a [f64]) -> Result<Self> {
        if d == 0 || d > super::MAX_DIM {
            return invalid(format!("the input dimension must be in 1..={} (got {d})", super::MAX_DIM));
        }
        if xs.len() != ys.len() * d {
            return invalid(format!(
                "context has {} x values for {} y values in dimension {d} (expected {})",
                xs.len(),
                ys.len(),
                ys.len() * d
            ));
        }
        ensure_finite(xs, "context x")?;
        ensure_finite(ys, "context y")?;
        Ok(Self { d, xs, ys })
    }

    /// The first `k` pairs of a prompt (already validated when sampled).
    pub fn prefix(prompt: &'a Prompt, k: usize) -> Self {
        Self { d: prompt.d, xs: &prompt.xs[..k * prompt.d], ys: &prompt.ys[..k] }
    }

    /// Number of observed pairs `k`.
    pub fn len(&self) -> usize {
        self.ys.len()
    }

    /// Whether the context is empty.
    pub fn is_empty(&self) -> bool {
        self.ys.is_empty()
    }

    /// The `i`-th input, `[d]` (borrowed from the context's data, not from the context).
    pub fn x(&self, i: usize) -> &'a [f64] {
        &self.xs[i * self.d..(i + 1) * self.d]
    }
}

impl Mixture {
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an empty list, a negative or non-finite weight, or
    /// weights summing to zero.
    pub fn new(components: Vec<MixtureComponent>) -> Result<Self> {
        if components.is_empty() {
            return invalid("a mixture needs at least one family");
        }
        for c in &components {
            if !(c.weight.is_finite() && c.weight >= 0.0) {
                return invalid(format!("weight of {} must be finite and >= 0 (got {})", c.family, c.weight));
            }
        }
        if components.iter().map(|c| c.weight).sum::<f64>() <= 0.0 {
            return invalid("mixture weights sum to zero");
        }
        Ok(Self { components })
    }

    /// A mixture of one family.
    pub fn single(family: FamilySpec) -> Self {
        Self { components: vec![MixtureComponent { family, weight: 1.0 }] }
    }

    /// Parses the text form (see the type's docs).
    ///
    /// # Errors
    /// As [`FamilySpec::parse`] and [`Mixture::new`]; a weight that is not a number.
    pub fn parse(text: &str) -> Result<Self> {
        let mut components = Vec::new();
        for item in split_top_level(text, ',')? {
            if item.trim().is_empty() {
                return invalid(format!("mixture '{text}' has an empty item (a stray ','?)"));
            }
            // A weight follows the last ':' that is outside parentheses.
            let parts = split_top_level(&item, ':')?;
            let (family, weight) = match parts.as_slice() {
                [family] => (family.as_str(), 1.0),
                [family, weight] => (
                    family.as_str(),
                    weight.parse::<f64>().map_err(|_| {
                        crate::Error::InvalidInput(format!("weight '{weight}' of '{family}' is not a number"))
                    })?,
                ),
                _ => return invalid(format!("mixture item '{item}' has more than one ':'")),
            };
            if family.is_empty() {
                return invalid(format!("empty family name in mixture '{text}'"));
            }
            components.push(MixtureComponent { family: FamilySpec::parse(family)?, weight });
        }
        Self::new(components)
    }

    /// Normalised weights, summing to 1.
    pub fn probabilities(&self) -> Vec<f64> {
        let total: f64 = self.components.iter().map(|c| c.weight).sum();
        self.components.iter().map(|c| c.weight / total).collect()
    }

    /// Family names in order (the family head's labels).
    pub fn family_names(&self) -> Vec<String> {
        self.components.iter().map(|c| c.family.name().to_string()).collect()
    }

    /// Validates every family against `d_eff`.
    ///
    /// # Errors
    /// As [`FamilySpec::validate`].
    pub fn validate(&self, d_eff: usize) -> Result<()> {
        self.components.iter().try_for_each(|c| c.family.validate(d_eff))
    }

    /// Draws a family index by weight.
    pub fn sample_family(&self, rng: &mut SeededRng) -> usize {
        let u = rng.uniform();
        let mut acc = 0.0;
        let probs = self.probabilities();
        for (i, p) in probs.iter().enumerate() {
            acc += p;
            if u < acc {
                return i;
            }
        }
        probs.iter().rposition(|p| *p > 0.0).unwrap_or(0)
    }

    /// Samples one prompt of `n_points` pairs in dimension `d` with `d_eff` active coordinates.
    /// Draw order: family, function, σ, then per point `x` (d_eff normals) and `ε`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] when `d_eff` is 0 or exceeds `d`, or a family's
    /// parameters do not fit `d_eff`.
    pub fn sample_prompt(
        &self,
        d: usize,
        d_eff: usize,
        n_points: usize,
        noise: NoiseRange,
        rng: &mut SeededRng,
    ) -> Result<Prompt> {
        if d_eff == 0 || d_eff > d {
            return invalid(format!("need 1 <= d_eff <= d (d_eff = {d_eff}, d = {d})"));
        }
        self.validate(d_eff)?;
        let family = self.sample_family(rng);
        let function = self.components[family].family.sample(d_eff, rng)?;
        let noise_std = rng.uniform_in(noise.lo, noise.hi);
        let mut xs = vec![0.0; n_points * d];
        let mut ys = Vec::with_capacity(n_points);
        for i in 0..n_points {
            let x = &mut xs[i * d..(i + 1) * d];
            rng.fill_normal(&mut x[..d_eff]);
            let eps = rng.normal();
            ys.push(function.eval(x) + noise_std * eps);
        }
        Ok(Prompt { d, d_eff, xs, ys, family, noise_std, function })
    }

    /// Samples `count` prompts, prompt `i` from the stream `SeededRng::new(seed).derive(i)`, so
    /// any prompt can be regenerated alone and the set does not depend on evaluation order.
    ///
    /// # Errors
    /// As [`Mixture::sample_prompt`].
    pub fn sample_prompts(
        &self,
        seed: u64,
        count: usize,
        d: usize,
        d_eff: usize,
        n_points: usize,
        noise: NoiseRange,
    ) -> Result<Vec<Prompt>> {
        let root = SeededRng::new(seed);
        (0..count).map(|i| self.sample_prompt(d, d_eff, n_points, noise, &mut root.derive(i as u64))).collect()
    }
}

/// Serde form of a [`Mixture`] as its text (`linear(bias):0.5,…`), for reports that people read:
/// `#[serde(with = "crate::tasks::mixture_text")]`. Reading goes through [`Mixture::parse`].
pub mod mixture_text {
    use super::Mixture;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the text form.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(mixture: &Mixture, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(mixture)
    }

    /// Parses the text form.
    ///
    /// # Errors
    /// The deserializer's, or [`Mixture::parse`]'s message.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Mixture, D::Error> {
        Mixture::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for Mixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self.components.iter().map(|c| format!("{}:{}", c.family, c.weight)).collect();
        write!(f, "{}", items.join(","))
    }
}
