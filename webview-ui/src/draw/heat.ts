// The heat grid (sampled every `step` original pixels) read back at display resolution, bilinearly,
// exactly as src/heatmap/density.ts heatAt reads it; then blended over the photo the way the exported
// PNG is (src/heatmap/render.ts), so what the panel shows is what the export writes.
import { inferno } from '../../../src/heatmap/colormap';
import type { HeatGrid } from '../../../src/shared/protocol';

/** Axis lookup: for each display coordinate, the lower grid node and the weight of the upper one. */
function axis(displaySize: number, scale: number, step: number, nodes: number): { lo: Int32Array; f: Float32Array } {
  const lo = new Int32Array(displaySize), f = new Float32Array(displaySize);
  for (let d = 0; d < displaySize; d++) {
    // Display pixel centres map to original pixel coordinates; at scale 1 pixel d is original pixel d.
    const x = (d + 0.5) / scale - 0.5;
    const g = Math.min(nodes - 1, Math.max(0, x / step));
    if (nodes < 2) {
      lo[d] = 0;
      f[d] = 0;
      continue;
    }
    const i = Math.min(nodes - 2, Math.floor(g));
    lo[d] = i;
    f[d] = g - i;
  }
  return { lo, f };
}

/** Heat values in [0, 1] for every display pixel (row-major, width × height). */
export function sampleHeat(grid: HeatGrid, width: number, height: number, scale: number): Float32Array {
  const { gridWidth: gw, gridHeight: gh, data } = grid;
  const out = new Float32Array(width * height);
  if (!gw || !gh || data.length < gw * gh) return out;
  const xs = axis(width, scale, grid.step, gw), ys = axis(height, scale, grid.step, gh);
  const right = gw > 1 ? 1 : 0, down = gh > 1 ? gw : 0;
  for (let y = 0; y < height; y++) {
    const row = ys.lo[y] * gw, fy = ys.f[y];
    for (let x = 0; x < width; x++) {
      const k = row + xs.lo[x], fx = xs.f[x];
      const top = data[k] * (1 - fx) + data[k + right] * fx;
      const bottom = data[k + down] * (1 - fx) + data[k + down + right] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Blends the heat over a copy of the photo: opacity grows with the heat so cold regions keep the photo. */
export function blendHeat(base: Uint8ClampedArray, heat: Float32Array, opacity: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(base);
  for (let p = 0; p < heat.length; p++) {
    const v = heat[p];
    const a = opacity * Math.min(1, v * 1.5);
    if (a <= 0.003) continue;
    const c = Math.max(0, Math.min(255, Math.round(v * 255))) * 3;
    const i = p * 4;
    out[i] = out[i] * (1 - a) + inferno[c] * a;
    out[i + 1] = out[i + 1] * (1 - a) + inferno[c + 1] * a;
    out[i + 2] = out[i + 2] * (1 - a) + inferno[c + 2] * a;
  }
  return out;
}

/**
 * Display resolution for an image: large photos are drawn at most 1600 px on the long side; tiny ones
 * (MNIST's 28×28) at a whole multiple so the short side reaches 256 px and pixels stay square.
 */
export function displayScale(width: number, height: number): number {
  const long = Math.max(width, height), short = Math.min(width, height);
  if (long > 1600) return 1600 / long;
  if (short < 256) return Math.max(1, Math.min(Math.ceil(256 / short), Math.floor(1600 / long)));
  return 1;
}
