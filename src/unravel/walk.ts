// The walk: from one output neuron back to the input, node by node in reverse topological order,
// each rule turning its outputs' fixations into its inputs' fixations. Every step is recorded.
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import type { ConstTensor, Values } from '../onnx/tensor';
import { graphConstants } from './constants';
import { valueSource } from './plan';
import { rules } from './rules/index';
import { withShapeValues } from './shape-values';
import { inferShapes } from './shapes';
import { floatActivation, numel, unionSorted, type Activation, type Shape } from './tensor';
import { defaultUnravelOptions, UnsupportedError, type Constants, type UnravelOptions, type WalkContext } from './types';

/** What one forward pass left behind: the fed input(s) and the tensors the runtime kept. */
export interface ForwardValues {
  readonly values: ReadonlyMap<string, { readonly dims: Shape; readonly data: Values }>;
}

export interface LayerRecord {
  readonly node: string;
  readonly op: string;
  readonly tensor: string;
  readonly shape: Shape;
  readonly count: number;
  /** Sorted flat indices into the tensor (batch 0). */
  readonly fixations: Int32Array;
  /** Fall-backs the rule took here. */
  readonly notes: readonly string[];
}

export interface UnravelResult {
  /** One record per node output that holds fixations, from the output towards the input. */
  readonly layers: readonly LayerRecord[];
  readonly input: { readonly name: string; readonly shape: Shape; readonly fixations: Int32Array };
}

export class UnravelError extends Error {}

/** A prepared walker for one model: constants folded once, shapes inferred once per input shape. */
export class Unraveler {
  readonly constants: Constants;
  private shapeCache = new Map<string, { shapes: Map<string, Shape>; constants: Constants }>();

  constructor(readonly graph: OnnxGraph) {
    this.constants = graphConstants(graph);
  }

  shapesFor(forward: ForwardValues): Map<string, Shape> {
    return this.inferred(forward).shapes;
  }

  /** Shapes, and the constants with the values computed from them, per set of known shapes. */
  private inferred(forward: ForwardValues): { shapes: Map<string, Shape>; constants: Constants } {
    const known = new Map<string, Shape>();
    for (const [name, v] of forward.values) known.set(name, v.dims);
    const key = [...known].map(([n, s]) => `${n}:${s.join('x')}`).join(';');
    let hit = this.shapeCache.get(key);
    if (!hit) {
      const values = new Map<string, ConstTensor>();
      const shapes = inferShapes(this.graph, this.constants, known, undefined, values);
      hit = { shapes, constants: withShapeValues(this.constants, values) };
      this.shapeCache.set(key, hit);
    }
    return hit;
  }

  /** Traces the fixations of element `index` (flat, batch 0) of tensor `output`. */
  unravel(forward: ForwardValues, output: string, index: number, inputName: string, options: UnravelOptions = defaultUnravelOptions): UnravelResult {
    const { graph } = this;
    const { shapes, constants } = this.inferred(forward);
    const activations = new Map<string, Activation>();
    let notes: string[] = [];

    const shape = (name: string): Shape => {
      const s = shapes.get(name) ?? constants.get(name)?.dims;
      if (s) return s;
      const p = graph.producer.get(name);
      throw new UnravelError(`the shape of tensor '${name}' is unknown${p ? ` (${p.label} has no shape rule or depends on run-time values)` : ''}`);
    };
    const activation = (name: string): Activation => {
      let a = activations.get(name);
      if (a) return a;
      const src = valueSource(name, graph, constants);
      const v = forward.values.get(src.name);
      if (v) {
        const dims = src.name === name ? v.dims : shape(name);
        a = src.scale
          ? { dims, data: v.data, scale: constants.float(src.scale)![0], zero: src.zero ? constants.float(src.zero)![0] : 0 }
          : floatActivation(dims, v.data);
      } else {
        const c = constants.get(name);
        if (!c) throw new UnravelError(`the values of tensor '${name}' were not kept by the forward pass`);
        a = floatActivation(c.dims, c.data);
      }
      activations.set(name, a);
      return a;
    };
    const ctx: WalkContext = { graph, constants, options, shape, activation, flag: (m) => notes.push(m) };

    const outShape = shape(output);
    if (!Number.isInteger(index) || index < 0 || index >= numel(outShape)) {
      throw new UnravelError(`index ${index} is outside output '${output}' of shape [${outShape.join(',')}]`);
    }
    const pending = new Map<string, Int32Array[]>([[output, [Int32Array.of(index)]]]);
    const reachedBy = new Map<string, OnnxNode>();
    const pathTo = (node: OnnxNode): string[] => {
      const path = [node.label];
      let t = node.outputs.find((o) => pending.has(o));
      for (let hops = 0; t && hops < graph.nodes.length; hops++) {
        const by = reachedBy.get(t);
        if (!by) break;
        path.push(by.label);
        t = by.outputs.find((o) => reachedBy.has(o));
      }
      return path.reverse();
    };

    const layers: LayerRecord[] = [];
    for (let k = graph.nodes.length - 1; k >= 0; k--) {
      const node = graph.nodes[k];
      if (!node.outputs.some((o) => pending.has(o))) continue;
      const outs = node.outputs.map((o) => unionSorted(pending.get(o) ?? []));
      const rule = rules.get(node.opType);
      if (!rule) {
        throw new UnsupportedError(node.opType, node.name, `no rule for ${node.domain ? `${node.domain}.` : ''}${node.opType}`, pathTo(node));
      }
      notes = [];
      let ins: readonly (Int32Array | undefined)[];
      try {
        ins = rule.back(node, outs, ctx);
      } catch (e) {
        if (e instanceof UnsupportedError) throw e.withPath(pathTo(node));
        throw new UnsupportedError(node.opType, node.name, (e as Error).message, pathTo(node));
      }
      node.outputs.forEach((o, i) => {
        if (outs[i].length) layers.push({ node: node.name, op: node.opType, tensor: o, shape: shape(o), count: outs[i].length, fixations: outs[i], notes });
      });
      ins.forEach((fix, i) => {
        const t = node.input(i);
        if (!fix || fix.length === 0 || !t || constants.has(t)) return;
        const size = numel(shape(t));
        for (let n = 0; n < fix.length; n++) {
          if (fix[n] < 0 || fix[n] >= size) {
            throw new UnravelError(`internal error: the ${node.opType} rule sent fixation ${fix[n]} to '${t}', which has ${size} elements`);
          }
        }
        const list = pending.get(t);
        if (list) list.push(fix);
        else pending.set(t, [fix]);
        if (!reachedBy.has(t)) reachedBy.set(t, node);
      });
    }
    const fixations = unionSorted(pending.get(inputName) ?? []);
    return { layers, input: { name: inputName, shape: shape(inputName), fixations } };
  }
}
