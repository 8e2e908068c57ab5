// Facts about a pretraining mixture's families ({name, spec, weight}, as `Model.info()` and
// `Reference.families()` list them) that the page's controls and the Experiments view share.

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
