// The rules for operators of newer CNNs (ALGORITHM.md, Rules), each built into a small ONNX model and run in
// onnxruntime: index remaps send every output element to the input element holding its value, element-wise ops
// to the same element, ConvTranspose's taps reproduce onnxruntime's output and its parents a brute-force search.
import { strict as assert } from 'node:assert';
import { OnnxNode } from '../../src/onnx/graph';
import { tapsAt, transposedGeometry } from '../../src/unravel/rules/conv-transpose';
import { numel } from '../../src/unravel/tensor';
import { defaultUnravelOptions, type ConvMode } from '../../src/unravel/types';
import { randomTensor, rng, type ModelSpec, type NodeSpec } from '../helpers/onnx-build';
import { distinct, runSpec } from '../helpers/single-op';

const model = (nodes: NodeSpec[], dims: number[], extra: Partial<ModelSpec> = {}): ModelSpec => ({
  nodes,
  inputs: [{ name: 'x', dims }],
  outputs: [{ name: 'y' }],
  ...extra,
});
const i64 = (name: string, dims: number[], values: number[]) => ({ name, dims, type: 7, values });
const f32 = (name: string, dims: number[], values: ArrayLike<number>) => ({ name, dims, values });

describe('index remapping of Gather, DepthToSpace, SpaceToDepth, Max and Min in onnxruntime', () => {
  const cases: [string, ModelSpec][] = [
    [
      'Gather axis 1, constant indices with a negative one',
      model([{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: 1 } }], [1, 4, 3, 2], { initializers: [i64('i', [3], [2, -1, 0])] }),
    ],
    [
      'Gather of a 2-D index table along the last axis',
      model([{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: -1 } }], [1, 2, 5], { initializers: [i64('i', [2, 2], [4, 0, 1, 1])] }),
    ],
    [
      'Gather of a scalar index (the class token x[:, 0])',
      model([{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: 1 } }], [1, 3, 4], { initializers: [i64('i', [], [0])] }),
    ],
    [
      'Pad in mode wrap (opset 19)',
      model([{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: 'wrap' } }], [1, 2, 3, 4], {
        opset: 19,
        initializers: [i64('p', [8], [0, 0, 2, 1, 0, 0, 1, 3])],
      }),
    ],
    ['DepthToSpace DCR', model([{ op: 'DepthToSpace', inputs: ['x'], outputs: ['y'], attrs: { blocksize: 2 } }], [1, 8, 2, 3])],
    ['DepthToSpace CRD (PixelShuffle)', model([{ op: 'DepthToSpace', inputs: ['x'], outputs: ['y'], attrs: { blocksize: 2, mode: 'CRD' } }], [1, 8, 3, 2])],
    ['SpaceToDepth', model([{ op: 'SpaceToDepth', inputs: ['x'], outputs: ['y'], attrs: { blocksize: 2 } }], [1, 3, 4, 6])],
    [
      'SpaceToDepth then DepthToSpace block 3',
      model(
        [
          { op: 'SpaceToDepth', inputs: ['x'], outputs: ['s'], attrs: { blocksize: 3 } },
          { op: 'DepthToSpace', inputs: ['s'], outputs: ['y'], attrs: { blocksize: 3, mode: 'CRD' } },
        ],
        [1, 2, 3, 6],
      ),
    ],
    [
      'Max and Min of two activations (halves of a Split)',
      model(
        [
          { op: 'Split', inputs: ['x', 'sp'], outputs: ['a', 'b'], attrs: { axis: 1 } },
          { op: 'Max', inputs: ['a', 'b'], outputs: ['hi'] },
          { op: 'Min', inputs: ['a', 'b'], outputs: ['lo'] },
          { op: 'Concat', inputs: ['hi', 'lo'], outputs: ['y'], attrs: { axis: 1 } },
        ],
        [1, 4, 3, 3],
        { initializers: [i64('sp', [2], [2, 2])] },
      ),
    ],
    [
      // What torch 1.13 writes at opset 9 (the zoo's opset 9 column): every argument an attribute, none an input;
      // the Slice cuts exactly the padding away again, so every element has one parent.
      'opset 9 attribute forms: Pad, Slice, Split, Unsqueeze, Squeeze, Clip and Dropout',
      model(
        [
          { op: 'Pad', inputs: ['x'], outputs: ['p'], attrs: { pads: [0, 0, 1, 2, 0, 0, 0, 1], mode: 'constant', value: { float: 0 } } },
          { op: 'Slice', inputs: ['p'], outputs: ['s'], attrs: { starts: [1, 2], ends: [100, 6], axes: [2, 3] } },
          { op: 'Split', inputs: ['s'], outputs: ['a', 'b'], attrs: { axis: 1, split: [1, 2] } },
          { op: 'Unsqueeze', inputs: ['b'], outputs: ['u'], attrs: { axes: [0] } },
          { op: 'Squeeze', inputs: ['u'], outputs: ['q'], attrs: { axes: [0] } },
          { op: 'Clip', inputs: ['q'], outputs: ['c'], attrs: { min: { float: -1 }, max: { float: 100 } } },
          { op: 'Dropout', inputs: ['a'], outputs: ['d'], attrs: { ratio: { float: 0.5 } } },
          { op: 'Concat', inputs: ['c', 'd'], outputs: ['y'], attrs: { axis: 1 } },
        ],
        [1, 3, 3, 4],
        { opset: 9 },
      ),
    ],
  ];
  for (const [name, spec] of cases) {
    it(`${name}: inferred shape = onnxruntime's; each output element holds the value at its one parent`, async () => {
      const dims = spec.inputs[0].dims as number[];
      const x = distinct(numel(dims), name.length);
      const { open, forward, shapes } = await runSpec(spec, x);
      const y = forward.outputs.get('y')!;
      assert.deepEqual([...shapes.get('y')!], [...y.dims], 'shape');
      for (let f = 0; f < y.data.length; f++) {
        const parents = open.unraveler.unravel(forward, 'y', f, 'x').input.fixations;
        assert.equal(parents.length, 1, `element ${f} has one parent`);
        assert.equal(x[parents[0]], y.data[f], `element ${f}`);
      }
    });
  }

  it("Pad whose pads are computed at run time (from the input's values): read from the forward pass", async () => {
    const spec = model(
      [
        { op: 'ArgMax', inputs: ['x'], outputs: ['am'], attrs: { axis: 1, keepdims: 0 } },
        { op: 'ReduceMax', inputs: ['am'], outputs: ['top'], attrs: { keepdims: 1 } },
        { op: 'Reshape', inputs: ['top', 'one'], outputs: ['last'] },
        { op: 'Concat', inputs: ['zeros', 'last'], outputs: ['pads'], attrs: { axis: 0 } },
        { op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'] },
      ],
      [1, 3, 2, 2],
      { initializers: [i64('one', [1], [1]), i64('zeros', [7], [0, 0, 0, 0, 0, 0, 0])] },
    );
    const x = distinct(12, 4);
    const { open, forward } = await runSpec(spec, x);
    const y = forward.outputs.get('y')!;
    assert.ok(y.dims[3] > 2, 'the input pads its last axis');
    for (let f = 0; f < y.data.length; f++) {
      const parents = open.unraveler.unravel(forward, 'y', f, 'x').input.fixations;
      if (y.data[f] === 0) assert.equal(parents.length, 0, `element ${f} is padding`);
      else assert.equal(x[parents[0]], y.data[f], `element ${f}`);
    }
  });

  it('Gather with indices computed at run time is refused, naming the node', async () => {
    const spec: ModelSpec = {
      nodes: [
        { op: 'ArgMax', inputs: ['x'], outputs: ['i'], attrs: { axis: 1, keepdims: 0 } },
        { op: 'Gather', name: 'pick', inputs: ['x', 'i'], outputs: ['y'], attrs: { axis: 1 } },
      ],
      inputs: [{ name: 'x', dims: [1, 3, 2] }],
      outputs: [{ name: 'y', dims: ['?'] }],
    };
    const { open, forward } = await runSpec(spec, distinct(6, 1));
    assert.throws(() => open.unraveler.unravel(forward, 'y', 0, 'x'), /Gather node 'pick'.*computed at run time/s);
  });
});

