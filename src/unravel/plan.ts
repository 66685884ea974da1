// Which intermediate tensors the forward pass must keep for the walk: the values rules read, and the
// outputs whose shapes cannot be inferred from constants. Everything else stays inside onnxruntime, so
// its graph optimizations (fusions, layouts) keep working.
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import { graphConstants } from './constants';
import type { ConstTensor } from '../onnx/tensor';
import { withShapeValues } from './fold';
import { inferShapes } from './shapes';
import { concatAttrs } from './op-attrs';
import type { Shape } from './tensor';
import type { Constants, OpTable } from './types';

export interface ExposurePlan {
  /** Tensors to add as graph outputs, in graph order. */
  readonly expose: readonly string[];
  /** Nodes that fixations can reach from the outputs. */
  readonly onPath: ReadonlySet<number>;
  /** Where the first output's class scores before a final Softmax are (the class contrast needs logits). */
  readonly logits: Logits;
}

/** A tensor of class scores before any Softmax, and its quantization when the scores are quantized. */
export interface Logits {
  readonly tensor: string;
  readonly scale: string;
  readonly zero: string;
}

/**
 * The logits of `output`: the input of a final Softmax / LogSoftmax (through views and a DequantizeLinear), or the
 * output itself when the model ends without one.
 */
export function logitsOf(graph: OnnxGraph, output: string, ops: OpTable): Logits {
  for (let t = output, hops = 0; hops < 32; hops++) {
    const p = graph.producer.get(t);
    if (!p || p.outputs[0] !== t) break;
    const d = ops.get(p);
    if (d?.view || d?.dequantizes) {
      t = p.input(0);
      continue;
    }
    if (d?.softmax) {
      const quantized = d.quantized !== undefined;
      return { tensor: p.input(0), scale: quantized ? p.input(1) : '', zero: quantized ? p.input(2) : '' };
    }
    break;
  }
  return { tensor: output, scale: '', zero: '' };
}

export interface ValueSource {
  /** The tensor whose data is read. */
  readonly name: string;
  /** Constants to dequantize with ('' when the data is already float). */
  readonly scale: string;
  readonly zero: string;
}

/**
 * Where a tensor's values can be read from: through views (same data, new dims) and one DequantizeLinear with
 * constant per-tensor parameters (the walk redoes the dequantization). Keeping the source instead of the tensor
 * spares a copy and lets onnxruntime still fuse the QDQ pattern around it.
 */
export function valueSource(name: string, graph: OnnxGraph, constants: Constants, ops: OpTable): ValueSource {
  let scale = '',
    zero = '';
  for (let t = name, hops = 0; hops < 32; hops++) {
    const p = graph.producer.get(t);
    if (p && ops.get(p)?.view && p.outputs[0] === t && !constants.has(p.input(0))) {
      t = p.input(0);
      continue;
    }
    if (p && ops.get(p)?.dequantizes && !scale && !constants.has(p.input(0))) {
      const s = constants.get(p.input(1));
      const z = p.input(2) ? constants.get(p.input(2)) : undefined;
      if (s && s.size === 1 && (!p.input(2) || z?.size === 1)) {
        scale = p.input(1);
        zero = p.input(2);
        t = p.input(0);
        continue;
      }
    }
    return { name: t, scale, zero };
  }
  return { name, scale: '', zero: '' };
}

/**
 * The Conv whose output `tensor` is, where the walk can compute the values it reads of it from the conv's input
 * (rules/conv-values.ts): a 2-D 1×1 Conv of the default domain with float filters and bias, constant and not
 * quantized, on an input that is not constant. A tensor read only at fixations (`Rule.readsAt`) and made so is left inside
 * onnxruntime: the walk keeps the conv's input anyway, for the conv rule (and a QDQ conv's output is quantized:
 * its producer is a QuantizeLinear, not the Conv).
 */
