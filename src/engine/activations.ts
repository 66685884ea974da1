// Values of a walk tensor for the drill-down's activation map: from the kept forward pass when the walk
// read them, else from one lazily made inspection run (cached per forward pass). Quantized tensors come
// with the scale and zero point that dequantize them.
import type { Explainer } from '../explain';
import type { OnnxNode } from '../onnx/graph';
import type { Values } from '../onnx/tensor';
import { runExposingPath } from '../runtime/inspect';
import { derivedInput, valueSource, type ValueSource } from '../unravel/plan';
import type { Shape } from '../unravel/tensor';

export interface TensorValues {
  readonly data: ArrayLike<number>;
  readonly scale: number;
  readonly zero: number;
}

type ValueMap = ReadonlyMap<string, { readonly dims: Shape; readonly data: Values }>;

export class Activations {
  private inspected: Promise<ValueMap> | undefined;
  /** Inspection runs started (a failed one is retried on the next request, so this can exceed one). */
  runs = 0;

  constructor(private readonly explainer: Explainer) {}

  /** Whether `tensor` can be had without a new run. */
  kept(tensor: string): boolean {
    const e = this.explainer;
    const src = valueSource(tensor, e.model.model.graph, e.model.unraveler.constants, e.model.unraveler.ops);
    return e.forward.values.has(src.name) || this.derived(src);
  }

  /**
   * Whether a tensor the forward pass did not keep (its source `src`) is a conv input the walk makes from kept
   * tensors (plan.ts, derivedInput): made here too, with no run.
   */
  private derived(src: ValueSource): boolean {
    return !src.scale && derivedInput(src.name, this.explainer.model.model.graph, this.explainer.model.unraveler.constants) !== undefined;
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
    const { constants, ops } = e.model.unraveler;
    const inspected = this.inspected ? await this.inspected.catch(() => undefined) : undefined;
    return (tensor) => {
      const src = valueSource(tensor, graph, constants, ops);
      const kept = e.forward.values.get(src.name);
      if (kept) {
        if (src.scale) return { data: kept.data, scale: constants.float(src.scale)![0], zero: src.zero ? constants.float(src.zero)![0] : 0 };
        return { data: kept.data, ...this.quant(tensor, kept.data) };
      }
      if (this.derived(src)) return { data: e.model.unraveler.values(e.forward, tensor), scale: 1, zero: 0 };
      const v = inspected?.get(tensor);
      return v ? { data: v.data, ...this.quant(tensor, v.data) } : undefined;
    };
  }

  /** Scale and zero point of an integer tensor, from the op that quantized it (through ops that keep the scale); identity for floats. */
  private quant(tensor: string, data: Values): { scale: number; zero: number } {
    if (data instanceof Float32Array || data instanceof Float64Array) return { scale: 1, zero: 0 };
    const { graph } = this.explainer.model.model;
    const { constants, ops } = this.explainer.model.unraveler;
    let t = tensor;
    for (let hops = 0; hops < 64; hops++) {
      const p: OnnxNode | undefined = graph.producer.get(t);
      if (!p) break;
      const d = ops.get(p);
      const at = d?.outputQuant;
      if (at) {
        const scale = constants.float(p.input(at[0]))?.[0];
        const zero = p.input(at[1]) ? constants.float(p.input(at[1]))?.[0] : 0;
        if (scale !== undefined) return { scale, zero: zero ?? 0 };
        break;
      }
      if (!d?.keepsScale) break;
      t = p.input(0);
    }
    return { scale: 1, zero: 0 };
  }
}
