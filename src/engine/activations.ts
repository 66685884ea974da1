// Values of a walk tensor for the drill-down's activation map: from the kept forward pass when the walk
// read them, else from one lazily made inspection run (cached per forward pass). Quantized tensors come
// with the scale and zero point that dequantize them.
import type { Explainer } from '../explain';
import type { OnnxNode } from '../onnx/graph';
import type { Values } from '../onnx/tensor';
import { runExposingPath } from '../runtime/inspect';
import { valueSource } from '../unravel/plan';
import type { Shape } from '../unravel/tensor';

export interface TensorValues {
  readonly data: ArrayLike<number>;
  readonly scale: number;
  readonly zero: number;
}

type ValueMap = ReadonlyMap<string, { readonly dims: Shape; readonly data: Values }>;

/** Where the output scale and zero point of a quantizing op sit among its inputs. */
const outputQuant: Readonly<Record<string, readonly [number, number]>> = {
  QuantizeLinear: [1, 2],
  QLinearConv: [6, 7],
  QLinearMatMul: [6, 7],
  QLinearAdd: [6, 7],
  QLinearMul: [6, 7],
  QLinearGlobalAveragePool: [3, 4],
  QLinearAveragePool: [3, 4],
  QLinearSigmoid: [3, 4],
  QLinearLeakyRelu: [3, 4],
  QLinearConcat: [0, 1],
};
/** Ops that move quantized values without changing their scale. */
const keepsQuant = new Set([
  'MaxPool',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
  'Identity',
  'Split',
  'Slice',
  'Pad',
  'Concat',
  'Gather',
  'DepthToSpace',
  'SpaceToDepth',
]);

export class Activations {
  private inspected: Promise<ValueMap> | undefined;
  /** Inspection runs started (a failed one is retried on the next request, so this can exceed one). */
  runs = 0;

  constructor(private readonly explainer: Explainer) {}

  /** Whether `tensor` can be had without a new run. */
  kept(tensor: string): boolean {
    const e = this.explainer;
    return e.forward.values.has(valueSource(tensor, e.model.model.graph, e.model.unraveler.constants).name);
  }

  /** Makes sure the values of `tensor` are available (running the inspection session once if needed). */
  async prepare(tensor: string): Promise<void> {
    if (this.kept(tensor)) return;
    const e = this.explainer;
    const input = e.forward.values.get(e.spec.name)!;
    if (!this.inspected) {
      this.runs++;
      this.inspected = runExposingPath(e.model, { name: e.spec.name, dims: input.dims, data: input.data as Float32Array | Uint8Array });
    }
    this.inspected.catch(() => (this.inspected = undefined));
    await this.inspected;
  }

  /** Synchronous lookup for payload.layerDetail, after prepare(). */
  async lookup(): Promise<(tensor: string) => TensorValues | undefined> {
    const e = this.explainer;
    const graph = e.model.model.graph;
    const constants = e.model.unraveler.constants;
    const inspected = this.inspected ? await this.inspected.catch(() => undefined) : undefined;
    return (tensor) => {
      const src = valueSource(tensor, graph, constants);
      const kept = e.forward.values.get(src.name);
      if (kept) {
        if (src.scale) return { data: kept.data, scale: constants.float(src.scale)![0], zero: src.zero ? constants.float(src.zero)![0] : 0 };
        return { data: kept.data, ...this.quant(tensor, kept.data) };
      }
      const v = inspected?.get(tensor);
      return v ? { data: v.data, ...this.quant(tensor, v.data) } : undefined;
    };
  }

  /** Scale and zero point of an integer tensor, from the op that quantized it; identity for floats. */
  private quant(tensor: string, data: Values): { scale: number; zero: number } {
    if (data instanceof Float32Array || data instanceof Float64Array) return { scale: 1, zero: 0 };
    const { graph } = this.explainer.model.model;
    const constants = this.explainer.model.unraveler.constants;
    let t = tensor;
    for (let hops = 0; hops < 64; hops++) {
      const p: OnnxNode | undefined = graph.producer.get(t);
      if (!p) break;
      const at = outputQuant[p.opType];
      if (at) {
        const scale = constants.float(p.input(at[0]))?.[0];
        const zero = p.input(at[1]) ? constants.float(p.input(at[1]))?.[0] : 0;
        if (scale !== undefined) return { scale, zero: zero ?? 0 };
        break;
      }
      if (!keepsQuant.has(p.opType)) break;
      t = p.input(0);
    }
    return { scale: 1, zero: 0 };
  }
}
