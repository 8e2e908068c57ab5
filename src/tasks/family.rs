//! Function families (docs/SCIENCE.md, "Function families"): a [`FamilySpec`] is a prior over
//! functions; [`FamilySpec::sample`] draws one [`SampledFunction`], which evaluates `y = f(x)`.
//! Every family is scaled so that `E[y²] = 1` under `x ~ N(0, I_{d_eff})`.

use super::label::LabelArgs;
use super::rng::SeededRng;
use crate::error::{Result, invalid};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Hidden width of `relu_net` functions (Garg et al. 2022, §4).
pub const RELU_HIDDEN_DEFAULT: usize = 100;
/// Largest `relu_net` hidden width accepted (a bound on the memory and time of one draw).
pub const MAX_HIDDEN: usize = 4096;
/// Longest family text accepted by [`FamilySpec::parse`] (characters).
pub const MAX_SPEC_CHARS: usize = 4096;
/// Deepest nesting of parentheses in a family text (`convex` inside `convex` …): parsing
/// recurses once per level, so an adversarial text must not exhaust the stack.
pub const MAX_SPEC_NESTING: usize = 16;

/// Largest input dimension accepted anywhere (the Bayes posterior and least squares hold
/// `d × d` matrices; the experiments use d ≤ 5, Garg et al. d = 20).
pub const MAX_DIM: usize = 256;

/// A family of functions and its prior over parameters. Text form (see [`FamilySpec::parse`]):
/// `linear`, `linear(bias)`, `sparse_linear(s=2)`, `sparse_linear(s=2,bias)`, `relu_net(hidden=100,bias)`,
/// `decision_tree(depth=3,gaussian_thresholds)`, `sinusoid(omega_lo=0.5,omega_hi=2.5)`,
/// `convex(alpha=0.5,linear,sinusoid)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case", deny_unknown_fields)]
pub enum FamilySpec {
    /// `y = (w·x + b) / sqrt(d + bias)`, `w ~ N(0, I_d)`, `b ~ N(0, 1)` when `bias`.
    Linear {
        #[serde(default)]
        bias: bool,
    },
    /// `y = (w·x + b) / sqrt(s + bias)` with all but `s` random coordinates of `w ~ N(0, I_d)`
    /// zeroed, `b ~ N(0, 1)` when `bias` (the offset is ours, not Garg et al.'s: without it a
    /// small model does not leave the loss plateau, docs/REPRODUCTION.md "The plateau").
    SparseLinear {
        s: usize,
        #[serde(default)]
        bias: bool,
    },
    /// `y = c·sqrt(2/h)·ReLU(x W1 + b1) W2` with standard normal weights; `c = 1/sqrt(d + bias)`
    /// makes `E[y²] = 1` exactly (`E[ReLU(z)²] = E[z²]/2` for symmetric `z`).
    ReluNet {
        #[serde(default = "relu_hidden_default")]
        hidden: usize,
        #[serde(default)]
        bias: bool,
    },
    /// A complete binary tree of `depth` levels; split coordinates uniform, thresholds 0 (Garg)
    /// or `N(0, 1)`, leaf values `N(0, 1)`; `x[c] > t` goes right.
    DecisionTree {
        depth: usize,
        #[serde(default)]
        gaussian_thresholds: bool,
    },
    /// `y = a·sin(ω u·x) + b·cos(ω u·x)`, `ω ~ U[omega_lo, omega_hi]`, `u` uniform on the unit
    /// sphere, `(a, b) ~ N(0, I_2)`. Frequencies are in radians per unit of `x`.
    Sinusoid { omega_lo: f64, omega_hi: f64 },
    /// Evaluation only: `(α f1 + (1−α) f2) / sqrt(α² + (1−α)²)` with `f1`, `f2` independent.
    Convex {
        alpha: f64,
        first: Box<FamilySpec>,
        second: Box<FamilySpec>,
    },
}

fn relu_hidden_default() -> usize {
    RELU_HIDDEN_DEFAULT
}

/// One function drawn from a family. `eval` reads the first `d_eff` coordinates of `x`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SampledFunction {
    /// `scale · (w·x + b)`.
    Linear { w: Vec<f64>, b: f64, scale: f64 },
    /// `scale · ReLU(x W1 + b1) W2`; `w1` is `[d_eff, hidden]` row-major.
    ReluNet { w1: Vec<f64>, b1: Vec<f64>, w2: Vec<f64>, scale: f64 },
    /// Heap-ordered tree: internal node `i` has children `2i+1`, `2i+2`; `split_coords` and
    /// `thresholds` have `2^depth − 1` entries, `leaves` has `2^depth`.
    DecisionTree { split_coords: Vec<usize>, thresholds: Vec<f64>, leaves: Vec<f64> },
    /// `a·sin(ω u·x) + b·cos(ω u·x)`.
    Sinusoid { omega: f64, u: Vec<f64>, a: f64, b: f64 },
    /// `scale · (α f1 + (1−α) f2)`.
    Convex { alpha: f64, first: Box<SampledFunction>, second: Box<SampledFunction>, scale: f64 },
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

