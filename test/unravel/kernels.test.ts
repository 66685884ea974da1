// Constant folding against onnxruntime: for each op with a kernel, a one-node model whose inputs are all
// initializers (so the output is a constant of the graph), run by onnxruntime; the product folds the same
// output through graphConstants, the path every rule reads constants by, and the values must agree (exactly for
// integers and booleans, to float32 rounding for floats). Attribute forms of old opsets are cases too.
import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import { parseModel } from '../../src/onnx/graph';
import { halfToFloat } from '../../src/onnx/tensor';
import { graphConstants } from '../../src/unravel/constants';
import { defaultOps } from '../../src/unravel/ops';
import { buildModel, type Attr, type TensorSpec } from '../helpers/onnx-build';

interface Case {
  readonly op: string;
  readonly what?: string;
  readonly inputs: readonly (TensorSpec | null)[];
  readonly attrs?: Record<string, Attr>;
  readonly outputs?: number;
  readonly opset?: number;
}

const f = (dims: number[], values: number[]): TensorSpec => ({ dims, values });
const i64 = (dims: number[], values: number[]): TensorSpec => ({ dims, type: 7, values });
const b = (dims: number[], values: number[]): TensorSpec => ({ dims, type: 9, values });
const i32 = (dims: number[], values: number[]): TensorSpec => ({ dims, type: 6, values });
const u8 = (dims: number[], values: number[]): TensorSpec => ({ dims, type: 2, values });
const i8 = (dims: number[], values: number[]): TensorSpec => ({ dims, type: 3, values });
const range = (n: number, scale = 1, offset = 0) => Array.from({ length: n }, (_, i) => (i + offset) * scale);

const x23 = f([2, 3], [-1.5, -0.5, 0.5, 1.5, 2.5, 0.25]);
const unit = f([2, 3], [-0.9, -0.4, 0, 0.3, 0.6, 0.95]);
const pos = f([2, 3], [0.5, 1, 2, 3.5, 10, 0.01]);
const big = f([2, 3], [1, 1.5, 2, 3, 7, 12]);
const x234 = f([2, 3, 4], range(24, 0.5, -11));
const i234 = i64([2, 3, 4], range(24, 1, -7));

const unaryCases: Case[] = [
  ...[
    'Abs',
    'Neg',
    'Floor',
    'Ceil',
    'Round',
    'Sign',
    'Erf',
    'Relu',
    'Sigmoid',
    'Tanh',
    'Softplus',
    'Softsign',
    'Identity',
    'Sin',
    'Cos',
    'Atan',
    'Sinh',
    'Asinh',
    'Exp',
    'Tan',
  ].map((op) => ({ op, inputs: [x23] })),
  ...['Asin', 'Acos', 'Atanh'].map((op) => ({ op, inputs: [unit] })),
  ...['Sqrt', 'Reciprocal', 'Log', 'Cosh'].map((op) => ({ op, inputs: [pos] })),
  { op: 'Acosh', inputs: [big] },
  { op: 'Abs', what: 'int64', inputs: [i64([4], [-3, 0, 2, -9])] },
  { op: 'Neg', what: 'int8', inputs: [i8([3], [-128, 5, 127])] },
  { op: 'Round', what: 'ties to even', inputs: [f([6], [0.5, 1.5, 2.5, -0.5, -1.5, 2.4999])] },
  { op: 'Mish', inputs: [x23], opset: 18 },
  { op: 'HardSwish', inputs: [x234], opset: 14 },
  { op: 'LeakyRelu', inputs: [x23], attrs: { alpha: 0.2 } },
  { op: 'Elu', inputs: [x23], attrs: { alpha: 0.7 } },
  { op: 'Celu', inputs: [x23], attrs: { alpha: 1.3 } },
  { op: 'Selu', inputs: [x23] },
  { op: 'HardSigmoid', inputs: [x234], attrs: { alpha: 0.3, beta: 0.4 } },
  { op: 'ThresholdedRelu', inputs: [x23], attrs: { alpha: 0.4 } },
  { op: 'Shrink', inputs: [x23], attrs: { bias: 0.2, lambd: 0.6 } },
  { op: 'Gelu', inputs: [x234], opset: 20 },
  { op: 'Gelu', what: 'tanh', inputs: [x234], attrs: { approximate: 'tanh' }, opset: 20 },
  { op: 'Not', inputs: [b([4], [1, 0, 0, 1])] },
  { op: 'IsNaN', inputs: [x23] },
  { op: 'IsInf', inputs: [x23], attrs: { detect_negative: 0 } },
  { op: 'BitwiseNot', inputs: [i32([3], [0, 5, -7])], opset: 18 },
];

