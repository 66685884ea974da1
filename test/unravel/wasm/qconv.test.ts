// The quantized layers' WebAssembly kernel (src/unravel/wasm/qconv.wat: uint8/int8 values and integer filters read
// as stored, their products summed in 32-bit integers) against the conv rule in TypeScript and as first written
// (test/helpers/conv-reference.ts): the same parent for every fixation, on seeded tensors (narrow values: ties
// everywhere; full ranges: the largest products), and whole walks on the shipped quantized models, every layer.
import { strict as assert } from 'node:assert';
import { Explainer, topK, type ExplainOverrides } from '../../../src/explain';
import { fixturePath } from '../../../src/fixtures';
import { SessionCache } from '../../../src/runtime/session';
import * as kernel from '../../../src/unravel/rules/conv-kernel';
import { backConv } from '../../../src/unravel/rules/conv-kernel';
import { useChoiceMemo } from '../../../src/unravel/memo';
import type { Activation } from '../../../src/unravel/tensor';
import type { ConvMode } from '../../../src/unravel/types';
import type { UnravelResult } from '../../../src/unravel/walk';
import { integerConvKernel, type IntegerConvKernel } from '../../../src/unravel/wasm/qconv';
import { backConvReference, geometry, type Case } from '../../helpers/conv-reference';
import { rng } from '../../helpers/onnx-build';

/** Counts the layers the kernel took and refused (its methods wrapped on the instance). */
function spy(k: IntegerConvKernel): { taken: number; refused: number; restore(): void } {
  const layer = k.layer.bind(k);
  const s = {
    taken: 0,
    refused: 0,
    restore: () => {
      k.layer = layer;
    },
  };
  k.layer = (...args) => {
    const ok = layer(...args);
    if (ok) s.taken++;
    else s.refused++;
    return ok;
  };
  return s;
}

