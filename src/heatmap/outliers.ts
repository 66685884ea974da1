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
  // Unique positions with their mass (multiplicity without weights), and each point's position among them.
  const slot = new Map<number, number>();
  const of = new Int32Array(n);
  const xs: number[] = [],
    ys: number[] = [],
    mass: number[] = [];
  let total = 0;
  points.forEach(([x, y], i) => {
    const w = weights ? weights[i] : 1;
    total += w;
    const key = y * width + x;
    let u = slot.get(key);
    if (u === undefined) {
      slot.set(key, (u = xs.length));
      xs.push(key % width);
      ys.push(Math.floor(key / width));
      mass.push(0);
    }
    mass[u] += w;
    of[i] = u;
  });
  // Cells keyed by number (cell x + 1, cell y + 1 in 16 bits each: r is a tenth of the diagonal, so a handful of cells a side).
  const cellKey = (cx: number, cy: number) => (cx + 1) * 65536 + (cy + 1);
  const cells = new Map<number, number[]>();
  for (let u = 0; u < xs.length; u++) {
    const k = cellKey(Math.floor(xs[u] / r), Math.floor(ys[u] / r));
    const list = cells.get(k);
    if (list) list.push(u);
    else cells.set(k, [u]);
  }
  // Each position's neighbours' mass, added cell by cell and in each cell in the order the positions came.
  const near = new Float64Array(xs.length);
  for (let u = 0; u < xs.length; u++) {
    const x = xs[u],
      y = ys[u];
    const cx = Math.floor(x / r),
      cy = Math.floor(y / r);
    let sum = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const list = cells.get(cellKey(cx + dx, cy + dy));
        if (!list) continue;
        for (const o of list) if ((xs[o] - x) ** 2 + (ys[o] - y) ** 2 <= r2) sum += mass[o];
      }
    }
    near[u] = sum;
  }
  return all.filter((i) => near[of[i]] > outlierRule.minShare * total);
}