const binaryCases: Case[] = [
  { op: 'Add', what: 'broadcast', inputs: [x234, f([3, 1], [1, 2, 3])] },
  { op: 'Sub', what: 'scalar', inputs: [f([], [2]), x234] },
  { op: 'Mul', what: 'int64 shape arithmetic', inputs: [i64([2], [3, 7]), i64([1], [2])] },
  { op: 'Div', what: 'float broadcast', inputs: [x234, f([4], [1, 2, 4, 8])] },
  { op: 'Div', what: 'int64 truncates toward zero', inputs: [i64([6], [7, -7, 7, -7, 1, 0]), i64([6], [2, 2, -2, -2, 3, 5])] },
  { op: 'Pow', inputs: [pos, f([], [1.5])] },
  { op: 'Mod', what: 'int64, the sign of the divisor', inputs: [i64([6], [7, -7, 7, -7, 6, 0]), i64([6], [3, 3, -3, -3, 3, 2])] },
  { op: 'Mod', what: 'fmod', inputs: [f([4], [7.5, -7.5, 2, -3]), f([4], [2, 2, -1.5, 5])], attrs: { fmod: 1 } },
  { op: 'BitShift', inputs: [u8([3], [1, 12, 200]), u8([3], [3, 2, 1])], attrs: { direction: 'RIGHT' }, opset: 11 },
  ...['BitwiseAnd', 'BitwiseOr', 'BitwiseXor'].map((op) => ({ op, inputs: [i32([3], [12, -1, 7]), i32([3], [10, 5, 2])], opset: 18 })),
  { op: 'And', inputs: [b([4], [1, 1, 0, 0]), b([4], [1, 0, 1, 0])] },
  { op: 'Or', inputs: [b([4], [1, 1, 0, 0]), b([4], [1, 0, 1, 0])] },
  { op: 'Xor', inputs: [b([4], [1, 1, 0, 0]), b([4], [1, 0, 1, 0])] },
  { op: 'Equal', inputs: [i234, i64([4], [-7, 0, 3, 100])] },
  { op: 'Less', inputs: [x234, f([], [0])] },
  { op: 'Greater', inputs: [x234, f([3, 1], [-2, 0, 2])] },
  { op: 'LessOrEqual', inputs: [i234, i64([], [0])], opset: 12 },
  { op: 'GreaterOrEqual', inputs: [x234, f([], [0])], opset: 12 },
  { op: 'PRelu', inputs: [x234, f([3, 1], [0.1, 0.2, 0.3])] },
  { op: 'Max', inputs: [x234, f([4], [0, 1, -1, 2]), f([3, 1], [-3, 0, 3])] },
  { op: 'Min', inputs: [x234, f([], [1.25])] },
  { op: 'Max', what: 'ReLU6 from the other side: int64 shape bounds', inputs: [i64([3], [-4, 9, 2]), i64([], [0])] },
  { op: 'Sum', inputs: [x234, f([4], [0, 1, -1, 2]), f([3, 1], [-3, 0, 3])] },
  { op: 'Mean', inputs: [x234, f([4], [0, 1, -1, 2])] },
  { op: 'Where', inputs: [b([4], [1, 0, 0, 1]), x234, f([], [-100])] },
];

