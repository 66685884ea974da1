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

  it('argmax on float32 activations: contributions that round to the same float32 are told apart exactly; underflow, overflow', () => {
    // A float32 activation times ±1 makes each contribution exact in double: the kernel scans in float32 first and
    // decides the rounded ties by the exact products (fc.wat, argmax32). 24 inputs: three steps of eight.
    const k = 24,
      e = 2 ** -23;
    const a = 1 + e,
      b = 1 + 2 * e;
    assert.equal(Math.fround(a * a), Math.fround(b), 'a² and b round to the same float32');
    const x = new Float32Array(k).fill(0.25);
    x[2] = x[3] = 1e30;
    x[5] = 1;
    x[13] = x[21] = a;
    const w = new Float32Array(3 * k);
    w.fill(0.5, 0, k); // neuron 0: a float32 tie at 5, 13 and 21; exactly, 13 = 21 > 5
    w[2] = w[3] = -1;
    w[5] = b;
    w[13] = w[21] = a;
    w.fill(2 ** -149, k, 2 * k); // neuron 1: every positive contribution (2⁻¹⁵¹) underflows in float32
    for (const i of [2, 3, 5, 13, 21]) w[k + i] = 0;
    w.fill(-1, 2 * k, 3 * k); // neuron 2: 1e40 and 2e40, both +∞ in float32
    w[2 * k + 2] = 1e10;
    w[2 * k + 3] = 2e10;
    const p: Product = { m: 1, k, n: 3, sign: 1, aM: k, aI: 1, bI: 1, bJ: k };
    const fix = Int32Array.of(0, 1, 2);
    const want = plainProduct(p, { data: x, zero: 0, scale: 1 }, w, fix, 'argmax');
    assert.deepEqual(
      [...want.parents].sort((i, j) => i - j),
      [0, 3, 13],
      'the reference: 13 (exact tie, first), 0 (underflow), 3 (overflow)',
    );
    for (const simd of [true, false]) {
      useFcSimd(simd);
      const got = backProduct(p, { dims: [1, k], data: x.slice(), zero: 0, scale: 1 }, w, fix, 'argmax');
      assert.deepEqual(Array.from(got.parents), want.parents, simd ? 'WebAssembly' : 'TypeScript');
    }
  });
});
