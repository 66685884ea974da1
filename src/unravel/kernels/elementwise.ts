// Element-wise kernels: unary math and activations, broadcasting arithmetic, comparisons and logic, Where,
// Cast, Clip, and the quantization pair. Values are computed in doubles and stored in the output's typed
// array (which rounds float32 and wraps small integers as C would); integer division truncates, as onnxruntime.
import type { OnnxNode } from '../../onnx/graph';
import { DataType } from '../../onnx/tensor';
import { numel } from '../tensor';
import type { Kernel } from './kernel';
import { castAttrs, clipAttrs, quantizeAttrs } from '../op-attrs';
import { allocate, broadcastDims, computed, isInteger, mapBroadcast, need, type Computed, type Input } from './values';

/** erf to about 1e-14: its Taylor series near 0, the continued fraction of erfc beyond 2.5. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a,
      sum = a;
    for (let n = 1; n < 80 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * sum * (2 / Math.sqrt(Math.PI));
  }
  // erfc(a) = exp(-a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated from the tail.
  let k = 0;
  for (let n = 120; n >= 1; n--) k = n / 2 / (a + k);
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + k);
  return Math.sign(x) * (1 - erfc);
}

/** Round half to even, as ONNX's Round and QuantizeLinear do. */
export function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));

/** A unary op: same type and dims, f applied to each value (with the node, for attributes). */
function unary(f: (node: OnnxNode) => (x: number) => number, outType?: number): Kernel {
  return {
    run(node, [x]) {
      const t = need(x, 'input');
      return [mapBroadcast(outType ?? t.type, [t], f(node))];
    },
    infer: (_node, [x]) => [{ type: outType ?? need(x, 'input').type, dims: need(x, 'input').dims }],
  };
}

const plain = (g: (x: number) => number) => unary(() => g);

