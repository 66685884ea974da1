// A conv input the forward pass does not keep, made by the walk from a channel Concat's inputs through a
// BatchNormalization and a ReLU (DenseNet's layers): the values against the formula, the conv rule on it against
// the reference rule on the tensor made whole (the WebAssembly kernel's whole and sparse copies, channel counts
// that are and are not multiples of four), the exposure plan, and whole walks on onnxruntime's kept tensors
// against walks given the tensors as onnxruntime computes them.
import { strict as assert } from 'node:assert';
import { openModel, runForward, type OpenModel } from '../../src/runtime/session';
import { runExposingPath } from '../../src/runtime/inspect';
import { backConv, convForward, useConvSimd } from '../../src/unravel/rules/conv-kernel';
import { derivedValue, planarActivation, type Activation, type DerivedChannels } from '../../src/unravel/tensor';
import { backConvReference, geometry, type Case } from '../helpers/conv-reference';
import { buildModel, randomTensor, rng, type ModelSpec } from '../helpers/onnx-build';
import { keptWalksMatch, walkModes } from '../helpers/kept-walks';
import { tmpFile } from '../helpers/tmp';

/** A derived activation of `parts` concatenated sources (channels each) on an h × w plane, with seeded statistics. */
function derived(parts: number[], h: number, w: number, relu: boolean, r: () => number): Activation {
  const plane = h * w;
  const sources = parts.map((c) => randomTensor(c * plane, r, -2, 2));
  const channels = parts.reduce((a, b) => a + b, 0);
  const input = new Int32Array(channels),
    at = new Int32Array(channels);
  let c = 0;
  parts.forEach((n, k) => {
    for (let j = 0; j < n; j++, c++) {
      input[c] = k;
      at[c] = j * plane;
    }
  });
  const scale = Float64Array.from({ length: channels }, () => r() * 2 - 0.5);
  const shift = Float64Array.from({ length: channels }, () => r() - 0.5);
  const d: DerivedChannels = { sources, input, at, scale, shift, relu };
  return { dims: [1, channels, h, w], data: new Float32Array(0), scale: 1, zero: 0, derived: d };
}

