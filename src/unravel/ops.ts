// The op table: one descriptor per operator, the one place where an op type meets everything the core knows of
// it: its backtrack rule (with its shape function and the inputs it reads), its kernel for constant folding, its
// quantized form, and the facts other parts ask of it (a view, element-wise, where a quantizing op's output scale
// sits). Shape inference, folding, the exposure plan, the walk and the engine's drill-down receive a table and ask
// it; none keeps a list of op types of its own. Adding an operator is a rule or kernel plus its line here.
import { binaryKernels, otherElementwise, unaryKernels } from './kernels/elementwise';
import type { Kernel } from './kernels/kernel';
import { layoutKernels } from './kernels/layout';
import { reduceKernels } from './kernels/reduce';
import { elementwiseRule } from './rules/binary';
import { convRule } from './rules/conv';
import { convTransposeRule } from './rules/conv-transpose';
import { gemmRule, matMulRule } from './rules/fc';
import {
  concatRule,
  depthToSpaceRule,
  flattenRule,
  gatherRule,
  padRule,
  reshapeRule,
  sliceRule,
  spaceToDepthRule,
  splitRule,
  squeezeRule,
  transposeRule,
  unsqueezeRule,
} from './rules/layout';
import { batchNormRule, dropoutRule, layerNormRule, passThroughRule } from './rules/passthrough';
import { reduceRule, windowPoolRule } from './rules/pool';
import { resizeRule } from './rules/resize';
import { resizeKernel } from './kernels/resize';
import { quantizedRule, quantOperands } from './rules/quantized';
import type { OnnxNode } from '../onnx/graph';
import type { Constants, OpDescriptor, OpTable, QuantSpec, Rule } from './types';
import { attrSchemas, batchNormAttrs } from './op-attrs';

export type { OpDescriptor, OpTable } from './types';

type Facts = Omit<OpDescriptor, 'domain' | 'opType' | 'kernel'>;

const passThrough: Facts = { rule: passThroughRule, elementwise: true };

const layout = (rule: Rule, more: Facts = {}): Facts => ({ rule, keepsScale: true, ...more });

/** The default domain's ops with a rule, each with its facts. */
const defaultDomain: Readonly<Record<string, Facts>> = {
  // weighted layers (ALGORITHM.md: convolution, fully connected)
  Conv: { rule: convRule, channelLastInput: true },
  ConvTranspose: { rule: convTransposeRule },
  Gemm: { rule: gemmRule },
  MatMul: { rule: matMulRule },
  // windows and reductions
  MaxPool: { rule: windowPoolRule, keepsScale: true },
  AveragePool: { rule: windowPoolRule },
  GlobalAveragePool: { rule: reduceRule },
  GlobalMaxPool: { rule: reduceRule },
  ReduceMean: { rule: reduceRule },
  ReduceMax: { rule: reduceRule },
  // element-wise with several operands
  Add: { rule: elementwiseRule('larger') },
  Sum: { rule: elementwiseRule('larger') },
  Mul: { rule: elementwiseRule('both') },
  Sub: { rule: elementwiseRule('none') },
  Div: { rule: elementwiseRule('none') },
  Pow: { rule: elementwiseRule('none') },
  Max: { rule: elementwiseRule('larger') },
  Min: { rule: elementwiseRule('smaller') },
  // layout: index remapping
  Concat: layout(concatRule),
  Split: layout(splitRule),
  Slice: layout(sliceRule),
  Pad: layout(padRule, { opsets: [2, Infinity] }), // Pad-1 named its amounts `paddings`
  Reshape: layout(reshapeRule, { view: true, flattens: true }),
  Flatten: layout(flattenRule, { view: true, flattens: true }),
  Squeeze: layout(squeezeRule, { view: true }),
  Unsqueeze: layout(unsqueezeRule, { view: true }),
  Transpose: layout(transposeRule),
  Gather: layout(gatherRule),
  DepthToSpace: layout(depthToSpaceRule),
  SpaceToDepth: layout(spaceToDepthRule),
  // resampling: nearest copies an element, linear and cubic weigh a few taps (keeping the input's scale)
  Resize: layout(resizeRule, { opsets: [10, 21] }), // Resize-19 is the newest form (half_pixel_symmetric); 21 the newest opset checked
  Upsample: layout(resizeRule, { opsets: [7, 9] }), // Upsample-1 held width_scale / height_scale; removed at 10
  // element-wise, shape-preserving: each fixation to the same element of input 0
  Relu: passThrough,
  LeakyRelu: passThrough,
  PRelu: passThrough,
  Clip: passThrough,
  Sigmoid: passThrough,
  HardSigmoid: passThrough,
  HardSwish: passThrough,
  Tanh: passThrough,
  Elu: passThrough,
  Selu: passThrough,
  Celu: passThrough,
  Softplus: passThrough,
  Softsign: passThrough,
  ThresholdedRelu: passThrough,
  Mish: passThrough,
  Gelu: passThrough,
  Shrink: passThrough,
  // unary arithmetic: GELU's decomposition (Erf), normalization written out (Sqrt, Reciprocal), and the rest
  Erf: passThrough,
  Neg: passThrough,
  Abs: passThrough,
  Sqrt: passThrough,
  Reciprocal: passThrough,
  Exp: passThrough,
  Log: passThrough,
  Floor: passThrough,
  Ceil: passThrough,
  Round: passThrough,
  Sign: passThrough,
  Sin: passThrough,
  Cos: passThrough,
  BatchNormalization: { ...passThrough, rule: batchNormRule, channelScale: batchNormScale },
  InstanceNormalization: passThrough,
  LayerNormalization: { ...passThrough, rule: layerNormRule },
  Dropout: { ...passThrough, rule: dropoutRule, view: true, keepsScale: true },
  Identity: { ...passThrough, view: true, keepsScale: true },
  LRN: passThrough,
  Softmax: { ...passThrough, softmax: true },
  LogSoftmax: { ...passThrough, softmax: true },
  Cast: passThrough,
  QuantizeLinear: { ...passThrough, outputQuant: [1, 2] },
  DequantizeLinear: { ...passThrough, dequantizes: true },
};