impl SampledFunction {
    /// `f(x)`; `x` must hold at least the `d_eff` coordinates the function was drawn for.
    pub fn eval(&self, x: &[f64]) -> f64 {
        match self {
            Self::Linear { w, b, scale } => scale * (dot(w, &x[..w.len()]) + b),
            Self::ReluNet { w1, b1, w2, scale } => {
                let h = w2.len();
                let d = w1.len() / h;
                let mut acc = 0.0;
                for j in 0..h {
                    let mut z = b1[j];
                    for i in 0..d {
                        z += x[i] * w1[i * h + j];
                    }
                    acc += z.max(0.0) * w2[j];
                }
                scale * acc
            }
            Self::DecisionTree { split_coords, thresholds, leaves } => {
                let mut node = 0;
                while node < split_coords.len() {
                    let right = x[split_coords[node]] > thresholds[node];
                    node = 2 * node + 1 + usize::from(right);
                }
                leaves[node - split_coords.len()]
            }
            Self::Sinusoid { omega, u, a, b } => {
                let phase = omega * dot(u, &x[..u.len()]);
                a * libm::sin(phase) + b * libm::cos(phase)
            }
            Self::Convex { alpha, first, second, scale } => {
                scale * (alpha * first.eval(x) + (1.0 - alpha) * second.eval(x))
            }
        }
    }
}

