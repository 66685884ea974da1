// What a backtrack rule is, and what the walk lends it. Rules are pure functions of the node,
// the shapes and values of its tensors, and the fixations of its outputs.
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import type { ConstTensor } from '../onnx/tensor';
import type { Activation, Shape } from './tensor';

export type ConvMode = 'contribution' | 'center' | 'activation';
export type FlattenMode = 'argmax' | 'positive';

export interface UnravelOptions {
  readonly convMode: ConvMode;
  readonly flattenMode: FlattenMode;
}

export const defaultUnravelOptions: UnravelOptions = { convMode: 'contribution', flattenMode: 'argmax' };

/** Constants as rules see them: initializers, Constant nodes, and constants folded through DequantizeLinear, Cast, Identity. */
export interface Constants {
  get(name: string): ConstTensor | undefined;
  /** The values as float32 (dequantized or cast), cached. */
  float(name: string): Float32Array | undefined;
  has(name: string): boolean;
  /** (q - zero) * scale of a constant, per output channel when the scale is a vector; undefined if any part is not constant. */
  dequantize(q: string, scale: string, zero: string): Float32Array | undefined;
  /**
   * A quantized constant in the integer domain: q - zero (exact integers), with the axis its scale varies
   * along (undefined: one scale). Ordering products by these integers orders the real products exactly
   * whenever the dropped scales are one positive factor per output: ties stay ties, as ALGORITHM.md wants.
   */
  quantized(name: string): QuantizedConstant | undefined;
  /** The integer domain of constant `q` with the given scale and zero-point constants ('' when absent), cached. */
  integer(q: string, scale: string, zero: string, axisAttr?: number): QuantizedConstant | undefined;
}

export interface QuantizedConstant {
  /** q - zero: the stored integers themselves when every zero point is 0 (symmetric weights), else a copy. */
  readonly values: ArrayLike<number>;
  readonly axis: number | undefined;
}

export interface ShapeContext {
  readonly graph: OnnxGraph;
  readonly constants: Constants;
}

export interface WalkContext extends ShapeContext {
  readonly options: UnravelOptions;
  /** The shape of any tensor on the walk; throws a clear error when it could not be determined. */
  shape(name: string): Shape;
  /** The values of a tensor the rule declared in `reads` (or a constant). */
  activation(name: string): Activation;
  /** Records a fall-back taken at this node (shown in the layer record). */
  flag(message: string): void;
}

export type Fixations = Int32Array;

export interface Rule {
  /** Input positions that can receive fixations (default: [0]). */
  routes?(node: OnnxNode, ctx: ShapeContext): readonly number[];
  /** Input positions whose values the rule reads; the runtime exposes those tensors. */
  reads?(node: OnnxNode, ctx: ShapeContext): readonly number[];
  /** Output shapes from input shapes (undefined where unknown); throws or returns undefined when it cannot tell. */
  shape(node: OnnxNode, inputs: readonly (Shape | undefined)[], ctx: ShapeContext): readonly (Shape | undefined)[] | undefined;
  /** Output fixations (flat indices, one list per output, possibly empty) → input fixations (per input, or undefined). */
  back(node: OnnxNode, outputs: readonly Fixations[], ctx: WalkContext): readonly (Fixations | undefined)[];
}

/** A node the walk has no rule for, or a configuration of a node a rule does not cover. */
export class UnsupportedError extends Error {
  constructor(
    readonly opType: string,
    readonly nodeName: string,
    readonly detail: string,
    readonly path: readonly string[] = [],
  ) {
    super(UnsupportedError.format(opType, nodeName, detail, path));
  }
  static format(opType: string, nodeName: string, detail: string, path: readonly string[]): string {
    const where = path.length ? `\n  path from the output: ${path.join(' ← ')}` : '';
    return `cannot backtrack through ${opType} node '${nodeName}': ${detail}${where}`;
  }
  withPath(path: readonly string[]): UnsupportedError {
    return new UnsupportedError(this.opType, this.nodeName, this.detail, path);
  }
}
