// Attribute schemas (src/unravel/attrs.ts, op-attrs.ts): each op's attributes parsed once per node into a typed
// record, with ONNX's defaults, the form of the model's opset, and a refusal naming the op, the node, the
// attribute and what is accepted for a wrong type, a value no rule handles, a missing required one, or an
// attribute of another opset's form. Then the same refusals end a real walk, by name, instead of a default.
import { strict as assert } from 'node:assert';
import { OnnxNode, type AttrValue } from '../../src/onnx/graph';
import type { Schema } from '../../src/unravel/attrs';
import { resizeAttrsOf } from '../../src/unravel/kernels/resize';
import {
  attrSchemas,
  batchNormAttrs,
  clipAttrs,
  convAttrs,
  depthToSpaceAttrs,
  gemmAttrs,
  padAttrs,
  poolAttrs,
  reduceAttrs,
  reduceSumAttrs,
  resizeAttrs,
  sliceAttrs,
  softmaxAttrs,
  splitAttrs,
  squeezeAttrs,
  upsampleAttrs,
} from '../../src/unravel/op-attrs';
import { defaultOps } from '../../src/unravel/ops';
import { UnsupportedError } from '../../src/unravel/types';
import { UnravelError } from '../../src/unravel/walk';
import { walkModel } from '../helpers/walk';
import type { ModelSpec, NodeSpec } from '../helpers/onnx-build';

const node = (opType: string, attrs: Record<string, AttrValue> = {}, opset?: number) =>
  new OnnxNode(0, 'n', opType, '', ['x'], ['y'], new Map(Object.entries(attrs)), opset);

/** The refusal's message, asserting it is the core's UnsupportedError naming the node. */
function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (e) {
    assert.ok(e instanceof UnsupportedError, `an UnsupportedError, not ${String(e)}`);
    assert.equal(e.nodeName, 'n');
    return e.message;
  }
  assert.fail('parsed without a refusal');
}