impl FamilySpec {
    /// The family's short name (`linear`, `sparse_linear`, …), used for family-head labels.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Linear { .. } => "linear",
            Self::SparseLinear { .. } => "sparse_linear",
            Self::ReluNet { .. } => "relu_net",
            Self::DecisionTree { .. } => "decision_tree",
            Self::Sinusoid { .. } => "sinusoid",
            Self::Convex { .. } => "convex",
        }
    }

    /// Whether functions of this family carry an additive offset (`linear(bias)`,
    /// `sparse_linear(s=2,bias)`), so that a linear baseline needs an intercept.
    pub fn has_bias(&self) -> bool {
        matches!(self, Self::Linear { bias: true } | Self::SparseLinear { bias: true, .. })
    }

    /// Checks the parameters against `d_eff` (the number of active input coordinates).
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for `d_eff` outside `1..=MAX_DIM`, `s` outside
    /// `1..=d_eff`, a width outside `1..=MAX_HIDDEN`, a depth outside `1..=12`, a non-finite or
    /// reversed frequency band, or `alpha` outside `[0, 1]`.
    pub fn validate(&self, d_eff: usize) -> Result<()> {
        if d_eff == 0 || d_eff > MAX_DIM {
            return invalid(format!("the input dimension must be in 1..={MAX_DIM} (got {d_eff})"));
        }
        match self {
            Self::Linear { .. } => Ok(()),
            Self::SparseLinear { s, .. } if *s == 0 || *s > d_eff => {
                invalid(format!("sparse_linear needs 1 <= s <= d (s = {s}, d = {d_eff})"))
            }
            Self::ReluNet { hidden, .. } if *hidden == 0 || *hidden > MAX_HIDDEN => {
                invalid(format!("relu_net hidden width must be in 1..={MAX_HIDDEN} (got {hidden})"))
            }
            Self::DecisionTree { depth, .. } if *depth == 0 || *depth > 12 => {
                invalid(format!("decision_tree depth must be in 1..=12 (got {depth})"))
            }
            Self::Sinusoid { omega_lo, omega_hi }
                if !(omega_lo.is_finite() && omega_hi.is_finite() && 0.0 <= *omega_lo && omega_lo <= omega_hi) =>
            {
                invalid(format!("sinusoid needs 0 <= omega_lo <= omega_hi (got {omega_lo}, {omega_hi})"))
            }
            Self::Convex { alpha, first, second } => {
                if !(0.0..=1.0).contains(alpha) {
                    return invalid(format!("convex alpha must be in [0, 1] (got {alpha})"));
                }
                first.validate(d_eff)?;
                second.validate(d_eff)
            }
            _ => Ok(()),
        }
    }

    /// Draws one function for inputs with `d_eff` active coordinates. Draw order (fixed, part
    /// of reproducibility): the family's parameters in the order of its fields.
    ///
    /// # Errors
    /// As [`FamilySpec::validate`].
    pub fn sample(&self, d_eff: usize, rng: &mut SeededRng) -> Result<SampledFunction> {
        self.validate(d_eff)?;
        Ok(self.sample_valid(d_eff, rng))
    }

    fn sample_valid(&self, d: usize, rng: &mut SeededRng) -> SampledFunction {
        let normals = |rng: &mut SeededRng, n: usize| {
            let mut v = vec![0.0; n];
            rng.fill_normal(&mut v);
            v
        };
        match self {
            Self::Linear { bias } => {
                let w = normals(rng, d);
                let b = if *bias { rng.normal() } else { 0.0 };
                SampledFunction::Linear { w, b, scale: 1.0 / ((d + usize::from(*bias)) as f64).sqrt() }
            }
            Self::SparseLinear { s, bias } => {
                let mut w = normals(rng, d);
                let keep = rng.choose_distinct(d, *s);
                for (i, wi) in w.iter_mut().enumerate() {
                    if !keep.contains(&i) {
                        *wi = 0.0;
                    }
                }
                let b = if *bias { rng.normal() } else { 0.0 };
                SampledFunction::Linear { w, b, scale: 1.0 / ((s + usize::from(*bias)) as f64).sqrt() }
            }
            Self::ReluNet { hidden, bias } => {
                let w1 = normals(rng, d * hidden);
                let b1 = if *bias { normals(rng, *hidden) } else { vec![0.0; *hidden] };
                let w2 = normals(rng, *hidden);
                let scale = (2.0 / *hidden as f64).sqrt() / ((d + usize::from(*bias)) as f64).sqrt();
                SampledFunction::ReluNet { w1, b1, w2, scale }
            }
            Self::DecisionTree { depth, gaussian_thresholds } => {
                let internal = (1usize << depth) - 1;
                let split_coords = (0..internal).map(|_| rng.index(d)).collect();
                let thresholds =
                    if *gaussian_thresholds { normals(rng, internal) } else { vec![0.0; internal] };
                let leaves = normals(rng, internal + 1);
                SampledFunction::DecisionTree { split_coords, thresholds, leaves }
            }
            Self::Sinusoid { omega_lo, omega_hi } => {
                let omega = rng.uniform_in(*omega_lo, *omega_hi);
                let u = unit_direction(d, rng);
                let (a, b) = (rng.normal(), rng.normal());
                SampledFunction::Sinusoid { omega, u, a, b }
            }
            Self::Convex { alpha, first, second } => {
                let f1 = first.sample_valid(d, rng);
                let f2 = second.sample_valid(d, rng);
                let scale = 1.0 / (alpha * alpha + (1.0 - alpha) * (1.0 - alpha)).sqrt();
                SampledFunction::Convex { alpha: *alpha, first: Box::new(f1), second: Box::new(f2), scale }
            }
        }
    }

    /// Parses the text form (see the type's docs). Unknown names or keys are errors.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] naming the offending token; for a text longer than
    /// [`MAX_SPEC_CHARS`] or nested deeper than [`MAX_SPEC_NESTING`].
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.chars().count() > MAX_SPEC_CHARS {
            return invalid(format!("a family text is at most {MAX_SPEC_CHARS} characters (got {})", text.chars().count()));
        }
        let nesting = text
            .chars()
            .scan(0i64, |depth, c| {
                *depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                Some(*depth)
            })
            .max()
            .unwrap_or(0);
        if nesting > MAX_SPEC_NESTING as i64 {
            return invalid(format!("family '{}…' is nested {nesting} levels deep (at most {MAX_SPEC_NESTING})", text.chars().take(40).collect::<String>()));
        }
        let (name, mut args) = LabelArgs::parse(text, "family")?;
        let spec = match name {
            "linear" => Self::Linear { bias: args.flag("bias")? },
            "sparse_linear" => Self::SparseLinear { s: args.count("s", 2)?, bias: args.flag("bias")? },
            "relu_net" => Self::ReluNet {
                hidden: args.count("hidden", RELU_HIDDEN_DEFAULT)?,
                bias: args.flag("bias")?,
            },
            "decision_tree" => Self::DecisionTree {
                depth: args.count("depth", 4)?,
                gaussian_thresholds: args.flag("gaussian_thresholds")?,
            },
            "sinusoid" => Self::Sinusoid {
                omega_lo: args.number("omega_lo", 0.5)?,
                omega_hi: args.number("omega_hi", 2.5)?,
            },
            "convex" => {
                let alpha = args.number("alpha", 0.5)?;
                let [first, second] = args.positional::<2>()?;
                Self::Convex { alpha, first: Box::new(Self::parse(&first)?), second: Box::new(Self::parse(&second)?) }
            }
            other => {
                return invalid(format!(
                    "unknown family '{other}' (known: linear, sparse_linear, relu_net, decision_tree, sinusoid, convex)"
                ));
            }
        };
        args.finish()?;
        Ok(spec)
    }
}

