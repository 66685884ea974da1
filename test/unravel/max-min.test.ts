// Max and Min of two activations (ALGORITHM.md, binary rules: the operand whose value is the output's, ties to the
// first), on operands from two branches of a real model run in onnxruntime: two 1×1 convs pick channels 0–3 and
// 4–7 of the input, each is max-pooled globally, and the classifier reads Max(a, b) (class 0) and Min(a, b)
// (class 1). The input is chosen so that each class sends some fixations to a and some to b, and one channel ties.
import { strict as assert } from 'node:assert';
import { defaultUnravelOptions } from '../../src/unravel/types';
import type { UnravelResult } from '../../src/unravel/walk';
import type { ModelSpec } from '../helpers/onnx-build';
import { runSpec } from '../helpers/single-op';

const N = 3 * 3;
/** Each channel's largest value and where it sits: a's channels are 0–3, b's 4–7 (b's channel c is input channel c + 4). */
const peaks: [value: number, at: number][] = [
  [50, 4], // a0 > b0
  [30, 0], // a1 < b1
  [60, 8], // a2 = b2: the tie
  [20, 2], // a3 < b3
  [40, 1],
  [45, 7],
  [60, 3],
  [55, 5],
];
/** The input: every element small and distinct, but each channel's peak. */
const x = new Float32Array(8 * N);
peaks.forEach(([v, at], c) => {
  for (let p = 0; p < N; p++) x[c * N + p] = p === at ? v : 1 + c + 8 * p * 0.01;
});
const peak = (channel: number) => channel * N + peaks[channel][1];

/** Max(first, second) or Min: the two branches' pooled maps in the order given. */
function model(order: readonly ['a', 'b'] | readonly ['b', 'a']): ModelSpec {
  const pick = (from: number) => Array.from({ length: 4 * 8 }, (_, i) => (i % 8 === Math.floor(i / 8) + from ? 1 : 0));
  // class 0 reads the four channels of Max, class 1 those of Min
  const head = Array.from({ length: 8 * 2 }, (_, i) => (Math.floor(i / 2) < 4 === (i % 2 === 0) ? 1 : 0));
  return {
    opset: 17,
    inputs: [{ name: 'x', dims: [1, 8, 3, 3] }],
    outputs: [{ name: 'y' }],
    initializers: [
      { name: 'wa', dims: [4, 8, 1, 1], values: pick(0) },
      { name: 'wb', dims: [4, 8, 1, 1], values: pick(4) },
      { name: 'fc', dims: [8, 2], values: head },
    ],
    nodes: [
      { op: 'Conv', name: 'conv_a', inputs: ['x', 'wa'], outputs: ['ca'] },
      { op: 'Conv', name: 'conv_b', inputs: ['x', 'wb'], outputs: ['cb'] },
      { op: 'GlobalMaxPool', name: 'pool_a', inputs: ['ca'], outputs: ['a'] },
      { op: 'GlobalMaxPool', name: 'pool_b', inputs: ['cb'], outputs: ['b'] },
      { op: 'Max', name: 'max', inputs: [...order], outputs: ['hi'] },
      { op: 'Min', name: 'min', inputs: [...order], outputs: ['lo'] },
      { op: 'Concat', name: 'cat', inputs: ['hi', 'lo'], outputs: ['both'], attrs: { axis: 1 } },
      { op: 'Flatten', name: 'flat', inputs: ['both'], outputs: ['f'] },
      { op: 'MatMul', name: 'head', inputs: ['f', 'fc'], outputs: ['y'] },
    ],
  };
}

/** The channels of the pooled branch `tensor` that the walk reached, and the input elements. */
function reached(u: UnravelResult, tensor: 'a' | 'b'): number[] {
  return [...(u.layers.find((l) => l.tensor === tensor)?.fixations ?? [])].sort((p, q) => p - q);
}

describe('Max and Min of two activations from different branches, in onnxruntime', () => {
  it('Max follows the larger operand, Min the smaller, per element; a tie goes to the first operand', async () => {
    const { open, forward } = await runSpec(model(['a', 'b']), x);
    const y = forward.outputs.get('y')!.data;
    assert.deepEqual([...y], [50 + 45 + 60 + 55, 40 + 30 + 60 + 20], 'the scores: sums of the channel maxima and minima');
    const walk = (k: number) => open.unraveler.unravel(forward, 'y', k, 'x', { ...defaultUnravelOptions, masses: true });

    const max = walk(0);
    assert.deepEqual(reached(max, 'a'), [0, 2], 'Max: a0 (50 > 40) and the tie a2 = b2 = 60 go to a');
    assert.deepEqual(reached(max, 'b'), [1, 3], 'Max: b1 (45 > 30) and b3 (55 > 20) go to b');
    assert.deepEqual(
      [...max.input.fixations],
      [peak(0), peak(2), peak(5), peak(7)].sort((p, q) => p - q),
    );
    // the head's masses are the channels' shares of the score, and each reaches its one input element
    const maxMass = new Map([...max.input.fixations].map((f, i) => [f, max.input.mass![i]]));
    for (const [c, v] of [
      [0, 50],
      [5, 45],
      [2, 60],
      [7, 55],
    ])
      assert.ok(Math.abs(maxMass.get(peak(c))! - v / 210) < 1e-9, `mass at channel ${c}'s peak`);

    const min = walk(1);
    assert.deepEqual(reached(min, 'a'), [1, 2, 3], 'Min: a1 (30 < 45), the tie a2 and a3 (20 < 55) go to a');
    assert.deepEqual(reached(min, 'b'), [0], 'Min: b0 (40 < 50) goes to b');
    assert.deepEqual(
      [...min.input.fixations],
      [peak(1), peak(2), peak(3), peak(4)].sort((p, q) => p - q),
    );
    await open.session.release();
  });

  it('with the operands swapped, the tie goes to b, now the first; the rest is unchanged', async () => {
    const { open, forward } = await runSpec(model(['b', 'a']), x);
    const max = open.unraveler.unravel(forward, 'y', 0, 'x');
    assert.deepEqual(reached(max, 'a'), [0]);
    assert.deepEqual(reached(max, 'b'), [1, 2, 3]);
    assert.deepEqual(
      [...max.input.fixations],
      [peak(0), peak(5), peak(6), peak(7)].sort((p, q) => p - q),
    );
    const min = open.unraveler.unravel(forward, 'y', 1, 'x');
    assert.deepEqual(reached(min, 'a'), [1, 3]);
    assert.deepEqual(reached(min, 'b'), [0, 2]);
    await open.session.release();
  });
});
