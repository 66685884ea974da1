// Outlier removal (ALGORITHM.md): radius r = 0.1 × the image diagonal; a point stays when more than 5%
// of all points (itself included) lie within r of it. Fewer than 20 points: nothing is removed.
// Points are [x, y] pixel pairs with multiplicity; neighbours are counted through a grid of r-sized cells.

export type Point = readonly [number, number];

export const outlierRule = { radiusFraction: 0.1, minShare: 0.05, minPoints: 20 } as const;

export function removeOutliers(points: readonly Point[], width: number, height: number): Point[] {
  const n = points.length;
  if (n < outlierRule.minPoints) return [...points];
  const r = outlierRule.radiusFraction * Math.hypot(width, height);
  const r2 = r * r;
  // Unique positions with their multiplicity.
  const weight = new Map<number, number>();
  for (const [x, y] of points) weight.set(y * width + x, (weight.get(y * width + x) ?? 0) + 1);
  const cells = new Map<string, number[]>();
  const cellOf = (x: number, y: number) => [Math.floor(x / r), Math.floor(y / r)];
  for (const key of weight.keys()) {
    const [cx, cy] = cellOf(key % width, Math.floor(key / width));
    const k = `${cx},${cy}`;
    const list = cells.get(k);
    if (list) list.push(key);
    else cells.set(k, [key]);
  }
  const neighbours = new Map<number, number>();
  for (const key of weight.keys()) {
    const x = key % width, y = Math.floor(key / width);
    const [cx, cy] = cellOf(x, y);
    let count = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const other of cells.get(`${cx + dx},${cy + dy}`) ?? []) {
          const ox = other % width, oy = Math.floor(other / width);
          if ((ox - x) ** 2 + (oy - y) ** 2 <= r2) count += weight.get(other)!;
        }
      }
    }
    neighbours.set(key, count);
  }
  return points.filter(([x, y]) => neighbours.get(y * width + x)! > outlierRule.minShare * n);
}
