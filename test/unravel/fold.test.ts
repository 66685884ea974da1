// Exporters' idioms for attribute-like inputs, built node for node as torch 1.13 (F.pad at opsets 11–17,
// chunk, view with a computed shape) and tf2onnx (SAME padding computed from the input's size) write them,
// run in onnxruntime. The walk must fold every such input (the forward pass keeps nothing for them), the folded
// values must be onnxruntime's, and every output element must go back to the input element that holds its value.
import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import { openModel, runForward } from '../../src/runtime/session';
import { parseModel } from '../../src/onnx/graph';
import { derivedConstants } from '../../src/unravel/fold';
import { defaultOps } from '../../src/unravel/ops';
import { numel } from '../../src/unravel/tensor';
import { buildModel, type ModelSpec, type NodeSpec, type TensorSpec } from '../helpers/onnx-build';
import { tmpFile } from '../helpers/tmp';

const constant = (out: string, t: TensorSpec): NodeSpec => ({ op: 'Constant', inputs: [], outputs: [out], attrs: { value: { tensor: t } } });
const i64 = (values: number[], dims = [values.length]): TensorSpec => ({ dims, type: 7, values });

/** torch.nn.functional.pad(x, pads) at opsets 11–17: the pads list reversed pairwise by a constant chain. */
function torchPad(x: string, y: string, torchPads: number[], rank: number, mode: string, p: string): NodeSpec[] {
  return [
    constant(`${p}n`, i64([2 * rank - torchPads.length])),
    constant(`${p}given`, i64(torchPads)),
    { op: 'ConstantOfShape', inputs: [`${p}n`], outputs: [`${p}zeros`], attrs: { value: { tensor: i64([0], [1]) } } },
    { op: 'Concat', inputs: [`${p}given`, `${p}zeros`], outputs: [`${p}cat`], attrs: { axis: 0 } },
    constant(`${p}pairs`, i64([-1, 2])),
    { op: 'Reshape', inputs: [`${p}cat`, `${p}pairs`], outputs: [`${p}r`] },
    constant(`${p}ax`, i64([0])),
    constant(`${p}st`, i64([-1])),
    constant(`${p}en`, i64([-(2 ** 63) + 1])),
    constant(`${p}step`, i64([-1])),
    { op: 'Slice', inputs: [`${p}r`, `${p}st`, `${p}en`, `${p}ax`, `${p}step`], outputs: [`${p}rev`] },
    { op: 'Transpose', inputs: [`${p}rev`], outputs: [`${p}t`], attrs: { perm: [1, 0] } },
    constant(`${p}flat`, i64([-1])),
    { op: 'Reshape', inputs: [`${p}t`, `${p}flat`], outputs: [`${p}r1`] },
    { op: 'Cast', inputs: [`${p}r1`], outputs: [`${p}pads`], attrs: { to: 7 } },
    { op: 'Pad', inputs: [x, `${p}pads`, ''], outputs: [y], attrs: { mode } },
  ];
}

/** torch's x.chunk(2, dim=1) at opset 13: Slice bounds from Shape → Gather → Add → Div → Mul. */
function torchChunk(x: string, a: string, b: string): NodeSpec[] {
  return [
    { op: 'Shape', inputs: [x], outputs: ['c_shape'] },
    constant('c_one', i64([1], [])),
    { op: 'Gather', inputs: ['c_shape', 'c_one'], outputs: ['c_dim'], attrs: { axis: 0 } },
    constant('c_add', i64([1], [1])),
    constant('c_div', i64([2], [1])),
    { op: 'Add', inputs: ['c_dim', 'c_add'], outputs: ['c_plus'] },
    { op: 'Div', inputs: ['c_plus', 'c_div'], outputs: ['c_size'] },
    constant('c_zero', i64([0])),
    constant('c_axes', i64([1])),
    { op: 'Slice', inputs: [x, 'c_zero', 'c_size', 'c_axes'], outputs: [a] },
    constant('c_two', i64([2])),
    { op: 'Mul', inputs: ['c_size', 'c_two'], outputs: ['c_end'] },
    { op: 'Slice', inputs: [x, 'c_size', 'c_end', 'c_axes'], outputs: [b] },
  ];
}

/** x.view(x.size(0), x.size(1), -1): the target shape concatenated from Shape → Gather → Unsqueeze. */
function torchView(x: string, y: string): NodeSpec[] {
  return [
    { op: 'Shape', inputs: [x], outputs: ['v_shape'] },
    constant('v_0', i64([0], [])),
    constant('v_1', i64([1], [])),
    constant('v_ax', i64([0])),
    { op: 'Gather', inputs: ['v_shape', 'v_0'], outputs: ['v_n'], attrs: { axis: 0 } },
    { op: 'Gather', inputs: ['v_shape', 'v_1'], outputs: ['v_c'], attrs: { axis: 0 } },
    { op: 'Unsqueeze', inputs: ['v_n', 'v_ax'], outputs: ['v_n1'] },
    { op: 'Unsqueeze', inputs: ['v_c', 'v_ax'], outputs: ['v_c1'] },
    constant('v_rest', i64([-1])),
    { op: 'Concat', inputs: ['v_n1', 'v_c1', 'v_rest'], outputs: ['v_target'], attrs: { axis: 0 } },
    { op: 'Reshape', inputs: [x, 'v_target'], outputs: [y] },
  ];
}

