// Reads a model file. The bytes land in one buffer with room to spare at its end, so that graph outputs
// can be appended for onnxruntime without copying the weights; weights stored as raw bytes stay views
// into it. External data (weights in files beside the model) is read on demand.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotOnnxError, parseModel, type OnnxGraph } from './graph';
import type { ExternalDataReader } from './tensor';

export interface LoadedModel {
  readonly path: string;
  /**
   * The file's bytes, then spare room. Once onnxruntime has opened the session, misaligned weights are
   * moved in place (realignRawWeights): from then on the bytes no longer parse as a model; read the file.
   */
  readonly buffer: Buffer;
  readonly fileSize: number;
  readonly mtimeMs: number;
  readonly graph: OnnxGraph;
  readonly usesExternalData: boolean;
}

/** A user-facing problem with the model file: the message says what is wrong and what to do. */
export class ModelFileError extends Error {}

const SPARE = 1 << 20;

export function externalDataReader(modelPath: string): ExternalDataReader {
  const dir = path.dirname(path.resolve(modelPath));
  return (ref, tensorName) => {
    const file = path.resolve(dir, ref.location);
    if (path.relative(dir, file).startsWith('..') || path.isAbsolute(ref.location)) {
      throw new ModelFileError(`tensor '${tensorName}' points outside the model's folder ('${ref.location}'); refusing to read it`);
    }
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      throw new ModelFileError(`tensor '${tensorName}' is stored in '${ref.location}', which is missing beside the model; copy it next to ${path.basename(modelPath)}`);
    }
    try {
      const length = ref.length ?? fs.fstatSync(fd).size - ref.offset;
      const out = Buffer.allocUnsafe(length);
      const got = fs.readSync(fd, out, 0, length, ref.offset);
      if (got !== length) throw new ModelFileError(`external data file '${ref.location}' is shorter than tensor '${tensorName}' needs`);
      return out;
    } finally {
      fs.closeSync(fd);
    }
  };
}

export function loadModelFile(file: string): LoadedModel {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ModelFileError(`model file not found: ${file}`);
  }
  if (!stat.isFile()) throw new ModelFileError(`not a file: ${file}`);
  if (stat.size === 0) throw new ModelFileError(`${file} is empty; expected an ONNX model`);
  const buffer = Buffer.allocUnsafe(stat.size + SPARE);
  const fd = fs.openSync(file, 'r');
  try {
    let off = 0;
    while (off < stat.size) {
      const n = fs.readSync(fd, buffer, off, stat.size - off, off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  const reader = externalDataReader(file);
  let graph: OnnxGraph;
  try {
    graph = parseModel(buffer.subarray(0, stat.size), reader);
  } catch (e) {
    if (e instanceof NotOnnxError) throw new ModelFileError(`${file} is not a usable ONNX model: ${e.message}`);
    throw new ModelFileError(`${file} could not be read as an ONNX model: ${(e as Error).message}`);
  }
  const usesExternalData = [...graph.constants.values()].some((c) => c.external);
  return { path: file, buffer, fileSize: stat.size, mtimeMs: stat.mtimeMs, graph, usesExternalData };
}
