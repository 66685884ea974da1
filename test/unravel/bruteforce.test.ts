// Each rule against an independent brute-force version on seeded random tensors: nested loops over every
// input position and kernel tap (not the rule's index arithmetic), ties broken as ALGORITHM.md says.
// Integer-valued tensors make ties frequent, so tie-breaking is exercised.
import { strict as assert } from 'node:assert';
import { parseModel } from '../../src/onnx/graph';
import { defaultOps } from '../../src/unravel/ops';
import { planExposure } from '../../src/unravel/plan';
import { backProduct, type Product } from '../../src/unravel/rules/fc';
import { backReduceArgmax } from '../../src/unravel/rules/pool';
import { defaultUnravelOptions, type ConvMode } from '../../src/unravel/types';
import { Unraveler } from '../../src/unravel/walk';
import { buildModel, randomTensor, rng, type ModelSpec } from '../helpers/onnx-build';
import { walkModel } from '../helpers/walk';

interface ConvCase {
  name: string;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  group?: number;
  autoPad?: string;
}

/** Output size and leading pad per axis, computed from first principles for the reference. */
function refAxis(n: number, k: number, s: number, d: number, pb: number, pe: number, autoPad: string): { out: number; pb: number } {
  const ext = d * (k - 1) + 1;
  if (autoPad === 'VALID') return { out: Math.floor((n - ext) / s) + 1, pb: 0 };
  if (autoPad.startsWith('SAME')) {
    const out = Math.ceil(n / s);
    const need = Math.max(0, (out - 1) * s + ext - n);
    return { out, pb: autoPad === 'SAME_UPPER' ? Math.floor(need / 2) : Math.ceil(need / 2) };
  }
  return { out: Math.floor((n + pb + pe - ext) / s) + 1, pb };
}

function refConv(c: ConvCase, x: Float32Array, wt: Float32Array, f: number, mode: ConvMode): number {
  const [sh, sw] = c.strides ?? [1, 1];
  const [dh, dw] = c.dilations ?? [1, 1];
  const p = c.pads ?? [0, 0, 0, 0];
  const G = c.group ?? 1;
  const ap = c.autoPad ?? 'NOTSET';
  const ah = refAxis(c.h, c.k[0], sh, dh, p[0], p[2], ap),
    aw = refAxis(c.w, c.k[1], sw, dw, p[1], p[3], ap);
  const co = Math.floor(f / (ah.out * aw.out)),
    oy = Math.floor(f / aw.out) % ah.out,
    ox = f % aw.out;
  const cinG = c.cin / G,
    g = Math.floor(co / (c.cout / G));
  // taps[ci] = list of (yy, xx, u, v) in row-major input order that this output reads
  const sums: number[] = [];
  const taps: { yy: number; xx: number; q: number; a: number }[][] = [];
  for (let ci = 0; ci < cinG; ci++) {
    const list: { yy: number; xx: number; q: number; a: number }[] = [];
    for (let yy = 0; yy < c.h; yy++)
      for (let xx = 0; xx < c.w; xx++) {
        const u = (yy - oy * sh + ah.pb) / dh,
          v = (xx - ox * sw + aw.pb) / dw;
        if (!Number.isInteger(u) || !Number.isInteger(v) || u < 0 || v < 0 || u >= c.k[0] || v >= c.k[1]) continue;
        const a = x[(g * cinG + ci) * c.h * c.w + yy * c.w + xx];
        list.push({ yy, xx, a, q: a * wt[((co * cinG + ci) * c.k[0] + u) * c.k[1] + v] });
      }
    taps.push(list);
    sums.push(list.reduce((s, t) => s + t.q, 0));
  }
  const best = sums.indexOf(Math.max(...sums));
  const ch = g * cinG + best;
  let pos: { yy: number; xx: number };
  if (mode === 'center' || taps[best].length === 0) pos = { yy: Math.min(c.h - 1, oy * sh), xx: Math.min(c.w - 1, ox * sw) };
  else {
    const key = (t: { q: number; a: number }) => (mode === 'activation' ? t.a : t.q);
    pos = taps[best].reduce((b, t) => (key(t) > key(b) ? t : b));
  }
  return ch * c.h * c.w + pos.yy * c.w + pos.xx;
}