describe('a conv input made from a Concat’s inputs', () => {
  const r = rng(20261203);

  it('its values are the BatchNormalization (and ReLU) of the concatenated channels, rounded to float32', () => {
    const a = derived([3, 5], 4, 3, true, r);
    const d = a.derived!;
    const planar = planarActivation(a);
    let zeros = 0;
    for (let c = 0; c < 8; c++)
      for (let p = 0; p < 12; p++) {
        const src = c < 3 ? d.sources[0][c * 12 + p] : d.sources[1][(c - 3) * 12 + p];
        const want = Math.max(0, Math.fround(src * d.scale[c] + d.shift[c]));
        assert.equal(derivedValue(d, c, p), want);
        assert.equal(planar.data[c * 12 + p], want);
        if (want === 0) zeros++;
      }
    assert.ok(zeros > 0 && zeros < 96, 'the ReLU cuts some values and not all');
  });

  const cases: (Case & { parts: number[] })[] = [
    { parts: [16, 8, 8], cin: 32, cout: 12, h: 9, w: 9, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
    { parts: [8, 6], cin: 14, cout: 5, h: 7, w: 6, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
    { parts: [12, 4], cin: 16, cout: 6, h: 8, w: 8, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 },
  ];
  for (const c of cases) {
    for (const mode of ['contribution', 'activation'] as const) {
      it(`the conv rule, ${c.k.join('×')} on ${c.parts.join('+')} channels, ${mode}: the reference rule's parents on the tensor made whole, few fixations or many`, () => {
        const geo = geometry(c);
        const w = randomTensor((c.cout * c.cin * c.k[0] * c.k[1]) / c.group, r);
        const total = c.cout * geo.outDims[2] * geo.outDims[3];
        for (const count of [3, total]) {
          for (const simd of [true, false]) {
            useConvSimd(simd);
            const a = derived(c.parts, c.h, c.w, true, r);
            const fix = Int32Array.from(new Set(Array.from({ length: count }, () => Math.floor(r() * total)))).sort();
            convForward({});
            const got = backConv(geo, a, w, fix, mode);
            const want = backConvReference(geo, planarActivation(a), w, fix, mode);
            assert.deepEqual([...got.parents], [...want.parents], `${count} fixations, ${simd ? 'kernel' : 'TypeScript'}`);
          }
        }
        useConvSimd(true);
      });
    }
  }
});

/**
 * x → conv 3×3 → relu (r0, 16 channels) → conv 3×3 (n1, 8) → concat (r0, n1) → batch norm → relu (t1) → conv 1×1
 * (n2, 6) → concat (r0, n1, n2) → batch norm (t2, no ReLU) → conv 1×1 → relu → global average pool → flatten → gemm:
 * two dense layers, the second input's channels not a multiple of four.
 */
function denseModel(seed: number): ModelSpec {
  const r = rng(seed);
  const t = (name: string, dims: number[], lo = -0.5, hi = 0.5) => ({
    name,
    dims,
    values: randomTensor(
      dims.reduce((a, b) => a * b, 1),
      r,
      lo,
      hi,
    ),
  });
  const bn = (name: string, c: number) => [
    t(`${name}_g`, [c], 0.5, 1.5),
    t(`${name}_b`, [c], -0.3, 0.3),
    t(`${name}_m`, [c], -0.3, 0.3),
    t(`${name}_v`, [c], 0.2, 1.2),
  ];
  const node = (op: string, inputs: string[], output: string, attrs?: Record<string, number | number[]>) => ({ op, inputs, outputs: [output], attrs });
  return {
    opset: 13,
    inputs: [{ name: 'x', dims: [1, 3, 10, 10] }],
    outputs: [{ name: 'y', dims: [1, 7] }],
    initializers: [
      t('c0_w', [16, 3, 3, 3]),
      t('n1_w', [8, 16, 3, 3]),
      ...bn('bn1', 24),
      t('n2_w', [6, 24, 1, 1]),
      ...bn('bn2', 30),
      t('c3_w', [12, 30, 1, 1]),
      t('fc_w', [7, 12], -1, 1),
    ],
    nodes: [
      node('Conv', ['x', 'c0_w'], 'c0', { pads: [1, 1, 1, 1] }),
      node('Relu', ['c0'], 'r0'),
      node('Conv', ['r0', 'n1_w'], 'n1', { pads: [1, 1, 1, 1] }),
      node('Concat', ['r0', 'n1'], 'cat1', { axis: 1 }),
      node('BatchNormalization', ['cat1', 'bn1_g', 'bn1_b', 'bn1_m', 'bn1_v'], 'b1'),
      node('Relu', ['b1'], 't1'),
      node('Conv', ['t1', 'n2_w'], 'n2'),
      node('Concat', ['r0', 'n1', 'n2'], 'cat2', { axis: 1 }),
      node('BatchNormalization', ['cat2', 'bn2_g', 'bn2_b', 'bn2_m', 'bn2_v'], 't2'),
      node('Conv', ['t2', 'c3_w'], 'c3'),
      node('Relu', ['c3'], 'r3'),
      node('GlobalAveragePool', ['r3'], 'g'),
      node('Flatten', ['g'], 'f'),
      node('Gemm', ['f', 'fc_w'], 'y', { transB: 1 }),
    ],
  };
}

describe('dense layers: their inputs made by the walk, not kept', () => {
  let open: OpenModel;
  before(async () => {
    open = await openModel(tmpFile('dense.onnx', buildModel(denseModel(9))));
  });
  after(async () => open?.session.release());

  it('the plan keeps the Concats’ inputs, not the normalized tensors the convs read', () => {
    assert.deepEqual([...open.plan.expose], ['r0', 'n1', 'n2', 'r3', 'g']);
  });

  it('the values the drill-down shows are onnxruntime’s, to the last bit of float32', async () => {
    const feed = { name: 'x', dims: [1, 3, 10, 10], data: randomTensor(300, rng(17)) };
    const kept = await runForward(open, feed);
    const exposed = await runExposingPath(open, feed);
    for (const t of ['t1', 't2']) {
      const got = open.unraveler.values(kept, t);
      const want = exposed.get(t)!.data;
      assert.equal(got.length, want.length);
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 2 ** -22 * Math.max(1, Math.abs(want[i])), `${t}[${i}]: ${v} against ${want[i]}`));
    }
  });

  for (const [label, options] of walkModes(7)) {
    it(`${label}: every class's walk on the kept tensors is the walk given onnxruntime's normalized tensors, kernel and TypeScript alike`, async () => {
      const walks = await keptWalksMatch(open, [1, 3, 10, 10], ['t1', 't2'], 7, options, 13);
      assert.ok(
        walks.some((w) => w.layers.some((l) => l.tensor === 't1' && l.count > 0)),
        'the walks went through the first dense layer',
      );
    });
  }
});
