// Reads a model file's protobuf framing without reading its weights: every field is read and decoded
// except the raw bytes of large initializers, which are located (offset, length) and turned into external
// data references to the model file itself. The weights are then read only when a rule needs them, and
// onnxruntime gets a small skeleton pointing at the same file, so nobody holds the file's bytes twice.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeGraphProto, decodeModelProto, decodeTensorProto, type onnx } from './schema';

/** Raw payloads at least this large stay in the file (4 KiB: larger reads land in fresh, aligned buffers). */
export const SKIM_THRESHOLD = 4096;

export class TruncatedModelError extends Error {}

/** Positioned reads through a window, so that walking the framing costs few system calls. */
class FileBytes {
  private window = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private fill(pos: number, min: number): void {
    if (pos < 0 || pos + min > this.size) throw new TruncatedModelError(`the file ends at byte ${this.size}, inside a field that needs ${pos + min}`);
    const len = Math.min(this.size - pos, Math.max(min, 1 << 20));
    this.window = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(this.fd, this.window, got, len - got, pos + got);
      if (n === 0) throw new TruncatedModelError('the file ended while reading');
      got += n;
    }
    this.start = pos;
  }

  /** A copy of bytes [pos, pos + len). */
  read(pos: number, len: number): Buffer {
    if (pos < this.start || pos + len > this.start + this.window.length) this.fill(pos, len);
    return Buffer.from(this.window.subarray(pos - this.start, pos - this.start + len));
  }

  byte(pos: number): number {
    if (pos < this.start || pos >= this.start + this.window.length) this.fill(pos, 1);
    return this.window[pos - this.start];
  }

  /** A varint at pos: [value, position after it]. */
  varint(pos: number): [number, number] {
    let value = 0,
      mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte(pos + i);
      value += (b & 0x7f) * mul;
      if (b < 0x80) return [value, pos + i + 1];
      mul *= 128;
    }
    throw new TruncatedModelError(`a malformed varint at byte ${pos}`);
  }
}

interface Field {
  readonly number: number;
  readonly wire: number;
  /** Where the field's tag starts, where its payload starts and where the field ends. */
  readonly start: number;
  readonly payload: number;
  readonly end: number;
}

function fieldAt(f: FileBytes, pos: number, limit: number): Field {
  const [tag, p] = f.varint(pos);
  const number = Math.floor(tag / 8),
    wire = tag % 8;
  let payload = p,
    end: number;
  switch (wire) {
    case 0:
      end = f.varint(p)[1];
      break;
    case 1:
      end = p + 8;
      break;
    case 2: {
      const [len, q] = f.varint(p);
      payload = q;
      end = q + len;
      break;
    }
    case 5:
      end = p + 4;
      break;
    default:
      throw new TruncatedModelError(`wire type ${wire} at byte ${pos} is not protobuf as ONNX writes it`);
  }
  if (end > limit) throw new TruncatedModelError(`a field at byte ${pos} runs past the end of its message (byte ${limit})`);
  return { number, wire, start: pos, payload, end };
}

/** The fields of the message in [start, end). */
function* fields(f: FileBytes, start: number, end: number): Generator<Field> {
  for (let pos = start; pos < end;) {
    const field = fieldAt(f, pos, end);
    yield field;
    pos = field.end;
  }
}

const MODEL_GRAPH = 7,
  GRAPH_INITIALIZER = 5,
  TENSOR_RAW_DATA = 9;

function skimTensor(f: FileBytes, start: number, end: number, location: string): onnx.ITensorProto {
  const kept: Buffer[] = [];
  let raw: { offset: number; length: number } | undefined;
  for (const field of fields(f, start, end)) {
    if (field.number === TENSOR_RAW_DATA && field.wire === 2 && field.end - field.payload >= SKIM_THRESHOLD) {
      raw = { offset: field.payload, length: field.end - field.payload };
    } else {
      kept.push(f.read(field.start, field.end - field.start));
    }
  }
  const t = decodeTensorProto(Buffer.concat(kept));
  if (raw) {
    t.data_location = 1;
    t.external_data = [
      { key: 'location', value: location },
      { key: 'offset', value: String(raw.offset) },
      { key: 'length', value: String(raw.length) },
    ];
  }
  return t;
}

/** The model with large raw weights replaced by external references into `file` itself. */
export function skimModelFile(file: string): onnx.IModelProto {
  const fd = fs.openSync(file, 'r');
  try {
    const f = new FileBytes(fd, fs.fstatSync(fd).size);
    const location = path.basename(file);
    const modelRest: Buffer[] = [];
    const graphRest: Buffer[] = [];
    const initializers: onnx.ITensorProto[] = [];
    let graphs = 0;
    for (const field of fields(f, 0, f.size)) {
      if (field.number !== MODEL_GRAPH || field.wire !== 2) {
        modelRest.push(f.read(field.start, field.end - field.start));
        continue;
      }
      graphs++;
      for (const g of fields(f, field.payload, field.end)) {
        if (g.number === GRAPH_INITIALIZER && g.wire === 2) initializers.push(skimTensor(f, g.payload, g.end, location));
        else graphRest.push(f.read(g.start, g.end - g.start));
      }
    }
    const model = decodeModelProto(Buffer.concat(modelRest));
    if (graphs > 0) {
      const graph = decodeGraphProto(Buffer.concat(graphRest));
      graph.initializer = initializers;
      model.graph = graph;
    }
    return model;
  } finally {
    fs.closeSync(fd);
  }
}
