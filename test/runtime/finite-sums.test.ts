// The NaN/Inf check done by onnxruntime (src/runtime/finite-sums.ts): the added sum clears a finite forward at
// every opset onnxruntime runs, catches a NaN or ±Inf in a kept tensor that the scores never see (a Clip or a Relu
// hides it), so that checkFinite still names the first bad tensor with the scan's own message, and shows up
// nowhere else (the kept tensors, the plan, the outputs). Real onnxruntime sessions on small built models.
import { strict as assert } from 'node:assert';
import { buildGraph } from '../../src/onnx/graph';
import { elementTypes } from '../../src/runtime/finite-sums';
import { checkFinite, NonFiniteError } from '../../src/runtime/finite';
import { openModel, runForward } from '../../src/runtime/session';
import { fixturePath } from '../../src/fixtures';
import { buildModel, randomTensor, rng, type NodeSpec } from '../helpers/onnx-build';
import { tmpFile } from '../helpers/tmp';

/**
 * conv 3×3 → max pool 2×2 → `hide` (Clip to [0, 1], or Relu) → conv 1×1 → global average pool → MatMul to 5
 * scores, on a [1, 3, 10, 10] input. The pool reads the first conv's output, so the forward keeps it: a NaN or
 * ±Inf weight of the first conv puts NaN or ±Inf there, which the Clip (of +Inf) or the Relu (of −Inf) hides.
 */
