// Constant values as rules need them: initializers and Constant nodes, plus every tensor that folds from them
// (src/unravel/fold.ts: dequantized QDQ weights, reshaped or transposed weights, exporters' arithmetic on
// constants). Float copies are made once and cached; quantized weights are also seen as exact integers.
import type { OnnxGraph } from '../onnx/graph';
import { DataType, type ConstTensor } from '../onnx/tensor';
import { derivedConstants } from './fold';
import type { Constants, OpTable, QuantizedConstant } from './types';
import { quantizeAttrs } from './op-attrs';

function toFloat(data: ArrayLike<number>): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** The axis a per-axis scale of `length` values runs along (the attribute, else the dim of that size). */
export function scaleAxis(dims: readonly number[], length: number, axisAttr: number | undefined): number | undefined {
  if (length <= 1) return undefined;
  let axis = axisAttr ?? dims.findIndex((d) => d === length);
  if (axis < 0) axis += dims.length;
  if (dims[axis] !== length) throw new Error(`cannot match a scale of ${length} values to the weight [${dims.join(',')}]`);
  return axis;
}

/**
 * q - zero[c] along `axis` (zero per-tensor when it has one value): the integer domain. Symmetric weights (every
 * zero point 0) are the stored integers themselves: no copy, which spares a model's worth of fresh memory.
 */
export function integerValues(q: ConstTensor, zero: ArrayLike<number> | undefined, axis: number | undefined): ArrayLike<number> {
  const data = q.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array) && (!zero || Array.prototype.every.call(zero, (z: number) => z === 0))) {
    return data as ArrayLike<number>;
  }
  const out = new Float32Array(q.size);
  if (!zero || zero.length <= 1 || axis === undefined) {
    const z = zero?.[0] ?? 0;
    for (let i = 0; i < out.length; i++) out[i] = data[i] - z;
    return out;
  }
  const inner = q.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const zs = Float64Array.from(zero);
  // Run by run along the axis: one zero point per run of `inner` values, the index wrapping (no division).
  if (inner === 1) for (let i = 0, c = 0; i < out.length; i++, c = c + 1 === zs.length ? 0 : c + 1) out[i] = data[i] - zs[c];
  else
    for (let i = 0, c = 0; i < out.length; c = c + 1 === zs.length ? 0 : c + 1) {
      const z = zs[c];
      for (const end = Math.min(out.length, i + inner); i < end; i++) out[i] = data[i] - z;
    }
  return out;
}

/** (q - zero[c]) * scale[c] along `axis` (the scale's length decides per-tensor or per-axis). */
function dequantizeValues(q: ConstTensor, scale: ArrayLike<number>, zero: ArrayLike<number> | undefined, axisAttr: number | undefined): Float32Array {
  const out = new Float32Array(q.size);
  const data = q.data;
  if (scale.length <= 1) {
    const s = scale[0] ?? 1,
      z = zero?.[0] ?? 0;
    for (let i = 0; i < out.length; i++) out[i] = (data[i] - z) * s;
    return out;
  }
  const dims = q.dims;
  let axis = axisAttr ?? dims.findIndex((d) => d === scale.length);
  if (axis < 0) axis += dims.length;
  if (dims[axis] !== scale.length) throw new Error(`cannot match a scale of ${scale.length} values to the weight [${dims.join(',')}]`);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = scale.length;
  const ss = Float64Array.from(scale),
    zs = Float64Array.from({ length: n }, (_, c) => zero?.[c] ?? 0);
  // As integerValues: a scale and zero point per run of `inner` values. A classifier's [K, N] weight is quantized
  // per column (inner 1): 1.28 M values on MobileNetV2, ~30 ms the first time with a modulo per value.
  if (inner === 1) for (let i = 0, c = 0; i < out.length; i++, c = c + 1 === n ? 0 : c + 1) out[i] = (data[i] - zs[c]) * ss[c];
  else
    for (let i = 0, c = 0; i < out.length; c = c + 1 === n ? 0 : c + 1) {
      const s = ss[c],
        z = zs[c];
      for (const end = Math.min(out.length, i + inner); i < end; i++) out[i] = (data[i] - z) * s;
    }
  return out;
}

/**
 * Weight `name` as float32 with the rows that outputs `at` read (flat output indices, any order: output f reads row
 * ⌊f / inner⌋ mod count) read from the model file (Constants.floatRows): a conv's filters per output channel (inner
 * the output plane), a neuron-major Gemm weight's per neuron (inner 1).
 */
export function weightRowsFor(constants: Constants, name: string, at: ArrayLike<number>, count: number, inner: number): Float32Array | undefined {
  const rows = constants.floatRows(name);
  if (!rows) return undefined;
  const read = new Int32Array(at.length);
  for (let k = 0; k < at.length; k++) read[k] = Math.floor(at[k] / inner) % count;
  rows.ensure(read);
  return rows.data;
}

export function graphConstants(graph: OnnxGraph, ops: OpTable): Constants {
  const floats = new Map<string, Float32Array>();
  const get = derivedConstants(graph, ops);

  const integers = new Map<string, QuantizedConstant | null>();
  const self: Constants = {
    quantized(name) {
      const p = graph.producer.get(name);
      if (!p || !ops.get(p)?.dequantizes || p.outputs[0] !== name) return undefined;
      return self.integer(p.input(0), p.input(1), p.input(2), quantizeAttrs.of(p).axis);
    },
    integer(q, scale, zero, axisAttr) {
      const key = `${q}\u0000${scale}\u0000${zero}\u0000${axisAttr}`;
      if (integers.has(key)) return integers.get(key) ?? undefined;
      let result: QuantizedConstant | undefined;
      const qt = get(q),
        st = scale ? get(scale) : undefined,
        zt = zero ? get(zero) : undefined;
      if (qt && (!scale || st) && (!zero || zt)) {
        const axis = scaleAxis(qt.dims, Math.max(st?.size ?? 1, zt?.size ?? 1), axisAttr);
        result = { values: integerValues(qt, zt?.data, axis), axis };
      }
      integers.set(key, result ?? null);
      return result;
    },
    get,
    has: (name) => get(name) !== undefined,
    float(name) {
      const c = get(name);
      if (!c) return undefined;
      let f = floats.get(name);
      if (!f) {
        f = toFloat(c.data);
        floats.set(name, f);
      }
      return f;
    },
    floatRows(name) {
      const c = get(name);
      if (!c) return undefined;
      if (floats.has(name) || c.dataType !== DataType.FLOAT) return { data: self.float(name)!, ensure: () => undefined };
      return c.rows();
    },
    dequantize(q, scale, zero) {
      const key = `${q}\u0000${scale}\u0000${zero}`;
      const cached = floats.get(key);
      if (cached) return cached;
      const qt = get(q),
        st = scale ? get(scale) : undefined,
        zt = zero ? get(zero) : undefined;
      if (!qt || (scale && !st) || (zero && !zt)) return undefined;
      // Weights are per output channel (axis 0) for Conv; per column for MatMul is matched by size.
      const f = dequantizeValues(qt, st?.data ?? [1], zt?.data, st && st.size > 1 && qt.dims[0] === st.size ? 0 : undefined);
      floats.set(key, f);
      return f;
    },
  };
  return self;
}