// Quantized operators (QOperator format): the float op they compute, and where operands and scales sit.
const one = (op: string): QuantSpec => quantOperands(op, [{ input: 0, scale: 1, zero: 2 }]);
const two = (op: string): QuantSpec =>
  quantOperands(op, [
    { input: 0, scale: 1, zero: 2 },
    { input: 3, scale: 4, zero: 5 },
  ]);
const quantizedOps: readonly (readonly [domain: string, opType: string, spec: QuantSpec, outputQuant?: readonly [number, number]])[] = [
  ['', 'QLinearConv', quantOperands('Conv', [{ input: 0, scale: 1, zero: 2 }, { input: 3, scale: 4, zero: 5 }, { input: 8 }]), [6, 7]],
  ['', 'QLinearMatMul', two('MatMul'), [6, 7]],
  [
    '',
    'ConvInteger',
    quantOperands('Conv', [
      { input: 0, zero: 2 },
      { input: 1, zero: 3 },
    ]),
  ],
  [
    '',
    'MatMulInteger',
    quantOperands('MatMul', [
      { input: 0, zero: 2 },
      { input: 1, zero: 3 },
    ]),
  ],
  // QGemm's y_scale and y_zero_point are optional: without them its output is float, and the scale is not asked for
  ['com.microsoft', 'QGemm', quantOperands('Gemm', [{ input: 0, scale: 1, zero: 2 }, { input: 3, scale: 4, zero: 5 }, { input: 6 }]), [7, 8]],
  ['com.microsoft', 'QLinearAdd', two('Add'), [6, 7]],
  ['com.microsoft', 'QLinearMul', two('Mul'), [6, 7]],
  ['com.microsoft', 'QLinearGlobalAveragePool', one('GlobalAveragePool'), [3, 4]],
  ['com.microsoft', 'QLinearAveragePool', one('AveragePool'), [3, 4]],
  ['com.microsoft', 'QLinearReduceMean', one('ReduceMean'), [3, 4]],
  ['com.microsoft', 'QLinearSigmoid', one('Sigmoid'), [3, 4]],
  ['com.microsoft', 'QLinearLeakyRelu', one('LeakyRelu'), [3, 4]],
  ['com.microsoft', 'QLinearSoftmax', one('Softmax'), [3, 4]],
  [
    'com.microsoft',
    'QLinearConcat',
    {
      op: 'Concat',
      operands: (node) => Array.from({ length: (node.inputs.length - 2) / 3 }, (_, k) => ({ input: 2 + 3 * k, scale: 3 + 3 * k, zero: 4 + 3 * k })),
    },
    [0, 1],
  ],
];

