// The walk: from one output neuron back to the input, node by node in reverse topological order,
// each rule turning its outputs' fixations into its inputs' fixations. Every step is recorded.
// With masses (docs/ALGORITHM.md, "Masses" and "Class contrasts") each fixation carries a share of
// the target's mass 1, conserved at every step; a class contrast replaces the target's weight vector at the
// first weighted node on the path (the classifier) by a combination with the other classes' vectors.
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import type { ConstTensor, Values } from '../onnx/tensor';
import { graphConstants, weightRowsFor } from './constants';
import { merge, totalMass, type Fixations } from './fixations';
import { derivedInput, derivingConv, valueSource, type DerivedInput } from './plan';
import { batchNormAttrs } from './op-attrs';
import { convGeometry } from './rules/conv';
import { convValuesAt } from './rules/conv-values';
import { withShapeValues } from './fold';
import { forOpsets } from './ops';
import { inferShapes, type ShapeCause } from './shapes';
import { floatActivation, numel, planarActivation, valuesAt as valuesOf, type Activation, type DerivedChannels, type Shape } from './tensor';
import { defaultUnravelOptions, UnsupportedError, type Constants, type OpTable, type Rule, type UnravelOptions, type WalkContext } from './types';

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
  /** Their masses, when the walk carried masses. */
  readonly mass: Float64Array | undefined;
  /** Fall-backs the rule took here. */
  readonly notes: readonly string[];
}

export interface UnravelResult {
  /** One record per node output that holds fixations, from the output towards the input. */
  readonly layers: readonly LayerRecord[];
  readonly input: { readonly name: string; readonly shape: Shape; readonly fixations: Int32Array; readonly mass: Float64Array | undefined };
  /** Where a class contrast started (the classifier node), when one was asked for. */
  readonly contrastNode?: string;
}

export class UnravelError extends Error {}

/** The first weighted node on a class's path, and the neuron (weight vector) of it that the class reads. */
interface ClassNeuron {
  readonly node: OnnxNode;
  readonly neuron: number;
}

/** Mass a node may lose to rounding before the walk calls it a leak. */
const MASS_TOLERANCE = 1e-9;

/** What shape inference gives for one set of known shapes: the shapes, the constants with the values folded from them, and why the rest have none. */
interface Inferred {
  readonly shapes: Map<string, Shape>;
  readonly constants: Constants;
  readonly causes: ReadonlyMap<string, ShapeCause>;
}

/** A prepared walker for one model: constants folded once, shapes inferred once per input shape. */
export class Unraveler {
  readonly constants: Constants;
  private shapeCache = new Map<string, Inferred>();
  /** Per forward pass and output: each class's classifier neuron (a class switch reuses them). */
  private neuronCache = new WeakMap<ForwardValues, Map<string, Map<number, ClassNeuron>>>();
  /** The same for classes whose walk to the classifier read no activation: it holds for any image of those shapes. */
  private staticNeurons = new Map<string, Map<number, ClassNeuron>>();
  private byForward = new WeakMap<ForwardValues, Inferred>();

  /** The table as the model's opsets see it (ops.ts, forOpsets). */
  readonly ops: OpTable;

  constructor(
    readonly graph: OnnxGraph,
    ops: OpTable,
  ) {
    this.ops = forOpsets(ops, graph.opsets);
    this.constants = graphConstants(graph, this.ops);
  }

  shapesFor(forward: ForwardValues): Map<string, Shape> {
    return this.inferred(forward).shapes;
  }

  /** Shapes, and the constants with the values computed from them, per set of known shapes (and per forward pass, to skip the key). */
  private inferred(forward: ForwardValues): Inferred {
    const seen = this.byForward.get(forward);
    if (seen) return seen;
    const hit = this.inferredFor(forward);
    this.byForward.set(forward, hit);
    return hit;
  }

  private inferredFor(forward: ForwardValues): Inferred {
    const known = new Map<string, Shape>();
    for (const [name, v] of forward.values) known.set(name, v.dims);
    const key = [...known].map(([n, s]) => `${n}:${s.join('x')}`).join(';');
    let hit = this.shapeCache.get(key);
    if (!hit) {
      const values = new Map<string, ConstTensor>();
      const causes = new Map<string, ShapeCause>();
      const shapes = inferShapes(this.graph, this.ops, this.constants, known, undefined, values, causes);
      hit = { shapes, constants: withShapeValues(this.constants, values), causes };
      this.shapeCache.set(key, hit);
    }
    return hit;
  }

