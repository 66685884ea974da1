// The fully connected rule as the plain double loop (docs/ALGORITHM.md): for each fixated neuron in the fixations'
// order, every input's contribution a_i·W[i,j]·sign; mode `argmax` keeps the first largest, mode `positive` every
// positive one (else the first largest, a fall-back), and with masses the neuron's mass is split over its positive
// contributions in proportion (their sum in input order), or goes whole to its one parent.
import type { Product } from '../../src/unravel/rules/fc';
import type { FlattenMode } from '../../src/unravel/types';

export interface PlainActivation {
  readonly data: ArrayLike<number>;
  readonly zero: number;
  readonly scale: number;
}

export function plainProduct(
  p: Product,
  a: PlainActivation,
  w: ArrayLike<number>,
  fix: ArrayLike<number>,
  mode: FlattenMode,
  mass?: ArrayLike<number>,
): { parents: number[]; masses: number[] | undefined; fallbacks: number } {
  const acc = new Map<number, number>();
  let fallbacks = 0;
  const c = new Float64Array(p.k);
  for (let t = 0; t < fix.length; t++) {
    const row = Math.floor(fix[t] / p.n),
      j = fix[t] % p.n;
    const at = (i: number) => row * p.aM + i * p.aI;
    let best = -1,
      top = -Infinity,
      sum = 0,
      any = false;
    for (let i = 0; i < p.k; i++) {
      c[i] = (a.data[at(i)] - a.zero) * a.scale * w[i * p.bI + j * p.bJ] * p.sign;
      if (c[i] > top) {
        top = c[i];
        best = i;
      }
      if (c[i] > 0) {
        sum += c[i];
        any = true;
      }
    }
    const m = mass ? mass[t] : 0;
    if (mode === 'positive' && any) {
      for (let i = 0; i < p.k; i++) if (c[i] > 0) acc.set(at(i), (acc.get(at(i)) ?? 0) + c[i] * (m / sum));
    } else if (best >= 0) {
      if (mode === 'positive') fallbacks++;
      acc.set(at(best), (acc.get(at(best)) ?? 0) + m);
    }
  }
  const sorted = [...acc].sort(([u], [v]) => u - v);
  return { parents: sorted.map(([i]) => i), masses: mass ? sorted.map(([, v]) => v) : undefined, fallbacks };
}
