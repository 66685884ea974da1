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
/**
 * Returns the bytes of an external-data tensor (weights in a file beside the model, or large ones in the model file
 * itself, which is read so: load.ts). `readInto`, where given, reads byte ranges of the tensor's data (flat pairs
 * [start, end), from the tensor's first byte) into `into` at the same offsets.
 */
export type ExternalDataReader = ((ref: ExternalRef, tensorName: string) => Uint8Array) & {
  readonly readInto?: (ref: ExternalRef, tensorName: string, into: Uint8Array, ranges: readonly number[]) => void;
};

/**
 * A float32 tensor whose rows (along its first axis: a conv's output channels, a Gemm's output neurons with transB) are
 * read as asked: `data` is the tensor's full-size array, its rows valid once `ensure` has been given them.
 */
export interface RowValues {
  readonly data: Float32Array;
  /** Reads the rows listed (any order, repeats allowed) that were not read yet. */
  ensure(rows: ArrayLike<number>): void;
}

export class ConstTensor {
  private cached: Values | undefined;
  /** Rows read so far by `rows()` (1 per row read), while the tensor is not read whole. */
  private read?: { readonly values: Float32Array; readonly done: Uint8Array; left: number };
  constructor(
    readonly name: string,
    readonly dataType: number,
    readonly dims: readonly number[],
    private readonly materialize: () => Values,
    /** Whether the values live in an external data file. */
    readonly external = false,
    /** The raw_data bytes, when the tensor stores them inline. */
    private readonly raw?: Uint8Array,
    /** Reads byte ranges of an external float32 tensor into an array (`rows`); given for float32 tensors only. */
    private readonly readRanges?: (into: Uint8Array, ranges: readonly number[]) => void,
  ) {}
  get size(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }
  /** The values, decoded on first use and kept (the same array `rows` handed out, its other rows read now). */
  get data(): Values {
    if (this.read) this.readRows(Array.from({ length: this.dims[0] }, (_, r) => r));
    this.cached ??= this.raw ? checked(this, decodeRaw(this.raw, this.dataType)) : this.materialize();
    return this.cached;
  }
  /**
   * The values with rows read as asked, for a rule that reads a few rows of a large weight (a walk reads about a
   * third of ResNet-50's filters, and the kernel's fresh pages cost more than the copy). A tensor that cannot be read
   * so (in memory, not float32, or already read whole) comes whole, `ensure` doing nothing.
   */
  rows(): RowValues {
    if (this.cached || !this.readRanges || this.dims.length < 2 || this.dims[0] < 2) {
      const data = this.data;
      if (!(data instanceof Float32Array)) throw new Error(`tensor '${this.name}' is not float32`);
      return { data, ensure: () => undefined };
    }
    this.read ??= { values: new Float32Array(this.size), done: new Uint8Array(this.dims[0]), left: this.dims[0] };
    return { data: this.read.values, ensure: (rows) => this.readRows(rows) };
  }
  /** Rows of this tensor read so far (its first axis's length once read whole). */
  get rowsRead(): number {
    return this.read ? this.dims[0] - this.read.left : this.cached ? this.dims[0] : 0;
  }
  private readRows(rows: ArrayLike<number>): void {
    const r = this.read;
    if (!r) return;
    const missing: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const k = rows[i];
      if (!r.done[k]) {
        r.done[k] = 1;
        missing.push(k);
      }
    }
    if (!missing.length) return;
    missing.sort((a, b) => a - b);
    // One read per run of consecutive rows.
    const bytes = (this.size / this.dims[0]) * 4;
    const ranges: number[] = [];
    for (let i = 0; i < missing.length;) {
      let j = i + 1;
      while (j < missing.length && missing[j] === missing[j - 1] + 1) j++;
      ranges.push(missing[i] * bytes, (missing[j - 1] + 1) * bytes);
      i = j;
    }
    try {
      this.readRanges!(new Uint8Array(r.values.buffer), ranges);
    } catch (e) {
      for (const k of missing) r.done[k] = 0;
      throw e;
    }
    r.left -= missing.length;
    if (r.left === 0) {
      this.cached = r.values;
      this.read = undefined;
    }
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

/** Where an external tensor's bytes are (its external_data entries). */
function externalRef(t: onnx.ITensorProto, name: string): ExternalRef {
  const entries = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw new Error(`tensor '${name}' is stored externally but names no location`);
  return {
    location,
    offset: Number(entries.get('offset') ?? 0),
    length: entries.has('length') ? Number(entries.get('length')) : undefined,
  };
}

/** Wraps a decoded TensorProto; the values are decoded when first read (or, for a large float32 weight, as its rows are). */
export function tensorFromProto(t: onnx.ITensorProto, readExternal?: ExternalDataReader): ConstTensor {
  const name = t.name ?? '';
  const dataType = t.data_type ?? 0;
  const dims = (t.dims ?? []).map(toNumber);
  const size = dims.reduce((a, b) => a * b, 1);
  const external = t.data_location === EXTERNAL;
  const raw = !external && t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  const readInto = readExternal?.readInto;
  // Rows are read from the file only where its entry says the tensor's bytes are exactly its float32 values (an entry
  // without a location is reported when the values are read, as before).
  const ref =
    external && readInto && dataType === DataType.FLOAT && (t.external_data ?? []).some((e) => e.key === 'location') ? externalRef(t, name) : undefined;
  const tensor: ConstTensor = new ConstTensor(
    name,
    dataType,
    dims,
    () => {
      if (external) {
        const where = externalRef(t, name);
        if (!readExternal) throw new Error(`tensor '${name}' is stored in external file '${where.location}', which cannot be read here`);
        return checked(tensor, decodeRaw(readExternal(where, name), dataType));
      }
      return checked(tensor, decodeFields(t, dataType, size));
    },
    external,
    raw,
    ref && readInto && ref.length === size * 4 ? (into, ranges) => readInto(ref, name, into, ranges) : undefined,
  );
  return tensor;
}