export function derivingConv(tensor: string, graph: OnnxGraph, constants: Constants): OnnxNode | undefined {
  const p = graph.producer.get(tensor);
  if (!p || p.opType !== 'Conv' || (p.domain !== '' && p.domain !== 'ai.onnx') || p.outputs[0] !== tensor) return undefined;
  if (!p.input(0) || constants.has(p.input(0))) return undefined;
  const [w, b] = [p.input(1), p.input(2)];
  // 1×1 filters only: a value is then one dot product over the input channels. A 3×3 conv's costs nine times more,
  // which on ResNet-18 cost the walk about what leaving the tensor in onnxruntime saved the forward.
  const dims = constants.get(w)?.dims;
  // (Asked of the constants' shapes only: the filters are read when a walk computes a value.)
  if (dims?.length !== 4 || dims[2] * dims[3] !== 1 || constants.quantized(w)) return undefined;
  if (b && (!constants.has(b) || constants.quantized(b))) return undefined;
  return p;
}

/** How the walk makes a conv input the forward pass does not keep (see `derivedInput`). */
export interface DerivedInput {
  readonly relu: boolean;
  readonly norm: OnnxNode;
  readonly concat: OnnxNode;
}

/**
 * A conv input the walk makes from kept tensors: a ReLU (or none) of a BatchNormalization with constant statistics
 * of a Concat along the channels of tensors that are not constant. DenseNet's layers read their block's features
 * so: each layer's input is its own normalization of everything before it, and keeping those cost more than the
 * forward itself (DenseNet-121: 62 tensors, 35 MB); the Concat's inputs (the block's input and each layer's 32 new
 * channels) are a fraction of that. The walk computes the values the conv rule reads (rules/conv-kernel.ts).
 */
export function derivedInput(tensor: string, graph: OnnxGraph, constants: Constants): DerivedInput | undefined {
  const standard = (n: OnnxNode | undefined): n is OnnxNode => n !== undefined && (n.domain === '' || n.domain === 'ai.onnx');
  const top = graph.producer.get(tensor);
  const relu = standard(top) && top.opType === 'Relu';
  const normed = relu ? top.input(0) : tensor;
  const norm = graph.producer.get(normed);
  if (!standard(norm) || norm.opType !== 'BatchNormalization' || norm.outputs[0] !== normed) return undefined;
  if (![1, 2, 3, 4].every((i) => norm.input(i) && constants.float(norm.input(i)))) return undefined;
  const concat = graph.producer.get(norm.input(0));
  if (!standard(concat) || concat.opType !== 'Concat' || concatAttrs.of(concat).axis !== 1) return undefined;
  if (concat.inputs.some((i) => !i || constants.has(i))) return undefined;
  return { relu, norm, concat };
}

/**
 * The kept tensors a conv rule reads as its input (a Conv, or a quantized op computing one), with the bytes per
 * value of the channel-last copy its kernel may make of each once per forward pass (rules/conv-kernel.ts): 4 for
 * float data read as is, 8 (float64, the larger it may take) for quantized values the walk dequantizes. The conv
 * inputs the walk makes from kept tensors (`derivedInput`) are listed too, with 4.
 */
export function convInputs(graph: OnnxGraph, ops: OpTable, constants: Constants, kept: readonly string[]): Map<string, number> {
  const wanted = new Set(kept);
  const found = new Map<string, number>();
  for (const node of graph.nodes) {
    const d = ops.get(node);
    const reads = d?.quantized ? ops.get({ domain: '', opType: d.quantized.op }) : d;
    if (!d?.rule || !reads?.channelLastInput || !node.input(0) || constants.has(node.input(0))) continue;
    const src = valueSource(node.input(0), graph, constants, ops);
    if (wanted.has(src.name)) found.set(src.name, Math.max(found.get(src.name) ?? 0, src.scale || d.quantized ? 8 : 4));
    // A conv input made from its Concat's inputs is kept only as its kernel's float32 copy.
    else if (!src.scale && !d.quantized && derivedInput(src.name, graph, constants)) found.set(src.name, 4);
  }
  return found;
}

