// The op table: the one place where an op type meets its rule. Keyed by the exact ONNX op type.
import type { Rule } from '../types';
import { elementwiseRule } from './binary';
import { convRule } from './conv';
import { convTransposeRule } from './conv-transpose';
import { gemmRule, matMulRule } from './fc';
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
} from './layout';
import { passThroughOps, passThroughRule } from './passthrough';
import { reduceRule, windowPoolRule } from './pool';
import { quantSpecs, quantizedRule } from './quantized';

const floatRules: Record<string, Rule> = {
  Conv: convRule,
  ConvTranspose: convTransposeRule,
  Gemm: gemmRule,
  MatMul: matMulRule,
  MaxPool: windowPoolRule,
  AveragePool: windowPoolRule,
  GlobalAveragePool: reduceRule,
  GlobalMaxPool: reduceRule,
  ReduceMean: reduceRule,
  ReduceMax: reduceRule,
  Add: elementwiseRule('larger'),
  Sum: elementwiseRule('larger'),
  Mul: elementwiseRule('both'),
  Sub: elementwiseRule('none'),
  Div: elementwiseRule('none'),
  Pow: elementwiseRule('none'),
  Max: elementwiseRule('larger'),
  Min: elementwiseRule('smaller'),
  Concat: concatRule,
  Split: splitRule,
  Slice: sliceRule,
  Pad: padRule,
  Reshape: reshapeRule,
  Flatten: flattenRule,
  Squeeze: squeezeRule,
  Unsqueeze: unsqueezeRule,
  Transpose: transposeRule,
  Gather: gatherRule,
  DepthToSpace: depthToSpaceRule,
  SpaceToDepth: spaceToDepthRule,
  ...Object.fromEntries(passThroughOps.map((op) => [op, passThroughRule])),
};

export const rules: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ...Object.entries(floatRules),
  ...Object.entries(quantSpecs).map(([op, spec]): [string, Rule] => [op, quantizedRule(spec, floatRules[spec.op])]),
]);