const cases: Case[] = [
  // 1×1 (most of the quantized nets' channel choices): fewer channels than a step, a step, one past, several steps.
  { cin: 3, cout: 4, h: 5, w: 5, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
  { cin: 16, cout: 5, h: 4, w: 6, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
  { cin: 17, cout: 3, h: 5, w: 3, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
  { cin: 100, cout: 6, h: 7, w: 7, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
  { cin: 64, cout: 8, h: 4, w: 4, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 2 },
  // Depthwise (one channel per group: no sums), grouped 3×3, strided stems, dilation, windows in the padding.
  { cin: 24, cout: 24, h: 9, w: 9, k: [3, 3], stride: 2, pad: 1, dilation: 1, group: 24 },
  { cin: 45, cout: 6, h: 6, w: 5, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 3 },
  { cin: 3, cout: 8, h: 17, w: 19, k: [3, 3], stride: 2, pad: 1, dilation: 1, group: 1 },
  { cin: 33, cout: 4, h: 11, w: 10, k: [7, 7], stride: 2, pad: 3, dilation: 1, group: 1 },
  { cin: 20, cout: 3, h: 9, w: 9, k: [3, 2], stride: 1, pad: 2, dilation: 2, group: 1 },
  { cin: 18, cout: 2, h: 2, w: 2, k: [5, 5], stride: 1, pad: 3, dilation: 1, group: 1 },
  // Positions not a multiple of 16 and channels not of 8 around the transposition's blocks.
  { cin: 15, cout: 4, h: 7, w: 9, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 },
  { cin: 40, cout: 4, h: 8, w: 8, k: [3, 3], stride: 1, pad: 0, dilation: 1, group: 1 },
];

interface Data {
  readonly what: string;
  make(r: () => number, n: number): { data: Int8Array | Uint8Array; zero: number };
}
interface Weights {
  readonly what: string;
  make(r: () => number, n: number): Int8Array | Uint8Array | Float32Array;
}

const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const inputs: Data[] = [
  { what: 'uint8 near its zero point 3', make: (r, n) => ({ data: Uint8Array.from({ length: n }, () => int(r, 0, 6)), zero: 3 }) },
  { what: 'uint8 over its range, zero 128', make: (r, n) => ({ data: Uint8Array.from({ length: n }, () => int(r, 0, 255)), zero: 128 }) },
  { what: 'uint8, zero 0', make: (r, n) => ({ data: Uint8Array.from({ length: n }, () => int(r, 0, 255)), zero: 0 }) },
  { what: 'uint8, zero 255', make: (r, n) => ({ data: Uint8Array.from({ length: n }, () => int(r, 250, 255)), zero: 255 }) },
  { what: 'int8 near its zero point −5', make: (r, n) => ({ data: Int8Array.from({ length: n }, () => int(r, -8, -2)), zero: -5 }) },
  { what: 'int8 over its range, zero −128', make: (r, n) => ({ data: Int8Array.from({ length: n }, () => int(r, -128, 127)), zero: -128 }) },
  { what: 'int8 over its range, zero 127', make: (r, n) => ({ data: Int8Array.from({ length: n }, () => int(r, -128, 127)), zero: 127 }) },
];
const weights: Weights[] = [
  { what: 'int8 in −2…2', make: (r, n) => Int8Array.from({ length: n }, () => int(r, -2, 2)) },
  { what: 'int8 over its range', make: (r, n) => Int8Array.from({ length: n }, () => int(r, -128, 127)) },
  { what: 'uint8', make: (r, n) => Uint8Array.from({ length: n }, () => int(r, 0, 255)) },
  // integerValues' form of uint8 weights with zero points: q − zero, float32
  { what: 'q − zero as float32', make: (r, n) => Float32Array.from({ length: n }, () => int(r, -255, 255)) },
];

const modes: ConvMode[] = ['contribution', 'activation', 'center'];
const k = integerConvKernel!;

describe('the quantized conv kernel against the rule in TypeScript and as first written', () => {
  it('loads here (Node 20 has WebAssembly SIMD)', () => {
    assert.ok(integerConvKernel);
  });

  for (const [i, c] of cases.entries()) {
    it(`${c.k.join('×')} kernel, ${c.cin}→${c.cout} channels, group ${c.group}, stride ${c.stride}, pad ${c.pad}, dilation ${c.dilation}`, () => {
      const r = rng(300 + i);
      const geo = geometry(c);
      const outs = geo.outDims.reduce((a, b) => a * b, 1);
      const all = Int32Array.from({ length: outs }, (_, j) => j);
      const sign = Float32Array.from({ length: c.cout }, () => (r() < 0.3 ? -1 : 1));
      const s = spy(k);
      try {
        for (const input of inputs)
          for (const weight of weights) {
            const { data, zero } = input.make(r, c.cin * c.h * c.w);
            const w = weight.make(r, (c.cout * c.cin * c.k[0] * c.k[1]) / c.group);
            for (const mode of modes)
              for (const sg of [undefined, sign]) {
                const what = `${input.what}, weights ${weight.what}, ${mode}${sg ? ', signed' : ''}`;
                // a fresh tensor each time: no copy made by an earlier call
                const x = (): Activation => ({ dims: [1, c.cin, c.h, c.w], data: data.slice(), zero, scale: 1 });
                const want = backConvReference(geo, x(), w, all, mode, sg);
                k.forward({});
                assert.deepEqual(backConv(geo, x(), w, all, mode, sg), want, what);
                kernel.useConvSimd(false);
                try {
                  assert.deepEqual(backConv(geo, x(), w, all, mode, sg), want, `${what}, TypeScript only`);
                } finally {
                  kernel.useConvSimd(true);
                }
              }
          }
      } finally {
        s.restore();
      }
      assert.ok(s.taken > 0 && s.refused === 0, `the kernel took the layer (${s.taken} taken, ${s.refused} refused)`);
    });
  }

  it('refuses filters it cannot sum exactly in 32 bits, and the rule runs in TypeScript with the same choices', () => {
    const r = rng(9);
    // 17 × 17 taps × 255 × 32767 passes 2^31; 40000 is not a 16-bit integer; 0.5 not an integer.
    const c: Case = { cin: 20, cout: 3, h: 17, w: 17, k: [17, 17], stride: 1, pad: 8, dilation: 1, group: 1 };
    const geo = geometry(c);
    const taps = c.k[0] * c.k[1];
    const fix = Int32Array.from({ length: 3 * 17 * 17 }, (_, j) => j);
    const data = Uint8Array.from({ length: c.cin * 17 * 17 }, () => int(r, 0, 255));
    for (const big of [32767, 40000, 0.5]) {
      const w = Float32Array.from({ length: c.cout * c.cin * taps }, () => (r() < 0.5 ? -big : big) * int(r, 0, 1));
      const s = spy(k);
      try {
        const x: Activation = { dims: [1, c.cin, 17, 17], data: data.slice(), zero: 0, scale: 1 };
        assert.deepEqual(backConv(geo, x, w, fix, 'contribution'), backConvReference(geo, x, w, fix, 'contribution'), `weights ±${big}`);
      } finally {
        s.restore();
      }
      assert.equal(s.taken, 0, `weights ±${big}: refused`);
    }
    // The same layer with 7 × 7 taps fits: taken.
    const small: Case = { ...c, k: [7, 7], pad: 3 };
    const w = Float32Array.from({ length: small.cout * small.cin * 49 }, () => (r() < 0.5 ? -32767 : 32767));
    const x: Activation = { dims: [1, small.cin, 17, 17], data: data.slice(), zero: 0, scale: 1 };
    const s = spy(k);
    try {
      assert.deepEqual(backConv(geometry(small), x, w, fix, 'contribution'), backConvReference(geometry(small), x, w, fix, 'contribution'));
    } finally {
      s.restore();
    }
    assert.equal(s.taken, 1);
  });

  it('holds each input channel-last, byte for byte (int8 with its top bit flipped), whatever its channel count and plane size', () => {
    k.forward({});
    const w = new Int8Array(1024);
    for (const [cin, plane] of [
      [2, 1],
      [3, 5],
      [8, 16],
      [9, 17],
      [33, 13],
      [70, 49],
      [5, 3136],
      [3, 50176],
    ]) {
      for (const signed of [false, true]) {
        const data = signed
          ? Int8Array.from({ length: cin * plane }, (_, i) => (i * 7) % 256)
          : Uint8Array.from({ length: cin * plane }, (_, i) => (i * 7) % 256);
        const x: Activation = { dims: [1, cin, 1, plane], data, zero: 0, scale: 1 };
        assert.equal(k.layer(x, w.subarray(0, cin), cin, 1), true);
        const got = k.values.slice(k.inputAt, k.inputAt + cin * plane);
        const want = new Uint8Array(cin * plane);
        const bytes = new Uint8Array(data.buffer);
        for (let ch = 0; ch < cin; ch++) for (let p = 0; p < plane; p++) want[p * cin + ch] = bytes[ch * plane + p] ^ (signed ? 0x80 : 0);
        assert.deepEqual(got, want, `${cin} channels × ${plane} positions${signed ? ', int8' : ''}`);
      }
    }
  });

  it('starts its arena over when a layer would pass the cap, and refuses a layer larger than the cap', () => {
    const cap = k.cap;
    const w = new Int8Array(64);
    const x = (): Activation => ({ dims: [1, 64, 10, 10], data: new Uint8Array(6400), zero: 0, scale: 1 });
    try {
      k.forward({});
      k.cap = 32768 + 3 * 6400;
      const a = x(),
        b = x(),
        c = x();
      assert.equal(k.layer(a, w, 64, 1), true);
      assert.equal(k.layer(b, w, 64, 1), true);
      assert.ok(k.holds(a.data) && k.holds(b.data));
      assert.equal(k.layer(c, w, 64, 1), true);
      assert.ok(k.holds(c.data) && !k.holds(a.data), 'started over');
      k.cap = 32768 + 1000;
      assert.equal(k.layer(x(), w, 64, 1), false);
    } finally {
      k.cap = cap;
    }
  });

  // Whole walks: the rule module calls the kernel through its CommonJS exports, so swapping the export runs the
  // walks on the reference, every conv of the model compared with its real activations and fixations.
  for (const name of ['mobilenetv2-12-int8', 'shufflenet-v2-12-qdq']) {
    it(`whole walks on ${name}: the same fixations, masses and notes, every layer, in every mode and conv mode`, async function () {
      this.timeout(300_000);
      const e = await Explainer.create(fixturePath(`models/${name}.onnx`), { image: fixturePath('images/pelican.jpeg') }, { labels: [] }, new SessionCache());
      const exports = kernel as { backConv: typeof backConv };
      const fast = exports.backConv;
      const classes = topK(e.probs, 3);
      const walks = (cls: number): ExplainOverrides[] => [
        ...modes.map((convMode) => ({ mode: 'paper' as const, convMode })),
        { mode: 'weighted' },
        { mode: 'discriminative' },
        { versus: classes.find((v) => v !== cls) },
      ];
      const memo = useChoiceMemo(false);
      const s = spy(k);
      try {
        for (const cls of classes)
          for (const overrides of walks(cls)) {
            const what = `class ${cls}, ${JSON.stringify(overrides)}`;
            const got = e.explain(cls, overrides).unravel;
            kernel.useConvSimd(false);
            let typescript: UnravelResult, first: UnravelResult;
            try {
              typescript = e.explain(cls, overrides).unravel;
              exports.backConv = backConvReference;
              first = e.explain(cls, overrides).unravel;
            } finally {
              exports.backConv = fast;
              kernel.useConvSimd(true);
            }
            assertSameWalk(got, typescript, `${what}, against the rule in TypeScript`);
            assertSameWalk(got, first, `${what}, against the rule as first written`);
          }
      } finally {
        s.restore();
        useChoiceMemo(memo.on, memo.limit);
      }
      assert.ok(s.taken > 0, 'the walks ran on the kernel');
    });
  }
});

function assertSameWalk(got: UnravelResult, want: UnravelResult, what: string): void {
  assert.equal(got.layers.length, want.layers.length, what);
  got.layers.forEach((l, i) => {
    const w = want.layers[i];
    assert.equal(l.tensor, w.tensor, what);
    assert.deepEqual(l.fixations, w.fixations, `${what}: ${l.node}`);
    assert.deepEqual(l.mass, w.mass, `${what}: ${l.node} masses`);
    assert.deepEqual(l.notes, w.notes, `${what}: ${l.node} notes`);
  });
  assert.deepEqual(got.input, want.input, `${what}: input`);
}