function hiddenModel(opset: number, hide: 'Clip' | 'Relu', bad?: number): Uint8Array {
  const r = rng(3);
  const w = randomTensor(108, r, 0.1, 1);
  if (bad !== undefined) w[5] = bad;
  const clip: NodeSpec =
    opset >= 11
      ? { op: 'Clip', inputs: ['p', 'lo', 'hi'], outputs: ['k'] }
      : { op: 'Clip', inputs: ['p'], outputs: ['k'], attrs: { min: { float: 0 }, max: { float: 1 } } };
  return buildModel({
    opset,
    inputs: [{ name: 'x', dims: [1, 3, 10, 10] }],
    outputs: [{ name: 'y', dims: [1, 5] }],
    initializers: [
      { name: 'w', dims: [4, 3, 3, 3], values: w },
      { name: 'w2', dims: [4, 4, 1, 1], values: randomTensor(16, r) },
      { name: 'fc', dims: [4, 5], values: randomTensor(20, r) },
      ...(opset >= 11 && hide === 'Clip'
        ? [
            { name: 'lo', dims: [], values: [0] },
            { name: 'hi', dims: [], values: [1] },
          ]
        : []),
    ],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'] },
      { op: 'MaxPool', name: 'pool', inputs: ['c'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      hide === 'Clip' ? clip : { op: 'Relu', inputs: ['p'], outputs: ['k'] },
      { op: 'Conv', name: 'conv2', inputs: ['k', 'w2'], outputs: ['c2'] },
      { op: 'GlobalAveragePool', inputs: ['c2'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'MatMul', name: 'fc', inputs: ['f', 'fc'], outputs: ['y'] },
    ],
  });
}

const feed = { name: 'x', dims: [1, 3, 10, 10], data: new Float32Array(300).fill(0.5) };

describe('finite sums (onnxruntime checks the kept tensors)', () => {
  let n = 0;
  const open = (bytes: Uint8Array) => openModel(tmpFile(`finite-sums-${n++}.onnx`, bytes));

  it('clears a finite forward at opsets 7 to 18, and the sum shows nowhere else', async () => {
    for (const opset of [7, 9, 11, 13, 18]) {
      const model = await open(hiddenModel(opset, 'Clip'));
      try {
        assert.ok(model.finite, `opset ${opset}: the session has the sums`);
        assert.deepEqual(model.finite.tensors, [...model.plan.expose, 'y'], `opset ${opset}`);
        assert.ok(model.plan.expose.includes('c'), 'the pool keeps the conv output');
        assert.ok(!model.plan.expose.includes(model.finite.output));
        const forward = await runForward(model, feed);
        assert.deepEqual([...forward.values.keys()].sort(), ['x', 'y', ...model.plan.expose].sort(), `opset ${opset}: only the kept tensors`);
        assert.deepEqual([...forward.outputs.keys()], ['y']);
        assert.deepEqual([...(forward.finite ?? [])], model.finite.tensors, `opset ${opset}: all cleared`);
        checkFinite(model.model.graph, forward.values, 'y', forward.finite);
      } finally {
        await model.session.release();
      }
    }
  });

  it('catches a NaN or ±Inf that the scores never see, named as the scan names it', async () => {
    const cases = [
      { hide: 'Clip', bad: Infinity, re: /^tensor 'c' \(output of Conv node 'conv'\) holds ±Inf in 64 of its 256 values/, scoresFinite: true },
      { hide: 'Relu', bad: -Infinity, re: /^tensor 'c' \(output of Conv node 'conv'\) holds ±Inf in 64 of its 256 values/, scoresFinite: true },
      { hide: 'Relu', bad: NaN, re: /^tensor 'c' \(output of Conv node 'conv'\) holds NaN in 64 of its 256 values/, scoresFinite: false },
    ] as const;
    for (const opset of [7, 11, 13, 18])
      for (const { hide, bad, re, scoresFinite } of cases) {
        const what = `opset ${opset}, ${bad} hidden by ${hide}`;
        const model = await open(hiddenModel(opset, hide, bad));
        try {
          assert.ok(model.finite, what);
          const forward = await runForward(model, feed);
          if (scoresFinite) assert.ok(Array.from(forward.values.get('y')!.data as Float32Array).every(Number.isFinite), `${what}: finite scores`);
          assert.equal(forward.finite?.size, 0, `${what}: the sum is not finite`);
          const scan = (cleared?: ReadonlySet<string>) => {
            try {
              checkFinite(model.model.graph, forward.values, 'y', cleared);
            } catch (e) {
              assert.ok(e instanceof NonFiniteError, what);
              return e.message;
            }
            assert.fail(`${what}: not caught`);
          };
          assert.match(scan(forward.finite), re, what);
          assert.equal(scan(forward.finite), scan(), `${what}: the scan's own message`);
        } finally {
          await model.session.release();
        }
      }
  });

  it('sums only tensors known to be float32', () => {
    const graph = buildGraph({
      opset_import: [{ domain: '', version: 13 }],
      graph: {
        node: [
          { op_type: 'Conv', input: ['x', 'w'], output: ['c'] },
          { op_type: 'Shape', input: ['c'], output: ['s'] },
          { op_type: 'Cast', input: ['c'], output: ['i'], attribute: [{ name: 'to', type: 2, i: 7 }] },
          { op_type: 'Relu', input: ['i'], output: ['ri'] },
          { op_type: 'QuantizeLinear', input: ['c', 'sc'], output: ['q'] },
          { op_type: 'DequantizeLinear', input: ['q', 'sc'], output: ['d'] },
          { op_type: 'Custom', domain: 'example.com', input: ['d'], output: ['u'] },
          { op_type: 'Relu', input: ['u'], output: ['ru'] },
        ],
        initializer: [
          { name: 'w', dims: [1, 1, 1, 1], data_type: 1, float_data: [1] },
          { name: 'sc', dims: [], data_type: 1, float_data: [0.1] },
        ],
        input: [{ name: 'x', type: { tensor_type: { elem_type: 1 } } }],
        output: [{ name: 'ru' }],
      },
    });
    const types = elementTypes(graph);
    const float = ['x', 'c', 's', 'i', 'ri', 'q', 'd', 'u', 'ru'].filter((t) => types.get(t) === 1);
    assert.deepEqual(float, ['x', 'c', 'd']);
  });

  it("types every output of a Split as its input, and what follows the second one (ShuffleNet's branches)", () => {
    const graph = buildGraph({
      opset_import: [{ domain: '', version: 13 }],
      graph: {
        node: [
          { op_type: 'Split', input: ['x'], output: ['a', 'b'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
          { op_type: 'Relu', input: ['b'], output: ['rb'] },
          { op_type: 'Cast', input: ['x'], output: ['i'], attribute: [{ name: 'to', type: 2, i: 7 }] },
          { op_type: 'Split', input: ['i'], output: ['ia', 'ib'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
          { op_type: 'Custom', domain: 'example.com', input: ['x'], output: ['u', 'v'] },
        ],
        input: [{ name: 'x', type: { tensor_type: { elem_type: 1 } } }],
        output: [{ name: 'rb' }],
      },
    });
    const types = elementTypes(graph);
    assert.deepEqual(
      ['a', 'b', 'rb', 'ia', 'ib', 'u', 'v'].map((t) => types.get(t)),
      [1, 1, 1, 7, 7, undefined, undefined],
    );
  });

  it('sums every kept tensor of ShuffleNet V2: only the fed input is left to the scan', async () => {
    const model = await openModel(fixturePath('models/shufflenet-v2-12-dequantized-fp32.onnx'));
    try {
      const input = model.model.graph.inputs[0];
      const forward = await runForward(model, { name: input.name, dims: [1, 3, 224, 224], data: new Float32Array(3 * 224 * 224).fill(0.5) });
      assert.deepEqual(
        [...forward.values.keys()].filter((t) => !forward.finite?.has(t)),
        [input.name],
      );
      assert.doesNotThrow(() => checkFinite(model.model.graph, forward.values, 'output', forward.finite));
    } finally {
      await model.session.release();
    }
  });
});
