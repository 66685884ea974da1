// What kernels compute on: a tensor's ONNX type, dims and values as JS numbers in the typed array the
// project uses for that type (int64 and uint64 widen to Float64Array, float16 and bfloat16 to Float32Array,
// rounded to their precision), plus the helpers every family of kernels shares: allocation, broadcasting,
// attribute-or-input integer lists, axes.
import { DataType, dataTypeName, type ConstTensor, type Values } from '../../onnx/tensor';
import { broadcastShapes, numel, stridesOf, type Shape } from '../tensor';

export interface Computed {
  readonly type: number;
  readonly dims: readonly number[];
  readonly data: Values;
}

/** A kernel's input: a constant (or a value computed from shapes), undefined where an optional input is omitted. */
export type Input = Computed | undefined;

/** A constant as kernels read it; its values are decoded only when a kernel reads `data`. */
export function fromConst(c: ConstTensor): Computed {
  return {
    type: c.dataType,
    dims: c.dims,
    get data() {
      return c.data;
    },
  };
}

export const integerTypes = new Set<number>([
  DataType.INT8,
  DataType.INT16,
  DataType.INT32,
  DataType.INT64,
  DataType.UINT8,
  DataType.UINT16,
  DataType.UINT32,
  DataType.UINT64,
  DataType.BOOL,
]);

export const isInteger = (type: number): boolean => integerTypes.has(type);

/** A typed array for `n` values of ONNX type `type`. */
export function allocate(type: number, n: number): Values {
  switch (type) {
    case DataType.FLOAT:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return new Float32Array(n);
    case DataType.DOUBLE:
    case DataType.INT64:
    case DataType.UINT64:
      return new Float64Array(n);
    case DataType.INT32:
      return new Int32Array(n);
    case DataType.UINT32:
      return new Uint32Array(n);
    case DataType.INT16:
      return new Int16Array(n);
    case DataType.UINT16:
      return new Uint16Array(n);
    case DataType.INT8:
      return new Int8Array(n);
    case DataType.UINT8:
    case DataType.BOOL:
      return new Uint8Array(n);
    default:
      throw new Error(`cannot compute on tensors of type ${dataTypeName(type)}`);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → the nearest float16 (round to nearest even), as a number. */
function roundHalf(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  if (a >= 65520) return Math.sign(v) * Infinity;
  const e = Math.max(-14, Math.floor(Math.log2(a)));
  const quantum = 2 ** (e - 10);
  const q = a / quantum;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q) - 0.5) < 1e-12 && r % 2 === 1) r -= 1; // ties to even
  return Math.sign(v) * r * quantum;
}

/** float32 → bfloat16 (round to nearest even on the upper 16 bits). */
function roundBfloat(v: number): number {
  if (!Number.isFinite(v)) return v;
  f32[0] = v;
  const bits = u32[0];
  u32[0] = ((bits + 0x7fff + ((bits >> 16) & 1)) >>> 16) << 16;
  return f32[0];
}

/** A computed tensor, its values rounded to the precision of float16 / bfloat16 where the type says so. */
export function computed(type: number, dims: readonly number[], data: Values): Computed {
  if (type === DataType.FLOAT16) for (let i = 0; i < data.length; i++) data[i] = roundHalf(data[i]);
  if (type === DataType.BFLOAT16) for (let i = 0; i < data.length; i++) data[i] = roundBfloat(data[i]);
  return { type, dims, data };
}

export function need(t: Input, what: string): NonNullable<Input> {
  if (!t) throw new Error(`its ${what} is missing`);
  return t;
}

export function ints(t: Input): number[] {
  return t ? Array.from(t.data as ArrayLike<number>) : [];
}

/** An integer list given as an attribute (older opsets, parsed by its schema) or as a constant input (newer ones). */
export function intsArg(given: readonly number[] | undefined, input: Input): readonly number[] | undefined {
  return given ?? (input ? ints(input) : undefined);
}

export function axisIn(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Row-major strides (the walk's own helper). */
export const rowMajorStrides = stridesOf;

/** numpy's multidirectional broadcast of several shapes (the walk's own helper). */
export const broadcastDims = broadcastShapes;

/** Strides of `dims` read as `out` (broadcast axes step 0), aligned to the right. */
function alignedStrides(dims: Shape, out: Shape): number[] {
  const own = rowMajorStrides(dims);
  return out.map((_d, k) => {
    const i = k - (out.length - dims.length);
    return i < 0 || dims[i] === 1 ? 0 : own[i];
  });
}

/**
 * For every element of the broadcast output, calls `fn` with the flat offsets of each operand: one pass with
 * incremental counters, so a per-channel scale on a large weight costs no index array.
 */
export function eachBroadcast(out: Shape, operands: readonly Shape[], fn: (o: number, offsets: Int32Array | Float64Array) => void): void {
  const n = numel(out),
    r = out.length,
    m = operands.length;
  const strides = operands.map((d) => alignedStrides(d, out));
  const idx = new Array<number>(r).fill(0);
  const off = new Float64Array(m);
  for (let o = 0; o < n; o++) {
    fn(o, off);
    for (let k = r - 1; k >= 0; k--) {
      idx[k]++;
      for (let j = 0; j < m; j++) off[j] += strides[j][k];
      if (idx[k] < out[k]) break;
      for (let j = 0; j < m; j++) off[j] -= strides[j][k] * out[k];
      idx[k] = 0;
    }
  }
}

/** Applies an n-ary element-wise function with broadcasting, into a new tensor of type `type`. */
export function mapBroadcast(type: number, operands: readonly NonNullable<Input>[], f: (...v: number[]) => number): Computed {
  const dims = broadcastDims(operands.map((t) => t.dims));
  const out = allocate(type, numel(dims));
  const data = operands.map((t) => t.data as ArrayLike<number>);
  if (operands.every((t) => numel(t.dims) === out.length)) {
    if (data.length === 1) for (let i = 0; i < out.length; i++) out[i] = f(data[0][i]);
    else if (data.length === 2) for (let i = 0; i < out.length; i++) out[i] = f(data[0][i], data[1][i]);
    else for (let i = 0; i < out.length; i++) out[i] = f(...data.map((d) => d[i]));
  } else if (data.length === 2) {
    const [a, b] = data;
    eachBroadcast(
      dims,
      operands.map((t) => t.dims),
      (o, off) => (out[o] = f(a[off[0]], b[off[1]])),
    );
  } else {
    eachBroadcast(
      dims,
      operands.map((t) => t.dims),
      (o, off) => (out[o] = f(...data.map((d, j) => d[off[j]]))),
    );
  }
  return computed(type, dims, out);
}

/** Splits a flat index into (outer, position along the axis, inner). */
export function alongAxis(f: number, size: number, inner: number): [number, number, number] {
  const outer = Math.floor(f / (size * inner));
  const rest = f - outer * size * inner;
  const a = Math.floor(rest / inner);
  return [outer, a, rest - a * inner];
}