const convCases: ConvCase[] = [
  { name: '3×3 stride 1 pad 1', cin: 3, cout: 4, h: 6, w: 7, k: [3, 3], pads: [1, 1, 1, 1] },
  { name: 'stride 2, asymmetric pads', cin: 2, cout: 3, h: 7, w: 8, k: [3, 3], strides: [2, 2], pads: [0, 1, 2, 1] },
  { name: 'non-square kernel, stride (1,3)', cin: 2, cout: 2, h: 6, w: 9, k: [2, 4], strides: [1, 3], pads: [1, 0, 0, 2] },
  { name: 'dilation 2', cin: 2, cout: 3, h: 8, w: 8, k: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'groups 2', cin: 4, cout: 6, h: 5, w: 5, k: [3, 3], pads: [1, 1, 1, 1], group: 2 },
  { name: 'depthwise stride 2', cin: 4, cout: 4, h: 7, w: 7, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], group: 4 },
  { name: 'auto_pad SAME_UPPER stride 2', cin: 2, cout: 2, h: 7, w: 6, k: [4, 3], strides: [2, 2], autoPad: 'SAME_UPPER' },
  { name: 'auto_pad SAME_LOWER stride 2', cin: 2, cout: 2, h: 7, w: 6, k: [4, 3], strides: [2, 2], autoPad: 'SAME_LOWER' },
  { name: 'auto_pad VALID', cin: 3, cout: 2, h: 6, w: 6, k: [3, 2], strides: [2, 1], autoPad: 'VALID' },
  { name: '1×1 pointwise', cin: 5, cout: 3, h: 4, w: 4, k: [1, 1] },
  { name: '1×1 stride 2 with padding (border windows read no input)', cin: 6, cout: 4, h: 5, w: 6, k: [1, 1], strides: [2, 2], pads: [1, 1, 1, 2] },
  { name: '1×1 grouped', cin: 6, cout: 4, h: 3, w: 4, k: [1, 1], group: 2 },
];

function convSpec(c: ConvCase, w: Float32Array): ModelSpec {
  const attrs: Record<string, number | number[] | string> = { kernel_shape: c.k };
  if (c.strides) attrs.strides = c.strides;
  if (c.pads) attrs.pads = c.pads;
  if (c.dilations) attrs.dilations = c.dilations;
  if (c.group) attrs.group = c.group;
  if (c.autoPad) attrs.auto_pad = c.autoPad;
  return {
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs }],
    inputs: [{ name: 'x', dims: [1, c.cin, c.h, c.w] }],
    outputs: [{ name: 'y', dims: ['?'] }],
    initializers: [{ name: 'w', dims: [c.cout, c.cin / (c.group ?? 1), ...c.k], values: w }],
  };
}

describe('Conv rule against brute force', () => {
  for (const c of convCases) {
    for (const mode of ['contribution', 'center', 'activation'] as const) {
      for (const integers of [false, true]) {
        it(`${c.name}, ${mode}, ${integers ? 'integer values (ties)' : 'real values'}`, () => {
          const r = rng(c.h * 1000 + c.w * 10 + c.cin + (integers ? 7 : 0));
          const x = randomTensor(c.cin * c.h * c.w, r, integers ? -2 : -1, integers ? 2 : 1, integers);
          const w = randomTensor(c.cout * (c.cin / (c.group ?? 1)) * c.k[0] * c.k[1], r, integers ? -2 : -1, integers ? 2 : 1, integers);
          const spec = convSpec(c, w);
          // every output element, one walk each
          const [sh, sw] = c.strides ?? [1, 1];
          const ap = c.autoPad ?? 'NOTSET',
            p = c.pads ?? [0, 0, 0, 0],
            [dh, dw] = c.dilations ?? [1, 1];
          const outN = c.cout * refAxis(c.h, c.k[0], sh, dh, p[0], p[2], ap).out * refAxis(c.w, c.k[1], sw, dw, p[1], p[3], ap).out;
          for (let f = 0; f < outN; f++) {
            const got = walkModel(spec, { x: { dims: [1, c.cin, c.h, c.w], data: x } }, 'y', f, 'x', { convMode: mode }).input.fixations;
            assert.deepEqual(Array.from(got), [refConv(c, x, w, f, mode)], `output element ${f}`);
          }
        });
      }
    }
  }
});

