// Heat map: the kept points (with multiplicity, or with their masses) splatted on a zero image of the original size, blurred
// with a Gaussian of `sigma` original pixels, scaled so the maximum is 1. The map is sampled on a grid of
// every d-th pixel (d ≈ sigma/5; every pixel when d = 1) and read back bilinearly: the same smooth map for
// a fraction of the work, and small enough to send to the webview as is.
import type { Point } from './outliers';

export interface HeatMap {
  /** Size of the original image. */
  readonly width: number;
  readonly height: number;
  /** Grid node (i, j) sits at original pixel (i·step, j·step). */
  readonly step: number;
  readonly gridWidth: number;
  readonly gridHeight: number;
  readonly grid: Float32Array;
  readonly sigma: number;
  /** Whether any point was splatted (an empty map is all zeros). */
  readonly empty: boolean;
}

/** The default sigma: 0.055 × the shorter side, at least 1 pixel. */
export function defaultSigma(width: number, height: number): number {
  return Math.max(1, 0.055 * Math.min(width, height));
}

/** Splats the points (each with its weight, else 1: multiplicity) and blurs them; see the file's head. */
export function densityMap(points: readonly Point[], width: number, height: number, sigma = defaultSigma(width, height), weights?: ArrayLike<number>): HeatMap {
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
  // Points on whole pixels (the pipeline's always are) sit a whole number of pixels from every node: the Gaussian at
  // those offsets, computed once, is the same double as computed per point and node (a ResNet-50 map has ~260
  // points, 70 exponentials each).
  // (One entry more than the reach: a node found in reach by a rounded division may lie a hair beyond it.)
  const g = Float64Array.from({ length: Math.ceil(reach) + 2 }, (_, d) => Math.exp(-(d ** 2) * inv));
  const gx = new Float32Array(gw),
    gy = new Float32Array(gh);
  for (const [key, w] of weight) {
    const px = key % width,
      py = (key - px) / width;
    const i0 = Math.max(0, Math.ceil((px - reach) / step)),
      i1 = Math.min(gw - 1, Math.floor((px + reach) / step));
    const j0 = Math.max(0, Math.ceil((py - reach) / step)),
      j1 = Math.min(gh - 1, Math.floor((py + reach) / step));
    if (Number.isInteger(px) && Number.isInteger(py)) {
      for (let i = i0; i <= i1; i++) gx[i] = g[Math.abs(i * step - px)];
      for (let j = j0; j <= j1; j++) gy[j] = w * g[Math.abs(j * step - py)];
    } else {
      for (let i = i0; i <= i1; i++) gx[i] = Math.exp(-((i * step - px) ** 2) * inv);
      for (let j = j0; j <= j1; j++) gy[j] = w * Math.exp(-((j * step - py) ** 2) * inv);
    }
    for (let j = j0; j <= j1; j++) {
      const row = j * gw,
        b = gy[j];
      for (let i = i0; i <= i1; i++) grid[row + i] += b * gx[i];
    }
  }
  let max = 0;
  for (let i = 0; i < grid.length; i++) if (grid[i] > max) max = grid[i];
  if (max > 0) for (let i = 0; i < grid.length; i++) grid[i] /= max;
  return { width, height, step, gridWidth: gw, gridHeight: gh, grid, sigma, empty: max === 0 };
}

/** The map's maximum in original pixels (the grid node holding it; the first one on ties), or null when empty. */
export function heatPeak(map: HeatMap): [number, number] | null {
  if (map.empty) return null;
  let best = 0;
  for (let i = 1; i < map.grid.length; i++) if (map.grid[i] > map.grid[best]) best = i;
  const i = best % map.gridWidth,
    j = (best - i) / map.gridWidth;
  return [Math.min(map.width - 1, i * map.step), Math.min(map.height - 1, j * map.step)];
}

/** The heat at original pixel (x, y), read bilinearly from the grid. */
export function heatAt(map: HeatMap, x: number, y: number): number {
  const gx = Math.min(map.gridWidth - 1, Math.max(0, x / map.step));
  const gy = Math.min(map.gridHeight - 1, Math.max(0, y / map.step));
  const i = Math.min(map.gridWidth - 2, Math.floor(gx)),
    j = Math.min(map.gridHeight - 2, Math.floor(gy));
  if (i < 0 || j < 0) {
    // A grid one node wide or high: read along the other axis only.
    const ii = Math.round(gx),
      jj = Math.round(gy);
    return map.grid[jj * map.gridWidth + ii];
  }
  const fx = gx - i,
    fy = gy - j,
    g = map.grid,
    w = map.gridWidth;
  return (g[j * w + i] * (1 - fx) + g[j * w + i + 1] * fx) * (1 - fy) + (g[(j + 1) * w + i] * (1 - fx) + g[(j + 1) * w + i + 1] * fx) * fy;
}

/** The map at full resolution (row-major, width × height). */
export function fullResolution(map: HeatMap): Float32Array {
  const out = new Float32Array(map.width * map.height);
  for (let y = 0; y < map.height; y++) for (let x = 0; x < map.width; x++) out[y * map.width + x] = heatAt(map, x, y);
  return out;
}
