// ONNX TensorProto → typed arrays. Weights stored as raw bytes become views into the model buffer
// (copied only when misaligned for their element type); typed fields are converted once, lazily.
import type { onnx } from './schema';

export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

const typeNames: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};
export function dataTypeName(t: number): string {
  return typeNames[t] ?? `type ${t}`;
}

/** Element values as JS numbers: int64/uint64/double widen to Float64Array, float16/bfloat16 decode to Float32Array. */
export type Values = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number | undefined;
}
/** Returns the bytes of an external-data tensor (weights in a file beside the model). */
export type ExternalDataReader = (ref: ExternalRef, tensorName: string) => Uint8Array;

export class ConstTensor {
  private cached: Values | undefined;
  constructor(
    readonly name: string,
    readonly dataType: number,
    readonly dims: readonly number[],
    private readonly materialize: () => Values,
    /** Whether the values live in an external data file. */
    readonly external = false,
    /** The raw_data bytes, when the tensor stores them inline. */
    private readonly raw?: Uint8Array,
  ) {}
  get size(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }
  /** The values, decoded on first use and kept. */
  get data(): Values {
    this.cached ??= this.raw ? checked(this, decodeRaw(this.raw, this.dataType)) : this.materialize();
    return this.cached;
  }
  static of(name: string, dataType: number, dims: readonly number[], data: Values): ConstTensor {
    return new ConstTensor(name, dataType, dims, () => data);
  }
}

function checked(t: ConstTensor, values: Values): Values {
  if (values.length !== t.size) {
    throw new Error(`tensor '${t.name}' holds ${values.length} values but its dims ${JSON.stringify(t.dims)} need ${t.size}`);
  }
  return values;
}

export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function viewOrCopy<T extends Values>(
  bytes: Uint8Array,
  Ctor: { new (b: ArrayBufferLike, o: number, n: number): T; new (n: number): T; BYTES_PER_ELEMENT: number },
): T {
  const n = Math.floor(bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(n * Ctor.BYTES_PER_ELEMENT);
  copy.set(bytes.subarray(0, copy.byteLength));
  return new Ctor(copy.buffer, 0, n);
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decodes little-endian raw bytes of an ONNX tensor into numbers. */
export function decodeRaw(bytes: Uint8Array, dataType: number): Values {
  switch (dataType) {
    case DataType.FLOAT:
      return viewOrCopy(bytes, Float32Array);
    case DataType.DOUBLE:
      return viewOrCopy(bytes, Float64Array);
    case DataType.UINT8:
    case DataType.BOOL:
      return bytes;
    case DataType.INT8:
      return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    case DataType.INT16:
      return viewOrCopy(bytes, Int16Array);
    case DataType.UINT16:
      return viewOrCopy(bytes, Uint16Array);
    case DataType.INT32:
      return viewOrCopy(bytes, Int32Array);
    case DataType.UINT32:
      return viewOrCopy(bytes, Uint32Array);
    case DataType.INT64:
    case DataType.UINT64: {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float64Array(bytes.byteLength / 8);
      for (let i = 0; i < out.length; i++) {
        out[i] = Number(dataType === DataType.INT64 ? dv.getBigInt64(i * 8, true) : dv.getBigUint64(i * 8, true));
      }
      return out;
    }
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(bytes.byteLength / 2);
      const f32 = new Float32Array(1);
      const u32 = new Uint32Array(f32.buffer);
      for (let i = 0; i < out.length; i++) {
        const h = dv.getUint16(i * 2, true);
        if (dataType === DataType.FLOAT16) out[i] = halfToFloat(h);
        else {
          u32[0] = h << 16;
          out[i] = f32[0];
        }
      }
      return out;
    }
    default:
      throw new Error(`tensors of type ${dataTypeName(dataType)} are not supported`);
  }
}

type Field = ArrayLike<number | { toNumber(): number }> | null | undefined;

/**
 * A typed field's values into a new typed array, `map`ped when given: one plain loop (Array.from with a function, then
 * TypedArray.from over its iterator, took ~14 ms for an int8 MobileNetV2's weights the first time a walk read them).
 */
function fromField<T extends Values>(Ctor: new (n: number) => T, a: Field, map?: (v: number) => number): T {
  const n = a?.length ?? 0;
  const out = new Ctor(n);
  for (let i = 0; i < n; i++) {
    const v = a![i];
    const x = typeof v === 'number' ? v : toNumber(v);
    out[i] = map ? map(x) : x;
  }
  return out;
}

/** Values stored in TensorProto's typed fields (float_data, int32_data, int64_data, ...). */
function decodeFields(t: onnx.ITensorProto, dataType: number, size: number): Values {
  switch (dataType) {
    case DataType.FLOAT:
      return fromField(Float32Array, t.float_data);
    case DataType.DOUBLE:
      return fromField(Float64Array, t.double_data);
    case DataType.INT64:
      return fromField(Float64Array, t.int64_data);
    case DataType.UINT32:
    case DataType.UINT64:
      return fromField(Float64Array, t.uint64_data);
    case DataType.INT32:
      return fromField(Int32Array, t.int32_data);
    case DataType.INT8:
      return fromField(Int8Array, t.int32_data);
    case DataType.UINT8:
    case DataType.BOOL:
      return fromField(Uint8Array, t.int32_data);
    case DataType.INT16:
      return fromField(Int16Array, t.int32_data);
    case DataType.UINT16:
      return fromField(Uint16Array, t.int32_data);
    case DataType.FLOAT16:
      return fromField(Float32Array, t.int32_data, halfToFloat);
    case DataType.BFLOAT16: {
      const f32 = new Float32Array(1);
      const u32 = new Uint32Array(f32.buffer);
      return fromField(Float32Array, t.int32_data, (h) => {
        u32[0] = h << 16;
        return f32[0];
      });
    }
    default:
      if (size === 0) return new Float32Array(0);
      throw new Error(`tensors of type ${dataTypeName(dataType)} are not supported`);
  }
}

const EXTERNAL = 1;

/** Wraps a decoded TensorProto; the values are decoded when first read. */
export function tensorFromProto(t: onnx.ITensorProto, readExternal?: ExternalDataReader): ConstTensor {
  const name = t.name ?? '';
  const dataType = t.data_type ?? 0;
  const dims = (t.dims ?? []).map(toNumber);
  const size = dims.reduce((a, b) => a * b, 1);
  const external = t.data_location === EXTERNAL;
  const raw = !external && t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  const tensor: ConstTensor = new ConstTensor(
    name,
    dataType,
    dims,
    () => {
      if (external) {
        const entries = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
        const location = entries.get('location');
        if (!location) throw new Error(`tensor '${name}' is stored externally but names no location`);
        if (!readExternal) throw new Error(`tensor '${name}' is stored in external file '${location}', which cannot be read here`);
        const ref: ExternalRef = {
          location,
          offset: Number(entries.get('offset') ?? 0),
          length: entries.has('length') ? Number(entries.get('length')) : undefined,
        };
        return checked(tensor, decodeRaw(readExternal(ref, name), dataType));
      }
      return checked(tensor, decodeFields(t, dataType, size));
    },
    external,
    raw,
  );
  return tensor;
}