interface PoolCase {
  name: string;
  op: string;
  h: number;
  w: number;
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  ceil?: number;
  dilations?: [number, number];
}
const poolCases: PoolCase[] = [
  { name: 'MaxPool 2×2 stride 2', op: 'MaxPool', h: 6, w: 6, k: [2, 2], strides: [2, 2] },
  { name: 'MaxPool 3×3 stride 2 pad 1', op: 'MaxPool', h: 7, w: 8, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { name: 'MaxPool ceil_mode', op: 'MaxPool', h: 7, w: 6, k: [3, 3], strides: [2, 2], ceil: 1 },
  { name: 'MaxPool ceil_mode with pads', op: 'MaxPool', h: 8, w: 7, k: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], ceil: 1 },
  { name: 'MaxPool dilation 2', op: 'MaxPool', h: 8, w: 8, k: [2, 2], dilations: [2, 2] },
  { name: 'AveragePool 3×3 stride 2 pad 1', op: 'AveragePool', h: 7, w: 7, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
];

function refPool(c: PoolCase, x: Float32Array, channels: number, f: number): number {
  const [sh, sw] = c.strides ?? [1, 1];
  const [dh, dw] = c.dilations ?? [1, 1];
  const p = c.pads ?? [0, 0, 0, 0];
  const outAxis = (n: number, k: number, s: number, d: number, pb: number, pe: number) => {
    const room = n + pb + pe - (d * (k - 1) + 1);
    let out = (c.ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
    if (c.ceil && (out - 1) * s >= n + pb) out--;
    return out;
  };
  const oh = outAxis(c.h, c.k[0], sh, dh, p[0], p[2]),
    ow = outAxis(c.w, c.k[1], sw, dw, p[1], p[3]);
  void channels;
  const plane = Math.floor(f / (oh * ow)),
    oy = Math.floor(f / ow) % oh,
    ox = f % ow;
  let best = -1,
    top = -Infinity;
  for (let yy = 0; yy < c.h; yy++)
    for (let xx = 0; xx < c.w; xx++) {
      const u = (yy - oy * sh + p[0]) / dh,
        v = (xx - ox * sw + p[1]) / dw;
      if (!Number.isInteger(u) || !Number.isInteger(v) || u < 0 || v < 0 || u >= c.k[0] || v >= c.k[1]) continue;
      const i = plane * c.h * c.w + yy * c.w + xx;
      if (x[i] > top) {
        top = x[i];
        best = i;
      }
    }
  return best;
}

describe('pool rules against brute force', () => {
  for (const c of poolCases) {
    it(c.name, () => {
      const r = rng(c.h * 31 + c.w);
      const channels = 3;
      const x = randomTensor(channels * c.h * c.w, r, 0, 3, true); // small integers: many ties
      const attrs: Record<string, number | number[]> = { kernel_shape: c.k };
      if (c.strides) attrs.strides = c.strides;
      if (c.pads) attrs.pads = c.pads;
      if (c.ceil) attrs.ceil_mode = c.ceil;
      if (c.dilations) attrs.dilations = c.dilations;
      const spec: ModelSpec = {
        nodes: [{ op: c.op, inputs: ['x'], outputs: ['y'], attrs }],
        inputs: [{ name: 'x', dims: [1, channels, c.h, c.w] }],
        outputs: [{ name: 'y', dims: ['?'] }],
      };
      let f = 0;
      for (; ; f++) {
        let got: number[];
        try {
          got = Array.from(walkModel(spec, { x: { dims: [1, channels, c.h, c.w], data: x } }, 'y', f, 'x').input.fixations);
        } catch (e) {
          assert.match((e as Error).message, /outside output/);
          break;
        }
        assert.deepEqual(got, [refPool(c, x, channels, f)], `output element ${f}`);
      }
      assert.ok(f > channels, 'walked every output element');
    });
  }

  it('GlobalAveragePool and ReduceMean over space pick the largest activation per channel', () => {
    const r = rng(5);
    const x = randomTensor(4 * 5 * 6, r, 0, 4, true);
    for (const node of [
      { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['y'] },
      { op: 'ReduceMean', inputs: ['x'], outputs: ['y'], attrs: { axes: [2, 3], keepdims: 0 } },
    ]) {
      const spec: ModelSpec = { nodes: [node], inputs: [{ name: 'x', dims: [1, 4, 5, 6] }], outputs: [{ name: 'y', dims: ['?'] }], opset: 13 };
      for (let c = 0; c < 4; c++) {
        const got = walkModel(spec, { x: { dims: [1, 4, 5, 6], data: x } }, 'y', c, 'x').input.fixations;
        const plane = Array.from(x.subarray(c * 30, c * 30 + 30));
        assert.deepEqual(Array.from(got), [c * 30 + plane.indexOf(Math.max(...plane))], `${node.op} channel ${c}`);
      }
    }
  });

  it('reductions over any axes pick the first largest value of each output, uint8 with a zero point included', () => {
    // Trailing axes (global pools) read one contiguous run per output; other axes step through the tensor.
    const dims = [2, 3, 4, 5];
    const r = rng(6);
    const values = Array.from({ length: 120 }, () => Math.floor(r() * 4));
    for (const x of [
      { dims, data: Float32Array.from(values), zero: 0, scale: 1 },
      { dims, data: Uint8Array.from(values, (v) => v * 60), zero: 100, scale: 0.5 },
    ])
      for (const axes of [[2, 3], [3], [1, 2, 3], [0, 1, 2, 3], [1, 3], [0, 2], [2], []])
        for (const keep of [true, false]) {
          const outDims = keep ? dims.map((d, i) => (axes.includes(i) ? 1 : d)) : dims.filter((_, i) => !axes.includes(i));
          const outs = outDims.reduce((a, b) => a * b, 1);
          const got = backReduceArgmax(
            x,
            axes,
            keep,
            Int32Array.from({ length: outs }, (_, f) => f),
          );
          // Brute force: every input element, in order, to the output it reduces into (kept axes, row-major).
          const want = new Int32Array(outs).fill(-1);
          const top = new Float64Array(outs).fill(-Infinity);
          for (let i = 0; i < 120; i++) {
            const at = [Math.floor(i / 60), Math.floor(i / 20) % 3, Math.floor(i / 5) % 4, i % 5];
            let f = 0;
            for (let k = 0; k < 4; k++) if (!axes.includes(k)) f = f * dims[k] + at[k];
            const v = x.data[i] - x.zero;
            if (v > top[f]) {
              top[f] = v;
              want[f] = i;
            }
          }
          assert.deepEqual(got, want, `${x.data.constructor.name}, axes [${axes.join(',')}]${keep ? ', keepdims' : ''}`);
        }
  });
});

describe('fully connected rule against brute force', () => {
  for (const [name, transB, mode] of [
    ['Gemm transB, positive', 1, 'positive'],
    ['Gemm, positive', 0, 'positive'],
  ] as const) {
    it(name, () => {
      const r = rng(transB * 11 + 3);
      const k = 12,
        n = 5;
      const a = randomTensor(k, r, -2, 2, true);
      const w = randomTensor(k * n, r, -2, 2, true);
      const spec: ModelSpec = {
        nodes: [{ op: 'Gemm', inputs: ['a', 'w'], outputs: ['y'], attrs: { transB } }],
        inputs: [{ name: 'a', dims: [1, k] }],
        outputs: [{ name: 'y', dims: [1, n] }],
        initializers: [{ name: 'w', dims: transB ? [n, k] : [k, n], values: w }],
      };
      for (let j = 0; j < n; j++) {
        const q = Array.from({ length: k }, (_, i) => a[i] * w[transB ? j * k + i : i * n + j]);
        let want = q.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0);
        if (want.length === 0) want = [q.indexOf(Math.max(...q))];
        const got = walkModel(spec, { a: { dims: [1, k], data: a } }, 'y', j, 'a', { flattenMode: mode }).input.fixations;
        assert.deepEqual(Array.from(got), want, `neuron ${j}`);
      }
    });
  }

  it('a flattened spatial map uses the argmax mode by default, positive on request', () => {
    const r = rng(99);
    const x = randomTensor(2 * 3 * 3, r, 0, 3);
    const w = randomTensor(18 * 4, r, -1, 1);
    const spec: ModelSpec = {
      nodes: [
        { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'w'], outputs: ['y'], attrs: { transB: 1 } },
      ],
      inputs: [{ name: 'x', dims: [1, 2, 3, 3] }],
      outputs: [{ name: 'y', dims: [1, 4] }],
      initializers: [{ name: 'w', dims: [4, 18], values: w }],
    };
    for (let j = 0; j < 4; j++) {
      const q = Array.from({ length: 18 }, (_, i) => x[i] * w[j * 18 + i]);
      const argmax = walkModel(spec, { x: { dims: [1, 2, 3, 3], data: x } }, 'y', j, 'x').input.fixations;
      assert.deepEqual(Array.from(argmax), [q.indexOf(Math.max(...q))]);
      const positive = walkModel(spec, { x: { dims: [1, 2, 3, 3], data: x } }, 'y', j, 'x', { flattenMode: 'positive' }).input.fixations;
      assert.deepEqual(
        Array.from(positive),
        q.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0),
      );
    }
  });
  // Many neurons at once, sparse (post-ReLU-like) and small-integer inputs so that zeros, ties, neurons with
  // no positive contribution and all-negative rows all occur; rows m > 1 (batched MatMul); alpha < 0.
  it('many neurons over sparse inputs: the union and the argmax of the plain double loop', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed * 7919);
      const m = 1 + (seed % 3),
        k = 5 + Math.floor(r() * 40),
        n = 2 + Math.floor(r() * 12);
      const transB = seed % 2,
        sign = seed % 5 === 0 ? -1 : 1;
      const x = randomTensor(m * k, r, -2, 3, true).map((v) => (r() < 0.5 ? 0 : v));
      const w = randomTensor(k * n, r, seed % 4 === 0 ? -3 : -2, seed % 4 === 0 ? 0 : 2, true);
      const zero = seed % 3 === 0 ? 1 : 0,
        scale = seed % 3 === 0 ? 0.25 : 1;
      const p: Product = { m, k, n, sign, aM: k, aI: 1, ...(transB ? { bI: 1, bJ: k } : { bI: n, bJ: 1 }) };
      const fix = Int32Array.from({ length: m * n }, (_, f) => f).filter(() => r() < 0.6);
      for (const mode of ['positive', 'argmax'] as const) {
        const want = new Set<number>();
        let wantFallbacks = 0;
        for (const f of fix) {
          const row = Math.floor(f / n),
            j = f % n;
          const q = Array.from({ length: k }, (_, i) => sign * (x[row * k + i] - zero) * scale * w[transB ? j * k + i : i * n + j]);
          const pos = q.map((v, i) => (v > 0 ? i : -1)).filter((i) => i >= 0);
          if (mode === 'positive' && pos.length) pos.forEach((i) => want.add(row * k + i));
          else {
            want.add(row * k + q.indexOf(Math.max(...q)));
            if (mode === 'positive') wantFallbacks++;
          }
        }
        const got = backProduct(p, { dims: [m, k], data: x, zero, scale }, w, fix, mode);
        assert.deepEqual(
          Array.from(got.parents),
          [...want].sort((u, v) => u - v),
          `seed ${seed} ${mode}`,
        );
        if (mode === 'positive') assert.equal(got.fallbacks, wantFallbacks, `seed ${seed} fallbacks`);
        // Argmax choices are kept per weight and forward tensor: a walk over more neurons reuses some and adds the
        // rest, and the first set again reads them all back, with the same parents and masses as computed afresh.
        const all = Int32Array.from({ length: m * n }, (_, f) => f);
        const mass = Float64Array.from(fix, (_, i) => 1 / (i + 2));
        const fresh = backProduct(p, { dims: [m, k], data: x.slice(), zero, scale }, w, fix, mode, mass);
        backProduct(p, { dims: [m, k], data: x, zero, scale }, w, all, mode);
        const again = backProduct(p, { dims: [m, k], data: x, zero, scale }, w, fix, mode, mass);
        assert.deepEqual(again, fresh, `seed ${seed} ${mode}, again`);
        assert.deepEqual(Array.from(again.parents), Array.from(got.parents), `seed ${seed} ${mode}, again`);
      }
    }
  });
  // With masses (mode positive), neuron j's mass is split over its positive contributions in proportion: the plain
  // loop's sums, neuron after neuron in the fixations' order, give the very same doubles (the rule computes two
  // neurons' contributions per pass over the inputs), and a neuron with none gives its whole mass to its argmax.
  it("many neurons with masses: the plain loop's parents and masses, to the last bit", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed * 104729);
      const m = 1 + (seed % 3),
        k = 5 + Math.floor(r() * 40),
        n = 2 + Math.floor(r() * 12);
      const transB = seed % 2,
        sign = seed % 5 === 0 ? -1 : 1;
      const x = randomTensor(m * k, r, -2, 3).map((v) => (r() < 0.5 ? 0 : v));
      const w = randomTensor(k * n, r, seed % 4 === 0 ? -3 : -2, seed % 4 === 0 ? 0 : 2);
      const zero = seed % 3 === 0 ? 1 : 0,
        scale = seed % 3 === 0 ? 0.25 : 1;
      const p: Product = { m, k, n, sign, aM: k, aI: 1, ...(transB ? { bI: 1, bJ: k } : { bI: n, bJ: 1 }) };
      const fix = Int32Array.from({ length: m * n }, (_, f) => f).filter(() => r() < 0.7);
      const mass = Float64Array.from(fix, () => r());
      const acc = new Map<number, number>();
      fix.forEach((f, t) => {
        const row = Math.floor(f / n),
          j = f % n;
        const q = Array.from({ length: k }, (_, i) => (x[row * k + i] - zero) * scale * sign * w[transB ? j * k + i : i * n + j]);
        let sum = 0;
        for (const c of q) if (c > 0) sum += c;
        if (sum > 0) q.forEach((c, i) => c > 0 && acc.set(row * k + i, (acc.get(row * k + i) ?? 0) + c * (mass[t] / sum)));
        else {
          const at = row * k + q.indexOf(Math.max(...q));
          acc.set(at, (acc.get(at) ?? 0) + mass[t]);
        }
      });
      const want = [...acc].sort(([u], [v]) => u - v);
      const got = backProduct(p, { dims: [m, k], data: x, zero, scale }, w, fix, 'positive', mass);
      assert.deepEqual(
        Array.from(got.parents),
        want.map(([i]) => i),
        `seed ${seed}`,
      );
      assert.deepEqual(
        Array.from(got.masses!),
        want.map(([, v]) => v),
        `seed ${seed} masses`,
      );
    }
  });
});