function nodesOnPath(graph: OnnxGraph, constants: Constants, ops: OpTable): Set<number> {
  const ctx = { graph, constants, ops };
  const onPath = new Set<number>();
  const todo = graph.outputs.map((o) => o.name);
  while (todo.length) {
    const p = graph.producer.get(todo.pop()!);
    if (!p || onPath.has(p.index)) continue;
    onPath.add(p.index);
    const rule = ops.get(p)?.rule;
    if (!rule) continue;
    let routes: readonly number[] = [0];
    try {
      routes = rule.routes?.(p, ctx) ?? [0];
    } catch {
      // a malformed node: the walk will report it if fixations reach it
    }
    for (const i of routes) if (p.input(i) && !constants.has(p.input(i))) todo.push(p.input(i));
  }
  return onPath;
}

/** Stand-in sizes for dynamic dimensions, only to find which shapes depend on run-time values. */
function representativeShape(dims: readonly (number | string)[] | undefined): Shape {
  return (dims ?? []).map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : 64));
}

export function planExposure(graph: OnnxGraph, ops: OpTable, graphConsts: Constants = graphConstants(graph, ops)): ExposurePlan {
  const onPath = nodesOnPath(graph, graphConsts, ops);
  const wanted = new Set<string>();
  const known = new Map(graph.inputs.map((i) => [i.name, representativeShape(i.dims)] as [string, Shape]));
  const values = new Map<string, ConstTensor>();
  inferShapes(
    graph,
    ops,
    graphConsts,
    known,
    (index) => {
      const node = graph.nodes[index];
      if (onPath.has(index) && ops.get(node)?.rule) node.outputs.forEach((o) => o && wanted.add(o));
    },
    values,
  );
  // Values computed from shapes (a Slice's bounds from Shape → Gather → Div) are constants for the walk too.
  const constants = withShapeValues(graphConsts, values);
  const ctx = { graph, constants, ops };
  // What each tensor read is kept as: itself, or what the walk makes it from. A conv input read by conv rules alone
  // is made from its Concat's inputs where it can be (derivedInput); it is kept as soon as another rule reads it.
  const madeFrom = new Map<string, string[]>();
  const keptWhole = new Set<string>();
  for (const index of onPath) {
    const node: OnnxNode = graph.nodes[index];
    const d = ops.get(node);
    const rule = d?.rule;
    let reads: readonly number[] = [],
      readsAt: readonly number[] = [];
    try {
      reads = rule?.reads?.(node, ctx) ?? [];
      readsAt = rule?.readsAt?.(node, ctx) ?? [];
    } catch {
      reads = readsAt = [];
    }
    for (const i of [...reads, ...readsAt]) {
      const t = node.input(i);
      if (!t || constants.has(t)) continue;
      const src = valueSource(t, graph, constants, ops);
      // Read only at fixations, a conv's output is computed by the walk from the conv's input, kept instead.
      const conv = !reads.includes(i) && !src.scale ? derivingConv(src.name, graph, constants) : undefined;
      const made = !conv && d?.channelLastInput && !d.quantized && i === 0 && !src.scale ? derivedInput(src.name, graph, constants) : undefined;
      if (made)
        madeFrom.set(
          src.name,
          made.concat.inputs.map((x) => valueSource(x, graph, constants, ops).name),
        );
      else keptWhole.add(conv ? valueSource(conv.input(0), graph, constants, ops).name : src.name);
    }
  }
  for (const t of keptWhole) wanted.add(t);
  for (const [t, from] of madeFrom) for (const x of keptWhole.has(t) ? [t] : from) wanted.add(x);
  const logits = logitsOf(graph, graph.outputs[0]?.name ?? '', ops);
  if (logits.tensor && !constants.has(logits.tensor)) wanted.add(logits.scale ? logits.tensor : valueSource(logits.tensor, graph, constants, ops).name);
  const fed = new Set(graph.inputs.map((i) => i.name));
  const already = new Set(graph.outputs.map((o) => o.name));
  const order = new Map<string, number>();
  graph.nodes.forEach((n) => n.outputs.forEach((o) => order.set(o, n.index)));
  const expose = [...wanted].filter((t) => !fed.has(t) && !already.has(t) && !constants.has(t) && order.has(t)).sort((a, b) => order.get(a)! - order.get(b)!);
  return { expose, onPath, logits };
}
