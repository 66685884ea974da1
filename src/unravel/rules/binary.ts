// Two-input arithmetic. A constant or broadcast operand (a bias, a scale, a squeeze-and-excitation gate, the
// statistic of a normalization written out) receives nothing: the fixation passes to the full-shape operand.
// Between full-shape activations, Add/Sum/Max follow the larger operand (ties to the first), Min the smaller,
// Mul follows both; Sub, Div and Pow have no such rule. The values compared are read at the fixations only: an
// operand the forward pass did not keep (a conv's output) is computed there (rules/conv-values.ts).
import type { OnnxNode } from '../../onnx/graph';
import { broadcastShapes, numel, type Shape } from '../tensor';
import { scaled } from '../fixations';
import type { Fixations, Rule, ShapeContext, WalkContext } from '../types';
import { UnsupportedError } from '../types';
import { memoized } from '../memo';

export type Combine = 'larger' | 'smaller' | 'both' | 'none';

/** Inputs that are activations with the output's full shape (the ones fixations can go to). */
function fullInputs(node: OnnxNode, ins: readonly number[], ctx: WalkContext): number[] {
  const out = numel(ctx.shape(node.outputs[0]));
  return ins.filter((i) => node.input(i) !== '' && !ctx.constants.has(node.input(i)) && numel(ctx.shape(node.input(i))) === out);
}

/**
 * Routes fixations of an element-wise node whose operands sit at input positions `ins`.
 * Operand values are read only to choose between activations (Combine 'larger' and 'smaller').
 */
export function backElementwise(node: OnnxNode, ins: readonly number[], combine: Combine, fix: Fixations, ctx: WalkContext): (Fixations | undefined)[] {
  const full = fullInputs(node, ins, ctx);
  const result: (Fixations | undefined)[] = node.inputs.map(() => undefined);
  if (full.length === 0) return result;
  if (full.length === 1) {
    result[full[0]] = fix;
    return result;
  }
  if (combine === 'both') {
    // Both operands are followed (x · sigmoid(x)): each gets half of every fixation's mass.
    for (const i of full) result[i] = scaled(fix, 1 / full.length);
    return result;
  }
  if (combine === 'none') {
    throw new UnsupportedError(node.opType, node.name, `${node.opType} of ${full.length} full-shape activations has no rule`);
  }
  const sign = combine === 'smaller' ? -1 : 1;
  const n = fix.index.length;
  const pick = memoized(ctx, node, combine, fix.index, (some) => {
    const values = full.map((i) => ctx.valuesAt(node.input(i), some));
    return values.length === 2 ? choosePair(values[0], values[1], sign) : choose(values, sign);
  });
  const counts = new Int32Array(full.length);
  for (let j = 0; j < n; j++) counts[pick[j]]++;
  // Each operand's fixations in the order they came, with their masses.
  const index = Array.from(counts, (c) => new Int32Array(c));
  const mass = fix.mass ? Array.from(counts, (c) => new Float64Array(c)) : undefined;
  const filled = new Int32Array(full.length);
  for (let j = 0; j < n; j++) {
    const k = pick[j];
    const at = filled[k]++;
    index[k][at] = fix.index[j];
    if (mass) mass[k][at] = fix.mass![j];
  }
  full.forEach((i, k) => (result[i] = { index: index[k], mass: mass?.[k] }));
  return result;
}

/** For each fixation, the operand whose value (times `sign`) is the largest, the first on ties; NaN never wins. `values[k][j]`: operand k at fixation j. */
export function choose(values: readonly Float64Array[], sign: number): Int32Array {
  const n = values[0].length;
  const chosen = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let best = 0,
      top = -Infinity;
    for (let k = 0; k < values.length; k++) {
      const v = values[k][j] * sign;
      if (v > top) {
        top = v;
        best = k;
      }
    }
    chosen[j] = best;
  }
  return chosen;
}

/** The same choice between two operands (a residual Add), without the loop over operands. */
export function choosePair(a: Float64Array, b: Float64Array, sign: number): Int32Array {
  const chosen = new Int32Array(a.length);
  for (let j = 0; j < a.length; j++) {
    const v0 = a[j] * sign,
      v1 = b[j] * sign;
    // choose's loop unrolled: the second wins above the first, or above -Infinity when the first is not (NaN, -Infinity)
    chosen[j] = v1 > v0 || (!(v0 > -Infinity) && v1 > -Infinity) ? 1 : 0;
  }
  return chosen;
}

function nonConstant(node: OnnxNode, ctx: ShapeContext): number[] {
  return node.inputs.map((_, i) => i).filter((i) => node.input(i) !== '' && !ctx.constants.has(node.input(i)));
}

export function elementwiseRule(combine: Combine): Rule {
  return {
    routes: nonConstant,
    // Only a choice between two activations reads values (a bias Add does not), and only where the fixations are.
    readsAt: combine === 'larger' || combine === 'smaller' ? (node, ctx) => (nonConstant(node, ctx).length >= 2 ? nonConstant(node, ctx) : []) : undefined,
    shape(node, inputs, ctx) {
      const shapes = inputs.map((s, i) => s ?? ctx.constants.get(node.input(i))?.dims);
      if (shapes.some((s) => !s)) return undefined;
      return [broadcastShapes(shapes as Shape[])];
    },
    back: (node, [fix], ctx) =>
      backElementwise(
        node,
        node.inputs.map((_, i) => i),
        combine,
        fix,
        ctx,
      ),
  };
}