const otherCases: Case[] = [
  { op: 'Cast', what: 'float → int64 truncates', inputs: [x23], attrs: { to: 7 } },
  { op: 'Cast', what: 'int64 → float', inputs: [i64([3], [-5, 0, 123456789])], attrs: { to: 1 } },
  { op: 'Cast', what: 'float → bool', inputs: [x23], attrs: { to: 9 } },
  { op: 'Cast', what: 'float → float16 rounds', inputs: [f([4], [0.1, 1 / 3, 65504, 3.14159])], attrs: { to: 10 } },
  { op: 'CastLike', inputs: [x23, i32([1], [0])], opset: 15 },
  { op: 'Clip', what: 'bounds as inputs', inputs: [x234, f([], [-1]), f([], [2])] },
  { op: 'Clip', what: 'max only', inputs: [x234, null, f([], [0.5])] },
  { op: 'Clip', what: 'attributes (opset 6)', inputs: [x234], attrs: { min: -0.5, max: { float: 1 } }, opset: 6 },
  { op: 'Dropout', inputs: [x23], outputs: 2 },
  { op: 'Dropout', what: 'training mode, ratio 0', inputs: [x23, f([], [0]), b([], [1])], outputs: 2 },
  { op: 'DequantizeLinear', what: 'per tensor', inputs: [u8([4], [0, 128, 200, 255]), f([], [0.05]), u8([], [128])] },
  { op: 'DequantizeLinear', what: 'per axis', inputs: [i8([3, 2], [-5, 7, 100, -100, 0, 1]), f([3], [0.1, 0.5, 2])], attrs: { axis: 0 } },
  { op: 'QuantizeLinear', what: 'uint8, ties to even, saturated', inputs: [f([5], [-10, 0.25, 0.75, 3, 100]), f([], [0.5]), u8([], [10])] },
  { op: 'QuantizeLinear', what: 'int8 per axis', inputs: [f([2, 2], [1, -1, 3, -300]), f([2], [0.5, 1]), i8([2], [0, 3])], attrs: { axis: 0 } },
];