  /** The values of a tensor the forward pass kept (or a constant, or a conv input the walk makes), dequantized, as the rules read them. */
  values(forward: ForwardValues, name: string): Float64Array {
    const a = new Walk(this.graph, this.ops, this.inferred(forward), forward, defaultUnravelOptions).ctx.activation(name);
    return Float64Array.from(a.data, (v) => (v - a.zero) * a.scale);
  }

  /** Traces the fixations of element `index` (flat, batch 0) of tensor `output`. */
  unravel(forward: ForwardValues, output: string, index: number, inputName: string, options: UnravelOptions = defaultUnravelOptions): UnravelResult {
    const walk = new Walk(this.graph, this.ops, this.inferred(forward), forward, options);
    walk.start(output, index);
    const contrast = options.contrast;
    let contrastNode: OnnxNode | undefined;
    walk.run((node, rule, outs) => {
      if (!contrast || contrastNode || !rule.weighted) return undefined;
      contrastNode = node;
      const own = walk.soleFixation(node, outs, `class ${index}`);
      const coefficients = new Map<number, number>([[rule.weighted.neuron(node, own, walk.ctx), 1]]);
      const neurons = this.classNeurons(forward, output, [...contrast.coefficients.keys()], options);
      for (const [cls, c] of contrast.coefficients) {
        const n = neurons.get(cls)!;
        if (n.node !== node) {
          throw new UnsupportedError(
            node.opType,
            node.name,
            `class ${cls}'s score comes from ${n.node.label}, not from this node: a class contrast needs one classifier node for all classes`,
          );
        }
        coefficients.set(n.neuron, (coefficients.get(n.neuron) ?? 0) + c);
      }
      return rule.weighted.back(node, outs, coefficients, walk.ctx);
    });
    if (contrast && !contrastNode) {
      throw new UnravelError(
        `class ${index} reaches the input without passing a node with weights (Conv, Gemm, MatMul): a class contrast needs a classifier layer; use mode paper or weighted`,
      );
    }
    const input = walk.result(inputName);
    return { layers: walk.layers, input, ...(contrastNode ? { contrastNode: contrastNode.label } : {}) };
  }

  /**
   * For each class, the first node with weights on its path from the output and the neuron of it the class
   * reads (a Gemm's column, a conv classifier's channel): found by walking each class back to that node.
   */
  private classNeurons(forward: ForwardValues, output: string, classes: readonly number[], options: UnravelOptions): Map<number, ClassNeuron> {
    let perOutput = this.neuronCache.get(forward);
    if (!perOutput) this.neuronCache.set(forward, (perOutput = new Map()));
    let known = perOutput.get(output);
    if (!known) perOutput.set(output, (known = new Map()));
    const inferred = this.inferred(forward);
    const staticKey = `${output}@${[...forward.values].map(([n, v]) => `${n}:${v.dims.join('x')}`).join(';')}`;
    let always = this.staticNeurons.get(staticKey);
    if (!always) this.staticNeurons.set(staticKey, (always = new Map()));
    const plain: UnravelOptions = { convMode: options.convMode, flattenMode: options.flattenMode };
    const result = new Map<number, ClassNeuron>();
    for (const cls of classes) {
      const hit = known.get(cls) ?? always.get(cls);
      if (hit) {
        result.set(cls, hit);
        continue;
      }
      const walk = new Walk(this.graph, this.ops, inferred, forward, plain);
      walk.start(output, cls);
      let found: ClassNeuron | undefined;
      walk.run((node, rule, outs) => {
        if (!rule.weighted) return undefined;
        found = { node, neuron: rule.weighted.neuron(node, walk.soleFixation(node, outs, `class ${cls}`), walk.ctx) };
        return 'stop';
      });
      if (!found)
        throw new UnravelError(
          `class ${cls} reaches the input without passing a node with weights: a class contrast needs a classifier layer; use mode paper or weighted`,
        );
      // A walk that read no activation (a Gemm head behind Softmax, a bias, reshapes) depends on shapes alone.
      (walk.readActivations ? known : always).set(cls, found);
      result.set(cls, found);
    }
    return result;
  }
}

/** A node's own handling of its outputs' fixations (the contrast start), 'stop' to end the walk there, or undefined for its rule. */
type Visit = (node: OnnxNode, rule: Rule, outs: readonly Fixations[]) => readonly (Fixations | undefined)[] | 'stop' | undefined;

/** One walk from one output element: its pending fixations per tensor, the records, the context rules see. */
class Walk {
  readonly ctx: WalkContext;
  readonly layers: LayerRecord[] = [];
  /** Whether a rule read values of the forward pass (else the walk depends on shapes and constants alone). */
  readActivations = false;
  private readonly pending = new Map<string, Fixations[]>();
  private readonly reachedBy = new Map<string, OnnxNode>();
  private notes: string[] = [];

