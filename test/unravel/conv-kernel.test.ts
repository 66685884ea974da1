// The conv rule's kernel (src/unravel/rules/conv-kernel.ts: channel-last reads, sums in registers) against the
// rule as first written (test/helpers/conv-reference.ts: gathered patches): the same parent for every fixation,
// on seeded tensors with integer values (ties everywhere) and on real models' whole walks, masses included. Float32
// layers with 8 or more input channels per group run in WebAssembly SIMD (src/unravel/wasm/conv.wat), on a whole
// channel-last copy of the input or a sparse one (the positions few fixations read): the seeded cases run with it
// and without it, with its memory arena capped so that it starts over or refuses layers, and with
// its region of kept filters full or none; real models' walks on fresh forward passes, with the filters kept across them.
import { strict as assert } from 'node:assert';
import { Explainer, topK, type ExplainOverrides } from '../../src/explain';
import { fixturePath } from '../../src/fixtures';
import { SessionCache } from '../../src/runtime/session';
import * as kernel from '../../src/unravel/rules/conv-kernel';
import { backConv } from '../../src/unravel/rules/conv-kernel';
import type { ConvGeometry } from '../../src/unravel/rules/conv';
import type { Activation } from '../../src/unravel/tensor';
import type { ConvMode } from '../../src/unravel/types';
import type { UnravelResult } from '../../src/unravel/walk';
import { convChannelKernel } from '../../src/unravel/wasm/conv';
import { useChoiceMemo } from '../../src/unravel/memo';
import { backConvReference, geometry, type Case } from '../helpers/conv-reference';
import { rng } from '../helpers/onnx-build';

function outSize(geo: ConvGeometry): number {
  return geo.outDims.reduce((a, b) => a * b, 1);
}

