// Shape-preserving element-wise ops pass each fixation to the same element of their first input.
// Extra inputs (Clip bounds, PRelu slopes, BatchNormalization statistics, LayerNormalization's scale and bias,
// quantization scales) are constants.
import type { OnnxNode } from '../../onnx/graph';
import type { Shape } from '../tensor';
import type { Rule } from '../types';
import { layerNormAttrs } from '../op-attrs';

/** The rule of the element-wise, shape-preserving ops (docs/ALGORITHM.md, Rules: the pass-through row); ops.ts lists them. */
export const passThroughRule: Rule = passThroughWith(() => undefined);

/** Dropout's mask is shaped like its input. */
export const dropoutRule: Rule = passThroughWith((_node, ins) => ins[0]);

/** BatchNormalization's training-mode running mean and variance (outputs 1, 2) are shaped like its inputs 3, 4. */
export const batchNormRule: Rule = passThroughWith((_node, ins, i) => ins[i + 2]);

/** LayerNormalization's Mean and InvStdDev are shaped like its input with the normalized axes (axis onwards, default -1) kept as 1. */
export const layerNormRule: Rule = passThroughWith((node, [x]) => {
  const axis = layerNormAttrs.of(node).axis,
    from = axis < 0 ? axis + x!.length : axis;
  return x!.map((d, k) => (k < from ? d : 1));
});

/** Output 0 is input 0's shape, each fixation to the same element of input 0; `extra` gives the shape of output i > 0. */
function passThroughWith(extra: (node: OnnxNode, ins: readonly (Shape | undefined)[], i: number) => Shape | undefined): Rule {
  return {
    shape: (node, ins) => {
      const x = ins[0];
      if (!x) return undefined;
      return node.outputs.map((_, i) => (i === 0 ? x : extra(node, ins, i)));
    },
    back: (_node, [fix]) => [fix],
  };
}
