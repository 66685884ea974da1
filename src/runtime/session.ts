// The only place that touches onnxruntime-node. A model opens once: the graph is parsed, the tensors the
// walk needs are appended as graph outputs, and the session is kept for every later image and class.
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortText } from './ort-message';
import { finiteSums, type FiniteSums } from './finite-sums';
import { externalDataFolder, loadModelFile, ModelFileError, sessionBytes, type LoadedModel } from '../onnx/load';
import type { Values } from '../onnx/tensor';
import { defaultOps, type OpTable } from '../unravel/ops';
import { planExposure, type ExposurePlan } from '../unravel/plan';
import type { Shape } from '../unravel/tensor';
import type { ForwardValues } from '../unravel/walk';
import { Unraveler } from '../unravel/walk';

export interface OpenModel {
  readonly model: LoadedModel;
  readonly plan: ExposurePlan;
  readonly session: ort.InferenceSession;
  readonly unraveler: Unraveler;
  /** The sums onnxruntime computes for the NaN/Inf check (finite-sums.ts), when the session has them. */
  readonly finite?: FiniteSums;
  /** Graph outputs of the original model (the predictions). */
  readonly outputNames: readonly string[];
  readonly timings: { readonly parseMs: number; readonly sessionMs: number };
}

export interface Feed {
  readonly name: string;
  readonly dims: Shape;
  readonly data: Float32Array | Uint8Array;
}

export interface ForwardResult extends ForwardValues {
  /** The original graph outputs. */
  readonly outputs: ReadonlyMap<string, { readonly dims: Shape; readonly data: Values }>;
  /** Kept tensors whose sum onnxruntime found finite: they hold no NaN nor ±Inf (checkFinite skips them). */
  readonly finite?: ReadonlySet<string>;
}

/** onnxruntime could not load or run the model: the message is onnxruntime's, with what to do. */
export class RuntimeError extends Error {}

/** onnxruntime's message for the user: its first line, without C++ source paths and functions (ort-message.ts). */
export function ortMessage(e: unknown): string {
  return ortText((e as Error)?.message ?? String(e));
}

/**
 * How a session uses the machine: threads for one operator (default: onnxruntime's, one per core; sweeps that run
 * a session per core set 1), and whether those threads spin waiting for work after a run (onnxruntime's default).
 */
export interface SessionTuning {
  readonly intraOpNumThreads?: number;
  /**
   * False for a session whose forward is followed by work in JavaScript (the walk): spinning threads keep the other
   * cores busy for a while after each run, which slowed the walk and V8's garbage collector by a quarter on two
   * cores (README, "Where the time goes"). A session that only runs forwards back to back keeps onnxruntime's spin.
   */
  readonly spin?: boolean;
}

export async function sessionOptions(model: LoadedModel, tuning: SessionTuning = {}): Promise<ort.InferenceSession.SessionOptions> {
  return {
    graphOptimizationLevel: 'all',
    ...(tuning.intraOpNumThreads ? { intraOpNumThreads: tuning.intraOpNumThreads } : {}),
    extra: {
      session: {
        // A session made from bytes has no path: tell onnxruntime where the weights the skeleton references live.
        model_external_initializers_file_folder_path: externalDataFolder(model),
        ...(tuning.spin === false ? { intra_op: { allow_spinning: '0' } } : {}),
      },
    },
  };
}

export async function openModel(file: string, tuning: SessionTuning = {}, ops: OpTable = defaultOps): Promise<OpenModel> {
  const t0 = performance.now();
  const model = loadModelFile(file);
  const plan = planExposure(model.graph, ops);
  const unraveler = new Unraveler(model.graph, ops);
  let finite = finiteSums(model.graph, [...plan.expose, ...model.graph.outputs.map((o) => o.name)]);
  const t1 = performance.now();
  const create = async (sums: FiniteSums | undefined) =>
    ort.InferenceSession.create(
      sessionBytes(model, sums ? [...plan.expose, sums.output] : plan.expose, sums?.nodes),
      await sessionOptions(model, { spin: false, ...tuning }),
    );
  let session: ort.InferenceSession;
  try {
    session = await create(finite).catch((e: unknown) => {
      // the sums' nodes refused (a tensor taken for float32 is not): open without them, the scan checks all
      if (!finite) throw e;
      finite = undefined;
      return create(undefined);
    });
  } catch (e) {
    throw new ModelFileError(`onnxruntime cannot load ${file}: ${ortMessage(e).replace(/\.+$/, '')}. ${loadAdvice(model)}`);
  }
  const t2 = performance.now();
  return {
    model,
    plan,
    session,
    unraveler,
    ...(finite ? { finite } : {}),
    outputNames: model.graph.outputs.map((o) => o.name),
    timings: { parseMs: t1 - t0, sessionMs: t2 - t1 },
  };
}