const layoutCases: Case[] = [
  { op: 'Reshape', what: '0 copies, -1 infers', inputs: [x234, i64([3], [0, -1, 2])] },
  { op: 'Reshape', what: 'shape attribute (opset 1)', inputs: [x234], attrs: { shape: [4, 6] }, opset: 1 },
  { op: 'Flatten', inputs: [x234], attrs: { axis: 2 } },
  { op: 'Flatten', what: 'axis 0', inputs: [x234], attrs: { axis: 0 } },
  { op: 'Squeeze', what: 'axes input', inputs: [f([1, 3, 1], [1, 2, 3]), i64([1], [-1])] },
  { op: 'Squeeze', what: 'axes attribute (opset 11)', inputs: [f([1, 3, 1], [1, 2, 3])], attrs: { axes: [0] }, opset: 11 },
  { op: 'Squeeze', what: 'no axes', inputs: [f([1, 3, 1], [1, 2, 3])] },
  { op: 'Unsqueeze', inputs: [x23, i64([2], [0, -1])] },
  { op: 'Unsqueeze', what: 'axes attribute (opset 11)', inputs: [x23], attrs: { axes: [1] }, opset: 11 },
  { op: 'Transpose', inputs: [x234], attrs: { perm: [2, 0, 1] } },
  { op: 'Transpose', what: 'reversed by default', inputs: [x234] },
  { op: 'Slice', what: 'negative step, INT64 bounds', inputs: [x234, i64([2], [-1, 9.2e18]), i64([2], [-9.2e18, 0]), i64([2], [2, 1]), i64([2], [-1, -2])] },
  { op: 'Slice', what: 'steps', inputs: [x234, i64([1], [1]), i64([1], [4]), i64([1], [2]), i64([1], [2])] },
  { op: 'Slice', what: 'attributes (opset 9)', inputs: [x234], attrs: { starts: [0, 1], ends: [1, 100], axes: [0, 2] }, opset: 9 },
  { op: 'Pad', what: 'constant value', inputs: [x23, i64([4], [1, 0, 0, 2]), f([], [7])] },
  { op: 'Pad', what: 'edge', inputs: [x23, i64([4], [0, 2, 1, 1])], attrs: { mode: 'edge' } },
  { op: 'Pad', what: 'reflect', inputs: [x234, i64([6], [0, 1, 3, 0, 2, 2])], attrs: { mode: 'reflect' } },
  { op: 'Pad', what: 'axes (opset 18)', inputs: [x234, i64([2], [1, 2]), null, i64([1], [-1])], opset: 18 },
  { op: 'Pad', what: 'attributes (opset 2)', inputs: [x23], attrs: { pads: [0, 1, 1, 0], value: { float: 3 } }, opset: 2 },
  { op: 'Gather', what: 'negative and 2-D indices', inputs: [x234, i64([2, 2], [0, -1, 2, 1])], attrs: { axis: 1 } },
  { op: 'Gather', what: 'a scalar index of a shape', inputs: [i64([4], [1, 3, 224, 224]), i64([], [2])] },
  { op: 'GatherElements', inputs: [x23, i64([2, 2], [2, 0, 1, 1])], attrs: { axis: 1 } },
  { op: 'Expand', inputs: [f([3, 1], [1, 2, 3]), i64([3], [2, 1, 4])] },
  { op: 'Tile', inputs: [x23, i64([2], [2, 3])] },
  { op: 'DepthToSpace', what: 'DCR', inputs: [f([1, 8, 2, 3], range(48))], attrs: { blocksize: 2 } },
  { op: 'DepthToSpace', what: 'CRD', inputs: [f([1, 8, 2, 3], range(48))], attrs: { blocksize: 2, mode: 'CRD' } },
  { op: 'Resize', what: 'nearest, scales', inputs: [f([1, 1, 2, 3], range(6)), null, f([4], [1, 1, 2, 1.5])] },
  { op: 'Resize', what: 'linear, sizes', inputs: [f([1, 1, 2, 3], range(6)), null, null, i64([4], [1, 1, 5, 4])], attrs: { mode: 'linear' } },
  {
    op: 'Resize',
    what: 'cubic, align_corners',
    inputs: [f([1, 1, 3, 4], range(12, 0.5)), null, f([4], [1, 1, 2, 1.5])],
    attrs: { mode: 'cubic', coordinate_transformation_mode: 'align_corners' },
  },
  { op: 'Upsample', what: 'opset 9, scales input', inputs: [f([1, 1, 2, 3], range(6)), f([4], [1, 1, 2, 2])], opset: 9 },
  { op: 'Upsample', what: 'opset 7, scales attribute', inputs: [f([1, 1, 2, 3], range(6))], attrs: { scales: { floats: [1, 1, 2, 3] } }, opset: 7 },
  { op: 'SpaceToDepth', inputs: [f([1, 2, 4, 6], range(48))], attrs: { blocksize: 2 } },
  { op: 'Concat', inputs: [x234, f([2, 3, 1], [9, 8, 7, 6, 5, 4])], attrs: { axis: -1 } },
  { op: 'Concat', what: 'int64 shapes', inputs: [i64([1], [1]), i64([2], [-1, 7])], attrs: { axis: 0 } },
  { op: 'Split', what: 'sizes', inputs: [x234, i64([2], [1, 3])], attrs: { axis: 2 }, outputs: 2 },
  { op: 'Split', what: 'equal parts', inputs: [x234], attrs: { axis: 1 }, outputs: 3 },
  { op: 'Split', what: 'attribute (opset 11)', inputs: [x234], attrs: { axis: 2, split: [3, 1] }, outputs: 2, opset: 11 },
  { op: 'Split', what: 'num_outputs, uneven (opset 18)', inputs: [f([7], range(7))], attrs: { num_outputs: 3 }, outputs: 3, opset: 18 },
];