  constructor(
    private readonly graph: OnnxGraph,
    private readonly ops: OpTable,
    inferred: Inferred,
    forward: ForwardValues,
    private readonly options: UnravelOptions,
  ) {
    const { shapes, constants, causes } = inferred;
    const activations = new Map<string, Activation>();
    const shape = (name: string): Shape => {
      const s = shapes.get(name) ?? constants.get(name)?.dims;
      if (s) return s;
      // Named after the node at the root: a bad attribute or an op without a rule further up, whoever reads it.
      const cause = causes.get(name);
      if (cause) throw new UnsupportedError(cause.opType, cause.nodeName, cause.detail);
      const p = graph.producer.get(name);
      if (!p) throw new UnravelError(`the shape of tensor '${name}' is unknown`);
      // Named after the node that made the tensor: an op without a rule is the usual reason, said as such.
      throw new UnsupportedError(
        p.opType,
        p.name,
        ops.get(p)?.rule
          ? (ops.get(p)?.attrs?.problem(p) ?? `the shape of its output '${name}' depends on run-time values`)
          : (ops.get(p)?.refused ?? `no rule for ${p.domain ? `${p.domain}.` : ''}${p.opType}`),
      );
    };
    const activation = (name: string, derived = false): Activation => {
      const a = anyActivation(name);
      return a.derived && !derived ? planarActivation(a) : a;
    };
    const anyActivation = (name: string): Activation => {
      this.readActivations = true;
      let a = activations.get(name);
      if (a) return a;
      const src = valueSource(name, graph, constants, ops);
      const v = forward.values.get(src.name);
      if (v) {
        const dims = src.name === name ? v.dims : shape(name);
        a = src.scale
          ? { dims, data: v.data, scale: constants.float(src.scale)![0], zero: src.zero ? constants.float(src.zero)![0] : 0 }
          : floatActivation(dims, v.data);
      } else {
        const c = constants.get(name);
        const made = !c && !src.scale ? derivedInput(src.name, graph, constants) : undefined;
        if (made) a = derivedActivation(forward, name, shape(name), made, anyActivation, constants);
        else if (!c) throw new UnravelError(`the values of tensor '${name}' were not kept by the forward pass`);
        else a = floatActivation(c.dims, c.data);
      }
      activations.set(name, a);
      return a;
    };
    const valuesAt = (name: string, at: Int32Array): Float64Array => {
      const src = valueSource(name, graph, constants, ops);
      const conv = !src.scale && !forward.values.has(src.name) ? derivingConv(src.name, graph, constants) : undefined;
      if (!conv) return valuesOf(activation(name), at);
      const x = activation(conv.input(0), true);
      const [w, b] = [conv.input(1), conv.input(2)];
      const geo = convGeometry(conv, x.dims, shape(w));
      const [, cout, oh, ow] = geo.outDims;
      return convValuesAt(geo, x, weightRowsFor(constants, w, at, cout, oh * ow)!, b ? constants.float(b) : undefined, at, forward);
    };
    this.ctx = { graph, ops, constants, options, shape, activation, valuesAt, flag: (m) => this.notes.push(m), forward };
  }

  /** Puts the target element, with mass 1, on `output`. */
  start(output: string, index: number): void {
    const outShape = this.ctx.shape(output);
    if (!Number.isInteger(index) || index < 0 || index >= numel(outShape)) {
      throw new UnravelError(`index ${index} is outside output '${output}' of shape [${outShape.join(',')}]`);
    }
    const first: Fixations = { index: Int32Array.of(index), mass: this.options.masses ? Float64Array.of(1) : undefined };
    this.pending.set(output, [first]);
  }

  /** The node's single fixation: where a contrast starts there must be exactly one, on one path. */
  soleFixation(node: OnnxNode, outs: readonly Fixations[], who: string): number {
    const held = outs.filter((o) => o.index.length > 0);
    const others = [...this.pending.keys()].filter((t) => !node.outputs.includes(t) && (this.pending.get(t) ?? []).some((f) => f.index.length > 0));
    if (held.length !== 1 || held[0].index.length !== 1 || others.length > 0) {
      throw new UnsupportedError(
        node.opType,
        node.name,
        `${who} reaches this node with ${held.reduce((n, o) => n + o.index.length, 0)} fixation(s)${others.length ? ` and ${others.length} other path(s)` : ''}; a class contrast needs a single path from the class to its classifier`,
      );
    }
    return held[0].index[0];
  }

