// Shape-preserving element-wise ops pass each fixation to the same element of their first input.
// Extra inputs (Clip bounds, PRelu slopes, BatchNormalization statistics, LayerNormalization's scale and bias,
// quantization scales) are constants.
import type { Rule } from '../types';
import { layerNormAttrs } from '../op-attrs';

/** The rule of the element-wise, shape-preserving ops (docs/ALGORITHM.md, Rules: the pass-through row); ops.ts lists them. */
export const passThroughRule: Rule = {
  // Dropout's mask is shaped like its input; BatchNormalization's training-mode running mean and variance like its
  // input mean and variance (inputs 3, 4); LayerNormalization's Mean and InvStdDev like its input with the
  // normalized axes (axis onwards, default -1) kept as 1.
  shape: (node, ins) => {
    const x = ins[0];
    if (!x) return undefined;
    return node.outputs.map((_, i) => {
      if (i === 0 || node.opType === 'Dropout') return x;
      if (node.opType === 'BatchNormalization') return ins[i + 2];
      if (node.opType === 'LayerNormalization') {
        const axis = layerNormAttrs.of(node).axis,
          from = axis < 0 ? axis + x.length : axis;
        return x.map((d, k) => (k < from ? d : 1));
      }
      return undefined;
    });
  },
  back: (_node, [fix]) => [fix],
};
