// Constant folding, one mechanism for every op: a node whose inputs are all known (initializers, Constant
// nodes, outputs of nodes folded before it, and, per input shape, the shapes of tensors read by Shape or Size)
// is computed by its kernel (src/unravel/kernels, found through the op table), whatever its op type. Exporters' attribute-like inputs (F.pad's
// pads through ConstantOfShape → Concat → Reshape → Slice → Transpose → Cast, chunk's Slice bounds from Shape →
// Gather → Div, a view's computed shape, interpolate's scales) thus reach the rules as constants, and no tensor
// is kept by the forward pass just to learn one. Where a kernel can tell its outputs' dims without computing them
// (element-wise ops, views), the values stay lazy: a dequantized weight is only computed when a rule reads it.
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import { ConstTensor } from '../onnx/tensor';
import { fromConst, type Computed } from './kernels/values';
import type { Shape } from './tensor';
import { UnsupportedError, type Constants, type OpTable } from './types';

/** The inputs the node's value depends on: Shape and Size read only their input's dims. */
function dependencies(node: OnnxNode, ops: OpTable): string[] {
  return ops.get(node)?.kernel?.dimsOnly ? [node.input(0)] : node.inputs.filter((i) => i !== '');
}

/**
 * The node's outputs computed from its inputs (undefined for omitted optional ones), or undefined when the node
 * has no kernel or its kernel cannot compute it (an error in the graph: the walk will report what it needs).
 */
export function foldNode(node: OnnxNode, inputs: readonly (ConstTensor | undefined)[], ops: OpTable): ConstTensor[] | undefined {
  const kernel = ops.get(node)?.kernel;
  if (!kernel) return undefined;
  const args = inputs.map((t) => (t ? fromConst(t) : undefined));
  try {
    const sig = kernel.infer?.(node, args);
    if (sig && sig.length >= node.outputs.filter(Boolean).length) {
      let outs: readonly Computed[] | undefined;
      const run = () => (outs ??= kernel.run(node, args));
      return node.outputs.map(
        (o, k) =>
          new ConstTensor(o, sig[k].type, sig[k].dims, () => {
            const t = run()[k];
            if (!t || t.data.length !== sig[k].dims.reduce((a, b) => a * b, 1))
              throw new Error(`internal error: ${node.label} computed other dims than it announced`);
            return t.data;
          }),
      );
    }
    const outs = kernel.run(node, args);
    if (outs.length < node.outputs.filter(Boolean).length) return undefined;
    return node.outputs.map((o, k) => ConstTensor.of(o, outs[k].type, outs[k].dims, outs[k].data));
  } catch {
    return undefined;
  }
}

/** The tensors whose values follow from the graph's constants alone, in topological order. */
export function constantTensors(graph: OnnxGraph, ops: OpTable): Set<string> {
  const known = new Set<string>(graph.constants.keys());
  for (const node of graph.nodes) {
    const deps = dependencies(node, ops);
    if (ops.get(node)?.kernel && deps.length > 0 && deps.every((i) => known.has(i))) for (const o of node.outputs) if (o) known.add(o);
  }
  return known;
}

/**
 * The graph's derived constants, computed on first use: `get(name)` folds the chain of nodes `name` depends on
 * (in topological order, no recursion) and caches every output (null: the kernel could not compute it).
 */
export function derivedConstants(graph: OnnxGraph, ops: OpTable): (name: string) => ConstTensor | undefined {
  const known = constantTensors(graph, ops);
  const folded = new Map<string, ConstTensor | null>();
  const lookup = (name: string) => graph.constants.get(name) ?? folded.get(name) ?? undefined;
  return (name) => {
    if (!name || !known.has(name)) return undefined;
    const direct = lookup(name);
    if (direct || folded.has(name)) return direct;
    const pending = new Map<number, OnnxNode>();
    const todo = [name];
    while (todo.length) {
      const t = todo.pop()!;
      if (graph.constants.has(t) || folded.has(t) || !known.has(t)) continue;
      const p = graph.producer.get(t);
      if (!p || pending.has(p.index)) continue;
      pending.set(p.index, p);
      todo.push(...dependencies(p, ops));
    }
    for (const p of [...pending.values()].sort((a, b) => a.index - b.index)) {
      const inputs = p.inputs.map((i) => (i ? lookup(i) : undefined));
      // An input that failed to fold is not an omitted optional one: the node cannot be computed either.
      const outs = p.inputs.some((i, k) => i !== '' && !inputs[k]) ? undefined : foldNode(p, inputs, ops);
      p.outputs.forEach((o, k) => o && folded.set(o, outs?.[k] ?? null));
    }
    return lookup(name);
  };
}

/** Why the kernel of `node` cannot compute it from these inputs (all known), or undefined when it can. */
export function foldError(node: OnnxNode, inputs: readonly (ConstTensor | undefined)[], ops: OpTable): string | undefined {
  const kernel = ops.get(node)?.kernel;
  if (!kernel) return undefined;
  try {
    kernel.run(
      node,
      inputs.map((t) => (t ? fromConst(t) : undefined)),
    );
    return undefined;
  } catch (e) {
    return e instanceof UnsupportedError ? e.detail : (e as Error).message;
  }
}

/** A tensor of which only the dims are known: what Shape and Size read. */
function dimsOnly(name: string, dims: Shape): ConstTensor {
  return new ConstTensor(name, 1, dims, () => {
    throw new Error(`the values of '${name}' are not known, only its shape`);
  });
}

/**
 * Folds a node for one input shape: its inputs are constants or values computed earlier for that shape (Shape and
 * Size need only their input's dims). Undefined when some input is neither, or the kernel cannot compute it.
 */
export function foldWithShapes(
  node: OnnxNode,
  get: (name: string) => ConstTensor | undefined,
  shapeOf: (name: string) => Shape | undefined,
  ops: OpTable,
): ConstTensor[] | undefined {
  const kernel = ops.get(node)?.kernel;
  if (!kernel) return undefined;
  if (kernel.dimsOnly) {
    const s = shapeOf(node.input(0));
    return s ? foldNode(node, [dimsOnly(node.input(0), s)], ops) : undefined;
  }
  const inputs = node.inputs.map((i) => (i ? get(i) : undefined));
  if (node.inputs.some((i, k) => i !== '' && !inputs[k])) return undefined;
  return foldNode(node, inputs, ops);
}

/** The graph's constants with the values computed for one input shape added: what rules see for that shape. */
export function withShapeValues(constants: Constants, values: ReadonlyMap<string, ConstTensor>): Constants {
  return {
    ...constants,
    get: (name) => values.get(name) ?? constants.get(name),
    has: (name) => values.has(name) || constants.has(name),
    float: (name) => {
      const v = values.get(name);
      return v ? Float32Array.from(v.data as ArrayLike<number>) : constants.float(name);
    },
  };
}
