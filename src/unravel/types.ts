// What a backtrack rule is, and what the walk lends it. Rules are pure functions of the node,
// the shapes and values of its tensors, and the fixations of its outputs.
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import type { ConstTensor, RowValues } from '../onnx/tensor';
import type { Fixations } from './fixations';
import type { Kernel } from './kernels/kernel';
import type { Schema } from './attrs';
import type { Activation, Shape } from './tensor';

export type { Fixations } from './fixations';

import type { ConvMode, FlattenMode } from '../shared/settings';

export type { ConvMode, FlattenMode } from '../shared/settings';

export interface UnravelOptions {
  readonly convMode: ConvMode;
  readonly flattenMode: FlattenMode;
  /**
   * Carry masses: the target starts with mass 1, rules pass it on (whole to a single parent, split in proportion
   * to the contributions by the fully connected rule), and the sets of fixations stay exactly the paper's.
   */
  readonly masses?: boolean;
  /**
   * At the first weighted node on the path from the target (the classifier), the target's weight vector W[A] is
   * replaced by W[A] + Σ_s c_s·W[s]: `coefficients` maps other classes s (indices of the output) to c_s.
   */
  readonly contrast?: ClassContrast;
}

/** A linear combination of the classifier's weight vectors: the target with coefficient 1, the classes given with theirs. */
export interface ClassContrast {
  readonly coefficients: ReadonlyMap<number, number>;
}

export const defaultUnravelOptions: UnravelOptions = { convMode: 'contribution', flattenMode: 'argmax' };

/** Constants as rules see them: initializers, Constant nodes, and constants folded through DequantizeLinear, Cast, Identity. */
export interface Constants {
  get(name: string): ConstTensor | undefined;
  /** The values as float32 (dequantized or cast), cached. */
  float(name: string): Float32Array | undefined;
  /**
   * The same values, with rows along the first axis read from the model file only as `ensure` asks (a large float32
   * weight; any other comes whole): for a rule that reads a few output channels' filters. The array is the one
   * `float` returns later, whole.
   */
  floatRows(name: string): RowValues | undefined;
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
  /** The op table the walk runs on, for a rule that asks about a neighbouring node's op. */
  readonly ops: OpTable;
}

export interface WalkContext extends ShapeContext {
  readonly options: UnravelOptions;
  /** The shape of any tensor on the walk; throws a clear error when it could not be determined. */
  shape(name: string): Shape;
  /**
   * The values of a tensor the rule declared in `reads` (or a constant). A conv input the walk makes from kept
   * tensors comes as such (`Activation.derived`, `data` empty) only to a reader that says it takes one (`derived`:
   * the conv rule's kernel); any other gets it made whole.
   */
  activation(name: string, derived?: boolean): Activation;
  /**
   * The values, dequantized, of a tensor the rule declared in `readsAt`, at flat indices `at`: read from the forward
   * pass, or computed by the walk where the forward pass left the tensor inside onnxruntime (plan.ts, `derivingConv`).
   */
  valuesAt(name: string, at: Int32Array): Float64Array;
  /** Records a fall-back taken at this node (shown in the layer record). */
  flag(message: string): void;
  /** The forward pass whose values the walk reads, as an identity that per-forward caches key on (absent: none). */
  readonly forward?: object;
}

export interface Rule {
  /** Input positions that can receive fixations (default: [0]). */
  routes?(node: OnnxNode, ctx: ShapeContext): readonly number[];
  /** Input positions whose values the rule reads; the runtime exposes those tensors. */
  reads?(node: OnnxNode, ctx: ShapeContext): readonly number[];
  /**
   * Input positions whose values the rule reads only at its output fixations' indices, through `valuesAt`: the
   * runtime exposes those tensors too, unless the walk can compute them there (a conv's output, from its input).
   */
  readsAt?(node: OnnxNode, ctx: ShapeContext): readonly number[];
  /** Output shapes from input shapes (undefined where unknown); throws or returns undefined when it cannot tell. */
  shape(node: OnnxNode, inputs: readonly (Shape | undefined)[], ctx: ShapeContext): readonly (Shape | undefined)[] | undefined;
  /**
   * Output fixations (one set per output, possibly empty, with masses when the walk carries them) → what goes to
   * each input (or undefined): parents in any order, duplicates allowed, with their masses, which sum to the
   * outputs' total (a fixation that has no parent, e.g. on constant padding, is dropped and flagged).
   */
  back(node: OnnxNode, outputs: readonly Fixations[], ctx: WalkContext): readonly (Fixations | undefined)[];
  /** Nodes with weights per output neuron (Conv, Gemm, MatMul): where a class contrast can start. */
  weighted?: WeightedRule;
}

