// Constant values as rules need them: initializers and Constant nodes, plus what folds from them through
// DequantizeLinear (QDQ weights), Cast and Identity. Float copies are made once and cached.
import type { OnnxGraph } from '../onnx/graph';
import { ConstTensor, DataType, type Values } from '../onnx/tensor';
import { rules } from './rules/index';
import { stridesOf } from './tensor';
import type { Constants, QuantizedConstant } from './types';

const foldable = new Set(['DequantizeLinear', 'Cast', 'Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose']);

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
  // Block by block along the axis: one zero point per run of `inner` values (no division per element).
  for (let i = 0, b = 0; i < out.length; b++) {
    const z = zero[b % zero.length];
    for (const end = Math.min(out.length, i + inner); i < end; i++) out[i] = data[i] - z;
  }
  return out;
}

/** (q - zero[c]) * scale[c] along `axis` (the scale's length decides per-tensor or per-axis). */
function dequantizeValues(q: ConstTensor, scale: ArrayLike<number>, zero: ArrayLike<number> | undefined, axisAttr: number | undefined): Float32Array {
  const out = new Float32Array(q.size);
  const data = q.data;
  if (scale.length <= 1) {
    const s = scale[0] ?? 1, z = zero?.[0] ?? 0;
    for (let i = 0; i < out.length; i++) out[i] = (data[i] - z) * s;
    return out;
  }
  const dims = q.dims;
  let axis = axisAttr ?? dims.findIndex((d) => d === scale.length);
  if (axis < 0) axis += dims.length;
  if (dims[axis] !== scale.length) throw new Error(`cannot match a scale of ${scale.length} values to the weight [${dims.join(',')}]`);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0, b = 0; i < out.length; b++) {
    const c = b % scale.length, s = scale[c], z = zero?.[c] ?? 0;
    for (const end = Math.min(out.length, i + inner); i < end; i++) out[i] = (data[i] - z) * s;
  }
  return out;
}

export function graphConstants(graph: OnnxGraph): Constants {
  const folded = new Map<string, ConstTensor | null>();
  const floats = new Map<string, Float32Array>();

  const get = (name: string): ConstTensor | undefined => {
    if (!name) return undefined;
    const c = graph.constants.get(name);
    if (c) return c;
    if (folded.has(name)) return folded.get(name) ?? undefined;
    folded.set(name, null); // guards against cycles while folding
    const p = graph.producer.get(name);
    let result: ConstTensor | undefined;
    if (p && foldable.has(p.opType) && p.outputs[0] === name) {
      const src = get(p.input(0));
      if (src && p.opType === 'DequantizeLinear') {
        const s = get(p.input(1)), z = get(p.input(2));
        if (s && (z || !p.input(2))) {
          const axis = p.attrs.has('axis') ? p.int('axis', 1) : undefined;
          result = new ConstTensor(name, DataType.FLOAT, src.dims, () => dequantizeValues(src, s.data, z?.data, axis));
        }
      } else if (src && (p.opType === 'Cast' || p.opType === 'Identity')) {
        result = new ConstTensor(name, p.opType === 'Cast' ? p.int('to', src.dataType) : src.dataType, src.dims, () => src.data);
      } else if (src) {
        // Layout ops on a constant (e.g. a reshaped weight): the shape rule gives the dims.
        const dims = rules.get(p.opType)?.shape(p, p.inputs.map((i) => get(i)?.dims), { graph, constants: self })?.[0];
        if (dims) {
          result = new ConstTensor(name, src.dataType, dims, () =>
            p.opType === 'Transpose' ? transposeValues(src, p.ints('perm')) : src.data);
        }
      }
    }
    folded.set(name, result ?? null);
    return result;
  };

  const integers = new Map<string, QuantizedConstant | null>();
  const self: Constants = {
    quantized(name) {
      const p = graph.producer.get(name);
      if (!p || p.opType !== 'DequantizeLinear' || p.outputs[0] !== name) return undefined;
      return self.integer(p.input(0), p.input(1), p.input(2), p.attrs.has('axis') ? p.int('axis', 1) : undefined);
    },
    integer(q, scale, zero, axisAttr) {
      const key = `${q}\u0000${scale}\u0000${zero}\u0000${axisAttr}`;
      if (integers.has(key)) return integers.get(key) ?? undefined;
      let result: QuantizedConstant | undefined;
      const qt = get(q), st = scale ? get(scale) : undefined, zt = zero ? get(zero) : undefined;
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
    dequantize(q, scale, zero) {
      const key = `${q}\u0000${scale}\u0000${zero}`;
      const cached = floats.get(key);
      if (cached) return cached;
      const qt = get(q), st = scale ? get(scale) : undefined, zt = zero ? get(zero) : undefined;
      if (!qt || (scale && !st) || (zero && !zt)) return undefined;
      // Weights are per output channel (axis 0) for Conv; per column for MatMul is matched by size.
      const f = dequantizeValues(qt, st?.data ?? [1], zt?.data, st && st.size > 1 && qt.dims[0] === st.size ? 0 : undefined);
      floats.set(key, f);
      return f;
    },
  };
  return self;
}

function transposeValues(src: ConstTensor, permAttr: number[] | undefined): Values {
  const dims = src.dims;
  const perm = permAttr ?? dims.map((_, i) => dims.length - 1 - i);
  const out = dims.map((_, i) => dims[perm[i]]);
  const inStrides = stridesOf(dims);
  const outStrides = stridesOf(out);
  const data = src.data;
  const result = new (data.constructor as new (n: number) => Values)(data.length);
  for (let f = 0; f < data.length; f++) {
    let rest = f, idx = 0;
    for (let k = 0; k < out.length; k++) {
      const c = Math.floor(rest / outStrides[k]);
      rest -= c * outStrides[k];
      idx += c * inStrides[perm[k]];
    }
    result[f] = data[idx];
  }
  return result;
}
