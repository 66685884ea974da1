// Masses (ALGORITHM.md, "Weighted and class-discriminative explanations") on graphs that use every rule family,
// run in onnxruntime on seeded inputs: every rule call sends on exactly the mass it received (the walk would
// spread a loss, so the rules are checked before it can), the input's masses sum to 1, and the set of fixations
// is exactly the paper's. Then the class contrast: where it starts, and what it refuses.
import { strict as assert } from 'node:assert';
import { seededRandom } from '../../src/eval/metrics';
import { openModel, runForward, type ForwardResult, type OpenModel } from '../../src/runtime/session';
import { merge, totalMass, type Fixations } from '../../src/unravel/fixations';
import { classContrast } from '../../src/unravel/contrast';
import { defaultOps, wrapRules } from '../../src/unravel/ops';
import { defaultUnravelOptions, type ConvMode, type UnravelOptions } from '../../src/unravel/types';
import { Unraveler } from '../../src/unravel/walk';
import { buildModel, randomTensor, type ModelSpec } from '../helpers/onnx-build';
import { tmpFile } from '../helpers/tmp';

interface Call {
  readonly op: string;
  readonly node: string;
  readonly received: number;
  readonly sent: number;
}

/**
 * Runs `fn` on a walker of `open`'s graph whose op table has every rule wrapped to record the mass each call
 * received and sent (to non-constant inputs).
 */
function recordingMasses<T>(open: OpenModel, fn: (u: Unraveler) => T): { result: T; calls: Call[] } {
  const calls: Call[] = [];
  const sentBy = (node: { input(i: number): string }, ins: readonly (Fixations | undefined)[], isConst: (t: string) => boolean) =>
    ins.reduce((s, f, i) => s + (f && node.input(i) && !isConst(node.input(i)) ? totalMass(f) : 0), 0);
  const ops = wrapRules(defaultOps, (rule, { opType: op }) => ({
    ...rule,
    back(node, outputs, ctx) {
      const ins = rule.back(node, outputs, ctx);
      calls.push({ op, node: node.name, received: outputs.reduce((s, o) => s + totalMass(o), 0), sent: sentBy(node, ins, (t) => ctx.constants.has(t)) });
      return ins;
    },
    weighted: rule.weighted && {
      neuron: rule.weighted.neuron,
      back(node, outputs, coefficients, ctx) {
        const ins = rule.weighted!.back(node, outputs, coefficients, ctx);
        calls.push({ op, node: node.name, received: outputs.reduce((s, o) => s + totalMass(o), 0), sent: sentBy(node, ins, (t) => ctx.constants.has(t)) });
        return ins;
      },
    },
  }));
  return { result: fn(new Unraveler(open.model.graph, ops)), calls };
}

const r = seededRandom(20261130);
const weight = (name: string, dims: number[]) => ({
  name,
  dims,
  values: randomTensor(
    dims.reduce((a, b) => a * b, 1),
    r,
  ),
});
const i64 = (name: string, values: number[]) => ({ name, dims: [values.length], type: 7, values });

