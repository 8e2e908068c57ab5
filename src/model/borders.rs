//! Bar-distribution borders from the pretraining prior.

use crate::error::{Result, invalid};
use crate::tasks::{Mixture, NoiseRange, SeededRng};

/// Number of prior prompts sampled to place the borders.
const BORDER_PROMPTS: usize = 4096;
/// Points per prior prompt.
const BORDER_POINTS: usize = 16;

/// Equal-probability quantile borders `b_0 < … < b_K` of `y` under the mixture prior
/// (docs/SCIENCE.md, "Bar distribution"; Müller et al. 2022, §4): `b_i` is the `i/K` quantile
/// of 65 536 sampled `y` for `0 < i < K`, and `b_0`, `b_K` are the sample minimum and maximum:
/// the range of `y` seen in pretraining (the tails' scale comes from the inner borders, see
/// [`crate::predictive::BarDistribution`]). Seeded; `[bins + 1]` values.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for fewer than 4 bins or a mixture that does not fit `d`;
/// a prior so degenerate that two borders coincide.
pub fn bar_borders(mixture: &Mixture, noise: NoiseRange, d: usize, bins: usize, seed: u64) -> Result<Vec<f64>> {
    if bins < 4 {
        return invalid(format!("the bar distribution needs at least 4 bins (got {bins})"));
    }
    let mut rng = SeededRng::new(seed);
    let mut ys = Vec::with_capacity(BORDER_PROMPTS * BORDER_POINTS);
    for _ in 0..BORDER_PROMPTS {
        ys.extend(mixture.sample_prompt(d, d, BORDER_POINTS, noise, &mut rng)?.ys);
    }
    ys.sort_by(f64::total_cmp);
    let last = ys.len() - 1;
    let borders: Vec<f64> = (0..=bins)
        .map(|i| match i {
            0 => ys[0],
            i if i == bins => ys[last],
            i => ys[(i * ys.len()) / bins],
        })
        .collect();
    if borders.windows(2).any(|w| w[1] <= w[0]) {
        return invalid("the prior's y values are too concentrated for distinct bar borders");
    }
    Ok(borders)
}
