// Weakly supervised localization: the tight box around the kept points, or (second mode) the box of the
// largest connected region where the heat map is at least a fraction of its maximum.
import { heatAt, type HeatMap } from './density';
import type { Point } from './outliers';

export type Box = readonly [number, number, number, number];

export function pointsBox(points: readonly Point[]): Box | null {
  if (points.length === 0) return null;
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/** Box of the largest 4-connected region with heat ≥ fraction · max, at full resolution. */
export function thresholdBox(map: HeatMap, fraction = 0.2): Box | null {
  if (map.empty) return null;
  const { width: w, height: h } = map;
  const on = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) on[y * w + x] = heatAt(map, x, y) >= fraction ? 1 : 0;
  const seen = new Uint8Array(w * h);
  let best: Box | null = null,
    bestSize = 0;
  const stack: number[] = [];
  for (let start = 0; start < on.length; start++) {
    if (!on[start] || seen[start]) continue;
    let size = 0,
      x0 = w,
      y0 = h,
      x1 = -1,
      y1 = -1;
    stack.push(start);
    seen[start] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w,
        y = (p - x) / w;
      size++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (const q of [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1]) {
        if (q >= 0 && on[q] && !seen[q]) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = [x0, y0, x1, y1];
    }
  }
  return best;
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]) + 1);
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]) + 1);
  const inter = ix * iy;
  const area = (r: Box) => (r[2] - r[0] + 1) * (r[3] - r[1] + 1);
  return inter / (area(a) + area(b) - inter);
}