describe('element-wise rules', () => {
  it('Add of a constant bias passes through; Mul by a broadcast gate passes to the full-shape input', () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['g'] },
        { op: 'Sigmoid', inputs: ['g'], outputs: ['s'] },
        { op: 'Mul', inputs: ['x', 's'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'bias'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [1, 2, 2, 2] }],
      outputs: [{ name: 'y', dims: [1, 2, 2, 2] }],
      initializers: [{ name: 'bias', dims: [1, 2, 1, 1], values: [5, -5] }],
    };
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const r = walkModel(spec, { x: { dims: [1, 2, 2, 2], data: x }, g: { dims: [1, 2, 1, 1], data: Float32Array.from([2.5, 6.5]) } }, 'y', 6, 'x');
    assert.deepEqual(Array.from(r.input.fixations), [6]);
    assert.ok(!r.layers.some((l) => l.op === 'GlobalAveragePool'), 'the gate branch receives no fixation');
  });

  it('Mul of two same-shape activations (swish) passes to both', () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'Sigmoid', inputs: ['x'], outputs: ['s'] },
        { op: 'Mul', inputs: ['x', 's'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [1, 4] }],
      outputs: [{ name: 'y', dims: [1, 4] }],
    };
    const r = walkModel(spec, { x: { dims: [1, 4], data: Float32Array.from([1, 2, 3, 4]) } }, 'y', 2, 'x');
    assert.deepEqual(Array.from(r.input.fixations), [2]);
    assert.equal(r.layers.filter((l) => l.op === 'Sigmoid').length, 1);
  });

  it('an operand with the output’s element count is full-shape whatever its rank (a [8] gate on a [1, 8] map)', () => {
    // s = Reshape(Sigmoid(x), [8]) has 8 elements like y = x · s ([1, 8]): both operands are followed (halves),
    // where a comparison of shapes would call s broadcast and send it nothing.
    const spec: ModelSpec = {
      nodes: [
        { op: 'Sigmoid', inputs: ['x'], outputs: ['s'] },
        { op: 'Reshape', inputs: ['s', 'flat'], outputs: ['r'] },
        { op: 'Mul', inputs: ['x', 'r'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [1, 8] }],
      outputs: [{ name: 'y', dims: [1, 8] }],
      initializers: [{ name: 'flat', dims: [1], type: 7, values: [8] }],
    };
    const r = walkModel(spec, { x: { dims: [1, 8], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) } }, 'y', 5, 'x', { masses: true });
    const sig = r.layers.find((l) => l.op === 'Sigmoid');
    assert.ok(sig, 'the rank-1 operand received fixations');
    assert.deepEqual([...sig.fixations], [5]);
    assert.deepEqual([...sig.mass!], [0.5]);
    assert.deepEqual([...r.input.fixations], [5]);
    assert.deepEqual([...r.input.mass!], [1]);
  });

  it('Sub of two activations is an error naming the op, node and path', () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Sub', inputs: ['x', 'r'], outputs: ['d'], name: 'diff' },
        { op: 'Relu', inputs: ['d'], outputs: ['y'], name: 'head' },
      ],
      inputs: [{ name: 'x', dims: [1, 4] }],
      outputs: [{ name: 'y', dims: [1, 4] }],
    };
    assert.throws(
      () => walkModel(spec, { x: { dims: [1, 4], data: Float32Array.from([1, 2, 3, 4]) } }, 'y', 0, 'x'),
      (e: Error) => /Sub node 'diff'/.test(e.message) && /Relu 'head' ← Sub 'diff'/.test(e.message),
    );
  });

  it('an operator without a rule stops the walk with its name and path', () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'Hardmax', inputs: ['x'], outputs: ['e'], name: 'mystery' },
        { op: 'Relu', inputs: ['e'], outputs: ['y'], name: 'out' },
      ],
      inputs: [{ name: 'x', dims: [1, 4] }],
      outputs: [{ name: 'y', dims: [1, 4] }],
    };
    assert.throws(
      () => walkModel(spec, { x: { dims: [1, 4], data: Float32Array.from([1, 2, 3, 4]) }, e: { dims: [1, 4], data: new Float32Array(4) } }, 'y', 1, 'x'),
      (e: Error) => /Hardmax node 'mystery'/.test(e.message) && /no rule for Hardmax/.test(e.message) && /Relu 'out' ← Hardmax 'mystery'/.test(e.message),
    );
  });
});

