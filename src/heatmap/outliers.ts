// Outlier removal (ALGORITHM.md): radius r = 0.1 × the image diagonal; a point stays when more than 5%
// of all points (itself included) lie within r of it, or with masses, more than 5% of the total mass.
// Fewer than 20 points: nothing is removed.
// Points are [x, y] pixel pairs with multiplicity; neighbours are counted through a grid of r-sized cells.

export type Point = readonly [number, number];

export const outlierRule = { radiusFraction: 0.1, minShare: 0.05, minPoints: 20 } as const;

export function removeOutliers(points: readonly Point[], width: number, height: number): Point[] {
  return keptByMass(points, undefined, width, height).map((i) => points[i]);
}

/**
 * Outlier removal by mass (docs/ALGORITHM.md, "From fixations to pictures"): a point stays when the mass within r
 * of it (itself included) exceeds 5% of the total mass; without weights every point weighs 1, which is the count
 * rule exactly. Returns the indices of the points kept, in order.
 */
export function keptByMass(points: readonly Point[], weights: ArrayLike<number> | undefined, width: number, height: number): number[] {
  const n = points.length;
  const all = Array.from({ length: n }, (_, i) => i);
  if (n < outlierRule.minPoints) return all;
  const r = outlierRule.radiusFraction * Math.hypot(width, height);
  const r2 = r * r;
  // Unique positions with their mass (multiplicity without weights).
  const weight = new Map<number, number>();
  let total = 0;
  points.forEach(([x, y], i) => {
    const w = weights ? weights[i] : 1;
    total += w;
    weight.set(y * width + x, (weight.get(y * width + x) ?? 0) + w);
  });
  // Cells keyed by number (cell x + 1, cell y + 1 in 16 bits each: r is a tenth of the diagonal, so a handful of cells a side).
  const cellKey = (cx: number, cy: number) => (cx + 1) * 65536 + (cy + 1);
  const cells = new Map<number, number[]>();
  for (const key of weight.keys()) {
    const x = key % width,
      y = Math.floor(key / width);
    const k = cellKey(Math.floor(x / r), Math.floor(y / r));
    const list = cells.get(k);
    if (list) list.push(key);
    else cells.set(k, [key]);
  }
  const neighbours = new Map<number, number>();
  for (const key of weight.keys()) {
    const x = key % width,
      y = Math.floor(key / width);
    const cx = Math.floor(x / r),
      cy = Math.floor(y / r);
    let mass = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const list = cells.get(cellKey(cx + dx, cy + dy));
        if (!list) continue;
        for (const other of list) {
          const ox = other % width,
            oy = Math.floor(other / width);
          if ((ox - x) ** 2 + (oy - y) ** 2 <= r2) mass += weight.get(other)!;
        }
      }
    }
    neighbours.set(key, mass);
  }
  return all.filter((i) => neighbours.get(points[i][1] * width + points[i][0])! > outlierRule.minShare * total);
}
