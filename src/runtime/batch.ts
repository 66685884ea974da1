// Plain forwards in batches, for the methods and metrics that perturb the input many times (occlusion,
// deletion, insertion): a session without the walk's extra outputs, fed many copies at once. A model
// whose batch size is fixed at 1 (or that only claims a dynamic batch, e.g. a Reshape to [1, …]) runs
// the copies one by one instead. This file and session.ts are the only ones that import onnxruntime-node.
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModelFile, ModelFileError, sessionBytes } from '../onnx/load';
import type { Values } from '../onnx/tensor';
import type { Shape } from '../unravel/tensor';
import { ortMessage, RuntimeError, sessionOptions } from './session';

export type InputData = Float32Array | Uint8Array;

export interface BatchRunner {
  readonly modelPath: string;
  readonly inputName: string;
  readonly outputName: string;
  /** Whether several inputs go through onnxruntime in one run (else one by one). */
  readonly batched: boolean;
  /**
   * Runs `count` inputs of shape `itemDims` (batch dimension 1 included) laid end to end in `data`;
   * returns each input's first output (e.g. the class scores), in order.
   */
  run(data: InputData, count: number, itemDims: Shape): Promise<Float32Array[]>;
}

/** Elements per run: large enough to amortise a run, small enough for a few MB of input. */
const ELEMENTS_PER_RUN = 1 << 22;
const MAX_BATCH = 256;

class Runner implements BatchRunner {
  private canBatch: boolean;
  private checked = false;

  constructor(
    readonly modelPath: string,
    private readonly session: ort.InferenceSession,
    readonly inputName: string,
    readonly outputName: string,
    dynamicBatch: boolean,
  ) {
    this.canBatch = dynamicBatch;
  }

  get batched(): boolean {
    return this.canBatch;
  }

  private async runOnce(data: InputData, dims: number[]): Promise<Float32Array> {
    const tensor = new ort.Tensor(data instanceof Uint8Array ? 'uint8' : 'float32', data, dims);
    const out = await this.session.run({ [this.inputName]: tensor }, [this.outputName]);
    const v = out[this.outputName].data;
    return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
  }

  release(): Promise<void> {
    return this.session.release();
  }

  async run(data: InputData, count: number, itemDims: Shape): Promise<Float32Array[]> {
    const itemSize = itemDims.reduce((a, b) => a * b, 1);
    if (data.length !== count * itemSize) throw new RangeError(`batch holds ${data.length} values, expected ${count} × ${itemSize}`);
    const results: Float32Array[] = [];
    const per = Math.max(1, Math.min(MAX_BATCH, Math.floor(ELEMENTS_PER_RUN / itemSize)));
    let i = 0;
    while (i < count) {
      const n = this.canBatch ? Math.min(per, count - i) : 1;
      const slice = data.subarray(i * itemSize, (i + n) * itemSize);
      let out: Float32Array;
      try {
        out = await this.runOnce(slice, [n, ...itemDims.slice(1)]);
      } catch (e) {
        if (n > 1) {
          // The graph fixes the batch somewhere inside (a Reshape to [1, …]): go one by one from now on.
          this.canBatch = false;
          continue;
        }
        throw new RuntimeError(`onnxruntime failed to run ${path.basename(this.modelPath)}: ${ortMessage(e)}`);
      }
      if (n > 1 && !this.checked) {
        // Once per model: the first item run alone must give what it gave in the batch, or a batch
        // dimension the graph does not really honour would mix items silently.
        this.checked = true;
        const alone = await this.runOnce(data.subarray(i * itemSize, (i + 1) * itemSize), [1, ...itemDims.slice(1)]);
        const k = out.length / n;
        if (alone.length !== k || alone.some((v, j) => Math.abs(v - out[j]) > 1e-3 * (1 + Math.abs(v)))) {
          this.canBatch = false;
          continue;
        }
      }
      const k = out.length / n;
      for (let j = 0; j < n; j++) results.push(out.subarray(j * k, (j + 1) * k));
      i += n;
    }
    return results;
  }
}

const runners = new Map<string, Promise<BatchRunner>>();

/** The batch runner of a model file, opened once and kept. */
export function batchRunner(modelPath: string): Promise<BatchRunner> {
  const abs = path.resolve(modelPath);
  let r = runners.get(abs);
  if (!r) {
    r = openRunner(abs);
    runners.set(abs, r);
    r.catch(() => runners.delete(abs));
  }
  return r;
}

async function openRunner(file: string): Promise<BatchRunner> {
  const model = loadModelFile(file);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(sessionBytes(model), await sessionOptions(model));
  } catch (e) {
    throw new ModelFileError(`onnxruntime cannot load ${file}: ${ortMessage(e)}`);
  }
  const input = session.inputMetadata[0];
  const dims = input?.isTensor ? input.shape : [];
  return new Runner(file, session, session.inputNames[0], session.outputNames[0], typeof dims[0] !== 'number' || dims[0] !== 1);
}

/** Releases every kept session (end of a run, or tests). */
export async function closeBatchRunners(): Promise<void> {
  const all = [...runners.values()];
  runners.clear();
  await Promise.all(all.map((r) => r.then((x) => (x as Runner).release()).catch(() => undefined)));
}

/**
 * One forward that also returns the named intermediate tensors (a throwaway session), for a method that
 * needs a tensor the walk did not keep.
 */
export async function forwardWithOutputs(
  modelPath: string,
  feed: { readonly name: string; readonly dims: Shape; readonly data: InputData },
  names: readonly string[],
): Promise<Map<string, { dims: Shape; data: Values }>> {
  const model = loadModelFile(modelPath);
  const session = await ort.InferenceSession.create(sessionBytes(model, names), await sessionOptions(model));
  try {
    const type = feed.data instanceof Uint8Array ? 'uint8' : 'float32';
    const out = await session.run({ [feed.name]: new ort.Tensor(type, feed.data, feed.dims as number[]) }, [...names]);
    return new Map(names.map((n) => [n, { dims: out[n].dims, data: out[n].data as Values }]));
  } catch (e) {
    throw new RuntimeError(`onnxruntime failed to run ${path.basename(modelPath)}: ${ortMessage(e)}`);
  } finally {
    await session.release();
  }
}
