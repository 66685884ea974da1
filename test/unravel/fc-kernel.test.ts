// The fully connected rule's WebAssembly scans (src/unravel/wasm/fc.ts) against the plain double loop
// (test/helpers/fc-reference.ts) and against the rule's TypeScript loops: the argmax per neuron and the mass split,
// four neurons per pass, on rows long enough and neurons many enough for every remainder of a group of four, with
// ties (small integers), quantized activations, alpha < 0, neurons without a positive contribution inside a group
// (the fall-back), and infinite or NaN weights.
import { strict as assert } from 'node:assert';
import { backProduct, useFcSimd, type Product } from '../../src/unravel/rules/fc';
import type { FlattenMode } from '../../src/unravel/types';
import { plainProduct } from '../helpers/fc-reference';
import { randomTensor, rng } from '../helpers/onnx-build';

describe('fully connected rule: the WebAssembly scans', () => {
  after(() => useFcSimd(true));

  it('give the plain loop’s parents, masses and fall-backs, to the last bit, as the TypeScript loops do', () => {
    assert.ok(useFcSimd(true), 'WebAssembly SIMD is available in Node');
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed * 6007);
      const k = 4 * (1 + Math.floor(r() * 24)),
        n = 2 + Math.floor(r() * 38);
      const sign = seed % 7 === 0 ? -1 : 1;
      const integers = seed % 2 === 0;
      // Non-negative inputs on some seeds, with some neurons' weights all negative: no positive contribution there.
      const x = randomTensor(k, r, seed % 3 === 0 ? 0 : -2, 3, integers).map((v) => (r() < 0.4 ? 0 : v));
      const w = randomTensor(k * n, r, -2, 2, integers);
      if (seed % 3 === 0) for (let j = 0; j < n; j += 3) w.fill(-1, j * k, (j + 1) * k);
      if (seed % 5 === 0) {
        w[Math.floor(r() * w.length)] = Infinity;
        w[Math.floor(r() * w.length)] = NaN;
        w[Math.floor(r() * w.length)] = -Infinity;
      }
      const zero = seed % 4 === 1 ? 1 : 0,
        scale = seed % 4 === 1 ? 0.25 : 1;
      const p: Product = { m: 1, k, n, sign, aM: k, aI: 1, bI: 1, bJ: k };
      const fix = Int32Array.from({ length: n }, (_, j) => j).filter(() => r() < 0.8);
      const mass = Float64Array.from(fix, () => r());
      for (const [mode, m] of [
        ['argmax', undefined],
        ['argmax', mass],
        ['positive', mass],
        ['positive', undefined],
      ] as [FlattenMode, Float64Array | undefined][]) {
        const what = `seed ${seed}, k ${k}, ${fix.length} neurons, ${mode}${m ? ' with masses' : ''}`;
        const want = plainProduct(p, { data: x, zero, scale }, w, fix, mode, m);
        // A new activation array each time: the argmax choices are kept per activation tensor.
        useFcSimd(true);
        const simd = backProduct(p, { dims: [1, k], data: x.slice(), zero, scale }, w, fix, mode, m);
        useFcSimd(false);
        const ts = backProduct(p, { dims: [1, k], data: x.slice(), zero, scale }, w, fix, mode, m);
        for (const [how, got] of [
          ['WebAssembly', simd],
          ['TypeScript', ts],
        ] as const) {
          assert.deepEqual(Array.from(got.parents), want.parents, `${what}, ${how}: parents`);
          assert.deepEqual(got.masses && Array.from(got.masses), want.masses, `${what}, ${how}: masses`);
          if (mode === 'positive') assert.equal(got.fallbacks, want.fallbacks, `${what}, ${how}: fall-backs`);
        }
      }
    }
  });
});
