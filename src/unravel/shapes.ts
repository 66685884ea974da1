// Shapes of the tensors the walk visits, inferred forward from the input's shape with each rule's shape
// function. Tensors the runtime kept (exposed outputs) supply their true shapes and take precedence.
// Nodes whose inputs are known for this input shape (constants, and values folded from shapes, as exporters'
// Shape → Gather → Div arithmetic) are folded on the way (src/unravel/fold.ts), into `values`, and rules see
// those values as constants. A tensor left without a shape keeps why (ShapeCause): the node that could not give
// it, which a node below inherits when it cannot give its own for want of that shape, so whichever consumer trips
// on it, the error names the node at the root (a bad attribute, an op without a rule), not the consumer.
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import type { ConstTensor } from '../onnx/tensor';
import { foldError, foldWithShapes, withShapeValues } from './fold';
import type { Shape } from './tensor';
import { UnsupportedError, type Constants, type OpTable } from './types';

/** Why a tensor has no shape: the node that could not give it, and its reason. */
export interface ShapeCause {
  readonly opType: string;
  readonly nodeName: string;
  readonly detail: string;
}

/**
 * Why `node` gave no shape: its own attributes, else an input's cause, else what its shape function said, else (an
 * op folding computes but no rule walks) its kernel's error on known inputs.
 */
function causeOf(node: OnnxNode, ops: OpTable, causes: ReadonlyMap<string, ShapeCause>, thrown: unknown, constants: Constants): ShapeCause {
  const d = ops.get(node);
  const own = (detail: string): ShapeCause => ({ opType: node.opType, nodeName: node.name, detail });
  const bad = d?.attrs?.problem(node);
  if (bad) return own(bad);
  for (const i of node.inputs) {
    const c = i ? causes.get(i) : undefined;
    if (c) return c;
  }
  if (thrown instanceof UnsupportedError) return { opType: thrown.opType, nodeName: thrown.nodeName, detail: thrown.detail };
  if (d?.rule) return own('the shape of its output depends on run-time values');
  const inputs = node.inputs.map((i) => (i ? constants.get(i) : undefined));
  const failed = d?.kernel && !d.kernel.dimsOnly && node.inputs.every((i, k) => !i || inputs[k]) ? foldError(node, inputs, ops) : undefined;
  if (failed) return own(`its value could not be computed from its constant inputs: ${failed}`);
  return own(d?.refused ?? `no rule for ${node.domain ? `${node.domain}.` : ''}${node.opType}`);
}

export function inferShapes(
  graph: OnnxGraph,
  ops: OpTable,
  constants: Constants,
  known: ReadonlyMap<string, Shape>,
  onFailure?: (nodeIndex: number) => void,
  values = new Map<string, ConstTensor>(),
  causes = new Map<string, ShapeCause>(),
): Map<string, Shape> {
  const shapes = new Map<string, Shape>(known);
  const ctx = { graph, ops, constants: withShapeValues(constants, values) };
  const shapeOf = (name: string): Shape | undefined => (name ? (shapes.get(name) ?? ctx.constants.get(name)?.dims) : undefined);
  for (const node of graph.nodes) {
    if (node.outputs.every((o) => !o || shapes.has(o) || constants.has(o))) continue;
    const folded = foldWithShapes(node, ctx.constants.get, shapeOf, ops);
    if (folded) {
      for (const t of folded) {
        if (!t.name || shapes.has(t.name)) continue;
        values.set(t.name, t);
        shapes.set(t.name, t.dims);
      }
      continue;
    }
    const rule = ops.get(node)?.rule;
    let out: readonly (Shape | undefined)[] | undefined;
    let thrown: unknown;
    if (rule) {
      try {
        out = rule.shape(node, node.inputs.map(shapeOf), ctx);
      } catch (e) {
        thrown = e;
      }
    }
    node.outputs.forEach((o, i) => {
      const s = out?.[i];
      if (o && s && !shapes.has(o)) shapes.set(o, s);
    });
    const missing = node.outputs.filter((o) => o && !shapes.has(o) && !constants.has(o));
    if (missing.length) {
      const cause = causeOf(node, ops, causes, thrown, ctx.constants);
      for (const o of missing) causes.set(o, cause);
      onFailure?.(node.index);
    }
  }
  return shapes;
}
