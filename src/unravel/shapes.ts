// Shapes of the tensors the walk visits, inferred forward from the input's shape with each rule's shape
// function. Tensors the runtime kept (exposed outputs) supply their true shapes and take precedence.
// Nodes whose inputs are known for this input shape (constants, and values folded from shapes, as exporters'
// Shape → Gather → Div arithmetic) are folded on the way (src/unravel/fold.ts), into `values`, and rules see
// those values as constants.
import type { OnnxGraph } from '../onnx/graph';
import type { ConstTensor } from '../onnx/tensor';
import { foldWithShapes, withShapeValues } from './fold';
import type { Shape } from './tensor';
import type { Constants, OpTable } from './types';

export function inferShapes(
  graph: OnnxGraph,
  ops: OpTable,
  constants: Constants,
  known: ReadonlyMap<string, Shape>,
  onFailure?: (nodeIndex: number) => void,
  values = new Map<string, ConstTensor>(),
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
    if (rule) {
      try {
        out = rule.shape(node, node.inputs.map(shapeOf), ctx);
      } catch {
        out = undefined;
      }
    }
    node.outputs.forEach((o, i) => {
      const s = out?.[i];
      if (o && s && !shapes.has(o)) shapes.set(o, s);
    });
    if (node.outputs.some((o) => o && !shapes.has(o) && !constants.has(o))) onFailure?.(node.index);
  }
  return shapes;
}
