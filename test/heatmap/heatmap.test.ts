// The heat map's two steps against the code they replaced (kept here as the reference, e1c415e): the outlier rule
// (keptByMass) keeps the same points and the density map (densityMap) is the same grid to the bit, on seeded
// clouds of points with and without masses, on whole pixels and off them, at several image sizes and sigmas.
import { strict as assert } from 'node:assert';
import { seededRandom } from '../../src/eval/metrics';
import { densityMap } from '../../src/heatmap/density';
import { keptByMass, outlierRule, type Point } from '../../src/heatmap/outliers';

function referenceDensity(points: readonly Point[], width: number, height: number, sigma: number, weights?: ArrayLike<number>): Float32Array {
  const step = Math.max(1, Math.floor(sigma / 5));
  const gw = Math.ceil((width - 1) / step) + 1;
  const gh = Math.ceil((height - 1) / step) + 1;
  const grid = new Float32Array(gw * gh);
  // Each distinct point adds weight · g(dx) · g(dy) to the nodes within 3.5 sigma: the Gaussian sampled
  // exactly at the nodes, whatever the point's sub-node position.
  const weight = new Map<number, number>();
  points.forEach(([x, y], i) => weight.set(y * width + x, (weight.get(y * width + x) ?? 0) + (weights ? weights[i] : 1)));
  const reach = 3.5 * sigma;
  const inv = 1 / (2 * sigma * sigma);
  const gx = new Float32Array(gw),
    gy = new Float32Array(gh);
  for (const [key, w] of weight) {
    const px = key % width,
      py = (key - px) / width;
    const i0 = Math.max(0, Math.ceil((px - reach) / step)),
      i1 = Math.min(gw - 1, Math.floor((px + reach) / step));
    const j0 = Math.max(0, Math.ceil((py - reach) / step)),
      j1 = Math.min(gh - 1, Math.floor((py + reach) / step));
    for (let i = i0; i <= i1; i++) gx[i] = Math.exp(-((i * step - px) ** 2) * inv);
    for (let j = j0; j <= j1; j++) gy[j] = w * Math.exp(-((j * step - py) ** 2) * inv);
    for (let j = j0; j <= j1; j++) {
      const row = j * gw,
        b = gy[j];
      for (let i = i0; i <= i1; i++) grid[row + i] += b * gx[i];
    }
  }
  let max = 0;
  for (let i = 0; i < grid.length; i++) if (grid[i] > max) max = grid[i];
  if (max > 0) for (let i = 0; i < grid.length; i++) grid[i] /= max;
  return grid;
}

function referenceKept(points: readonly Point[], weights: ArrayLike<number> | undefined, width: number, height: number): number[] {
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

describe('heat map: the same points kept and the same map as before', () => {
  const r = seededRandom(20261203);
  const int = (n: number) => Math.floor(r() * n);
  /** A cloud: clusters (many points on one pixel, as fixations are) and strays; masses of all sizes, zeros included. */
  function cloud(width: number, height: number, wholePixels: boolean): { points: Point[]; weights: number[] } {
    const points: Point[] = [];
    const centres = Array.from({ length: 1 + int(4) }, () => [int(width), int(height)]);
    const n = int(400);
    for (let i = 0; i < n; i++) {
      const [cx, cy] = r() < 0.1 ? [int(width), int(height)] : centres[int(centres.length)];
      const spread = 1 + int(Math.min(width, height) / 4);
      const x = Math.min(width - 1, Math.max(0, cx + int(2 * spread) - spread));
      const y = Math.min(height - 1, Math.max(0, cy + int(2 * spread) - spread));
      points.push(wholePixels ? [x, y] : [x + (r() < 0.5 ? 0 : 0.25), y]);
    }
    const weights = points.map(() => (r() < 0.05 ? 0 : r() ** 4));
    return { points, weights };
  }
  const sizes: [number, number][] = [
    [500, 375],
    [224, 224],
    [37, 300],
    [1200, 900],
  ];

  it('densityMap: the same grid, bit for bit', () => {
    for (let trial = 0; trial < 60; trial++) {
      const [width, height] = sizes[trial % sizes.length];
      const { points, weights } = cloud(width, height, trial % 5 !== 4);
      const sigma = trial % 3 === 0 ? 0.055 * Math.min(width, height) : [0.7, 3, 11.3, 40][int(4)];
      const w = trial % 2 ? weights : undefined;
      const got = densityMap(points, width, height, sigma, w).grid;
      const want = referenceDensity(points, width, height, sigma, w);
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`trial ${trial}: node ${i} is ${got[i]}, not ${want[i]}`);
    }
  });

  it('keptByMass: the same points kept, with and without masses', () => {
    let removed = 0;
    for (let trial = 0; trial < 200; trial++) {
      const [width, height] = sizes[trial % sizes.length];
      const { points, weights } = cloud(width, height, trial % 5 !== 4);
      const w = trial % 2 ? weights : undefined;
      const want = referenceKept(points, w, width, height);
      assert.deepEqual(keptByMass(points, w, width, height), want, `trial ${trial}`);
      if (points.length >= outlierRule.minPoints) removed += points.length - want.length;
    }
    assert.ok(removed > 0, 'the clouds have outliers to remove');
  });
});