describe('layout rules with sizes known only at run time', () => {
  it('Split reads its sizes from the forward pass when they are computed (torch chunk)', () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'Split', inputs: ['x', 'sizes'], outputs: ['a', 'b'], attrs: { axis: 1 }, name: 'split' },
        { op: 'Concat', inputs: ['b', 'a'], outputs: ['y'], attrs: { axis: 1 } },
      ],
      inputs: [
        { name: 'x', dims: [1, 5, 1, 2] },
        { name: 'sizes', dims: [2], type: 7 },
      ],
      outputs: [{ name: 'y', dims: [1, 5, 1, 2] }],
    };
    const x = Float32Array.from({ length: 10 }, (_, i) => i);
    const values = {
      x: { dims: [1, 5, 1, 2], data: x },
      sizes: { dims: [2], data: Float64Array.from([2, 3]) },
      a: { dims: [1, 2, 1, 2], data: x.slice(0, 4) },
      b: { dims: [1, 3, 1, 2], data: x.slice(4) },
    };
    // y = concat(b, a): y's first element is b's first = x[4]; its 7th (index 6) is a's first = x[0]
    assert.deepEqual(Array.from(walkModel(spec, values, 'y', 0, 'x').input.fixations), [4]);
    assert.deepEqual(Array.from(walkModel(spec, values, 'y', 6, 'x').input.fixations), [0]);
  });

  // torch exports `x.chunk(2, dim=1)` at opset 13 as Shape → Gather → Add → Div → Mul → Slice: the bounds depend
  // only on x's shape, so they are computed from it; nothing is kept just to learn a shape or a bound.
  it('Slice bounds computed from a Shape are evaluated, not kept by the forward pass', () => {
    const i64 = (name: string, values: number[], dims = [values.length]) => ({ name, dims, values, type: 7 });
    const spec: ModelSpec = {
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Shape', inputs: ['r'], outputs: ['shape'] },
        { op: 'Gather', inputs: ['shape', 'one'], outputs: ['channels'], attrs: { axis: 0 } },
        { op: 'Add', inputs: ['channels', 'one'], outputs: ['plus'] },
        { op: 'Div', inputs: ['plus', 'two'], outputs: ['half'] },
        { op: 'Mul', inputs: ['half', 'one'], outputs: ['end0'] },
        { op: 'Unsqueeze', inputs: ['end0', 'zeroAxis'], outputs: ['end0v'] },
        { op: 'Mul', inputs: ['half', 'two'], outputs: ['end1'] },
        { op: 'Unsqueeze', inputs: ['end1', 'zeroAxis'], outputs: ['end1v'] },
        { op: 'Slice', inputs: ['r', 'zero', 'end0v', 'axis1'], outputs: ['a'] },
        { op: 'Slice', inputs: ['r', 'end0v', 'end1v', 'axis1'], outputs: ['b'] },
        { op: 'Concat', inputs: ['b', 'a'], outputs: ['c'], attrs: { axis: 1 } },
        { op: 'Conv', inputs: ['c', 'w'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [1, 6, 2, 2] }],
      outputs: [{ name: 'y', dims: [1, 1, 2, 2] }],
      initializers: [
        i64('one', [1], []),
        i64('two', [2], []),
        i64('zeroAxis', [0]),
        i64('zero', [0]),
        i64('axis1', [1]),
        { name: 'w', dims: [1, 6, 1, 1], values: [0, 0, 0, 0, 0, 1] },
      ],
    };
    const graph = parseModel(buildModel(spec));
    assert.deepEqual([...planExposure(graph, defaultOps).expose], ['c'], 'only the Conv input is kept: no Slice output, no bound');
    // c = concat(r[:, 3:6], r[:, 0:3]); w picks c's last channel = r's channel 2; at y = (0, 1, 1).
    const x = Float32Array.from({ length: 24 }, (_, i) => i + 1);
    const c = Float32Array.from([...x.subarray(12), ...x.subarray(0, 12)]);
    const walk = new Unraveler(graph, defaultOps).unravel(
      {
        values: new Map([
          ['x', { dims: [1, 6, 2, 2], data: x }],
          ['c', { dims: [1, 6, 2, 2], data: c }],
        ]),
      },
      'y',
      3,
      'x',
      defaultUnravelOptions,
    );
    assert.deepEqual(Array.from(walk.input.fixations), [2 * 4 + 3]);
    assert.deepEqual(walk.layers.find((l) => l.op === 'Slice')?.shape, [1, 3, 2, 2]);
  });
});