describe('element-wise ops of newer CNNs pass each fixation to the same element', () => {
  const x = Float32Array.from(randomTensor(2 * 3 * 4, rng(9), -3, 9));
  const cases: [string, ModelSpec][] = [
    [
      'ReLU6 written as Min(Max(x, 0), 6)',
      model(
        [
          { op: 'Max', inputs: ['x', 'zero'], outputs: ['m'] },
          { op: 'Min', inputs: ['m', 'six'], outputs: ['y'] },
        ],
        [1, 2, 3, 4],
        { initializers: [f32('zero', [], [0]), f32('six', [], [6])] },
      ),
    ],
    [
      'GELU written with Erf: x · (1 + erf(x / √2)) / 2',
      model(
        [
          { op: 'Div', inputs: ['x', 'sqrt2'], outputs: ['d'] },
          { op: 'Erf', inputs: ['d'], outputs: ['e'] },
          { op: 'Add', inputs: ['e', 'one'], outputs: ['e1'] },
          { op: 'Mul', inputs: ['x', 'e1'], outputs: ['g'] },
          { op: 'Mul', inputs: ['g', 'half'], outputs: ['y'] },
        ],
        [1, 2, 3, 4],
        { initializers: [f32('sqrt2', [], [Math.SQRT2]), f32('one', [], [1]), f32('half', [], [0.5])] },
      ),
    ],
    [
      'unary arithmetic: Neg, Abs, Sqrt, Reciprocal, Exp, Log, Floor, Ceil, Round, Sign, Sin, Cos, Pow by a constant',
      model(
        [
          { op: 'Neg', inputs: ['x'], outputs: ['a'] },
          { op: 'Abs', inputs: ['a'], outputs: ['b'] },
          { op: 'Sqrt', inputs: ['b'], outputs: ['c'] },
          { op: 'Reciprocal', inputs: ['c'], outputs: ['d'] },
          { op: 'Exp', inputs: ['d'], outputs: ['e'] },
          { op: 'Log', inputs: ['e'], outputs: ['f'] },
          { op: 'Floor', inputs: ['f'], outputs: ['g'] },
          { op: 'Ceil', inputs: ['g'], outputs: ['h'] },
          { op: 'Round', inputs: ['h'], outputs: ['i'] },
          { op: 'Sign', inputs: ['i'], outputs: ['j'] },
          { op: 'Sin', inputs: ['j'], outputs: ['k'] },
          { op: 'Cos', inputs: ['k'], outputs: ['l'] },
          { op: 'Pow', inputs: ['l', 'two'], outputs: ['y'] },
        ],
        [1, 2, 3, 4],
        { initializers: [f32('two', [], [2])] },
      ),
    ],
    [
      'LayerNormalization over the last axis (opset 17)',
      model([{ op: 'LayerNormalization', inputs: ['x', 'gamma', 'beta'], outputs: ['y'], attrs: { axis: -1 } }], [1, 2, 3, 4], {
        opset: 17,
        initializers: [f32('gamma', [4], [1, 2, 3, 4]), f32('beta', [4], [0, 0, 1, 1])],
      }),
    ],
    [
      'normalization written out: (x − mean) / √(mean((x − mean)²) + ε) · γ + β over channels',
      model(
        [
          { op: 'ReduceMean', inputs: ['x'], outputs: ['mu'], attrs: { axes: [1], keepdims: 1 } },
          { op: 'Sub', inputs: ['x', 'mu'], outputs: ['xc'] },
          { op: 'Pow', inputs: ['xc', 'two'], outputs: ['sq'] },
          { op: 'ReduceMean', inputs: ['sq'], outputs: ['var'], attrs: { axes: [1], keepdims: 1 } },
          { op: 'Add', inputs: ['var', 'eps'], outputs: ['ve'] },
          { op: 'Sqrt', inputs: ['ve'], outputs: ['sd'] },
          { op: 'Div', inputs: ['xc', 'sd'], outputs: ['n'] },
          { op: 'Mul', inputs: ['n', 'gamma'], outputs: ['ng'] },
          { op: 'Add', inputs: ['ng', 'beta'], outputs: ['y'] },
        ],
        [1, 2, 3, 4],
        { initializers: [f32('two', [], [2]), f32('eps', [], [1e-6]), f32('gamma', [1, 2, 1, 1], [1, -1]), f32('beta', [1, 2, 1, 1], [0, 1])] },
      ),
    ],
  ];
  for (const [name, spec] of cases) {
    it(name, async () => {
      const { open, forward, shapes } = await runSpec(spec, x);
      const y = forward.outputs.get('y')!;
      assert.deepEqual([...shapes.get('y')!], [...y.dims], 'shape');
      for (let f = 0; f < y.data.length; f++) {
        assert.deepEqual([...open.unraveler.unravel(forward, 'y', f, 'x').input.fixations], [f], `element ${f}`);
      }
    });
  }
});