describe('attribute schemas', () => {
  it("fills ONNX's defaults and keeps what is given, typed", () => {
    const a = convAttrs.of(node('Conv', { strides: [2, 2], pads: [1, 1, 1, 1] }));
    assert.deepEqual({ ...a }, { auto_pad: 'NOTSET', strides: [2, 2], dilations: undefined, pads: [1, 1, 1, 1], kernel_shape: undefined, group: 1 });
    const g = gemmAttrs.of(node('Gemm', { transB: 1, alpha: 0.5 }));
    assert.deepEqual({ ...g }, { transA: false, transB: true, alpha: 0.5, beta: 1 });
  });

  it('parses a node once: the same record twice', () => {
    const n = node('Conv', { group: 2 });
    assert.equal(convAttrs.of(n), convAttrs.of(n));
    assert.ok(Object.isFrozen(convAttrs.of(n)));
  });

  it('refuses a wrong type, naming the op, the node, the attribute and what is accepted', () => {
    const m = refusal(() => convAttrs.of(node('Conv', { group: 'two' })));
    assert.match(m, /Conv node 'n'/);
    assert.match(m, /attribute 'group' is "two", not an int/);
    assert.match(
      refusal(() => convAttrs.of(node('Conv', { strides: 2 }))),
      /attribute 'strides' is 2, not a list of ints/,
    );
    assert.match(
      refusal(() => convAttrs.of(node('Conv', { group: 1.5 }))),
      /'group' is 1.5, not an int/,
    );
  });

  it('refuses a value the rule does not handle, listing the ones it does', () => {
    assert.match(
      refusal(() => convAttrs.of(node('Conv', { auto_pad: 'SAME' }))),
      /attribute 'auto_pad' is "SAME"; the rule handles one of "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"/,
    );
    assert.match(
      refusal(() => convAttrs.of(node('Conv', { group: 0 }))),
      /'group' is 0; it must be at least 1/,
    );
    assert.match(
      refusal(() => padAttrs.of(node('Pad', { mode: 'mirror' }, 13))),
      /'mode' is "mirror".*"constant", "reflect", "edge", "wrap"/,
    );
    assert.match(
      refusal(() => reduceAttrs.of(node('ReduceMean', { keepdims: 2 }, 13))),
      /'keepdims' is 2; the rule handles one of 0, 1/,
    );
    assert.match(
      refusal(() => resizeAttrs.of(node('Resize', { coordinate_transformation_mode: 'centre' }, 13))),
      /coordinate_transformation_mode/,
    );
  });

  it('refuses a required attribute that is missing', () => {
    assert.match(
      refusal(() => poolAttrs.of(node('MaxPool'))),
      /attribute 'kernel_shape' is missing; it is required/,
    );
    assert.match(
      refusal(() => depthToSpaceAttrs.of(node('DepthToSpace', {}, 13))),
      /attribute 'blocksize' is missing; it is required/,
    );
  });

  it("takes the default of the model's opset: Softmax's axis is 1 up to opset 12 and -1 from 13", () => {
    assert.equal(softmaxAttrs.of(node('Softmax', {}, 9)).axis, 1);
    assert.equal(softmaxAttrs.of(node('Softmax', {}, 12)).axis, 1);
    assert.equal(softmaxAttrs.of(node('Softmax', {}, 13)).axis, -1);
    assert.equal(softmaxAttrs.of(node('Softmax', {}, undefined)).axis, -1, 'a node outside a model: the newest default');
  });

  // Each pair: the attribute form of the older opsets is read there and refused where ONNX made it an input.
  const moved: [string, Schema<unknown>, Record<string, AttrValue>, number, number, RegExp][] = [
    ['Pad', padAttrs, { pads: [0, 0, 1, 1, 0, 0, 1, 1] }, 10, 11, /from opset 11 the pads are input 1/],
    ['Slice', sliceAttrs, { starts: [0], ends: [2] }, 9, 10, /from opset 10 starts, ends, axes and steps are inputs 1–4/],
    ['Split', splitAttrs, { split: [1, 2] }, 12, 13, /from opset 13 the split sizes are input 1/],
    ['Squeeze', squeezeAttrs, { axes: [0] }, 12, 13, /from opset 13 the axes are input 1/],
    ['Unsqueeze', squeezeAttrs, { axes: [0] }, 11, 13, /from opset 13 the axes are input 1/],
    ['ReduceMean', reduceAttrs, { axes: [2, 3] }, 17, 18, /from opset 18 the axes are input 1/],
    ['ReduceSum', reduceSumAttrs, { axes: [1] }, 12, 13, /from opset 13 the axes are input 1/],
    ['Clip', clipAttrs, { min: 0, max: 6 }, 10, 11, /from opset 11 the bounds are inputs 1 and 2/],
    ['Upsample', upsampleAttrs, { scales: [1, 1, 2, 2] }, 8, 9, /from opset 9 the scales are input 1/],
  ];
  for (const [op, s, attrs, old, next, why] of moved) {
    it(`${op}: ${Object.keys(attrs).join(', ')} read as attributes at opset ${old}, refused by name at ${next}`, () => {
      const rec = s.of(node(op, attrs, old)) as Record<string, unknown>;
      for (const [k, v] of Object.entries(attrs)) assert.deepEqual(rec[k], v);
      const m = refusal(() => s.of(node(op, attrs, next)));
      assert.match(m, new RegExp(`attribute '${Object.keys(attrs)[0]}' is not an attribute of ${op} at opset ${next}`));
      assert.match(m, why);
    });
  }

  it('knows the attributes that came in later opsets: num_outputs (Split-18), antialias (Resize-18), allowzero', () => {
    assert.equal(splitAttrs.of(node('Split', { num_outputs: 3 }, 18)).num_outputs, 3);
    assert.match(
      refusal(() => splitAttrs.of(node('Split', { num_outputs: 3 }, 13))),
      /is one at opsets 18 and later/,
    );
    assert.equal(resizeAttrs.of(node('Resize', { antialias: 1 }, 18)).antialias, true);
    assert.match(
      refusal(() => resizeAttrs.of(node('Resize', { antialias: 1 }, 13))),
      /'antialias' is not an attribute of Resize at opset 13/,
    );
  });

  it("Upsample in Resize's terms: asymmetric, 'bilinear' is linear, scales from the attribute at opset 7", () => {
    const a = resizeAttrsOf(node('Upsample', { mode: 'bilinear', scales: [1, 1, 2, 2] }, 7));
    assert.equal(a.mode, 'linear');
    assert.equal(a.coordinate_transformation_mode, 'asymmetric');
    assert.deepEqual(a.scales, [1, 1, 2, 2]);
  });

  it("BatchNormalization: per-element statistics (spatial=0, opsets up to 8) are refused; 'spatial' does not exist after 8", () => {
    assert.equal(batchNormAttrs.of(node('BatchNormalization', { spatial: 1 }, 7)).spatial, 1);
    assert.match(
      refusal(() => batchNormAttrs.of(node('BatchNormalization', { spatial: 0 }, 7))),
      /'spatial' is 0; the rule handles one of 1/,
    );
    assert.match(
      refusal(() => batchNormAttrs.of(node('BatchNormalization', { spatial: 1 }, 9))),
      /not an attribute of BatchNormalization at opset 9/,
    );
  });

  it('hangs each schema on the descriptor of its op in the table', () => {
    for (const [op, s] of Object.entries(attrSchemas)) assert.equal(defaultOps.get({ domain: '', opType: op })?.attrs, s, op);
  });
});