/**
 * TensorFlow's SAME padding for a k×k window of stride s, as tf2onnx writes it for dynamic sizes: total =
 * max((ceil(in / s) - 1)·s + k - in, 0) per spatial axis, begin = total / 2 (integer), end = total - begin.
 */
function tfSamePad(x: string, y: string, k: number, s: number): NodeSpec[] {
  const f = (values: number[], dims = [values.length]): TensorSpec => ({ dims, values });
  return [
    { op: 'Shape', inputs: [x], outputs: ['s_shape'] },
    constant('s_from', i64([2])),
    constant('s_to', i64([4])),
    { op: 'Slice', inputs: ['s_shape', 's_from', 's_to'], outputs: ['s_hw'] },
    { op: 'Cast', inputs: ['s_hw'], outputs: ['s_hwf'], attrs: { to: 1 } },
    constant('s_stride', f([s])),
    { op: 'Div', inputs: ['s_hwf', 's_stride'], outputs: ['s_q'] },
    { op: 'Ceil', inputs: ['s_q'], outputs: ['s_out'] },
    constant('s_one', f([1])),
    { op: 'Sub', inputs: ['s_out', 's_one'], outputs: ['s_om1'] },
    { op: 'Mul', inputs: ['s_om1', 's_stride'], outputs: ['s_span'] },
    constant('s_k', f([k])),
    { op: 'Add', inputs: ['s_span', 's_k'], outputs: ['s_need'] },
    { op: 'Sub', inputs: ['s_need', 's_hwf'], outputs: ['s_tot'] },
    constant('s_zero', f([0])),
    { op: 'Max', inputs: ['s_tot', 's_zero'], outputs: ['s_total'] },
    { op: 'Cast', inputs: ['s_total'], outputs: ['s_ti'], attrs: { to: 7 } },
    constant('s_two', i64([2])),
    { op: 'Div', inputs: ['s_ti', 's_two'], outputs: ['s_begin'] },
    { op: 'Sub', inputs: ['s_ti', 's_begin'], outputs: ['s_end'] },
    constant('s_nc', i64([0, 0])),
    { op: 'Concat', inputs: ['s_nc', 's_begin', 's_nc', 's_end'], outputs: ['s_pads'], attrs: { axis: 0 } },
    { op: 'Pad', inputs: [x, 's_pads'], outputs: [y] },
  ];
}

/**
 * torch's F.interpolate(x, size=(h, w), mode='nearest') of a 4-D x, as torch 1.13 exports it: at opset 9 the
 * Upsample's scales are the sizes divided by the input's (Shape → Slice → Cast → Div → Concat); from opset 11 the
 * Resize's sizes are the input's leading dims and the sizes (Shape → Slice → Concat).
 */
function torchInterpolate(x: string, y: string, size: [number, number], opset: number): NodeSpec[] {
  const f32 = (values: number[]): TensorSpec => ({ dims: [values.length], values });
  if (opset < 10)
    return [
      constant('u_size', f32(size)),
      { op: 'Shape', inputs: [x], outputs: ['u_shape'] },
      { op: 'Slice', inputs: ['u_shape'], outputs: ['u_hw'], attrs: { axes: [0], starts: [2], ends: [2 ** 53] } },
      { op: 'Cast', inputs: ['u_hw'], outputs: ['u_hwf'], attrs: { to: 1 } },
      { op: 'Div', inputs: ['u_size', 'u_hwf'], outputs: ['u_ratio'] },
      constant('u_ones', f32([1, 1])),
      { op: 'Concat', inputs: ['u_ones', 'u_ratio'], outputs: ['u_scales'], attrs: { axis: 0 } },
      { op: 'Upsample', inputs: [x, 'u_scales'], outputs: [y], attrs: { mode: 'nearest' } },
    ];
  return [
    { op: 'Shape', inputs: [x], outputs: ['u_shape'] },
    constant('u_st', i64([0])),
    constant('u_en', i64([2])),
    { op: 'Slice', inputs: ['u_shape', 'u_st', 'u_en', 'u_st'], outputs: ['u_nc'] },
    constant('u_size', i64(size)),
    { op: 'Concat', inputs: ['u_nc', 'u_size'], outputs: ['u_sizes'], attrs: { axis: 0 } },
    constant('u_empty', f32([])),
    {
      op: 'Resize',
      inputs: [x, 'u_empty', 'u_empty', 'u_sizes'],
      outputs: [y],
      attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
    },
  ];
}

interface Idiom {
  readonly name: string;
  readonly spec: ModelSpec;
  /** Folded tensors to compare with onnxruntime's values. */
  readonly folded: readonly string[];
}