/** What to do when onnxruntime refuses a model: below opset 7 (which it no longer guarantees), re-export it. */
function loadAdvice(model: LoadedModel): string {
  const opset = model.graph.opsets.get('');
  const version = ort.env.versions.common;
  if (opset !== undefined && opset < 7)
    return `The model's ONNX opset is ${opset}; onnxruntime ${version} runs models of opset 7 or later: re-export it at a newer opset (torch.onnx.export's opset_version, e.g. 17) or convert it with onnx.version_converter.convert_version.`;
  return `Check that the model runs in onnxruntime ${version}.`;
}

export async function runForward(open: OpenModel, feed: Feed): Promise<ForwardResult> {
  const type = feed.data instanceof Uint8Array ? 'uint8' : 'float32';
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await open.session.run({ [feed.name]: new ort.Tensor(type, feed.data, feed.dims as number[]) });
  } catch (e) {
    throw new RuntimeError(`onnxruntime failed to run the model: ${ortMessage(e)}`);
  }
  const values = new Map<string, { dims: Shape; data: Values }>([[feed.name, { dims: feed.dims, data: feed.data }]]);
  for (const [name, t] of Object.entries(out)) {
    const tensor = t as ort.Tensor;
    const data = tensor.data;
    if (
      typeof data === 'object' &&
      data !== null &&
      'length' in data &&
      !(data instanceof BigInt64Array) &&
      !(data instanceof BigUint64Array) &&
      !Array.isArray(data)
    ) {
      values.set(name, { dims: tensor.dims, data: data as Values });
    } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      values.set(name, { dims: tensor.dims, data: Float64Array.from(data, Number) });
    }
  }
  const sum = open.finite && values.get(open.finite.output)?.data[0];
  if (sum === undefined) return { values, outputs: originalOutputs(open, values) };
  values.delete(open.finite!.output);
  return { values, outputs: originalOutputs(open, values), finite: new Set(Number.isFinite(sum) ? open.finite!.tensors : []) };
}

function originalOutputs(open: OpenModel, values: ReadonlyMap<string, { dims: Shape; data: Values }>): ForwardResult['outputs'] {
  return new Map(open.outputNames.filter((n) => values.has(n)).map((n) => [n, values.get(n)!]));
}

/** Sessions kept per model file; a file changed on disk (size or time) opens anew. */
export class SessionCache {
  private readonly open = new Map<string, { key: string; model: Promise<OpenModel> }>();

  /** `ops`: the op table the models' walks run on (tests pass one whose rules record their steps). */
  constructor(
    private readonly tuning: SessionTuning = {},
    private readonly ops: OpTable = defaultOps,
  ) {}

  async get(file: string, stat: { size: number; mtimeMs: number }): Promise<{ model: OpenModel; cached: boolean }> {
    const abs = path.resolve(file);
    const key = `${stat.size}:${stat.mtimeMs}`;
    const hit = this.open.get(abs);
    if (hit && hit.key === key) return { model: await hit.model, cached: true };
    if (hit) void hit.model.then((m) => m.session.release()).catch(() => undefined);
    const model = openModel(abs, this.tuning, this.ops);
    this.open.set(abs, { key, model });
    model.catch(() => this.open.delete(abs));
    return { model: await model, cached: false };
  }

  async dispose(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((e) => e.model.then((m) => m.session.release()).catch(() => undefined)));
  }
}