export const unaryKernels: Record<string, Kernel> = {
  Abs: plain(Math.abs),
  Neg: plain((x) => -x),
  Floor: plain(Math.floor),
  Ceil: plain(Math.ceil),
  Round: plain(roundEven),
  Sqrt: plain(Math.sqrt),
  Reciprocal: plain((x) => 1 / x),
  Exp: plain(Math.exp),
  Log: plain(Math.log),
  Sin: plain(Math.sin),
  Cos: plain(Math.cos),
  Tan: plain(Math.tan),
  Asin: plain(Math.asin),
  Acos: plain(Math.acos),
  Atan: plain(Math.atan),
  Sinh: plain(Math.sinh),
  Cosh: plain(Math.cosh),
  Asinh: plain(Math.asinh),
  Acosh: plain(Math.acosh),
  Atanh: plain(Math.atanh),
  Sign: plain((x) => (Number.isNaN(x) ? NaN : Math.sign(x))),
  Erf: plain(erf),
  Relu: plain((x) => Math.max(0, x)),
  Sigmoid: plain((x) => 1 / (1 + Math.exp(-x))),
  Tanh: plain(Math.tanh),
  Softplus: plain(softplus),
  Softsign: plain((x) => x / (1 + Math.abs(x))),
  Identity: plain((x) => x),
  Mish: plain((x) => x * Math.tanh(softplus(x))),
  HardSwish: plain((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  LeakyRelu: unary((n) => {
    const a = n.float('alpha', 0.01);
    return (x) => (x < 0 ? a * x : x);
  }),
  Elu: unary((n) => {
    const a = n.float('alpha', 1);
    return (x) => (x < 0 ? a * (Math.exp(x) - 1) : x);
  }),
  Celu: unary((n) => {
    const a = n.float('alpha', 1);
    return (x) => Math.max(0, x) + Math.min(0, a * (Math.exp(x / a) - 1));
  }),
  Selu: unary((n) => {
    const a = n.float('alpha', 1.67326319217681884765625),
      g = n.float('gamma', 1.05070102214813232421875);
    return (x) => (x <= 0 ? g * (a * Math.exp(x) - a) : g * x);
  }),
  HardSigmoid: unary((n) => {
    const a = n.float('alpha', 0.2),
      b = n.float('beta', 0.5);
    return (x) => Math.max(0, Math.min(1, a * x + b));
  }),
  ThresholdedRelu: unary((n) => {
    const a = n.float('alpha', 1);
    return (x) => (x > a ? x : 0);
  }),
  Shrink: unary((n) => {
    const b = n.float('bias', 0),
      l = n.float('lambd', 0.5);
    return (x) => (x < -l ? x + b : x > l ? x - b : 0);
  }),
  Gelu: unary((n) =>
    n.string('approximate', 'none') === 'tanh'
      ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
      : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  ),
  Not: plain((x) => (x ? 0 : 1)),
  BitwiseNot: plain((x) => ~x),
  IsNaN: unary(() => (x) => (Number.isNaN(x) ? 1 : 0), DataType.BOOL),
  IsInf: unary((n) => {
    const neg = n.int('detect_negative', 1) === 1,
      pos = n.int('detect_positive', 1) === 1;
    return (x) => ((x === Infinity && pos) || (x === -Infinity && neg) ? 1 : 0);
  }, DataType.BOOL),
};

/** A value converted to type `to` as a C cast would: truncation toward zero for integers, != 0 for bool. */
function castTo(to: number): (x: number) => number {
  if (to === DataType.BOOL) return (x) => (x !== 0 && !Number.isNaN(x) ? 1 : 0);
  if (isInteger(to)) return (x) => (Number.isFinite(x) ? Math.trunc(x) : 0);
  return (x) => x;
}

function cast(x: Computed, to: number): Computed {
  if (to === DataType.STRING) throw new Error('casting to strings is not supported');
  return mapBroadcast(to, [x], castTo(to));
}

/** Broadcasting ops of two or more operands; `outType` from the first operand's unless given (comparisons: bool). */
function nary(f: (node: OnnxNode, integer: boolean) => (...v: number[]) => number, outType?: number, min = 2): Kernel {
  const operands = (inputs: readonly Input[]) => {
    const present = inputs.filter((t): t is Computed => t !== undefined);
    if (present.length < min) throw new Error(`it needs at least ${min} operands`);
    return present;
  };
  return {
    run(node, inputs) {
      const ops = operands(inputs);
      return [mapBroadcast(outType ?? ops[0].type, ops, f(node, isInteger(ops[0].type)))];
    },
    infer(_node, inputs) {
      const ops = operands(inputs);
      return [{ type: outType ?? ops[0].type, dims: broadcastDims(ops.map((t) => t.dims)) }];
    },
  };
}

const two = (g: (a: number, b: number) => number, outType?: number) => nary(() => g, outType);
const bool = DataType.BOOL;

export const binaryKernels: Record<string, Kernel> = {
  Add: two((a, b) => a + b),
  Sub: two((a, b) => a - b),
  Mul: two((a, b) => a * b),
  Div: nary((_n, integer) =>
    integer
      ? (a, b) => {
          if (b === 0) throw new Error('integer division by zero');
          return Math.trunc(a / b);
        }
      : (a, b) => a / b,
  ),
  Pow: two((a, b) => a ** b),
  Mod: nary((n, integer) => {
    if (n.int('fmod', 0) === 1 || !integer) return (a, b) => a % b;
    return (a, b) => {
      if (b === 0) throw new Error('integer modulo by zero');
      const r = a % b;
      return r !== 0 && Math.sign(r) !== Math.sign(b) ? r + b : r;
    };
  }),
  BitShift: nary((n) => (n.string('direction', 'LEFT') === 'LEFT' ? (a, b) => a * 2 ** b : (a, b) => Math.floor(a / 2 ** b))),
  BitwiseAnd: two((a, b) => a & b),
  BitwiseOr: two((a, b) => a | b),
  BitwiseXor: two((a, b) => a ^ b),
  And: two((a, b) => (a && b ? 1 : 0), bool),
  Or: two((a, b) => (a || b ? 1 : 0), bool),
  Xor: two((a, b) => (!a !== !b ? 1 : 0), bool),
  Equal: two((a, b) => (a === b ? 1 : 0), bool),
  Less: two((a, b) => (a < b ? 1 : 0), bool),
  Greater: two((a, b) => (a > b ? 1 : 0), bool),
  LessOrEqual: two((a, b) => (a <= b ? 1 : 0), bool),
  GreaterOrEqual: two((a, b) => (a >= b ? 1 : 0), bool),
  PRelu: two((x, s) => (x < 0 ? s * x : x)),
  Max: nary(
    () =>
      (...v) =>
        v.some(Number.isNaN) ? NaN : Math.max(...v),
    undefined,
    1,
  ),
  Min: nary(
    () =>
      (...v) =>
        v.some(Number.isNaN) ? NaN : Math.min(...v),
    undefined,
    1,
  ),
  Sum: nary(
    () =>
      (...v) =>
        v.reduce((a, b) => a + b, 0),
    undefined,
    1,
  ),
  Mean: nary(
    () =>
      (...v) =>
        v.reduce((a, b) => a + b, 0) / v.length,
    undefined,
    1,
  ),
  Where: {
    run(_node, [c, x, y]) {
      const [cond, a, b] = [need(c, 'condition'), need(x, 'X'), need(y, 'Y')];
      return [mapBroadcast(a.type, [cond, a, b], (k, u, v) => (k ? u : v))];
    },
    infer: (_node, [c, x, y]) => [{ type: need(x, 'X').type, dims: broadcastDims([need(c, 'condition').dims, need(x, 'X').dims, need(y, 'Y').dims]) }],
  },
};

/** Clip's bounds: attributes before opset 11, optional inputs after. */
function clipBounds(node: OnnxNode, lo: Input, hi: Input): [number, number] {
  const a = clipAttrs.of(node);
  const min = lo ? Number(lo.data[0]) : a.min;
  const max = hi ? Number(hi.data[0]) : a.max;
  return [min, max];
}

/** The scale or zero point as a tensor broadcastable to x: per axis when it has one value per slice of `axis`. */
/** Dropout's input when it is the identity: inference, or a ratio of 0 (a random mask has no constant value). */
function inferenceDropout(x: Computed, ratio: Input, training: Input): Computed {
  const r = ratio ? Number(ratio.data[0]) : 0.5;
  if (training && training.data[0] && r > 0) throw new Error(`Dropout in training mode with ratio ${r} draws a random mask: its output is not a constant`);
  return x;
}

function alongAxisOf(x: Computed, p: Computed, node: OnnxNode): Computed {
  if (numel(p.dims) <= 1) return { ...p, dims: [] };
  const axis = quantizeAttrs.of(node).axis ?? 1;
  const a = axis < 0 ? axis + x.dims.length : axis;
  if (x.dims[a] !== numel(p.dims)) throw new Error(`a scale of ${numel(p.dims)} values does not match axis ${axis} of [${x.dims.join(',')}]`);
  return { ...p, dims: x.dims.map((d, i) => (i === a ? d : 1)) };
}

export const otherElementwise: Record<string, Kernel> = {
  Cast: {
    run: (node, [x]) => [cast(need(x, 'input'), castAttrs.of(node).to)],
    infer: (node, [x]) => [{ type: castAttrs.of(node).to, dims: need(x, 'input').dims }],
  },
  CastLike: {
    run: (_node, [x, like]) => [cast(need(x, 'input'), need(like, 'target_type').type)],
    infer: (_node, [x, like]) => [{ type: need(like, 'target_type').type, dims: need(x, 'input').dims }],
  },
  Clip: {
    run(node, [x, lo, hi]) {
      const [min, max] = clipBounds(node, lo, hi);
      return [mapBroadcast(need(x, 'input').type, [x!], (v) => (Number.isNaN(v) ? v : Math.min(max, Math.max(min, v))))];
    },
    infer: (_node, [x]) => [{ type: need(x, 'input').type, dims: need(x, 'input').dims }],
  },
  Dropout: {
    // Inference: the output is the input, the mask all true. In training mode with a ratio above 0 the mask is
    // random, so the value is not a constant: the node is not folded.
    run(_node, [x, ratio, training]) {
      const t = inferenceDropout(need(x, 'input'), ratio, training);
      return [mapBroadcast(t.type, [t], (v) => v), computed(DataType.BOOL, t.dims, allocate(DataType.BOOL, numel(t.dims)).fill(1))];
    },
    infer(_node, [x, ratio, training]) {
      const t = inferenceDropout(need(x, 'input'), ratio, training);
      return [
        { type: t.type, dims: t.dims },
        { type: DataType.BOOL, dims: t.dims },
      ];
    },
  },
  DequantizeLinear: {
    run(node, [x, s, z]) {
      const q = need(x, 'input'),
        scale = need(s, 'scale');
      const ops: Computed[] = [q, alongAxisOf(q, scale, node)];
      if (z) ops.push(alongAxisOf(q, z, node));
      const f = z ? (v: number, sc: number, zp: number) => (v - zp) * sc : (v: number, sc: number) => v * sc;
      return [mapBroadcast(scale.type, ops, f)];
    },
    infer: (_node, [x, s]) => [{ type: need(s, 'scale').type, dims: need(x, 'input').dims }],
  },
  QuantizeLinear: {
    run(node, [x, s, z]) {
      const v = need(x, 'input'),
        scale = need(s, 'scale');
      const type = z ? z.type : DataType.UINT8;
      const [lo, hi] = type === DataType.INT8 ? [-128, 127] : type === DataType.UINT8 ? [0, 255] : type === DataType.INT16 ? [-32768, 32767] : [0, 65535];
      const ops: Computed[] = [v, alongAxisOf(v, scale, node)];
      if (z) ops.push(alongAxisOf(v, z, node));
      return [mapBroadcast(type, ops, (a, sc, zp = 0) => Math.min(hi, Math.max(lo, roundEven(a / sc) + zp)))];
    },
    infer: (_node, [x, , z]) => [{ type: z ? z.type : DataType.UINT8, dims: need(x, 'input').dims }],
  },
};
