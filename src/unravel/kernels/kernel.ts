// A kernel computes one ONNX op on known values: how constant subgraphs (exporters' shape arithmetic, pads,
// scales, reshaped or dequantized weights) are folded, whatever the op. Each is an op's
// descriptor's `kernel` in the op table (src/unravel/ops.ts).
import type { OnnxNode } from '../../onnx/graph';
import type { Computed, Input } from './values';

export interface Signature {
  readonly type: number;
  readonly dims: readonly number[];
}

export interface Kernel {
  /** The node's outputs from its inputs (undefined where an optional input is omitted); throws when it cannot. */
  run(node: OnnxNode, inputs: readonly Input[]): readonly Computed[];
  /**
   * The outputs' types and dims without their values, for ops where that is cheap (element-wise ops, views):
   * a large constant (a dequantized or transposed weight) then stays lazy until a rule reads it.
   */
  infer?(node: OnnxNode, inputs: readonly Input[]): readonly Signature[];
  /** Reads only the dims of its input (Shape, Size): it folds as soon as that shape is known. */
  readonly dimsOnly?: boolean;
}
