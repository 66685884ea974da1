// Builds small ONNX models in memory for tests: single-op graphs with chosen attributes and weights,
// serialized with the same protobuf schema the product reads, so onnxruntime can run them too.
import * as zlib from 'node:zlib';
import * as protobuf from 'protobufjs/light';
import descriptor from '../../src/onnx/onnx-schema.json';
import { seededRandom } from '../../src/eval/metrics';

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ModelProto = root.lookupType('onnx.ModelProto');
const TensorProto = root.lookupType('onnx.TensorProto');

export type Attr = number | number[] | string | { floats: number[] } | { float: number } | { tensor: TensorSpec };

export interface TensorSpec {
  name?: string;
  dims: number[];
  /** ONNX data type: 1 float, 2 uint8, 3 int8, 4 uint16, 5 int16, 6 int32, 7 int64, 9 bool, 11 double, 12 uint32. */
  type?: number;
  values: ArrayLike<number>;
  /** Store in typed fields (float_data, int64_data...) instead of raw_data. */
  typed?: boolean;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, Attr>;
}

export interface ValueSpec {
  name: string;
  /** Absent: no type or shape given (onnxruntime infers them). */
  dims?: (number | string)[];
  type?: number;
}

export interface ModelSpec {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: (TensorSpec & { name: string })[];
  opset?: number;
  extraOpsets?: { domain: string; version: number }[];
  metadata?: Record<string, string>;
}

function rawBytes(t: TensorSpec): Uint8Array {
  const type = t.type ?? 1;
  const n = t.values.length;
  if (type === 1) return new Uint8Array(Float32Array.from(t.values).buffer);
  if (type === 2) return Uint8Array.from(t.values);
  if (type === 3) return new Uint8Array(Int8Array.from(t.values).buffer);
  if (type === 6) return new Uint8Array(Int32Array.from(t.values).buffer);
  if (type === 7) return new Uint8Array(BigInt64Array.from(Array.from(t.values, (v) => BigInt(v))).buffer);
  if (type === 9) return Uint8Array.from(t.values, (v) => (v ? 1 : 0));
  if (type === 5) return new Uint8Array(Int16Array.from(t.values).buffer);
  if (type === 4) return new Uint8Array(Uint16Array.from(t.values).buffer);
  if (type === 11) return new Uint8Array(Float64Array.from(t.values).buffer);
  if (type === 12) return new Uint8Array(Uint32Array.from(t.values).buffer);
  throw new Error(`type ${type} (${n} values) not supported by the test builder`);
}

export function tensorObject(t: TensorSpec): Record<string, unknown> {
  const type = t.type ?? 1;
  const base = { name: t.name ?? '', dims: t.dims, data_type: type };
  if (!t.typed) return { ...base, raw_data: rawBytes(t) };
  if (type === 1) return { ...base, float_data: Array.from(t.values) };
  if (type === 7) return { ...base, int64_data: Array.from(t.values) };
  return { ...base, int32_data: Array.from(t.values) };
}

function attrObject(name: string, v: Attr): Record<string, unknown> {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  if ('float' in v) return { name, type: 1, f: v.float };
  return { name, type: 4, t: tensorObject(v.tensor) };
}

function valueInfo(v: ValueSpec): Record<string, unknown> {
  if (!v.dims) return { name: v.name };
  return {
    name: v.name,
    type: { tensor_type: { elem_type: v.type ?? 1, shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const msg = ModelProto.fromObject({
    ir_version: 8,
    producer_name: 'cnn-fixations-tests',
    opset_import: [{ domain: '', version: spec.opset ?? 13 }, ...(spec.extraOpsets ?? [])],
    metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'test',
      node: spec.nodes.map((n, i) => ({
        op_type: n.op,
        name: n.name ?? `${n.op}_${i}`,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrObject(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(tensorObject),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
  return ModelProto.encode(msg).finish();
}

export function buildTensorProto(t: TensorSpec): Uint8Array {
  return TensorProto.encode(TensorProto.fromObject(tensorObject(t))).finish();
}

/** Deterministic pseudo-random numbers for seeded tensors: the evaluation's generator. */
export { seededRandom as rng };

export function randomTensor(n: number, r: () => number, lo = -1, hi = 1, integers = false): Float32Array {
  return Float32Array.from({ length: n }, () => (integers ? Math.floor(lo + r() * (hi - lo + 1)) : lo + r() * (hi - lo)));
}

/** conv → LpPool (no backtrack rule) → global average pool → fully connected: the walk stops at 'lppool_2x2'. */
export function lpPoolOnPathModel(): Uint8Array {
  const r = seededRandom(7);
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 16, 16] }],
    outputs: [{ name: 'logits', dims: [1, 3] }],
    initializers: [
      { name: 'w', dims: [4, 3, 3, 3], values: randomTensor(108, r) },
      { name: 'fc', dims: [3, 4], values: randomTensor(12, r) },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'LpPool', name: 'lppool_2x2', inputs: ['c'], outputs: ['up'], attrs: { kernel_shape: [2, 2], strides: [2, 2], p: 2 } },
      { op: 'GlobalAveragePool', inputs: ['up'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'fc'], outputs: ['logits'], attrs: { transB: 1 } },
    ],
  });
}

/**
 * A small classifier: conv 3×3 (4 channels) → Relu → global average pool → fully connected to 10 classes,
 * on an input of `dims` (NCHW, 3 channels). `conv` replaces the conv's 108 seeded weights (NaN or Inf ones).
 */
export function tinyClassifier(dims: (number | string)[] = [1, 3, 32, 32], conv?: ArrayLike<number>): Uint8Array {
  const r = seededRandom(13);
  return buildModel({
    inputs: [{ name: 'x', dims }],
    outputs: [{ name: 'y', dims: [1, 10] }],
    initializers: [
      { name: 'w', dims: [4, 3, 3, 3], values: conv ?? randomTensor(108, r) },
      { name: 'fc', dims: [10, 4], values: randomTensor(40, r) },
    ],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'fc'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

/** A PNG of `width`×`height` grey pixels, all zero: a few hundred KB that decode to width × height bytes (a decompression bomb when large). */
export function zeroPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const v of b) c = crcTable[(c ^ v) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4),
      sum = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey), compression, filter, interlace 0
  const raw = zlib.deflateSync(Buffer.alloc((width + 1) * height), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', raw),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