const reduceCases: Case[] = [
  { op: 'Shape', inputs: [x234] },
  { op: 'Shape', what: 'start and end (opset 15)', inputs: [x234], attrs: { start: -2, end: 10 }, opset: 15 },
  { op: 'Size', inputs: [x234] },
  { op: 'ConstantOfShape', inputs: [i64([2], [2, 3])], attrs: { value: { tensor: { dims: [1], type: 7, values: [5] } } } },
  { op: 'ConstantOfShape', what: 'default float 0', inputs: [i64([1], [4])] },
  { op: 'Range', what: 'float', inputs: [f([], [1]), f([], [4]), f([], [0.7])] },
  { op: 'Range', what: 'int64, negative delta', inputs: [i64([], [10]), i64([], [1]), i64([], [-3])] },
  { op: 'NonZero', inputs: [f([2, 3], [0, 1, 0, 2, 0, 3])] },
  ...['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp'].map(
    (op) => ({ op, inputs: [op === 'ReduceLogSum' ? f([2, 3], [1, 2, 3, 4, 5, 6]) : x234, i64([2], [0, -1])], attrs: { keepdims: 0 }, opset: 18 }),
  ),
  { op: 'ReduceSum', what: 'axes input (opset 13), keepdims', inputs: [i234, i64([1], [1])] },
  { op: 'ReduceMean', what: 'axes attribute (opset 13)', inputs: [x234], attrs: { axes: [1, 2] } },
  { op: 'ReduceProd', what: 'every axis', inputs: [f([3], [2, 3, 4])] },
  { op: 'ArgMax', inputs: [x234], attrs: { axis: 1 } },
  { op: 'ArgMax', what: 'last of ties', inputs: [f([2, 3], [1, 3, 3, 2, 2, 0])], attrs: { axis: 1, keepdims: 0, select_last_index: 1 } },
  { op: 'ArgMin', inputs: [x234], attrs: { axis: -1, keepdims: 0 } },
  { op: 'CumSum', inputs: [x234, i64([], [1])] },
  { op: 'CumSum', what: 'exclusive reverse', inputs: [x234, i64([], [2])], attrs: { exclusive: 1, reverse: 1 } },
  { op: 'Trilu', inputs: [x234, i64([], [1])], opset: 14 },
  { op: 'Trilu', what: 'lower', inputs: [x234], attrs: { upper: 0 }, opset: 14 },
  { op: 'MatMul', what: 'batched, broadcast', inputs: [x234, f([4, 2], range(8, 0.25))] },
  { op: 'MatMul', what: 'vector', inputs: [f([3], [1, 2, 3]), f([2, 3, 2], range(12))] },
  {
    op: 'Gemm',
    inputs: [f([3, 2], range(6)), f([4, 3], range(12, 0.5)), f([4], [1, 2, 3, 4])],
    attrs: { transA: 1, transB: 1, alpha: 0.5, beta: { float: -2 } },
  },
];

const cases = [...unaryCases, ...binaryCases, ...otherCases, ...layoutCases, ...reduceCases];

async function runOrt(c: Case): Promise<{ dims: readonly number[]; data: ArrayLike<number> }[]> {
  const names = Array.from({ length: c.outputs ?? 1 }, (_, k) => `y${k}`);
  const initializers = c.inputs.flatMap((t, k) => (t ? [{ ...t, name: `in${k}` }] : []));
  const model = buildModel({
    opset: c.opset ?? 13,
    nodes: [
      { op: c.op, inputs: c.inputs.map((t, k) => (t ? `in${k}` : '')), outputs: names, attrs: c.attrs },
      // A model needs an input: an unrelated one, so the node still folds from initializers alone.
      { op: 'Identity', inputs: ['unused'], outputs: ['unused_out'] },
    ],
    inputs: [{ name: 'unused', dims: [1] }],
    outputs: [...names.map((name) => ({ name })), { name: 'unused_out', dims: [1] }],
    initializers,
  });
  // Graph optimizations off: onnxruntime's own kernels compute the node at run time.
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  const out = await session.run({ unused: new ort.Tensor('float32', Float32Array.of(0), [1]) });
  await session.release();
  return names.map((n) => {
    const t = out[n];
    const data =
      t.type === 'float16'
        ? Array.from(t.data as Uint16Array, halfToFloat)
        : t.data instanceof BigInt64Array || t.data instanceof BigUint64Array
          ? Array.from(t.data, Number)
          : Array.from(t.data as ArrayLike<number | boolean>, Number);
    return { dims: t.dims, data };
  });
}

