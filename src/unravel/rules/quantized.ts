// Quantized operators (QOperator format: QLinearConv, QLinearMatMul, com.microsoft QLinearAdd, ...):
// dequantize weights and activations, (q - zero_point) * scale, and apply the float rule of the op they
// quantize. Each is described as data in the op table (src/unravel/ops.ts): the float op and where its operands and
// their scales sit.
import { OnnxNode } from '../../onnx/graph';
import { valuesAt, type Activation } from '../tensor';
import type { Constants, QuantOperand, QuantSpec, Rule, ShapeContext, WalkContext, WeightedRule } from '../types';

/** A quantized op whose operands sit at fixed input positions (the op table in ops.ts lists them). */
export const quantOperands = (op: string, operands: QuantOperand[]): QuantSpec => ({ op, operands: () => operands });

interface Prepared {
  readonly floatNode: OnnxNode;
  readonly operands: readonly QuantOperand[];
}

// One float node per quantized node, so its attributes are parsed once (attrs.ts caches per node).
const prepared = new WeakMap<OnnxNode, Prepared>();

function prepare(node: OnnxNode, spec: QuantSpec): Prepared {
  const hit = prepared.get(node);
  if (hit) return hit;
  const operands = spec.operands(node);
  const floatNode = new OnnxNode(
    node.index,
    node.name,
    spec.op,
    '',
    operands.map((o) => node.input(o.input)),
    node.outputs,
    node.attrs,
    // com.microsoft's quantized ops keep their own attribute forms, whatever the default domain's opset
    node.domain === '' || node.domain === 'ai.onnx' ? node.opset : undefined,
  );
  const made = { floatNode, operands };
  prepared.set(node, made);
  return made;
}

function scalar(name: string, c: Constants, dflt: number): number {
  if (!name) return dflt;
  const v = c.float(name);
  if (!v) throw new Error(`its quantization parameter '${name}' is not a constant`);
  if (v.length !== 1) throw new Error(`per-axis quantization of activations ('${name}') is not supported`);
  return v[0];
}

/** Constants seen through the quantization of one node's operands: its weights come out dequantized. */
function dequantizingConstants(ctx: ShapeContext, node: OnnxNode, operands: readonly QuantOperand[]): Constants {
  const byName = new Map(operands.map((o) => [node.input(o.input), o]));
  return {
    get: (n) => ctx.constants.get(n),
    has: (n) => ctx.constants.has(n),
    dequantize: (q, s, z) => ctx.constants.dequantize(q, s, z),
    quantized(n) {
      const o = byName.get(n);
      if (!o || !ctx.constants.has(n) || (o.scale === undefined && o.zero === undefined)) return ctx.constants.quantized(n);
      return ctx.constants.integer(n, param(node, o, 'scale'), param(node, o, 'zero'));
    },
    integer: (q, s, z, a) => ctx.constants.integer(q, s, z, a),
    float(n) {
      const o = byName.get(n);
      if (!o || !ctx.constants.has(n)) return ctx.constants.float(n);
      return ctx.constants.dequantize(n, param(node, o, 'scale'), param(node, o, 'zero'));
    },
    floatRows(n) {
      // A quantized operand comes dequantized whole; any other as the graph's constants give it.
      if (byName.has(n) && ctx.constants.has(n)) {
        const data = this.float(n);
        return data && { data, ensure: () => undefined };
      }
      return ctx.constants.floatRows(n);
    },
  };
}

function param(node: OnnxNode, o: QuantOperand, which: 'scale' | 'zero'): string {
  const i = o[which];
  return i === undefined ? '' : node.input(i);
}

function shapeContext(ctx: ShapeContext, node: OnnxNode, operands: readonly QuantOperand[]): ShapeContext {
  return { graph: ctx.graph, ops: ctx.ops, constants: dequantizingConstants(ctx, node, operands) };
}

/** The walk's context with this node's activations carrying their scale and zero point. */
function walkContext(ctx: WalkContext, node: OnnxNode, operands: readonly QuantOperand[]): WalkContext {
  const byName = new Map(operands.map((o) => [node.input(o.input), o]));
  const quantized = (n: string) => {
    const o = byName.get(n);
    return o && (o.scale !== undefined || o.zero !== undefined) ? o : undefined;
  };
  const activation = (n: string, derived?: boolean): Activation => {
    const a = ctx.activation(n, derived);
    const o = quantized(n);
    if (!o) return a;
    return { ...a, scale: scalar(param(node, o, 'scale'), ctx.constants, 1), zero: scalar(param(node, o, 'zero'), ctx.constants, 0) };
  };
  return {
    graph: ctx.graph,
    ops: ctx.ops,
    options: ctx.options,
    constants: dequantizingConstants(ctx, node, operands),
    shape: (n) => ctx.shape(n),
    flag: (m) => ctx.flag(m),
    forward: ctx.forward,
    activation,
    valuesAt: (n, at) => (quantized(n) ? valuesAt(activation(n), at) : ctx.valuesAt(n, at)),
  };
}

/** Maps the float rule's per-operand lists back to the quantized node's input positions. */
function toQuantPositions<V>(node: OnnxNode, operands: readonly QuantOperand[], values: readonly V[] | undefined): (V | undefined)[] {
  const out: (V | undefined)[] = node.inputs.map(() => undefined);
  values?.forEach((v, k) => (out[operands[k].input] = v));
  return out;
}

export function quantizedRule(spec: QuantSpec, float: Rule): Rule {
  const positions = (node: OnnxNode, ctx: ShapeContext, pick: Rule['reads']) => {
    const { floatNode, operands } = prepare(node, spec);
    const local = pick ? pick(floatNode, shapeContext(ctx, node, operands)) : [0];
    return local.map((k) => operands[k].input);
  };
  return {
    routes: (node, ctx) => positions(node, ctx, float.routes),
    reads: float.reads ? (node, ctx) => positions(node, ctx, float.reads) : undefined,
    readsAt: float.readsAt ? (node, ctx) => positions(node, ctx, float.readsAt) : undefined,
    shape(node, inputs, ctx) {
      const { floatNode, operands } = prepare(node, spec);
      return float.shape(
        floatNode,
        operands.map((o) => inputs[o.input]),
        shapeContext(ctx, node, operands),
      );
    },
    back(node, outs, ctx) {
      const { floatNode, operands } = prepare(node, spec);
      const res = float.back(floatNode, outs, walkContext(ctx, node, operands));
      return toQuantPositions(node, operands, res);
    },
    weighted: float.weighted && quantizedWeighted(spec, float.weighted),
  };
}

/** The contrast start of a quantized Conv / Gemm / MatMul: the float op's, on dequantized weights and activations. */
function quantizedWeighted(spec: QuantSpec, float: WeightedRule): WeightedRule {
  return {
    neuron(node, flat, ctx) {
      const { floatNode, operands } = prepare(node, spec);
      return float.neuron(floatNode, flat, walkContext(ctx, node, operands));
    },
    back(node, outs, coefficients, ctx) {
      const { floatNode, operands } = prepare(node, spec);
      return toQuantPositions(node, operands, float.back(floatNode, outs, coefficients, walkContext(ctx, node, operands)));
    },
  };
}