const model = (nodes: NodeSpec[], dims: number[], outputs: string[], opset = 13): ModelSpec => ({
  opset,
  nodes,
  inputs: [{ name: 'x', dims }],
  outputs: outputs.map((name) => ({ name })),
});

const idioms: Idiom[] = [
  ...[11, 13, 17].map((opset) => ({
    name: `F.pad constant at opset ${opset}`,
    spec: model(torchPad('x', 'y', [1, 2, 0, 1], 4, 'constant', 'p_'), [1, 2, 3, 4], ['y'], opset),
    folded: ['p_pads', 'p_rev'],
  })),
  {
    name: 'F.pad reflect, then F.pad again',
    spec: model([...torchPad('x', 'm', [2, 1, 1, 0], 4, 'reflect', 'p_'), ...torchPad('m', 'y', [0, 0, 1, 1], 4, 'constant', 'q_')], [1, 1, 4, 5], ['y']),
    folded: ['p_pads', 'q_pads'],
  },
  {
    name: 'chunk(2, dim=1) by computed Slice bounds',
    spec: model([...torchChunk('x', 'a', 'b'), { op: 'Concat', inputs: ['b', 'a'], outputs: ['y'], attrs: { axis: 1 } }], [1, 6, 2, 3], ['y']),
    folded: ['c_size', 'c_end'],
  },
  { name: 'view(n, c, -1) with a computed shape', spec: model(torchView('x', 'y'), [1, 3, 4, 5], ['y']), folded: ['v_target'] },
  ...[9, 11, 13].map((opset) => ({
    name: `F.interpolate(size=…) nearest at opset ${opset}: ${opset < 10 ? "Upsample's scales" : "Resize's sizes"} from the input's shape`,
    spec: model(torchInterpolate('x', 'y', [12, 7], opset), [1, 2, 4, 5], ['y'], opset),
    folded: [opset < 10 ? 'u_scales' : 'u_sizes'],
  })),
  { name: 'TF SAME padding computed from the input size', spec: model(tfSamePad('x', 'y', 3, 2), [1, 2, 7, 6], ['y']), folded: ['s_pads'] },
];

let counter = 0;

describe('exporter idioms: attribute-like inputs fold, as onnxruntime computes them', () => {
  for (const { name, spec, folded } of idioms) {
    it(name, async () => {
      const dims = spec.inputs[0].dims as number[];
      const x = Float32Array.from({ length: numel(dims) }, (_, i) => i + 1);
      const open = await openModel(tmpFile(`idiom-${counter++}.onnx`, buildModel(spec)));
      assert.deepEqual([...open.plan.expose], [], 'the forward pass keeps nothing for pads, bounds or shapes');
      const forward = await runForward(open, { name: 'x', dims, data: x });
      // The folded values are onnxruntime's: the same graph with them as outputs.
      const exposing = buildModel({ ...spec, outputs: [...spec.outputs, ...folded.map((n) => ({ name: n }))] });
      const session = await ort.InferenceSession.create(exposing, { logSeverityLevel: 3 });
      const theirs = await session.run({ x: new ort.Tensor('float32', x, dims) });
      await session.release();
      for (const t of folded) {
        const want = Array.from(theirs[t].data as ArrayLike<number | bigint>, Number);
        assert.deepEqual(Array.from(open.unraveler.values(forward, t)), want, `folded '${t}'`);
      }
      const y = forward.outputs.get('y')!;
      assert.deepEqual([...open.unraveler.shapesFor(forward).get('y')!], [...y.dims], 'inferred output shape');
      for (let f = 0; f < y.data.length; f++) {
        const parents = open.unraveler.unravel(forward, 'y', f, 'x').input.fixations;
        if (y.data[f] === 0) assert.equal(parents.length, 0, `element ${f} is constant padding: no parent`);
        else assert.equal(x[parents[0]], y.data[f], `element ${f} goes back to the element holding its value`);
      }
    });
  }
});

describe('a constant chain with a node that cannot be computed', () => {
  it('folds nothing below it: a Concat of a failed Unsqueeze is not the other operand alone', () => {
    const graph = parseModel(
      buildModel({
        opset: 13,
        inputs: [{ name: 'x', dims: [1, 2] }],
        outputs: [{ name: 's' }],
        initializers: [
          { name: 'k', dims: [], type: 7, values: [-1] },
          { name: 'lead', dims: [2], type: 7, values: [1, 2] },
        ],
        nodes: [
          // axes is input 1 from opset 13: the attribute is refused, so the Unsqueeze has no value
          { op: 'Unsqueeze', inputs: ['k'], outputs: ['ku'], attrs: { axes: [0] } },
          { op: 'Concat', inputs: ['lead', 'ku'], outputs: ['s'], attrs: { axis: 0 } },
        ],
      }),
    );
    const get = derivedConstants(graph, defaultOps);
    assert.equal(get('ku'), undefined);
    assert.equal(get('s'), undefined, 'Concat is not folded from lead alone');
    assert.deepEqual([...get('lead')!.data], [1, 2]);
  });
});