/** Every float rule family on one path: conv (padded, grouped, 1×1), pools, residual Add, swish Mul, SE gate, Concat, Split, Slice, Pad, Transpose, views, Gemm. */
const families: ModelSpec = {
  inputs: [{ name: 'x', dims: [1, 3, 12, 12] }],
  outputs: [{ name: 'y', dims: [1, 5] }],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
    { op: 'Conv', inputs: ['p1', 'w2'], outputs: ['c2'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 } },
    { op: 'Sigmoid', inputs: ['c2'], outputs: ['s2'] },
    { op: 'Mul', inputs: ['c2', 's2'], outputs: ['m2'] },
    { op: 'Add', inputs: ['m2', 'p1'], outputs: ['a2'] },
    { op: 'GlobalAveragePool', inputs: ['a2'], outputs: ['g2'] },
    { op: 'Sigmoid', inputs: ['g2'], outputs: ['gate'] },
    { op: 'Mul', inputs: ['a2', 'gate'], outputs: ['se'] },
    { op: 'Conv', inputs: ['se', 'w3'], outputs: ['c3'], attrs: { kernel_shape: [1, 1] } },
    { op: 'Concat', inputs: ['se', 'c3'], outputs: ['cat'], attrs: { axis: 1 } },
    { op: 'Split', inputs: ['cat', 'split'], outputs: ['sa', 'sb'], attrs: { axis: 1 } },
    { op: 'Add', inputs: ['sa', 'sb'], outputs: ['ab'] },
    { op: 'Transpose', inputs: ['ab'], outputs: ['t'], attrs: { perm: [0, 1, 3, 2] } },
    { op: 'Pad', inputs: ['t', 'pads'], outputs: ['pd'] },
    { op: 'AveragePool', inputs: ['pd'], outputs: ['ap'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
    { op: 'Slice', inputs: ['ap', 'st', 'en', 'ax'], outputs: ['sl'] },
    { op: 'ReduceMean', inputs: ['sl'], outputs: ['rm'], attrs: { axes: [2, 3], keepdims: 1 } },
    { op: 'Flatten', inputs: ['rm'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 } },
  ],
  initializers: [
    weight('w1', [4, 3, 3, 3]),
    weight('b1', [4]),
    weight('w2', [4, 2, 3, 3]),
    weight('w3', [2, 4, 1, 1]),
    i64('split', [3, 3]),
    i64('pads', [0, 0, 1, 1, 0, 0, 1, 1]),
    i64('st', [1]),
    i64('en', [3]),
    i64('ax', [1]),
    weight('wf', [5, 2]),
    weight('bf', [5]),
  ],
};

/** VGG-like: a fully connected layer over a flattened map (argmax mode), then FC → Relu → FC (positive mode), MatMul head. */
const flattened: ModelSpec = {
  inputs: [{ name: 'x', dims: [1, 2, 6, 6] }],
  outputs: [{ name: 'y', dims: [1, 4] }],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], strides: [2, 2] } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Flatten', inputs: ['r1'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'w6', 'b6'], outputs: ['fc6'], attrs: { transB: 1 } },
    { op: 'Relu', inputs: ['fc6'], outputs: ['r6'] },
    { op: 'Gemm', inputs: ['r6', 'w7'], outputs: ['fc7'] },
    { op: 'Relu', inputs: ['fc7'], outputs: ['r7'] },
    { op: 'MatMul', inputs: ['r7', 'w8'], outputs: ['y'] },
  ],
  initializers: [weight('w1', [6, 2, 3, 3]), weight('w6', [16, 24]), weight('b6', [16]), weight('w7', [16, 12]), weight('w8', [12, 4])],
};

/** SqueezeNet's head: a 1×1 conv to the class maps (grouped), ReLU, GAP, Flatten, Softmax. */
const convHead: ModelSpec = {
  inputs: [{ name: 'x', dims: [1, 4, 5, 5] }],
  outputs: [{ name: 'y', dims: [1, 6] }],
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', inputs: ['r1', 'wc', 'bc'], outputs: ['cls'], attrs: { kernel_shape: [1, 1], group: 2 } },
    { op: 'Relu', inputs: ['cls'], outputs: ['rc'] },
    { op: 'GlobalAveragePool', inputs: ['rc'], outputs: ['g'] },
    { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
    { op: 'Softmax', inputs: ['f'], outputs: ['y'], attrs: { axis: 1 } },
  ],
  initializers: [weight('w1', [8, 4, 3, 3]), weight('wc', [6, 4, 1, 1]), { ...weight('bc', [6]), values: new Float32Array(6).fill(0.5) }],
};

/**
 * Newer CNNs' ops on one path: ConvTranspose, ReLU6 as Min(Max), GELU with Erf, PixelShuffle (DepthToSpace),
 * SpaceToDepth, a per-position MatMul and LayerNormalization in NHWC (ConvNeXt), Gather, a written-out normalization.
 */