  private pathTo(node: OnnxNode): string[] {
    const path = [node.label];
    let t = node.outputs.find((o) => this.pending.has(o));
    for (let hops = 0; t && hops < this.graph.nodes.length; hops++) {
      const by = this.reachedBy.get(t);
      if (!by) break;
      path.push(by.label);
      t = by.outputs.find((o) => this.reachedBy.has(o));
    }
    return path.reverse();
  }

  /** Visits the nodes holding fixations, from the output towards the input. */
  run(visit: Visit): void {
    const { graph, ctx } = this;
    for (let k = graph.nodes.length - 1; k >= 0; k--) {
      const node = graph.nodes[k];
      if (!node.outputs.some((o) => this.pending.has(o))) continue;
      const outs = node.outputs.map((o) => merge(this.pending.get(o) ?? []));
      const descriptor = this.ops.get(node);
      const rule = descriptor?.rule;
      if (!rule) {
        throw new UnsupportedError(
          node.opType,
          node.name,
          descriptor?.refused ?? `no rule for ${node.domain ? `${node.domain}.` : ''}${node.opType}`,
          this.pathTo(node),
        );
      }
      this.notes = [];
      let sent: [string, Fixations][];
      try {
        descriptor.attrs?.of(node); // a bad attribute is refused here, by name, before any rule reads it
        const own = visit(node, rule, outs);
        if (own === 'stop') return;
        const ins = own ?? rule.back(node, outs, ctx);
        // Shapes read here (the record's, the parents' bounds) can fail too: for a tensor made by an op without a rule.
        node.outputs.forEach((o, i) => {
          const f = outs[i];
          if (f.index.length)
            this.layers.push({
              node: node.name,
              op: node.opType,
              tensor: o,
              shape: ctx.shape(o),
              count: f.index.length,
              fixations: f.index,
              mass: f.mass,
              notes: this.notes,
            });
        });
        sent = this.routed(node, ins);
      } catch (e) {
        if (e instanceof UnsupportedError) {
          if (e.path.length) throw e;
          // A node further up (whose output's shape a rule here needed) ends the path after this one.
          const path = this.pathTo(node);
          throw e.withPath(e.nodeName === node.name ? path : [...path, `${e.opType} '${e.nodeName}'`]);
        }
        if (e instanceof UnravelError) throw e;
        throw new UnsupportedError(node.opType, node.name, (e as Error).message, this.pathTo(node));
      }
      if (this.options.masses) this.conserve(node, outs, sent);
      sent.forEach(([t, fix]) => {
        const list = this.pending.get(t);
        if (list) list.push(fix);
        else this.pending.set(t, [fix]);
        if (!this.reachedBy.has(t)) this.reachedBy.set(t, node);
      });
      for (const o of node.outputs) this.pending.delete(o);
    }
  }

  /** What the rule sent to the node's non-constant inputs, checked against their sizes. */
  private routed(node: OnnxNode, ins: readonly (Fixations | undefined)[]): [string, Fixations][] {
    const sent: [string, Fixations][] = [];
    ins.forEach((fix, i) => {
      const t = node.input(i);
      if (!fix || fix.index.length === 0 || !t || this.ctx.constants.has(t)) return;
      const size = numel(this.ctx.shape(t));
      for (let n = 0; n < fix.index.length; n++) {
        if (fix.index[n] < 0 || fix.index[n] >= size) {
          throw new UnravelError(`internal error: the ${node.opType} rule sent fixation ${fix.index[n]} to '${t}', which has ${size} elements`);
        }
      }
      if (fix.mass && fix.mass.length !== fix.index.length)
        throw new UnravelError(`internal error: the ${node.opType} rule sent ${fix.index.length} fixations with ${fix.mass.length} masses`);
      sent.push([t, fix]);
    });
    return sent;
  }

  /**
   * Masses are conserved: what a node sends equals what reached it. A rule never creates mass; mass that found no
   * parent (fixations on constant padding, or on a constant operand) is spread over the rest in proportion, and said.
   */
  private conserve(node: OnnxNode, outs: readonly Fixations[], sent: [string, Fixations][]): void {
    const inMass = outs.reduce((s, f) => s + totalMass(f), 0);
    const outMass = sent.reduce((s, [, f]) => s + totalMass(f), 0);
    if (sent.some(([, f]) => !f.mass)) throw new UnravelError(`internal error: the ${node.opType} rule dropped the masses`);
    if (outMass > inMass * (1 + MASS_TOLERANCE) + 1e-12) {
      throw new UnravelError(`internal error: the ${node.opType} rule at '${node.name}' sent mass ${outMass} for ${inMass}`);
    }
    if (outMass >= inMass * (1 - MASS_TOLERANCE) || outMass === 0) return;
    const factor = inMass / outMass;
    for (let k = 0; k < sent.length; k++) {
      const [t, f] = sent[k];
      sent[k] = [t, { index: f.index, mass: f.mass!.map((m) => m * factor) }];
    }
    const lost = ((1 - outMass / inMass) * 100).toFixed(1);
    const note = `${lost}% of the mass here had no parent (padding or constants) and was spread over the rest`;
    if (!this.notes.includes(note)) this.notes.push(note);
  }

