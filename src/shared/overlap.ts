// How alike two explanations of one image are: the input fixations they share, and the weighted overlap of
// their heat maps (histogram intersection). The panel's compare and contrast captions show both; on wide
// GAP models two classes can share most fixations while their masses sit in different places, which the
// weighted figure shows and the count does not. Pure arithmetic, for any side that wants the same figures.
import type { HeatGrid } from './overlay';

/** How many input fixations ([c, y, x]) of `b` are fixations of `a` too. */
export function sharedFixations(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  const seen = new Set(a.map((f) => f.join(',')));
  return b.reduce((n, f) => n + (seen.has(f.join(',')) ? 1 : 0), 0);
}

/**
 * Histogram intersection of two maps of the same size, each scaled to sum 1: Σ min(p_i, q_i). 1 for the same
 * map (at any scale), 0 for maps with no place in common, and 0 when either holds nothing. Negative values
 * count as 0 (a map of where something is has none).
 */
export function histogramIntersection(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maps of different sizes (${a.length} and ${b.length}) cannot be intersected`);
  let sa = 0,
    sb = 0;
  for (let i = 0; i < a.length; i++) {
    sa += Math.max(0, a[i]);
    sb += Math.max(0, b[i]);
  }
  if (!(sa > 0) || !(sb > 0)) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.min(Math.max(0, a[i]) / sa, Math.max(0, b[i]) / sb);
  return Math.min(1, s);
}

/** The weighted overlap of two heat maps of one image (histogram intersection of their grids); undefined when their grids differ (maps of runs with another sigma). */
export function heatOverlap(a: HeatGrid, b: HeatGrid): number | undefined {
  if (a.gridWidth !== b.gridWidth || a.gridHeight !== b.gridHeight || a.step !== b.step) return undefined;
  return histogramIntersection(a.data, b.data);
}