/// A point on the unit sphere in `R^d` (`±1` in one dimension).
fn unit_direction(d: usize, rng: &mut SeededRng) -> Vec<f64> {
    loop {
        let mut u = vec![0.0; d];
        rng.fill_normal(&mut u);
        let norm = dot(&u, &u).sqrt();
        if norm > 1e-12 {
            return u.iter().map(|v| v / norm).collect();
        }
    }
}

impl fmt::Display for FamilySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Linear { bias: false } => write!(f, "linear"),
            Self::Linear { bias: true } => write!(f, "linear(bias)"),
            Self::SparseLinear { s, bias } => write!(f, "sparse_linear(s={s}{})", if *bias { ",bias" } else { "" }),
            Self::ReluNet { hidden, bias } => {
                write!(f, "relu_net(hidden={hidden}{})", if *bias { ",bias" } else { "" })
            }
            Self::DecisionTree { depth, gaussian_thresholds } => write!(
                f,
                "decision_tree(depth={depth}{})",
                if *gaussian_thresholds { ",gaussian_thresholds" } else { "" }
            ),
            Self::Sinusoid { omega_lo, omega_hi } => write!(f, "sinusoid(omega_lo={omega_lo},omega_hi={omega_hi})"),
            Self::Convex { alpha, first, second } => write!(f, "convex(alpha={alpha},{first},{second})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlong_and_deeply_nested_texts_are_errors() {
        let deep = format!("{}linear{}", "convex(alpha=0.5,linear,".repeat(20_000), ")".repeat(20_000));
        assert!(matches!(FamilySpec::parse(&deep), Err(crate::Error::InvalidInput(m)) if m.contains("characters")));
        let nested = |levels: usize| format!("{}linear{}", "convex(alpha=0.5,linear,".repeat(levels), ")".repeat(levels));
        assert!(matches!(FamilySpec::parse(&nested(17)), Err(crate::Error::InvalidInput(m)) if m.contains("nested 17 levels")));
        assert!(FamilySpec::parse(&nested(16)).is_ok());
    }

    #[test]
    fn parse_roundtrips_through_display() {
        for text in [
            "linear",
            "linear(bias)",
            "sparse_linear(s=3)",
            "sparse_linear(s=2,bias)",
            "relu_net(hidden=100,bias)",
            "decision_tree(depth=3,gaussian_thresholds)",
            "sinusoid(omega_lo=0.5,omega_hi=2.5)",
            "convex(alpha=0.3,linear(bias),sinusoid(omega_lo=1,omega_hi=2))",
        ] {
            let spec = FamilySpec::parse(text).unwrap();
            assert_eq!(FamilySpec::parse(&spec.to_string()).unwrap(), spec, "{text}");
        }
    }

    #[test]
    fn parse_rejects_bad_text() {
        for bad in ["lineer", "linear(bias", "linear(wat)", "sparse_linear(s=-1)", "sparse_linear(s=2.7)", "sparse_linear(s=1e30)", "relu_net(hidden=0.5)", "sparse_linear(s=2,bias,bias)", "sparse_linear(s=2,s=3)", "convex(alpha=0.5,linear)", "sinusoid(omega_lo=nan)"] {
            assert!(FamilySpec::parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn hand_worked_tree_routes_right_on_greater() {
        // depth 2: root splits x0 at 0; left child splits x1 at 0.5; right child x0 at 1.
        let f = SampledFunction::DecisionTree {
            split_coords: vec![0, 1, 0],
            thresholds: vec![0.0, 0.5, 1.0],
            leaves: vec![10.0, 11.0, 12.0, 13.0],
        };
        assert_eq!(f.eval(&[-1.0, 0.0]), 10.0);
        assert_eq!(f.eval(&[-1.0, 0.6]), 11.0);
        assert_eq!(f.eval(&[0.5, 9.0]), 12.0);
        assert_eq!(f.eval(&[2.0, 9.0]), 13.0);
    }
}