describe('constant folding: every kernel against onnxruntime', () => {
  for (const c of cases) {
    it(`${c.op}${c.what ? ` (${c.what})` : ''}`, async () => {
      const expected = await runOrt(c);
      const model = buildModel({
        opset: c.opset ?? 13,
        nodes: [
          { op: c.op, inputs: c.inputs.map((t, k) => (t ? `in${k}` : '')), outputs: expected.map((_, k) => `y${k}`), attrs: c.attrs },
          { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        ],
        inputs: [{ name: 'x', dims: [1] }],
        outputs: [{ name: 'r', dims: [1] }],
        initializers: c.inputs.flatMap((t, k) => (t ? [{ ...t, name: `in${k}` }] : [])),
      });
      const constants = graphConstants(parseModel(model), defaultOps);
      expected.forEach((e, k) => {
        const got = constants.get(`y${k}`);
        assert.ok(got, `y${k} folds`);
        assert.deepEqual([...got.dims], [...e.dims], `y${k}: dims`);
        const data = Array.from(got.data as ArrayLike<number>, Number);
        data.forEach((v, i) => {
          const want = e.data[i];
          const ok = Number.isNaN(want) ? Number.isNaN(v) : v === want || Math.abs(v - want) <= 2e-6 * Math.max(1, Math.abs(want));
          assert.ok(ok, `y${k}[${i}]: ours ${v}, onnxruntime ${want}`);
        });
      });
    });
  }

  it('leaves a training-mode Dropout with a ratio above 0 unfolded: its mask is random', () => {
    const model = buildModel({
      opset: 13,
      nodes: [
        { op: 'Dropout', inputs: ['in0', 'ratio', 'train'], outputs: ['y0'] },
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
      ],
      inputs: [{ name: 'x', dims: [1] }],
      outputs: [{ name: 'r', dims: [1] }],
      initializers: [
        { ...x23, name: 'in0' },
        { ...f([], [0.5]), name: 'ratio' },
        { ...b([], [1]), name: 'train' },
      ],
    });
    assert.equal(graphConstants(parseModel(model), defaultOps).get('y0'), undefined);
  });

  it("dequantizes quantized weights as the rules read them (per tensor, and along the first, a middle and the last axis) to onnxruntime's values", async () => {
    // constants.dequantize takes the axis whose size the scale has (the first when it fits): a MatMul's [K, N]
    // weight quantized per column runs along its last axis, one scale and zero point per value in turn.
    const q = range(24).map((i) => ((i * 37) % 256) - 128);
    const shapes: { dims: number[]; axis?: number; n: number }[] = [
      { dims: [24], n: 1 },
      { dims: [3, 8], axis: 0, n: 3 },
      { dims: [2, 3, 4], axis: 1, n: 3 },
      { dims: [8, 3], axis: 1, n: 3 },
    ];
    for (const { dims, axis, n } of shapes) {
      const scale = f(n === 1 ? [] : [n], range(n, 0.37, 1)),
        zero = i8(n === 1 ? [] : [n], range(n, 5, -1));
      const c: Case = { op: 'DequantizeLinear', inputs: [i8(dims, q), scale, zero], attrs: axis === undefined ? undefined : { axis } };
      const [expected] = await runOrt(c);
      const model = buildModel({
        opset: 13,
        nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }],
        inputs: [{ name: 'x', dims: [1] }],
        outputs: [{ name: 'r', dims: [1] }],
        initializers: c.inputs.map((t, k) => ({ ...t!, name: `in${k}` })),
      });
      const constants = graphConstants(parseModel(model), defaultOps);
      assert.deepEqual(Array.from(constants.dequantize('in0', 'in1', 'in2')!), Array.from(expected.data), `[${dims}] along ${axis ?? 'none'}`);
      const integer = constants.integer('in0', 'in1', 'in2', axis);
      const zeros = range(n, 5, -1);
      const inner = axis === undefined ? 1 : dims.slice(axis + 1).reduce((a, d) => a * d, 1);
      assert.deepEqual(
        Array.from(integer!.values),
        q.map((v, i) => v - zeros[Math.floor(i / inner) % n]),
        `[${dims}]: the integers`,
      );
    }
  });

  it('has a case for every kernel', () => {
    const tested = new Set(cases.map((c) => c.op));
    assert.deepEqual(
      defaultOps.all.filter((d) => d.kernel && !tested.has(d.opType)).map((d) => d.opType),
      [],
    );
  });
});