/** The contrast start of a node with weights (ALGORITHM.md: the discriminative start). */
export interface WeightedRule {
  /** The neuron (weight vector: a Gemm's column, a conv's output channel) that output element `flat` uses. */
  neuron(node: OnnxNode, flat: number, ctx: WalkContext): number;
  /**
   * The rule for one output fixation whose weight vector is replaced by Σ_n c_n·W[n] (`coefficients`: neuron →
   * c_n, the fixation's own neuron included), then applied as usual: positive contributions, masses in proportion.
   */
  back(node: OnnxNode, outputs: readonly Fixations[], coefficients: ReadonlyMap<number, number>, ctx: WalkContext): readonly (Fixations | undefined)[];
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

/**
 * One operator as the core knows it (the table is src/unravel/ops.ts): its backtrack rule (with its shape function
 * and the inputs it reads), its kernel for constant folding, its quantized form, and the facts other parts ask of it.
 */
export interface OpDescriptor {
  /** '' for the default ONNX domain (also spelt 'ai.onnx' in models). */
  readonly domain: string;
  readonly opType: string;
  /** How fixations cross it: routes, reads, shape, back (undefined: no rule, the walk stops here naming the op). */
  readonly rule?: Rule;
  /**
   * The opsets of its domain its rule and kernel were written for (from ONNX's operator changelog; absent: every
   * opset). A model whose opset is outside gets a table where the op has neither (`refused` says why).
   */
  readonly opsets?: readonly [from: number, to: number];
  /** Why the op has no rule in this model: its opset is outside `opsets` (set by `forOpsets`). */
  readonly refused?: string;
  /**
   * The attributes its rule and kernel read (op-attrs.ts): types, defaults, the values handled, the opsets of each
   * form. Parsed once per node; the walk checks them before the rule runs, so a bad one is refused by name.
   */
  readonly attrs?: Schema<unknown>;
  /** Computes the op on known values (constant folding; default domain only). */
  readonly kernel?: Kernel;
  /** Element-wise and shape-preserving: output element i comes from element i of input 0. */
  readonly elementwise?: true;
  /** The output holds input 0's elements in the same order (only the dims differ). */
  readonly view?: true;
  /** Turns class scores into probabilities: its input holds the logits. */
  readonly softmax?: true;
  /** A quantized op: the float op it computes and where its operands, scales and zero points sit. */
  readonly quantized?: QuantSpec;
  /** Where the output's scale and zero point sit among the inputs of an op that quantizes its output. */
  readonly outputQuant?: readonly [scale: number, zero: number];
  /** Moves quantized values without changing their scale (the scale is the input's). */
  readonly keepsScale?: true;
  /**
   * A per-channel affine map of input 0 (y_c = s_c·x_c + t_c, as BatchNormalization in inference): its s_c, from the
   * node's constants, or undefined when they are not constant. A conv whose output only this node reads folds the
   * signs into its filters (docs/ALGORITHM.md, convolution).
   */
  readonly channelScale?: (node: OnnxNode, constants: Constants) => Float32Array | undefined;
  /** May lay a feature map out as a vector (Flatten, Reshape): a fully connected layer over it reads a flattened map. */
  readonly flattens?: true;
  /** Turns integers into floats with the scale and zero point at inputs 1 and 2 (DequantizeLinear). */
  readonly dequantizes?: true;
  /** Its rule reads input 0 channel-last, from a copy made once per forward (the memory check counts it). */
  readonly channelLastInput?: true;
}

/** What every consumer of op facts receives: shape inference, folding, the plan, the walk, the drill-down. */
export interface OpTable {
  /** The descriptor of a node's op ('' and 'ai.onnx' are one domain), or undefined for an op the core does not know. */
  get(node: { readonly domain: string; readonly opType: string }): OpDescriptor | undefined;
  readonly all: readonly OpDescriptor[];
}

/** Operand k of a quantized op's float op: the quantized node's input position, and those of its scale and zero point. */
export interface QuantOperand {
  readonly input: number;
  readonly scale?: number;
  readonly zero?: number;
}

/** A quantized op (QOperator format) as data: the float op it computes and where its operands sit. */
export interface QuantSpec {
  readonly op: string;
  operands(node: OnnxNode): readonly QuantOperand[];
}