  /** The fixations that reached the input, with masses normalized to sum to 1 (when any mass reached it). */
  result(inputName: string): UnravelResult['input'] {
    const fix = merge(this.pending.get(inputName) ?? []);
    let mass = fix.mass ?? (this.options.masses ? new Float64Array(0) : undefined);
    if (mass) {
      const total = totalMass(fix);
      if (total > 0 && Math.abs(total - 1) > MASS_TOLERANCE) mass = mass.map((m) => m / total);
    }
    return { name: inputName, shape: this.ctx.shape(inputName), fixations: fix.index, mass };
  }
}

/** Per forward pass, the derived activations made: the same object for every walk over it (the conv kernel keys its copies on it). */
const derivedByForward = new WeakMap<ForwardValues, Map<string, Activation>>();
/** Per BatchNormalization and shape, what does not depend on the forward pass: each channel's source, offset and affine map. */
const derivedLayout = new WeakMap<OnnxNode, { key: string; input: Int32Array; at: Int32Array; scale: Float64Array; shift: Float64Array }>();

/** The conv input `name` made from its Concat's kept inputs (plan.ts, derivedInput): per channel, its source plane and affine map. */
function derivedActivation(
  forward: ForwardValues,
  name: string,
  dims: Shape,
  made: DerivedInput,
  activation: (name: string) => Activation,
  constants: Constants,
): Activation {
  let held = derivedByForward.get(forward);
  if (!held) derivedByForward.set(forward, (held = new Map()));
  const hit = held.get(name);
  if (hit) return hit;
  if (dims.length !== 4) throw new UnravelError(`tensor '${name}' was not kept and is not 4-D: it cannot be made from its Concat's inputs`);
  const [, channels, h, w] = dims;
  const plane = h * w;
  const inputs = made.concat.inputs.map((input) => {
    const a = activation(input);
    if (a.dims.length !== 4 || a.dims[2] * a.dims[3] !== plane) throw new UnravelError(`concat input '${input}' of '${name}' is not [N, C, ${h}, ${w}]`);
    const data = a.data instanceof Float32Array && a.scale === 1 && a.zero === 0 ? a.data : Float32Array.from(a.data, (v) => (v - a.zero) * a.scale);
    return { data, channels: a.dims[1] };
  });
  const key = `${inputs.map((i) => i.channels).join(',')}:${plane}`;
  let layout = derivedLayout.get(made.norm);
  if (layout?.key !== key) {
    const total = inputs.reduce((n, i) => n + i.channels, 0);
    if (total !== channels) throw new UnravelError(`the Concat's inputs of '${name}' hold ${total} channels, not ${channels}`);
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => constants.float(made.norm.input(i))!);
    if ([gamma, beta, mean, variance].some((v) => v.length !== channels))
      throw new UnravelError(`the statistics of BatchNormalization '${made.norm.name}' do not hold ${channels} channels`);
    const eps = batchNormAttrs.of(made.norm).epsilon;
    const input = new Int32Array(channels),
      at = new Int32Array(channels),
      scale = new Float64Array(channels),
      shift = new Float64Array(channels);
    let c = 0;
    inputs.forEach((src, k) => {
      for (let j = 0; j < src.channels; j++, c++) {
        input[c] = k;
        at[c] = j * plane;
      }
    });
    for (let ch = 0; ch < channels; ch++) {
      scale[ch] = gamma[ch] / Math.sqrt(variance[ch] + eps);
      shift[ch] = beta[ch] - mean[ch] * scale[ch];
    }
    derivedLayout.set(made.norm, (layout = { key, input, at, scale, shift }));
  }
  const derived: DerivedChannels = {
    sources: inputs.map((i) => i.data),
    input: layout.input,
    at: layout.at,
    scale: layout.scale,
    shift: layout.shift,
    relu: made.relu,
  };
  const a: Activation = { dims, data: new Float32Array(0), scale: 1, zero: 0, derived };
  held.set(name, a);
  return a;
}