describe('ConvTranspose in onnxruntime', () => {
  const configs: [string, Record<string, number | number[] | string>, number[], number[]][] = [
    ["3×3 stride 2 pad 1 output_padding 1 (a decoder's ×2)", { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, [1, 3, 4, 5], [3, 2, 3, 3]],
    ["2×2 stride 2 (U-Net's up-convolution)", { strides: [2, 2] }, [1, 2, 3, 3], [2, 3, 2, 2]],
    ['dilation 2, asymmetric pads', { dilations: [2, 2], pads: [1, 0, 0, 2] }, [1, 2, 4, 4], [2, 2, 3, 3]],
    ['groups 2, stride 3 (outputs no tap reaches)', { group: 2, strides: [3, 2], kernel_shape: [2, 3] }, [1, 4, 3, 3], [4, 1, 2, 3]],
    [
      'output_shape one past the natural size (padding from the output size, negative total)',
      { strides: [3, 2], output_shape: [10, 8] },
      [1, 1, 3, 3],
      [1, 2, 3, 3],
    ],
    [
      "output_shape with output_padding (ONNX's test_convtranspose_kernel_shape)",
      { strides: [3, 2], output_padding: [1, 1], output_shape: [10, 8], kernel_shape: [3, 3] },
      [1, 1, 3, 3],
      [1, 2, 3, 3],
    ],
    ['auto_pad SAME_UPPER, stride 2, odd total padding', { auto_pad: 'SAME_UPPER', strides: [2, 2] }, [1, 2, 3, 3], [2, 2, 3, 3]],
    ['auto_pad SAME_LOWER, stride 2, odd total padding', { auto_pad: 'SAME_LOWER', strides: [2, 2] }, [1, 2, 3, 4], [2, 1, 3, 3]],
  ];
  for (const [name, attrs, xd, wd] of configs) {
    it(`${name}: shape and the sum over our taps are onnxruntime's; parents are a brute-force search's`, async () => {
      const r = rng(xd[3] * 7 + wd[1]);
      const x = randomTensor(numel(xd), r);
      const w = randomTensor(numel(wd), r);
      const spec = model([{ op: 'ConvTranspose', inputs: ['x', 'w'], outputs: ['y'], attrs }], xd, { initializers: [f32('w', wd, w)] });
      const { open, forward, shapes } = await runSpec(spec, x);
      const y = forward.outputs.get('y')!;
      assert.deepEqual([...shapes.get('y')!], [...y.dims], 'shape');
      const geo = transposedGeometry(new OnnxNode(0, 't', 'ConvTranspose', '', ['x', 'w'], ['y'], new Map(Object.entries(attrs))), xd, wd);
      const [gh, gw] = geo.axes;
      const [, cout, OH, OW] = y.dims;
      const G = (attrs.group as number) ?? 1,
        cinG = xd[1] / G,
        coutG = cout / G;
      const [H, W] = [xd[2], xd[3]],
        [kh, kw] = [wd[2], wd[3]];
      const at = (ci: number, iy: number, ix: number) => (ci * H + iy) * W + ix;
      const wAt = (ci: number, co: number, u: number, v: number) => ((ci * coutG + co) * kh + u) * kw + v;
      for (const convMode of ['contribution', 'activation', 'center'] as ConvMode[]) {
        for (let f = 0; f < y.data.length; f++) {
          const c = Math.floor(f / (OH * OW)),
            oy = Math.floor(f / OW) % OH,
            ox = f % OW,
            g = Math.floor(c / coutG);
          const rows = tapsAt(gh, oy),
            cols = tapsAt(gw, ox);
          // Brute force: every (input channel, position, tap) whose scatter lands on (oy, ox).
          const sums = new Float64Array(cinG);
          let reached = false;
          for (let k = 0; k < cinG; k++)
            for (let iy = 0; iy < H; iy++)
              for (let ix = 0; ix < W; ix++)
                for (let u = 0; u < kh; u++)
                  for (let v = 0; v < kw; v++) {
                    const sy = iy * gh.stride - gh.padBegin + u * gh.dilation,
                      sx = ix * gw.stride - gw.padBegin + v * gw.dilation;
                    if (sy !== oy || sx !== ox) continue;
                    reached = true;
                    sums[k] += x[at(g * cinG + k, iy, ix)] * w[wAt(g * cinG + k, c % coutG, u, v)];
                  }
          const ours = sums.reduce((a, b) => a + b, 0);
          if (convMode === 'contribution') assert.ok(Math.abs(ours - y.data[f]) < 1e-4, `element ${f}: the taps sum to ${ours}, onnxruntime has ${y.data[f]}`);
          assert.equal(reached, rows.input.length > 0 && cols.input.length > 0, `element ${f}: reached by a tap`);
          const parents = [...open.unraveler.unravel(forward, 'y', f, 'x', { ...defaultUnravelOptions, convMode }).input.fixations];
          if (!reached) {
            assert.deepEqual(parents, [], `element ${f} holds the bias alone: no parent`);
            continue;
          }
          const k = sums.indexOf(Math.max(...sums)),
            ci = g * cinG + k;
          let want = -1,
            top = -Infinity;
          if (convMode === 'center') want = at(ci, Math.min(H - 1, Math.floor(oy / gh.stride)), Math.min(W - 1, Math.floor(ox / gw.stride)));
          else
            for (let iy = 0; iy < H; iy++)
              for (let ix = 0; ix < W; ix++)
                for (let u = 0; u < kh; u++)
                  for (let v = 0; v < kw; v++) {
                    if (iy * gh.stride - gh.padBegin + u * gh.dilation !== oy || ix * gw.stride - gw.padBegin + v * gw.dilation !== ox) continue;
                    const val = convMode === 'activation' ? x[at(ci, iy, ix)] : x[at(ci, iy, ix)] * w[wAt(ci, c % coutG, u, v)];
                    if (val > top) {
                      top = val;
                      want = at(ci, iy, ix);
                    }
                  }
          assert.deepEqual(parents, [want], `element ${f}, conv mode ${convMode}`);
        }
      }
    });
  }

  it('1-D and 3-D: shape and parents by value against onnxruntime (every output element reached by one tap, a 1×1 kernel)', async () => {
    for (const [xd, wd, strides] of [
      [[1, 2, 5], [2, 3, 1], [2]],
      [
        [1, 2, 2, 3, 2],
        [2, 2, 1, 1, 1],
        [2, 1, 3],
      ],
    ] as const) {
      const r = rng(xd.length);
      // positive activations and a one-hot weight per output channel: y at a reached position is the picked channel's input
      const x = Float32Array.from(randomTensor(numel([...xd]), r), (v) => Math.abs(v) + 0.1);
      const w = new Float32Array(numel([...wd]));
      for (let co = 0; co < wd[1]; co++) w[(co % wd[0]) * wd[1] + co] = 1;
      const spec = model([{ op: 'ConvTranspose', inputs: ['x', 'w'], outputs: ['y'], attrs: { strides: [...strides] } }], [...xd], {
        initializers: [f32('w', [...wd], w)],
      });
      const { open, forward, shapes } = await runSpec(spec, x);
      const y = forward.outputs.get('y')!;
      assert.deepEqual([...shapes.get('y')!], [...y.dims], `${xd.length - 2}-D shape`);
      for (let f = 0; f < y.data.length; f++) {
        const parents = [...open.unraveler.unravel(forward, 'y', f, 'x', { ...defaultUnravelOptions, convMode: 'contribution' }).input.fixations];
        if (y.data[f] === 0) {
          assert.deepEqual(parents, [], `element ${f}: no tap, no parent`);
          continue;
        }
        assert.equal(parents.length, 1, `element ${f}: one parent`);
        assert.equal(x[parents[0]], y.data[f], `element ${f}: the parent holds its value`);
      }
    }
  });
});
