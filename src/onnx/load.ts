// Reads a model file's structure, not its weights (skim.ts): large weights become references into the
// file, read when a rule needs them, and onnxruntime gets a small skeleton pointing at the same file.
// External data (weights in files beside the model) is read the same way, on demand.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotOnnxError, buildGraph, type OnnxGraph } from './graph';
import { encodeExtraOutputs, encodeModelProto, type onnx } from './schema';
import { TruncatedModelError, skimModelFile } from './skim';
import type { ExternalDataReader, ExternalRef } from './tensor';

export interface LoadedModel {
  /** The path as the user gave it (shown in messages and outputs). */
  readonly path: string;
  /**
   * The file itself, symbolic links resolved: the skeleton's weight references and onnxruntime's weight folder
   * point here, since onnxruntime refuses external data whose resolved path leaves the folder it was given.
   */
  readonly realPath: string;
  /** The decoded model, its large weights as external references into the file (a skeleton of a few KB). */
  readonly proto: onnx.IModelProto;
  readonly fileSize: number;
  readonly mtimeMs: number;
  readonly graph: OnnxGraph;
  readonly usesExternalData: boolean;
}

/** A user-facing problem with the model file: the message says what is wrong and what to do. */
export class ModelFileError extends Error {}

/**
 * Reads external tensor data from files in the model's folder: a tensor's bytes whole, or (`readInto`) byte ranges of
 * them straight into the tensor's own array, which is how a walk reads only the filters it uses. `stamp`, the file's
 * size and modification time when the model was opened: a range read later from a file that changed since is refused
 * (its weights would not match those read before, nor onnxruntime's).
 */
export function externalDataReader(modelPath: string, stamp?: { readonly size: number; readonly mtimeMs: number }): ExternalDataReader {
  const dir = path.dirname(path.resolve(modelPath));
  const resolved = new Map<string, string>();
  const modelFile = path.resolve(modelPath);
  const openFile = (ref: ExternalRef, tensorName: string): number => {
    let file = resolved.get(ref.location);
    if (file === undefined) {
      file = path.resolve(dir, ref.location);
      if (path.relative(dir, file).startsWith('..') || path.isAbsolute(ref.location)) {
        throw new ModelFileError(`tensor '${tensorName}' points outside the model's folder ('${ref.location}'); refusing to read it`);
      }
      resolved.set(ref.location, file);
    }
    try {
      return fs.openSync(file, 'r');
    } catch {
      throw new ModelFileError(
        `tensor '${tensorName}' is stored in '${ref.location}', which is missing beside the model; copy it next to ${path.basename(modelPath)}`,
      );
    }
  };
  /** Opens the file of `ref`, refusing the model file itself when it changed since it was opened. */
  const open = (ref: ExternalRef, tensorName: string): number => {
    const fd = openFile(ref, tensorName);
    if (stamp && resolved.get(ref.location) === modelFile) {
      const now = fs.fstatSync(fd);
      if (now.size !== stamp.size || now.mtimeMs !== stamp.mtimeMs) {
        fs.closeSync(fd);
        throw new ModelFileError(`${path.basename(modelPath)} changed on disk since it was opened; open it again to explain it`);
      }
    }
    return fd;
  };
  const read = (ref: ExternalRef, tensorName: string): Uint8Array => {
    const fd = open(ref, tensorName);
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
  const readInto = (ref: ExternalRef, tensorName: string, into: Uint8Array, ranges: readonly number[]): void => {
    const fd = open(ref, tensorName);
    try {
      for (let i = 0; i < ranges.length; i += 2) {
        const [start, end] = [ranges[i], ranges[i + 1]];
        const got = fs.readSync(fd, into, start, end - start, ref.offset + start);
        if (got !== end - start) throw new ModelFileError(`external data file '${ref.location}' is shorter than tensor '${tensorName}' needs`);
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  return Object.assign(read, { readInto });
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
  const realPath = fs.realpathSync(file);
  const reader = externalDataReader(realPath, { size: stat.size, mtimeMs: stat.mtimeMs });
  let proto: onnx.IModelProto;
  let graph: OnnxGraph;
  try {
    proto = skimModelFile(realPath);
    graph = buildGraph(proto, reader);
  } catch (e) {
    if (e instanceof NotOnnxError || e instanceof TruncatedModelError)
      throw new ModelFileError(`${file} is not a usable ONNX model: ${e.message}; it may be truncated or corrupt`);
    throw new ModelFileError(`${file} could not be read as an ONNX model: ${(e as Error).message}`);
  }
  const usesExternalData = [...graph.constants.values()].some((c) => c.external);
  return { path: file, realPath, proto, fileSize: stat.size, mtimeMs: stat.mtimeMs, graph, usesExternalData };
}

/**
 * The bytes onnxruntime opens: the skeleton, plus graph outputs and nodes appended as protobuf (a repeated `graph`
 * field merges into the first), with the weights read by onnxruntime from the model's folder.
 */
export function sessionBytes(model: LoadedModel, extraOutputs: readonly string[] = [], extraNodes: readonly onnx.INodeProto[] = []): Uint8Array {
  const skeleton = encodeModelProto(model.proto);
  if (extraOutputs.length === 0) return skeleton;
  const extra = encodeExtraOutputs(extraOutputs, extraNodes);
  const bytes = new Uint8Array(skeleton.length + extra.length);
  bytes.set(skeleton);
  bytes.set(extra, skeleton.length);
  return bytes;
}

/** Where onnxruntime finds the weights the skeleton references: the folder of the model file itself (links resolved). */
export function externalDataFolder(model: LoadedModel): string {
  return path.dirname(model.realPath);
}