describe('a refused attribute in a walk', () => {
  const model = (nodes: NodeSpec[], opset = 13): ModelSpec => ({ nodes, inputs: [{ name: 'x', dims: [1, 2, 4, 4] }], outputs: [{ name: 'y' }], opset });
  const x = { x: { dims: [1, 2, 4, 4], data: Float32Array.from({ length: 32 }, (_, i) => i) } };

  function walkError(spec: ModelSpec, values: Record<string, { dims: number[]; data: Float32Array }> = x): UnsupportedError {
    try {
      walkModel(spec, values, 'y', 0, 'x');
    } catch (e) {
      assert.ok(
        e instanceof UnsupportedError,
        `the walk's own error, not ${e instanceof UnravelError ? 'an UnravelError' : String(e)}: ${(e as Error).message}`,
      );
      return e;
    }
    assert.fail('the walk explained a node it should refuse');
  }

  it("ends at the node, naming the attribute (a MaxPool's auto_pad no rule knows), not at a silent default", () => {
    const e = walkError(model([{ op: 'MaxPool', name: 'pool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2], auto_pad: 'SAME' } }]));
    assert.equal(e.nodeName, 'pool');
    assert.match(e.message, /cannot backtrack through MaxPool node 'pool': attribute 'auto_pad' is "SAME"; the rule handles one of/);
  });

  it("names the attribute when it is why a node's output has no shape (a Pad at opset 13 with the old pads attribute)", () => {
    const e = walkError(model([{ op: 'Pad', name: 'pad', inputs: ['x'], outputs: ['y'], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1] } }]));
    assert.match(
      e.message,
      /Pad node 'pad': attribute 'pads' is not an attribute of Pad at opset 13 \(it is one at opsets 2–10; from opset 11 the pads are input 1\)/,
    );
  });

  // The consumer that needs the unknown shape may sit several nodes below the bad attribute: the error still names it.
  const badPad: NodeSpec = { op: 'Pad', name: 'pad', inputs: ['x'], outputs: ['p'], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1] } };
  const padNamed =
    /cannot backtrack through Pad node 'pad': attribute 'pads' is not an attribute of Pad at opset 13 \(it is one at opsets 2–10; from opset 11 the pads are input 1\)/;
  const belowPad = model([
    badPad,
    { op: 'Relu', name: 'relu', inputs: ['p'], outputs: ['r'] },
    { op: 'Sigmoid', name: 'sig', inputs: ['r'], outputs: ['s'] },
    { op: 'Transpose', name: 'flip', inputs: ['s'], outputs: ['y'], attrs: { perm: [0, 1, 3, 2] } },
  ]);

  it('names the node with the bad attribute when the output, three nodes below, has no shape', () => {
    const e = walkError(belowPad);
    assert.equal(e.nodeName, 'pad');
    assert.match(e.message, padNamed);
  });

  it("names it when a rule three nodes below needs its input's shape (the output's is known), with the path", () => {
    const y = { dims: [1, 2, 6, 6], data: new Float32Array(72).fill(1) };
    const e = walkError(belowPad, { ...x, y });
    assert.equal(e.nodeName, 'pad');
    assert.match(e.message, padNamed);
    assert.match(e.message, /path from the output: Transpose 'flip' ← Pad 'pad'/);
  });

  it("names the node with the bad attribute in a constant chain that a Reshape's shape input needs", () => {
    const spec: ModelSpec = {
      ...model([
        { op: 'Unsqueeze', name: 'unsq', inputs: ['k'], outputs: ['ku'], attrs: { axes: [0] } },
        { op: 'Concat', name: 'cat', inputs: ['lead', 'ku'], outputs: ['s'], attrs: { axis: 0 } },
        { op: 'Reshape', name: 'view', inputs: ['x', 's'], outputs: ['v'] },
        { op: 'Relu', name: 'relu', inputs: ['v'], outputs: ['y'] },
      ]),
      initializers: [
        { name: 'k', dims: [], type: 7, values: [-1] },
        { name: 'lead', dims: [2], type: 7, values: [1, 2] },
      ],
    };
    const e = walkError(spec);
    assert.equal(e.nodeName, 'unsq');
    assert.match(
      e.message,
      /Unsqueeze node 'unsq': attribute 'axes' is not an attribute of Unsqueeze at opset 13 \(it is one at opsets 1–12; from opset 13 the axes are input 1\)/,
    );
  });

  it('names a folding op (no rule) whose kernel refuses its constant inputs, not the Reshape that needed its value', () => {
    const spec: ModelSpec = {
      ...model([
        { op: 'Expand', name: 'grow', inputs: ['lead', 'to'], outputs: ['s'] },
        { op: 'Reshape', name: 'view', inputs: ['x', 's'], outputs: ['v'] },
        { op: 'Relu', name: 'relu', inputs: ['v'], outputs: ['y'] },
      ]),
      initializers: [
        { name: 'lead', dims: [2], type: 7, values: [1, -1] },
        { name: 'to', dims: [1], type: 7, values: [3] },
      ],
    };
    const e = walkError(spec);
    assert.equal(e.nodeName, 'grow');
    assert.match(e.message, /Expand node 'grow': its value could not be computed from its constant inputs: /);
  });

  it('reads the same Pad at opset 10, where pads is its attribute', () => {
    const spec = model(
      [
        { op: 'Pad', name: 'pad', inputs: ['x'], outputs: ['p'], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1] } },
        { op: 'Relu', name: 'relu', inputs: ['p'], outputs: ['y'] },
      ],
      10,
    );
    // output (0, 0, 1, 1) is input (0, 0, 0, 0)
    const r = walkModel(spec, x, 'y', 7, 'x');
    assert.deepEqual([...r.input.fixations], [0]);
  });
});
