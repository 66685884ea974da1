// A conv's output computed by the walk where the forward pass did not keep it (a residual Add's operand):
// the TypeScript sums against nested loops over every tap, the WebAssembly kernel's against the TypeScript ones,
// the exposure plan (the conv's input kept, not its output), and whole walks on onnxruntime's kept tensors against
// walks given the conv outputs as onnxruntime computes them.
import { strict as assert } from 'node:assert';
import { parseModel } from '../../src/onnx/graph';
import { openModel, type OpenModel } from '../../src/runtime/session';
import { defaultOps } from '../../src/unravel/ops';
import { planExposure } from '../../src/unravel/plan';
import { useConvSimd } from '../../src/unravel/rules/conv-kernel';
import { convValuesAt, convValuesInTypeScript } from '../../src/unravel/rules/conv-values';
import type { ConvGeometry } from '../../src/unravel/rules/conv';
import type { Activation } from '../../src/unravel/tensor';
import type { UnravelResult } from '../../src/unravel/walk';
import { geometry, type Case } from '../helpers/conv-reference';
import { buildModel, randomTensor, rng, type ModelSpec } from '../helpers/onnx-build';
import { keptWalksMatch, walkModes } from '../helpers/kept-walks';
import { tmpFile } from '../helpers/tmp';

/** Output element f of the conv, by nested loops over channels and taps (padding read as zero), in double precision. */
function reference(c: Case, geo: ConvGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | undefined, f: number): number {
  const [, cout, OH, OW] = geo.outDims;
  const cinG = c.cin / c.group,
    coutG = cout / c.group;
  const b = Math.floor(f / (cout * OH * OW)),
    co = Math.floor(f / (OH * OW)) % cout,
    oy = Math.floor(f / OW) % OH,
    ox = f % OW;
  const g = Math.floor(co / coutG);
  let s = 0;
  for (let ci = 0; ci < cinG; ci++)
    for (let u = 0; u < c.k[0]; u++)
      for (let v = 0; v < c.k[1]; v++) {
        const y = oy * c.stride - c.pad + u * c.dilation,
          xx = ox * c.stride - c.pad + v * c.dilation;
        const value = y >= 0 && y < c.h && xx >= 0 && xx < c.w ? x[((b * c.cin + g * cinG + ci) * c.h + y) * c.w + xx] : 0;
        s += value * w[((co * cinG + ci) * c.k[0] + u) * c.k[1] + v];
      }
  return Math.fround(bias ? s + bias[co] : s);
}

const cases: Case[] = [
  { cin: 64, cout: 256, h: 7, w: 7, k: [1, 1], stride: 1, pad: 0, dilation: 1, group: 1 },
  { cin: 21, cout: 10, h: 9, w: 8, k: [1, 1], stride: 2, pad: 0, dilation: 1, group: 1 },
  // a padded 1×1: the border's outputs read no input (their sums are 0, the bias alone)
  { cin: 12, cout: 5, h: 4, w: 5, k: [1, 1], stride: 1, pad: 1, dilation: 1, group: 1 },
  { cin: 13, cout: 6, h: 6, w: 7, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 1 },
  { cin: 32, cout: 8, h: 10, w: 10, k: [3, 3], stride: 2, pad: 1, dilation: 2, group: 2 },
  { cin: 16, cout: 16, h: 5, w: 5, k: [3, 3], stride: 1, pad: 1, dilation: 1, group: 16 },
  { cin: 3, cout: 4, h: 9, w: 9, k: [7, 7], stride: 2, pad: 3, dilation: 1, group: 1 },
];

describe('conv values where the forward pass did not keep them', () => {
  const r = rng(20261201);
  for (const c of cases) {
    const name = `${c.k.join('×')}, ${c.cin}→${c.cout} channels, group ${c.group}, stride ${c.stride}, pad ${c.pad}, dilation ${c.dilation}`;
    const batch = 2;
    const one = geometry(c);
    const geo: ConvGeometry = { ...one, outDims: [batch, ...one.outDims.slice(1)] };
    const x = randomTensor(batch * c.cin * c.h * c.w, r);
    const w = randomTensor((c.cout * c.cin * c.k[0] * c.k[1]) / c.group, r);
    const bias = randomTensor(c.cout, r);
    const act: Activation = { dims: [batch, c.cin, c.h, c.w], data: x, scale: 1, zero: 0 };
    const total = batch * c.cout * geo.outDims[2] * geo.outDims[3];

    it(`in TypeScript: ${name}: every element as the nested loops, any order, repeats`, () => {
      const at = Int32Array.from({ length: 300 }, () => Math.floor(r() * total));
      for (const b of [bias, undefined]) {
        const got = convValuesInTypeScript(geo, act, w, b, at);
        at.forEach((f, j) => assert.equal(got[j], reference(c, geo, x, w, b, f), `element ${f}`));
      }
    });

    it(`in the WebAssembly kernel: ${name}: the TypeScript values to the last bit of float32, few elements or many`, () => {
      assert.ok(useConvSimd(true), 'the kernel loads here');
      const one: Activation = { ...act, dims: [1, ...act.dims.slice(1)], data: x.subarray(0, c.cin * c.h * c.w) };
      const single: ConvGeometry = { ...geo, outDims: [1, ...geo.outDims.slice(1)] };
      for (const count of [5, Math.floor(total / 2)]) {
        const at = Int32Array.from(new Set(Array.from({ length: count }, () => Math.floor((r() * total) / batch)))).sort();
        const got = convValuesAt(single, one, w, bias, at, {});
        const want = convValuesInTypeScript(single, one, w, bias, at);
        at.forEach((f, j) => {
          const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want[j]) || 1e-30)) - 23);
          assert.ok(Math.abs(got[j] - want[j]) <= ulp + 1e-12, `element ${f}: ${got[j]} against ${want[j]}`);
        });
      }
    });
  }
});