const newer: ModelSpec = {
  opset: 17,
  inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
  outputs: [{ name: 'y', dims: [1, 3] }],
  nodes: [
    { op: 'ConvTranspose', inputs: ['x', 'wt'], outputs: ['up'], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
    { op: 'Max', inputs: ['up', 'zero'], outputs: ['m0'] },
    { op: 'Min', inputs: ['m0', 'six'], outputs: ['r6'] },
    { op: 'SpaceToDepth', inputs: ['r6'], outputs: ['s2d'], attrs: { blocksize: 2 } },
    { op: 'Conv', inputs: ['s2d', 'w1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'Div', inputs: ['c1', 'sqrt2'], outputs: ['d'] },
    { op: 'Erf', inputs: ['d'], outputs: ['e'] },
    { op: 'Add', inputs: ['e', 'one'], outputs: ['e1'] },
    { op: 'Mul', inputs: ['c1', 'e1'], outputs: ['gelu'] },
    { op: 'DepthToSpace', inputs: ['gelu'], outputs: ['d2s'], attrs: { blocksize: 2, mode: 'CRD' } },
    { op: 'Transpose', inputs: ['d2s'], outputs: ['nhwc'], attrs: { perm: [0, 2, 3, 1] } },
    { op: 'LayerNormalization', inputs: ['nhwc', 'gamma', 'beta'], outputs: ['ln'], attrs: { axis: -1 } },
    { op: 'MatMul', inputs: ['ln', 'wp'], outputs: ['pw'] },
    { op: 'Transpose', inputs: ['pw'], outputs: ['nchw'], attrs: { perm: [0, 3, 1, 2] } },
    { op: 'Gather', inputs: ['nchw', 'pick'], outputs: ['g'], attrs: { axis: 1 } },
    { op: 'ReduceMean', inputs: ['g'], outputs: ['mu'], attrs: { axes: [1], keepdims: 1 } },
    { op: 'Sub', inputs: ['g', 'mu'], outputs: ['gc'] },
    { op: 'Mul', inputs: ['gc', 'gc'], outputs: ['sq'] },
    { op: 'ReduceMean', inputs: ['sq'], outputs: ['var'], attrs: { axes: [1], keepdims: 1 } },
    { op: 'Add', inputs: ['var', 'eps'], outputs: ['ve'] },
    { op: 'Sqrt', inputs: ['ve'], outputs: ['sd'] },
    { op: 'Div', inputs: ['gc', 'sd'], outputs: ['n'] },
    { op: 'GlobalAveragePool', inputs: ['n'], outputs: ['gap'] },
    { op: 'Flatten', inputs: ['gap'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 } },
  ],
  initializers: [
    weight('wt', [2, 2, 3, 3]),
    { name: 'zero', dims: [], values: [0] },
    { name: 'six', dims: [], values: [6] },
    weight('w1', [8, 8, 3, 3]),
    { name: 'sqrt2', dims: [], values: [Math.SQRT2] },
    { name: 'one', dims: [], values: [1] },
    weight('gamma', [2]),
    weight('beta', [2]),
    weight('wp', [2, 4]),
    i64('pick', [3, 1, 0]),
    { name: 'eps', dims: [], values: [1e-5] },
    weight('wf', [3, 3]),
  ],
};

let counter = 0;
async function forwardOf(spec: ModelSpec, seed: number): Promise<{ open: OpenModel; forward: ForwardResult }> {
  const open = await openModel(tmpFile(`masses-${counter++}.onnx`, buildModel(spec)));
  const inp = spec.inputs[0];
  const dims = inp.dims as number[];
  const data = randomTensor(
    dims.reduce((a, b) => a * b, 1),
    seededRandom(seed),
    0,
    1,
  );
  return { open, forward: await runForward(open, { name: inp.name, dims, data }) };
}

function checkConserved(calls: readonly Call[], allowLoss: ReadonlySet<string>): void {
  assert.ok(calls.length > 0, 'rules ran');
  for (const c of calls) {
    assert.ok(c.sent <= c.received * (1 + 1e-12) + 1e-15, `${c.op} '${c.node}' created mass: received ${c.received}, sent ${c.sent}`);
    if (!allowLoss.has(c.op))
      assert.ok(Math.abs(c.sent - c.received) <= 1e-12 * Math.max(1, c.received), `${c.op} '${c.node}' lost mass: received ${c.received}, sent ${c.sent}`);
  }
}

const sum = (m: Float64Array | undefined) => (m ? m.reduce((a, b) => a + b, 0) : NaN);

describe("masses: conserved by every rule family, on the paper's fixations", () => {
  const cases: [string, ModelSpec, string[]][] = [
    ['conv, pools, residual Add, swish and SE Mul, Concat, Split, Slice, Pad, Transpose, Gemm', families, ['Pad']],
    ['FC over a flattened map (argmax), FC → FC (positive), MatMul head', flattened, []],
    ['a grouped 1×1 conv classifier behind GAP and Softmax', convHead, []],
    ["ConvTranspose, ReLU6, GELU, PixelShuffle, SpaceToDepth, ConvNeXt's NHWC block, Gather, a written-out normalization", newer, []],
  ];
  for (const [name, spec, lossy] of cases) {
    for (const convMode of ['contribution', 'center', 'activation'] as ConvMode[]) {
      it(`${name}, conv mode ${convMode}: every class`, async () => {
        const { open, forward } = await forwardOf(spec, 11);
        const out = spec.outputs[0];
        const classes = (out.dims as number[])[1];
        for (let k = 0; k < classes; k++) {
          const paper = open.unraveler.unravel(forward, out.name, k, 'x', { ...defaultUnravelOptions, convMode });
          const { result: weighted, calls } = recordingMasses(open, (u) =>
            u.unravel(forward, out.name, k, 'x', { ...defaultUnravelOptions, convMode, masses: true }),
          );
          checkConserved(calls, new Set(lossy));
          if (spec === newer)
            for (const op of ['ConvTranspose', 'Max', 'Min', 'SpaceToDepth', 'Erf', 'DepthToSpace', 'LayerNormalization', 'MatMul', 'Gather', 'Sub'])
              assert.ok(
                calls.some((c) => c.op === op),
                `the walk went through ${op}`,
              );
          assert.deepEqual([...weighted.input.fixations], [...paper.input.fixations], `class ${k}: the set is the paper's`);
          assert.deepEqual(
            weighted.layers.map((l) => [l.tensor, [...l.fixations]]),
            paper.layers.map((l) => [l.tensor, [...l.fixations]]),
            `class ${k}: every layer's set is the paper's`,
          );
          assert.equal(weighted.input.mass!.length, weighted.input.fixations.length);
          assert.ok(Math.abs(sum(weighted.input.mass) - 1) < 1e-9, `class ${k}: input masses sum to ${sum(weighted.input.mass)}`);
          assert.ok(
            weighted.input.mass!.every((m) => m >= 0),
            'masses are never negative',
          );
          assert.equal(paper.input.mass, undefined);
          // a layer record's masses are the share of the target's mass that passed through that tensor
          for (const l of weighted.layers) assert.ok(sum(l.mass) <= 1 + 1e-9, `${l.tensor} holds ${sum(l.mass)}`);
        }
      });
    }
  }

  it('merges the masses of fixations that land on one element', () => {
    const a: Fixations = { index: Int32Array.of(7, 3), mass: Float64Array.of(0.3, 0.1) };
    const b: Fixations = { index: Int32Array.of(3, 9), mass: Float64Array.of(0.2, 0.4) };
    const m = merge([a, b]);
    assert.deepEqual([...m.index], [3, 7, 9]);
    assert.deepEqual(
      [...m.mass!].map((v) => +v.toFixed(12)),
      [0.3, 0.3, 0.4],
    );
    assert.deepEqual([...merge([{ index: Int32Array.of(5, 1, 5), mass: undefined }]).index], [1, 5]);
  });

  it('Pad: the mass of fixations on constant padding is spread over the rest, and said', async () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', dims: [1, 1, 2, 2] }],
      outputs: [{ name: 'y', dims: [1, 2] }],
      nodes: [
        { op: 'Pad', inputs: ['x', 'pads'], outputs: ['p'] },
        { op: 'Flatten', inputs: ['p'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'w'], outputs: ['y'], attrs: { transB: 1 } },
      ],
      // the padded map is 4×4: the 12 border elements are padding (0), the 4 inside the input
      initializers: [
        i64('pads', [0, 0, 1, 1, 0, 0, 1, 1]),
        { name: 'w', dims: [2, 16], values: Float32Array.from({ length: 32 }, (_, i) => (i < 16 ? 1 : -1)) },
      ],
    };
    const open = await openModel(tmpFile(`masses-pad.onnx`, buildModel(spec)));
    const forward = await runForward(open, { name: 'x', dims: [1, 1, 2, 2], data: Float32Array.of(1, 2, 3, 4) });
    const u = open.unraveler.unravel(forward, 'y', 0, 'x', { ...defaultUnravelOptions, flattenMode: 'positive', masses: true });
    // positive contributions only from the 4 inner elements (padding contributes 0): nothing is lost here
    assert.deepEqual(
      [...u.input.mass!].map((m) => +m.toFixed(6)),
      [0.1, 0.2, 0.3, 0.4],
    );
    // class 1 has no positive contribution: the fallback argmax is the first padded element, which has no parent
    const lost = open.unraveler.unravel(forward, 'y', 1, 'x', { ...defaultUnravelOptions, flattenMode: 'positive', masses: true });
    assert.equal(lost.input.fixations.length, 0, 'nothing reaches the input');
    assert.ok(
      lost.layers.some((l) => l.notes.some((n) => /no parent/.test(n))),
      'the Pad says its fixations had no parent',
    );
  });
});

describe('class contrast: where it starts and what it refuses', () => {
  it('starts at the first weighted node, the classifier, and changes only what lies below it', async () => {
    const { open, forward } = await forwardOf(flattened, 5);
    const logits = open.unraveler.values(forward, 'y');
    const k = logits.indexOf(Math.max(...logits));
    const base: UnravelOptions = { ...defaultUnravelOptions, masses: true };
    const others = open.unraveler.unravel(forward, 'y', k, 'x', { ...base, contrast: classContrast({ kind: 'others' }, k, logits) });
    assert.equal(others.contrastNode, "MatMul 'MatMul_7'", 'the head, not fc7 or fc6');
    const plain = open.unraveler.unravel(forward, 'y', k, 'x', base);
    assert.deepEqual(others.layers[0], plain.layers[0], 'the output record is the same');
    assert.ok(Math.abs(sum(others.input.mass) - 1) < 1e-9);
  });

  it("a conv classifier (SqueezeNet) contrasts its output channels at the target's position, within the group", async () => {
    const { open, forward } = await forwardOf(convHead, 3);
    const logits = open.unraveler.values(forward, 'f');
    const base: UnravelOptions = { ...defaultUnravelOptions, masses: true };
    const { result, calls } = recordingMasses(open, (u) =>
      u.unravel(forward, 'y', 1, 'x', { ...base, contrast: classContrast({ kind: 'versus', versus: 2 }, 1, logits) }),
    );
    checkConserved(calls, new Set());
    assert.equal(result.contrastNode, "Conv 'Conv_2'");
    assert.equal(result.input.fixations.length > 0, true);
    // classes 1 and 3 sit in different groups of the grouped classifier (channels 0–2 and 3–5)
    assert.throws(
      () => open.unraveler.unravel(forward, 'y', 1, 'x', { ...base, contrast: classContrast({ kind: 'versus', versus: 3 }, 1, logits) }),
      /Conv node 'Conv_2'.*read different input groups/s,
    );
  });

  it('refuses a contrast against the target itself or out of range, and says why', () => {
    assert.throws(() => classContrast({ kind: 'versus', versus: 2 }, 2, new Float64Array(5)), /cannot be explained against itself/);
    assert.throws(() => classContrast({ kind: 'versus', versus: 5 }, 2, new Float64Array(5)), /out of range: the model has 5 classes \(0–4\)/);
    assert.throws(() => classContrast({ kind: 'others' }, 0, Float64Array.of(1, NaN, 2)), /not finite/);
  });

  it("alpha is the softmax of the other classes' logits; a class with a zero share is left out", () => {
    const c = classContrast({ kind: 'others' }, 0, Float64Array.of(9.5, 7, 4, -1e9));
    assert.deepEqual([...c.coefficients.keys()], [1, 2]);
    assert.ok(Math.abs(c.coefficients.get(1)! + 0.952574) < 1e-6 && Math.abs(c.coefficients.get(2)! + 0.047426) < 1e-6);
  });

  it('classes whose scores come from different weighted nodes: the contrast names them, paper mode still works', async () => {
    // An ensemble head: two Gemm heads stacked, the score of a class is the larger of the two. Head 'g2' wins
    // class 0 by its bias, head 'g1' every other class.
    const c = 4;
    const spec: ModelSpec = {
      inputs: [{ name: 'x', dims: [1, 6] }],
      outputs: [{ name: 'y', dims: [1, c] }],
      nodes: [
        { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['g1'], name: 'g1', attrs: { transB: 1 } },
        { op: 'Gemm', inputs: ['x', 'w2', 'b2'], outputs: ['g2'], name: 'g2', attrs: { transB: 1 } },
        { op: 'Concat', inputs: ['g1', 'g2'], outputs: ['both'], attrs: { axis: 0 } },
        { op: 'ReduceMax', inputs: ['both'], outputs: ['y'], attrs: { axes: [0], keepdims: 1 } },
      ],
      initializers: [
        weight('w1', [c, 6]),
        { name: 'b1', dims: [c], values: Float32Array.of(0, 50, 50, 50) },
        weight('w2', [c, 6]),
        { name: 'b2', dims: [c], values: Float32Array.of(100, -100, -100, -100) },
      ],
    };
    const open = await openModel(tmpFile('masses-ensemble.onnx', buildModel(spec)));
    const forward = await runForward(open, { name: 'x', dims: [1, 6], data: Float32Array.of(1, 2, 3, 4, 5, 6) });
    const logits = open.unraveler.values(forward, 'y');
    assert.ok(open.unraveler.unravel(forward, 'y', 1, 'x', defaultUnravelOptions).input.fixations.length > 0, 'paper mode explains class 1');
    assert.throws(
      () => open.unraveler.unravel(forward, 'y', 1, 'x', { ...defaultUnravelOptions, masses: true, contrast: classContrast({ kind: 'others' }, 1, logits) }),
      /Gemm node 'g1'.*class 0's score comes from Gemm 'g2'.*one classifier node/s,
    );
    const versus = open.unraveler.unravel(forward, 'y', 1, 'x', {
      ...defaultUnravelOptions,
      masses: true,
      contrast: classContrast({ kind: 'versus', versus: 2 }, 1, logits),
    });
    assert.equal(versus.contrastNode, "Gemm 'g1'", 'two classes of the same head can be contrasted');
  });
});