const cases: Case[] = [
  { cin: 8, cout: 6, h: 7, w: 9, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 },
  { cin: 6, cout: 4, h: 8, w: 8, k: [3, 3], stride: 2, pad: 1, dilation: 1, group: 2 },
  { cin: 16, cout: 16, h: 6, w: 6, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 16 },
  { cin: 12, cout: 5, h: 5, w: 5, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
  { cin: 3, cout: 4, h: 11, w: 10, k: [7, 7], stride: 2, pad: 3, dilation: 1, group: 1 },
  { cin: 4, cout: 3, h: 9, w: 9, k: [3, 2], stride: 1, pad: 2, dilation: 2, group: 1 },
  { cin: 2, cout: 2, h: 2, w: 2, k: [5, 5], stride: 1, pad: 3, dilation: 1, group: 1 },
  // Planes large enough that a single fixation reads the input in place (no channel-last copy).
  { cin: 4, cout: 3, h: 24, w: 24, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 },
  { cin: 6, cout: 4, h: 16, w: 16, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 2 },
  // Channels enough for the WebAssembly kernel: an odd count (a last channel outside the lane pairs), groups, 1×1.
  { cin: 33, cout: 5, h: 6, w: 7, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 },
  { cin: 18, cout: 4, h: 5, w: 5, k: [3, 3], stride: 2, pad: 1, dilation: 1, group: 2 },
  { cin: 40, cout: 6, h: 4, w: 5, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
  // Four channels per step, then a pair (14 = 3·4 + 2), then a pair and an odd one (11 = 2·4 + 2 + 1).
  { cin: 14, cout: 4, h: 5, w: 6, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 },
  { cin: 11, cout: 3, h: 4, w: 4, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
  // Planes large enough that a few fixations read a sparse copy in WebAssembly (only the positions they read): padding,
  // a stride, dilation and groups; a channel count not a multiple of four (gathered four channels at a time).
  { cin: 24, cout: 5, h: 20, w: 20, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 },
  { cin: 36, cout: 4, h: 18, w: 17, k: [3, 3], stride: 2, pad: 2, dilation: 2, group: 2 },
  { cin: 13, cout: 6, h: 16, w: 16, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
];

const modes: ConvMode[] = ['contribution', 'activation', 'center'];

/**
 * Class `cls`'s walk in `mode` with every conv on `reference`. The rule module calls the kernel through its CommonJS
 * exports: swapping the export runs whole walks on the reference, so every conv of a real model is compared with its
 * real activations and fixations.
 */
function referenceWalk(e: Explainer, cls: number, mode: ExplainOverrides['mode'], reference: typeof backConv = backConvReference): UnravelResult {
  const exports = kernel as { backConv: typeof backConv };
  const fast = exports.backConv;
  exports.backConv = reference;
  try {
    return e.explain(cls, { mode }).unravel;
  } finally {
    exports.backConv = fast;
  }
}

describe('conv kernel against the rule as first written', () => {
  for (const [i, c] of cases.entries()) {
    for (const quantized of [false, true]) {
      it(`${c.k.join('×')} kernel, ${c.cin}→${c.cout} channels, group ${c.group}, stride ${c.stride}, pad ${c.pad}, dilation ${c.dilation}${quantized ? ', uint8 with a zero point' : ''}`, () => {
        const r = rng(100 + i);
        const geo = geometry(c);
        const n = c.cin * c.h * c.w;
        const ints = (len: number, lo: number, hi: number) => Array.from({ length: len }, () => lo + Math.floor(r() * (hi - lo + 1)));
        const x: Activation = quantized
          ? { dims: [1, c.cin, c.h, c.w], data: Uint8Array.from(ints(n, 0, 6)), zero: 3, scale: 1 }
          : { dims: [1, c.cin, c.h, c.w], data: Float32Array.from(ints(n, -2, 3)), zero: 0, scale: 1 };
        const w = (quantized ? Int8Array : Float32Array).from(ints((c.cout * c.cin * c.k[0] * c.k[1]) / c.group, -2, 2));
        const sign = Float32Array.from({ length: c.cout }, () => (r() < 0.3 ? -1 : 1));
        const outs = outSize(geo);
        // Every output (read from the channel-last copy), one (read in place or from a sparse copy on large planes), and
        // two positions in every output channel (fixations sharing positions), with and without the signs.
        const few = Int32Array.of(Math.floor(r() * outs));
        const all = Int32Array.from({ length: outs }, (_, k) => k);
        const area = geo.outDims[2] * geo.outDims[3];
        const two = [Math.floor(r() * area), Math.floor(r() * area)].sort((a, b) => a - b);
        const shared = Int32Array.from({ length: 2 * c.cout }, (_, k) => Math.floor(k / 2) * area + two[k % 2]);
        const arena = convChannelKernel!;
        const { cap, filterCap } = arena;
        try {
          // The kernel's arena as it is (each call after the first keeps the filters it reads: the calls share them),
          // then capped so that a layer makes it start over (one input fits, not two), then so small that every layer
          // is refused and runs in TypeScript; the region of kept filters with room for a few, then for none.
          for (const [simd, arenaCap, keptCap] of [
            [true, cap, filterCap],
            [true, 8192, filterCap],
            [true, 16, filterCap],
            [true, cap, 1024],
            [true, cap, 0],
            [false, cap, filterCap],
          ] as const) {
            kernel.useConvSimd(simd);
            arena.cap = arenaCap;
            arena.filterCap = keptCap;
            if (keptCap < filterCap) arena.clearFilters();
            for (const fix of [all, few, shared])
              for (const mode of modes)
                for (const s of [undefined, sign]) {
                  const data = x.data.slice(); // a fresh tensor: no channel-last copy from an earlier call
                  const want = backConvReference(geo, { ...x, data }, w, fix, mode, s);
                  const got = backConv(geo, { ...x, data }, w, fix, mode, s);
                  assert.deepEqual(got, want, `${mode}, ${fix.length} fixations${s ? ', signed' : ''}${simd ? '' : ', TypeScript only'}`);
                }
          }
        } finally {
          kernel.useConvSimd(true);
          arena.cap = cap;
          arena.filterCap = filterCap;
        }
      });
    }
  }

  it('1×1: products that round to the same float32 are told apart by their exact values; overflow and NaN as the reference', () => {
    // The one-tap kernel finds the largest product rounded to float32, then chooses among the channels whose rounded
    // product equals it by the exact (double) product. 22 channels: two steps of eight, one of four, two alone.
    const cin = 22,
      positions = 5;
    const e = 2 ** -23;
    const a = 1 + e,
      b = 1 + 2 * e;
    assert.equal(Math.fround(a * a), Math.fround(b), 'a² and b round to the same float32');
    const x = new Float32Array(cin * positions);
    const at = (c: number, p: number) => c * positions + p;
    for (let c = 0; c < cin; c++) {
      // 0: a float32 tie (channels 3, 17, 21), exact 17 = 21 > 3; 1: the same with 3 and 21 only (21 alone in the tail)
      x[at(c, 0)] = c === 3 ? 1 : c === 17 || c === 21 ? a : 0.25;
      x[at(c, 1)] = c === 3 ? 1 : c === 21 ? a : 0.25;
      // 2: products of ±1e60, −∞ in float32 for every channel; 3: NaN in some channels, the largest product among them
      x[at(c, 2)] = 1e30;
      x[at(c, 3)] = c < 6 || c === 17 ? NaN : (c % 5) / 4;
      // 4: NaN everywhere: no channel wins, the first is chosen
      x[at(c, 4)] = NaN;
    }
    const cout = 4;
    const w = new Float32Array(cout * cin);
    for (let c = 0; c < cin; c++) {
      w[c] = c === 3 ? b : c === 17 || c === 21 ? a : 0.5;
      w[cin + c] = -w[c];
      w[2 * cin + c] = -1e30 * (2 - c / 64);
      w[3 * cin + c] = (c % 3) - 1 + c / 100;
    }
    const geo = geometry({ cin, cout, h: 1, w: positions, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 });
    const fix = Int32Array.from({ length: cout * positions }, (_, k) => k);
    const act: Activation = { dims: [1, cin, 1, positions], data: x, zero: 0, scale: 1 };
    for (const sign of [undefined, Float32Array.of(1, -1, 1, -1), Float32Array.of(-1, 1, -1, 1)]) {
      const want = backConvReference(geo, { ...act, data: x.slice() }, w, fix, 'contribution', sign);
      const got = backConv(geo, { ...act, data: x.slice() }, w, fix, 'contribution', sign);
      assert.deepEqual(got, want, sign ? `signs ${[...sign]}` : 'no signs');
      const channel = (k: number) => Math.floor(got.parents[k] / positions);
      if (!sign) {
        assert.deepEqual([0, 1, 2, 3, 4].map(channel), [17, 21, 3, 9, 0], 'output channel 0: exact ties (the first), the tail, NaN');
        assert.equal(channel(2 * positions + 2), cin - 1, 'output channel 2, −∞ in float32: the product nearest zero');
      } else if (sign[1] < 0) assert.equal(channel(positions), 17, 'output channel 1, its filter negated and its sign −1');
      else assert.equal(channel(2 * positions + 2), 0, 'output channel 2, sign −1, +∞ in float32: the largest exact product');
    }
  });

  it('the arena refuses a layer larger than its cap (the rule then runs in TypeScript) and keeps one that fits', () => {
    const arena = convChannelKernel!;
    const cap = arena.cap;
    const x = new Float32Array(64 * 100),
      w = new Float32Array(8 * 64 * 9);
    try {
      arena.forward({});
      arena.cap = x.length * 4 - 16;
      assert.equal(arena.layer(x, 64, 100, w, 64, 9), false);
      arena.cap = cap;
      assert.equal(arena.layer(x, 64, 100, w, 64, 9), true);
      assert.ok(arena.bytes >= 32768 + x.length * 4);
    } finally {
      arena.cap = cap;
    }
  });

  it('the arena holds each input channel-last, value for value, whatever its channel count and plane size', () => {
    // Channels and positions in blocks of four, the rest one by one; channels copied in steps of up to 32.
    const arena = convChannelKernel!;
    arena.forward({});
    for (const [cin, plane] of [
      [1, 1],
      [3, 5],
      [4, 4],
      [8, 7],
      [33, 13],
      [70, 49],
      [5, 3136],
      [3, 50176],
    ]) {
      const x = Float32Array.from({ length: cin * plane }, (_, i) => i + 0.5);
      assert.equal(arena.layer(x, cin, plane, new Float32Array(cin), cin, 1), true);
      const got = arena.values.slice(arena.inputAt, arena.inputAt + cin * plane);
      const want = new Float32Array(cin * plane);
      for (let c = 0; c < cin; c++) for (let p = 0; p < plane; p++) want[p * cin + c] = x[c * plane + p];
      assert.deepEqual(got, want, `${cin} channels × ${plane} positions`);
    }
  });

  it('a sparse copy holds the positions asked for channel-last, value for value, whatever the channel count', () => {
    // Channels gathered four at a time, the rest one by one; positions in any number, ascending.
    const arena = convChannelKernel!;
    arena.forward({});
    for (const [cin, plane, step] of [
      [1, 10, 3],
      [4, 49, 5],
      [13, 196, 7],
      [70, 784, 31],
      [1024, 196, 13],
    ]) {
      const x = Float32Array.from({ length: cin * plane }, (_, i) => i + 0.5);
      const positions = Int32Array.from({ length: Math.ceil(plane / step) }, (_, i) => i * step);
      assert.equal(arena.sparse(x, cin, plane, positions, positions.length, new Float32Array(cin), cin, 1), true);
      const got = arena.values.slice(arena.inputAt, arena.inputAt + positions.length * cin);
      const want = new Float32Array(positions.length * cin);
      positions.forEach((p, i) => {
        for (let c = 0; c < cin; c++) want[i * cin + c] = x[c * plane + p];
      });
      assert.deepEqual(got, want, `${cin} channels × ${positions.length} of ${plane} positions`);
      assert.equal(arena.holds(x), false, 'a sparse copy is not kept');
    }
  });

  it('few fixations on a large float input read a sparse copy; enough of them make the whole copy, kept for the forward pass', () => {
    const arena = convChannelKernel!;
    const sparse = arena.sparse;
    let sparseLayers = 0;
    arena.sparse = (...args) => (sparseLayers++, sparse.apply(arena, args));
    try {
      const r = rng(5);
      const c: Case = { cin: 64, cout: 4, h: 28, w: 28, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 };
      const geo = geometry(c);
      const x: Activation = { dims: [1, 64, 28, 28], data: Float32Array.from({ length: 64 * 784 }, () => Math.floor(r() * 7) - 3), zero: 0, scale: 1 };
      const w = Float32Array.from({ length: 4 * 64 }, () => Math.floor(r() * 5) - 2);
      arena.forward({});
      const few = Int32Array.of(3, 100, 784 + 100, 2 * 784 + 500);
      assert.deepEqual(backConv(geo, x, w, few, 'contribution'), backConvReference(geo, x, w, few, 'contribution'));
      assert.equal(sparseLayers, 1, 'a sparse copy of three positions');
      assert.equal(arena.holds(x.data as Float32Array), false);
      // Every position of one output channel: every line of the planes read, the whole copy pays.
      const plane = Int32Array.from({ length: 784 }, (_, k) => 784 + k);
      assert.deepEqual(backConv(geo, x, w, plane, 'activation'), backConvReference(geo, x, w, plane, 'activation'));
      assert.equal(sparseLayers, 1);
      assert.equal(arena.holds(x.data as Float32Array), true, 'the whole copy, kept');
    } finally {
      arena.sparse = sparse;
    }
  });

  it('the tap choice reads the channel-last input in the arena after its memory grew during the layer', () => {
    // Memory only grows: a filter that does not fit past the arena's top makes it grow while the layer runs, which
    // detaches every earlier view of it. The input (4096 channels, as large as the whole memory now: the copy makes
    // it grow, leaving a megabyte free above it) is copied in first, so that the growth inside backConv is the
    // filter's (800 kB, transposed in a slot past the top from a copy past the slot: past the megabyte).
    const arena = convChannelKernel!;
    arena.forward({});
    const cin = 4096,
      cout = 3,
      W = 7;
    const H = Math.max(7, Math.ceil(arena.bytes / (cin * W * 4)));
    const r = rng(7);
    const c: Case = { cin, cout, h: H, w: W, k: [7, 7], stride: 1, pad: 0, dilation: 1, group: 1 };
    const geo = geometry(c);
    const x: Activation = { dims: [1, cin, H, W], data: Float32Array.from({ length: cin * H * W }, () => Math.floor(r() * 7) - 3), zero: 0, scale: 1 };
    const w = Float32Array.from({ length: cout * cin * 49 }, () => Math.floor(r() * 5) - 2);
    // One fixation per output channel, at the first output row.
    const fix = Int32Array.from({ length: cout }, (_, k) => k * (H - 6));
    const want = backConvReference(geo, x, w, fix, 'contribution');
    assert.equal(arena.layer(x.data as Float32Array, cin, H * W, w, cin, 49), true);
    const before = arena.bytes;
    assert.deepEqual(backConv(geo, x, w, fix, 'contribution'), want);
    assert.ok(arena.bytes > before, 'the memory grew during the layer');
  });

  it('keeps filters across forward passes from the second walk through a layer, and starts the region over when it misses more than it finds', () => {
    const arena = convChannelKernel!;
    const filterCap = arena.filterCap;
    const r = rng(11);
    const c: Case = { cin: 16, cout: 8, h: 6, w: 6, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 };
    const geo = geometry(c);
    const data = Float32Array.from({ length: 16 * 36 }, () => Math.floor(r() * 7) - 3);
    const w = Float32Array.from({ length: 8 * 16 * 9 }, () => Math.floor(r() * 5) - 2);
    const fix = Int32Array.from({ length: outSize(geo) }, (_, k) => k);
    const want = backConvReference(geo, { dims: [1, 16, 6, 6], data, zero: 0, scale: 1 }, w, fix, 'contribution');
    // A forward pass: a fresh key, a fresh copy of the input (as onnxruntime hands each forward its own tensors).
    const walk = () => {
      arena.forward({});
      assert.deepEqual(backConv(geo, { dims: [1, 16, 6, 6], data: data.slice(), zero: 0, scale: 1 }, w, fix, 'contribution'), want);
      return arena.filterBytes;
    };
    const filter = 16 * 9 * 4;
    try {
      arena.clearFilters();
      assert.equal(walk(), 0, 'the first walk through the layer keeps no filter');
      assert.equal(walk(), 8 * filter, 'the second keeps every channel it reads');
      assert.equal(walk(), 8 * filter, 'the third finds them all');
      // Room for three channels: the other five miss on every walk, more than the three found.
      arena.clearFilters();
      arena.filterCap = 3 * filter;
      assert.equal(walk(), 0, 'no room: the last forward pass wanted no filter');
      assert.equal(walk(), 3 * filter, 'room for what the last pass wanted, within the cap');
      assert.equal(walk(), 3 * filter, 'a region that filled on the last pass is kept');
      arena.forward({});
      assert.equal(arena.filterBytes, 0, 'a forward pass after one that found the region full and missed more than it found starts it over');
    } finally {
      arena.filterCap = filterCap;
      arena.clearFilters();
    }
  });

  it('the WebAssembly SIMD kernel loads here (Node 20 has SIMD): the float models run on it', () => {
    assert.equal(kernel.useConvSimd(true), true);
  });

  const models = ['shufflenet-v2-12-qdq', 'mobilenetv2-12-dequantized-fp32'];
  for (const name of models) {
    it(`whole walks on ${name}: the same fixations and masses in every mode`, async function () {
      this.timeout(120_000);
      const e = await Explainer.create(fixturePath(`models/${name}.onnx`), { image: fixturePath('images/pelican.jpeg') }, { labels: [] }, new SessionCache());
      let referenceCalls = 0;
      const reference: typeof backConv = (...args) => (referenceCalls++, backConvReference(...args));
      // Without the per-forward memo (memo.ts), which would hand the second walk the first one's choices.
      const memo = useChoiceMemo(false);
      try {
        for (const cls of topK(e.probs, 2))
          for (const mode of ['paper', 'weighted', 'discriminative'] as const) {
            const got = e.explain(cls, { mode }).unravel;
            const want = referenceWalk(e, cls, mode, reference);
            assert.equal(got.layers.length, want.layers.length);
            got.layers.forEach((l, k) => {
              assert.deepEqual(l.fixations, want.layers[k].fixations, `${mode}, class ${cls}, ${l.node}`);
              assert.deepEqual(l.mass, want.layers[k].mass, `${mode}, class ${cls}, ${l.node} masses`);
            });
            assert.deepEqual(got.input, want.input);
          }
      } finally {
        useChoiceMemo(memo.on, memo.limit);
      }
      assert.ok(referenceCalls > 0, 'the walks ran on the reference');
    });
  }
  // Filters kept across forward passes (the region as it is, then with room for a few so that it misses, starts over
  // and fills again): every conv of fresh forwards against the reference, two classes, two modes.
  it('whole walks on fresh forward passes of mobilenetv2-12-dequantized-fp32, with the filters kept across them', async function () {
    this.timeout(120_000);
    const e = await Explainer.create(
      fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx'),
      { image: fixturePath('images/pelican.jpeg') },
      { labels: [] },
      new SessionCache(),
    );
    const arena = convChannelKernel!;
    const filterCap = arena.filterCap;
    const memo = useChoiceMemo(false);
    let kept = 0;
    try {
      for (const cap of [filterCap, 64 * 1024]) {
        arena.filterCap = cap;
        arena.clearFilters();
        for (let pass = 0; pass < 3; pass++) {
          const fresh = await e.again();
          for (const cls of topK(fresh.probs, 2))
            for (const mode of ['paper', 'weighted'] as const) {
              const got = fresh.explain(cls, { mode }).unravel;
              kept = Math.max(kept, arena.filterBytes);
              const want = referenceWalk(fresh, cls, mode);
              got.layers.forEach((l, k) => {
                assert.deepEqual(l.fixations, want.layers[k].fixations, `pass ${pass}, ${mode}, class ${cls}, ${l.node}`);
                assert.deepEqual(l.mass, want.layers[k].mass, `pass ${pass}, ${mode}, class ${cls}, ${l.node} masses`);
              });
              assert.deepEqual(got.input, want.input);
            }
        }
        assert.ok(arena.filterBytes > 0 && arena.filterBytes <= cap, `filters kept within ${cap} bytes`);
      }
    } finally {
      useChoiceMemo(memo.on, memo.limit);
      arena.filterCap = filterCap;
    }
    assert.ok(kept > 64 * 1024, 'the region as it is keeps more than the small one holds');
  });
});
