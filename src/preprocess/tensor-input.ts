// A ready-made input tensor (an ONNX TensorProto file, as in the model zoo's test_data_set folders)
// instead of an image: no preprocessing, checked against what the model expects.
import * as fs from 'node:fs';
import { decodeTensorProto } from '../onnx/schema';
import { DataType, dataTypeName, tensorFromProto } from '../onnx/tensor';
import type { Feed } from '../runtime/session';
import type { ImageInputSpec } from './input-spec';

export class TensorInputError extends Error {}

export function readInputTensor(file: string, spec: ImageInputSpec): Feed {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new TensorInputError(`tensor file not found: ${file}`);
  }
  let t;
  try {
    t = tensorFromProto(decodeTensorProto(bytes));
    void t.data;
  } catch (e) {
    throw new TensorInputError(`${file} is not an ONNX TensorProto: ${(e as Error).message}`);
  }
  const want = spec.elemType;
  if (t.dataType !== want) {
    throw new TensorInputError(`${file} holds ${dataTypeName(t.dataType)} values but input '${spec.name}' takes ${dataTypeName(want)}`);
  }
  const dims = t.dims;
  const fits = dims.length === spec.dims.length && dims.every((d, i) => typeof spec.dims[i] !== 'number' || spec.dims[i] === d) && dims[0] === 1;
  if (!fits) {
    throw new TensorInputError(
      `${file} has shape [${dims.join(',')}] but input '${spec.name}' takes [${spec.dims.map((d) => (typeof d === 'number' ? d : d || '?')).join(',')}] with batch 1`,
    );
  }
  const data = want === DataType.UINT8 ? Uint8Array.from(t.data) : Float32Array.from(t.data);
  return { name: spec.name, dims: [...dims], data };
}

/** The tensor as a picture (min–max scaled), to draw fixations over. */
export function tensorPreview(feed: Feed, spec: ImageInputSpec): { width: number; height: number; rgba: Uint8Array } {
  const d = feed.dims;
  const [c, h, w] = spec.layout === 'NCHW' ? [d[1], d[2], d[3]] : [d[3], d[1], d[2]];
  let lo = Infinity,
    hi = -Infinity;
  for (const v of feed.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi > lo ? hi - lo : 1;
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      for (let k = 0; k < 3; k++) {
        const ch = c === 1 ? 0 : k;
        const i = spec.layout === 'NCHW' ? ch * h * w + y * w + x : (y * w + x) * c + ch;
        rgba[o + k] = Math.round(((feed.data[i] - lo) / span) * 255);
      }
      rgba[o + 3] = 255;
    }
  }
  return { width: w, height: h, rgba };
}
