// Shape-preserving element-wise ops pass each fixation to the same element of their first input.
// Extra inputs (Clip bounds, PRelu slopes, BatchNormalization statistics, LayerNormalization's scale and bias,
// quantization scales) are constants.
import type { Rule } from '../types';

/** The ops that pass fixations straight through (ALGORITHM.md, "Element-wise, shape-preserving"). */
export const passThroughOps = [
  'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Elu', 'Selu', 'Celu',
  'Softplus', 'Softsign', 'ThresholdedRelu', 'Mish', 'Gelu', 'Shrink',
  // unary arithmetic: GELU's decomposition (Erf), normalization written out (Sqrt, Reciprocal), and the rest
  'Erf', 'Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos',
  'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'Dropout', 'Identity', 'LRN', 'Softmax', 'LogSoftmax', 'Cast',
  'QuantizeLinear', 'DequantizeLinear',
] as const;

const passThroughSet = new Set<string>(passThroughOps);
export function isPassThrough(opType: string): boolean {
  return passThroughSet.has(opType);
}

export const passThroughRule: Rule = {
  // Dropout's mask is shaped like its input; BatchNormalization's training-mode running mean and variance like its
  // input mean and variance (inputs 3, 4).
  shape: (node, ins) => (ins[0] ? node.outputs.map((_, i) => (i === 0 || node.opType === 'Dropout' ? ins[0] : node.opType === 'BatchNormalization' ? ins[i + 2] : undefined)) : undefined),
  back: (_node, [fix]) => [fix],
};