// Kernels: every op of the default ONNX domain that constant folding can compute. Ops without one are those whose
// value is not a function of known tensors (random generators), that hold subgraphs (If, Loop, Scan), work on
// sequences, strings or optional values, or are the heavy layers of a network (Conv, pools, normalizations,
// recurrent cells), which never sit on a path of constants.
const kernels: Readonly<Record<string, Kernel>> = {
  ...unaryKernels,
  ...binaryKernels,
  ...otherElementwise,
  ...layoutKernels,
  ...reduceKernels,
  Resize: resizeKernel,
  Upsample: resizeKernel,
};

const key = (domain: string, opType: string) => `${domain === 'ai.onnx' ? '' : domain}\u0000${opType}`;

/** A table of the descriptors given. */
export function opTable(descriptors: readonly OpDescriptor[]): OpTable {
  const byKey = new Map(descriptors.map((d) => [key(d.domain, d.opType), d]));
  return { get: (node) => byKey.get(key(node.domain, node.opType)), all: descriptors };
}

function build(): OpDescriptor[] {
  const out: OpDescriptor[] = [];
  for (const [opType, facts] of Object.entries(defaultDomain)) out.push({ domain: '', opType, ...facts, kernel: kernels[opType], attrs: attrSchemas[opType] });
  for (const [opType, kernel] of Object.entries(kernels)) if (!defaultDomain[opType]) out.push({ domain: '', opType, kernel, attrs: attrSchemas[opType] });
  for (const [domain, opType, spec, outputQuant] of quantizedOps) {
    const float = defaultDomain[spec.op]?.rule;
    if (!float) throw new Error(`internal error: ${opType} computes ${spec.op}, which has no rule`);
    out.push({
      domain,
      opType,
      rule: quantizedRule(spec, float),
      quantized: spec,
      ...(outputQuant ? { outputQuant } : {}),
      softmax: spec.op === 'Softmax' || undefined,
    });
  }
  return out.map((d) => Object.freeze(Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as unknown as OpDescriptor));
}

/**
 * The table as a model of these opsets (domain → version) sees it: an op whose descriptor was written for other
 * opsets keeps no rule and no kernel, and says why, so the walk stops there with that reason instead of reading an
 * attribute form it does not know.
 */
export function forOpsets(table: OpTable, opsets: ReadonlyMap<string, number>): OpTable {
  const refused = new Map<OpDescriptor, OpDescriptor>();
  for (const d of table.all) {
    const v = opsets.get(d.domain === 'ai.onnx' ? '' : d.domain);
    if (!d.opsets || v === undefined || (v >= d.opsets[0] && v <= d.opsets[1])) continue;
    const domain = d.domain ? `${d.domain} ` : '';
    const range = d.opsets[1] === Infinity ? `${d.opsets[0]} and later` : `${d.opsets[0]}–${d.opsets[1]}`;
    const why = `the model's ${domain}opset ${v} is outside the opsets ${range} its rule was written for (ONNX's operator changelog): re-export at an opset in that range, or report the op with the model`;
    refused.set(d, Object.freeze({ domain: d.domain, opType: d.opType, opsets: d.opsets, refused: why }));
  }
  if (!refused.size) return table;
  return {
    get: (node) => {
      const d = table.get(node);
      return d && (refused.get(d) ?? d);
    },
    all: table.all.map((d) => refused.get(d) ?? d),
  };
}

/** The core's op table. */
export const defaultOps: OpTable = opTable(Object.freeze(build()));

/** The same table with every rule replaced by `wrap(rule, descriptor)`: how tests observe the real walk without touching the table. */
export function wrapRules(table: OpTable, wrap: (rule: Rule, d: OpDescriptor) => Rule): OpTable {
  return opTable(table.all.map((d) => (d.rule ? { ...d, rule: wrap(d.rule, d) } : d)));
}

/** BatchNormalization's per-channel scale γ/√(σ² + ε), when its statistics are constants. */
function batchNormScale(bn: OnnxNode, constants: Constants): Float32Array | undefined {
  const gamma = constants.float(bn.input(1));
  const variance = constants.float(bn.input(4));
  if (!gamma || !variance) return undefined;
  const eps = batchNormAttrs.of(bn).epsilon;
  return gamma.map((g, i) => g / Math.sqrt(variance[i] + eps));
}
