// Facts about a pretraining mixture's families ({name, spec, weight}, as `Model.info()` and
// `Reference.families()` list them) and the family texts of the out-of-distribution draws
// (convex combinations over α, sinusoids of one ω), shared by the page's controls
// (lib/ood-controls.js) and the Experiments view (lib/experiments.js).

/** `[lo, hi]` of every sinusoid band (radians per unit x) of the families of positive weight. */
export function sinusoidBands(families) {
  return families
    .filter((f) => f.name === 'sinusoid' && f.weight > 0)
    .map((f) => [Number(/omega_lo=([\d.eE+-]+)/.exec(f.spec)?.[1]), Number(/omega_hi=([\d.eE+-]+)/.exec(f.spec)?.[1])])
    .filter(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi));
}

/** Whether the family `spec` is one of the mixture's, with positive weight. */
export function inPretraining(families, spec) {
  return families.some((f) => f.spec === spec && f.weight > 0);
}

/** Whether a sinusoid of frequency ω lies inside one of the trained bands. */
export function omegaInside(families, omega) {
  return sinusoidBands(families).some(([lo, hi]) => omega >= lo && omega <= hi);
}

/** f₁ and f₂ of a convex combination when none are named: the default model's two families. */
export const DEFAULT_CONVEX = Object.freeze(['linear(bias)', 'sinusoid(omega_lo=0.5,omega_hi=2.5)']);

/** The family text of the convex combination α·f₁ + (1−α)·f₂ (`a`, `b`: family texts). */
export function convexFamily(alpha, a, b) {
  return `convex(alpha=${alpha},${a},${b})`;
}

/** The family text of a sinusoid of the single frequency ω. */
export function sinusoidAt(omega) {
  return `sinusoid(omega_lo=${omega},omega_hi=${omega})`;
}

/**
 * Whether the convex combination α·a + (1−α)·b is a pretraining family: only at α = 1 or 0, and
 * only when the family left is one of the mixture's.
 */
export function convexInside(families, alpha, a, b) {
  return (alpha === 1 && inPretraining(families, a)) || (alpha === 0 && inPretraining(families, b));
}
