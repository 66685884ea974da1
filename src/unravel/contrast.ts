// Class contrasts (ALGORITHM.md, the discriminative start): which combination of the classifier's weight vectors
// replaces the target's. `others`: W[A] − Σ_{s≠A} α_s·W[s], α the softmax of the logits over the other classes
// (the direction in which the features raise log p(A) against its competitors). `versus B`: W[A] − W[B].
import type { ClassContrast } from './types';

export type Contrast = { readonly kind: 'others' } | { readonly kind: 'versus'; readonly versus: number };

/** The coefficients of the other classes for target `target`, from the model's logits (scores before any Softmax). */
export function classContrast(c: Contrast, target: number, logits: ArrayLike<number>): ClassContrast {
  const n = logits.length;
  if (!Number.isInteger(target) || target < 0 || target >= n) throw new RangeError(`class ${target} is out of range: the model has ${n} classes (0–${n - 1})`);
  if (c.kind === 'versus') {
    const b = c.versus;
    if (!Number.isInteger(b) || b < 0 || b >= n)
      throw new RangeError(`the class to contrast with, ${b}, is out of range: the model has ${n} classes (0–${n - 1})`);
    if (b === target) throw new RangeError(`class ${target} cannot be explained against itself: pick another class to contrast with`);
    return { coefficients: new Map([[b, -1]]) };
  }
  let max = -Infinity;
  for (let s = 0; s < n; s++) if (s !== target && logits[s] > max) max = logits[s];
  const alpha = new Float64Array(n);
  let z = 0;
  for (let s = 0; s < n; s++) {
    if (s === target) continue;
    alpha[s] = Math.exp(logits[s] - max);
    z += alpha[s];
  }
  if (!Number.isFinite(max) || !Number.isFinite(z) || z <= 0) {
    throw new Error(
      "the model's scores are not finite numbers (NaN or infinite): the discriminative contrast needs finite logits; check the model's weights, or use mode paper",
    );
  }
  const coefficients = new Map<number, number>();
  // Classes whose share is exactly zero change nothing; any other share counts, however small.
  for (let s = 0; s < n; s++) if (s !== target && alpha[s] > 0) coefficients.set(s, -alpha[s] / z);
  return { coefficients };
}