/**
 * x → conv 3×3 → relu (r1) → conv 3×3 → relu (r2) → conv 1×1 (c3) → add r1 → relu (r3) → conv 1×1 stride 2 (d)
 * → add conv 1×1 stride 2 of r3 (e) → relu → global average pool → flatten → gemm (y): a residual block, and a
 * downsampling one whose two operands are conv outputs.
 */
function residualModel(seed: number): ModelSpec {
  const r = rng(seed);
  const conv = (name: string, cin: number, cout: number, k: number, extra: Record<string, number | number[]> = {}) =>
    [
      { name: `${name}_w`, dims: [cout, cin, k, k], values: randomTensor(cout * cin * k * k, r, -0.5, 0.5) },
      { name: `${name}_b`, dims: [cout], values: randomTensor(cout, r, -0.1, 0.1) },
    ].map((t) => ({ ...t, extra }));
  const inits = [...conv('c1', 3, 16, 3), ...conv('c2', 16, 16, 3), ...conv('c3', 16, 16, 1), ...conv('d', 16, 24, 1), ...conv('e', 16, 24, 1)];
  const node = (op: string, inputs: string[], output: string, attrs?: Record<string, number | number[]>) => ({ op, inputs, outputs: [output], attrs });
  return {
    opset: 13,
    inputs: [{ name: 'x', dims: [1, 3, 12, 12] }],
    outputs: [{ name: 'y', dims: [1, 10] }],
    initializers: [
      ...inits.map(({ name, dims, values }) => ({ name, dims, values })),
      { name: 'fc_w', dims: [10, 24], values: randomTensor(240, r) },
      { name: 'fc_b', dims: [10], values: randomTensor(10, r, -0.1, 0.1) },
    ],
    nodes: [
      node('Conv', ['x', 'c1_w', 'c1_b'], 'c1', { pads: [1, 1, 1, 1] }),
      node('Relu', ['c1'], 'r1'),
      node('Conv', ['r1', 'c2_w', 'c2_b'], 'c2', { pads: [1, 1, 1, 1] }),
      node('Relu', ['c2'], 'r2'),
      node('Conv', ['r2', 'c3_w', 'c3_b'], 'c3'),
      node('Add', ['c3', 'r1'], 's'),
      node('Relu', ['s'], 'r3'),
      node('Conv', ['r3', 'd_w', 'd_b'], 'd', { strides: [2, 2] }),
      node('Conv', ['r3', 'e_w', 'e_b'], 'e', { strides: [2, 2] }),
      node('Add', ['d', 'e'], 't'),
      node('Relu', ['t'], 'r4'),
      node('GlobalAveragePool', ['r4'], 'g'),
      node('Flatten', ['g'], 'f'),
      node('Gemm', ['f', 'fc_w', 'fc_b'], 'y', { transB: 1 }),
    ],
  };
}

describe('residual Adds of conv outputs: computed by the walk, not kept', () => {
  let open: OpenModel;
  before(async () => {
    open = await openModel(tmpFile('residual.onnx', buildModel(residualModel(5))));
  });
  after(async () => open?.session.release());

  it('the plan keeps the convs’ inputs, not the conv outputs the Adds read', () => {
    assert.deepEqual([...open.plan.expose], ['r1', 'r2', 'r3', 'r4', 'g']);
  });

  it('a conv output another rule reads whole stays kept', () => {
    const spec = residualModel(5);
    // c3 is also the input of a conv: the conv rule reads it, so it is kept
    spec.nodes.push({ op: 'Conv', inputs: ['c3', 'c3_w', 'c3_b'], outputs: ['c5'], attrs: undefined });
    spec.nodes.push({ op: 'GlobalAveragePool', inputs: ['c5'], outputs: ['g5'], attrs: undefined });
    spec.outputs.push({ name: 'g5' });
    assert.ok(planExposure(parseModel(buildModel(spec)), defaultOps).expose.includes('c3'));
  });

  for (const [label, options] of walkModes(10)) {
    it(`${label}: every class's walk on the kept tensors is the walk given onnxruntime's conv outputs, kernel and TypeScript alike`, async () => {
      const walks = await keptWalksMatch(open, [1, 3, 12, 12], ['c3', 'd', 'e'], 10, options, 11);
      const count = (w: UnravelResult, t: string) => w.layers.find((l) => l.tensor === t)?.count ?? 0;
      // the test could tell: both operands of both Adds got fixations in some walks
      assert.ok(walks.some((w) => count(w, 'c3') > 0 && count(w, 'd') > 0 && count(w, 'e') > 0));
    });
  }
});
