// Resize and Upsample (docs/ALGORITHM.md, Rules: the Resize row): nearest copies one input element, so the fixation goes to it;
// linear and cubic sum a few taps with weights, so it goes to the tap with the largest weight × activation (the
// lowest input index on ties), as the pools and Conv pick the largest contribution. One parent: the whole mass.
// Outside a tf_crop_and_resize crop the output is the extrapolation value: no parent (flagged).
import type { OnnxNode } from '../../onnx/graph';
import { parentsOf } from '../fixations';
import { eachTap, refuseAntialias, resizeArgs, resizeAttrsOf, resizePlan, type ResizeArgs } from '../kernels/resize';
import { fromConst } from '../kernels/values';
import type { Shape } from '../tensor';
import type { Rule, ShapeContext } from '../types';
import { UnsupportedError } from '../types';

/** The positions of scales, sizes and roi among the node's inputs (none for Upsample-7, whose scales are an attribute). */
function argInputs(node: OnnxNode): number[] {
  if (node.opType === 'Upsample') return resizeAttrsOf(node).scales ? [] : [1];
  return node.inputs.length <= 2 ? [1] : [1, 2, 3];
}

/** The node's scales, sizes and roi from constants; undefined while one that is given is not known. */
function constArgs(node: OnnxNode, ctx: ShapeContext): ResizeArgs | undefined {
  const inputs = node.inputs.map((name, i) => {
    if (i === 0 || !name) return undefined;
    const t = ctx.constants.get(name);
    return t ? fromConst(t) : null;
  });
  if (argInputs(node).some((i) => inputs[i] === null && !(node.opType === 'Resize' && i === 1 && node.inputs.length > 2))) return undefined;
  return resizeArgs(
    node,
    inputs.map((t) => t ?? undefined),
  );
}

function plan(node: OnnxNode, x: Shape, ctx: ShapeContext) {
  const args = constArgs(node, ctx);
  if (!args) return undefined;
  try {
    return resizePlan(node, x, args);
  } catch (e) {
    if (e instanceof UnsupportedError) throw e;
    throw new UnsupportedError(node.opType, node.name, (e as Error).message);
  }
}

export const resizeRule: Rule = {
  reads: (node) => (resizeAttrsOf(node).mode === 'nearest' ? [] : [0]),
  shape(node, [x], ctx) {
    if (!x) return undefined;
    const p = plan(node, x, ctx);
    return p ? [p.outDims] : undefined;
  },
  back(node, [fix], ctx) {
    const x = ctx.shape(node.input(0));
    const p = plan(node, x, ctx);
    if (!p) throw new UnsupportedError(node.opType, node.name, 'its scales or sizes are computed at run time (constants only)');
    const made = ctx.shape(node.outputs[0]);
    if (made.some((d, i) => d !== p.outDims[i]))
      throw new UnsupportedError(
        node.opType,
        node.name,
        `its output is [${made.join(',')}] but its scales or sizes give [${p.outDims.join(',')}]: report the model, with its opset`,
      );
    try {
      refuseAntialias(node, p, x);
    } catch (e) {
      if (e instanceof UnsupportedError) throw e;
      throw new UnsupportedError(node.opType, node.name, (e as Error).message);
    }
    const act = p.mode === 'nearest' ? undefined : ctx.activation(node.input(0));
    const parents: number[] = [];
    const from: number[] = [];
    for (let n = 0; n < fix.index.length; n++) {
      let best = -1,
        top = -Infinity;
      const inside = eachTap(p, x, fix.index[n], (i, w) => {
        // nearest has one tap; otherwise the largest weight × activation, the first (lowest index) on ties
        const v = act ? w * (act.data[i] - act.zero) * act.scale : w;
        if (v > top) {
          top = v;
          best = i;
        }
      });
      if (!inside) continue;
      parents.push(best);
      from.push(n);
    }
    const dropped = fix.index.length - parents.length;
    if (dropped) ctx.flag(`${dropped} fixation(s) fell outside the crop (the extrapolation value) and have no parent`);
    return [parentsOf(fix, from, parents)];
  },
};
