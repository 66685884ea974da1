// The NaN/Inf scan of a forward pass's tensors (src/runtime/finite.ts): its branch-free test per array type finds
// a NaN, a +Inf or a -Inf anywhere in float32 and float64 tensors, at the first and the last index, and counts them.
import { strict as assert } from 'node:assert';
import { buildGraph } from '../../src/onnx/graph';
import { checkFinite, NonFiniteError } from '../../src/runtime/finite';

describe('checkFinite', () => {
  const graph = buildGraph({
    opset_import: [{ domain: '', version: 13 }],
    graph: { node: [{ op_type: 'Relu', name: 'relu', input: ['x'], output: ['r'] }], input: [{ name: 'x' }], output: [{ name: 'r' }] },
  });
  const scan = (data: Float32Array | Float64Array | Uint8Array) => () => checkFinite(graph, new Map([['r', { data }]]), 'y');

  it('passes finite tensors (extremes included) and never reads integer ones', () => {
    for (const A of [Float32Array, Float64Array]) scan(A.from([0, -0, 1e-45, 3.4e38, -3.4e38, 7]))();
    scan(Uint8Array.from([0, 255]))();
  });

  it('finds NaN, +Inf and -Inf at either end of float32 and float64 tensors, counted', () => {
    for (const A of [Float32Array, Float64Array])
      for (const [bad, re] of [
        [NaN, /tensor 'r' \(output of Relu node 'relu'\) holds NaN in 1 of its 1000 values/],
        [Infinity, /holds ±Inf in 1 of its 1000 values/],
        [-Infinity, /holds ±Inf in 1 of its 1000 values/],
      ] as const)
        for (const at of [0, 999]) {
          const data = new A(1000).fill(0.5);
          data[at] = bad;
          assert.throws(scan(data), (e) => e instanceof NonFiniteError && re.test(e.message), `${A.name} ${bad} at ${at}`);
        }
  });
});
