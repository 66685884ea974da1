// The overlay, drawn by one compositor for every picture of it: the heat map blended in inferno (its
// opacity grows with the heat, so cold regions keep the photo), the fixation points (cyan discs with a
// dark rim) and the box (green), over an RGBA picture of the image at some scale. Pure pixels: the PNG
// export (src/heatmap/render.ts, so the HTML report and the CLI too) and the panel's canvas
// (webview-ui/src/draw/overlay.ts) both draw with it, so what the panel shows is what the export writes.
import { inferno } from './colormap';

/** A heat map on its sampling grid: node (i, j) sits at original pixel (i·step, j·step), values in [0, 1]. */
export interface HeatGrid {
  readonly gridWidth: number;
  readonly gridHeight: number;
  readonly step: number;
  readonly data: Float32Array;
}

/** What the overlay shows: the panel's toggles and opacity slider, the CLI's --opacity. */
export interface OverlayOptions {
  readonly heat: boolean;
  readonly points: boolean;
  readonly box: boolean;
  /** 0…1 */
  readonly opacity: number;
}

export const defaultOverlay: OverlayOptions = { heat: true, points: true, box: true, opacity: 0.6 };

/** An RGBA picture (row-major), drawn on in place. */
export interface Picture {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array | Uint8ClampedArray;
  /**
   * A transparent layer to lay over the image (the sweep's pictures), not the image: each mark is composed
   * on it "source over", so the layer over the image is the overlay drawn on it. Otherwise colours mix into
   * the image's and the result is opaque.
   */
  readonly layer?: boolean;
}

/**
 * A point in original pixels with an optional weight ≥ 0 (e.g. the mass of its fixations). When the
 * weights differ, each point's radius runs from 0.45× to 1.4× the plain radius and its opacity from 0.35 to
 * 1 with weight / max weight (the lightest stay visible: a fixation is there), heavier points on top; equal
 * weights (or none) draw every point plainly.
 */
export type OverlayPoint = readonly [x: number, y: number, weight?: number];

/** Points with their masses (an explanation's keptPoints and keptPointWeights), as the compositor draws them. */
export function weighedPoints(points: readonly (readonly [number, number])[], weights: readonly number[] | undefined): OverlayPoint[] {
  return points.map(([x, y], i) => [x, y, weights?.[i]] as const);
}

export interface OverlayLayers {
  /** Heat in [0, 1] for every pixel of the picture (sampleHeat), or none. */
  readonly heat: Float32Array | undefined;
  readonly points: readonly OverlayPoint[];
  /** [x0, y0, x1, y1] in original pixels, inclusive. */
  readonly box: readonly [number, number, number, number] | null;
}

const POINT = [0, 229, 255] as const;
const RIM = [0, 0, 0] as const;
const BOX = [57, 255, 20] as const;

/** A heat map's grid as the protocol carries it (the core's HeatMap names its values `grid`). */
export function heatGridOf(h: { readonly gridWidth: number; readonly gridHeight: number; readonly step: number; readonly grid: Float32Array }): HeatGrid {
  return { gridWidth: h.gridWidth, gridHeight: h.gridHeight, step: h.step, data: h.grid };
}

/** Axis lookup: for each picture coordinate, the lower grid node and the weight of the upper one. */
function axis(size: number, scale: number, step: number, nodes: number): { lo: Int32Array; f: Float32Array } {
  const lo = new Int32Array(size),
    f = new Float32Array(size);
  if (nodes < 2) return { lo, f };
  for (let d = 0; d < size; d++) {
    // Picture pixel centres map to original pixel coordinates; at scale 1 pixel d is original pixel d.
    const g = Math.min(nodes - 1, Math.max(0, ((d + 0.5) / scale - 0.5) / step));
    const i = Math.min(nodes - 2, Math.floor(g));
    lo[d] = i;
    f[d] = g - i;
  }
  return { lo, f };
}

/** The heat at every pixel of a width × height picture drawn at `scale` picture pixels per original pixel, read bilinearly from the grid. */
export function sampleHeat(grid: HeatGrid, width: number, height: number, scale: number): Float32Array {
  const { gridWidth: gw, gridHeight: gh, data } = grid;
  const out = new Float32Array(width * height);
  if (!gw || !gh || data.length < gw * gh) return out;
  const xs = axis(width, scale, grid.step, gw),
    ys = axis(height, scale, grid.step, gh);
  const right = gw > 1 ? 1 : 0,
    down = gh > 1 ? gw : 0;
  for (let y = 0; y < height; y++) {
    const row = ys.lo[y] * gw,
      fy = ys.f[y];
    for (let x = 0; x < width; x++) {
      const k = row + xs.lo[x],
        fx = xs.f[x];
      const top = data[k] * (1 - fx) + data[k + right] * fx;
      const bottom = data[k + down] * (1 - fx) + data[k + down + right] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Draws the overlay onto `pic` (the image at `scale` picture pixels per original pixel), in place. */
export function drawOverlay(pic: Picture, scale: number, layers: OverlayLayers, o: OverlayOptions): void {
  if (o.heat && layers.heat && o.opacity > 0) blendHeat(pic.rgba, layers.heat, o.opacity, !!pic.layer);
  // Marks grow with the picture, so they read the same on a thumbnail and on a large photo.
  const unit = Math.max(1, Math.round(Math.min(pic.width, pic.height) / 250));
  if (o.points) drawPoints(pic, scale, unit, layers.points);
  if (o.box && layers.box) drawBox(pic, scale, unit, layers.box);
}

/** Colour c at opacity a over the pixel at i: a plain mix on the image; composed "source over" on a layer (Picture.layer). */
function blend(rgba: Picture['rgba'], i: number, c: readonly number[], a: number, layer = false): void {
  const below = rgba[i + 3];
  if (!layer || below === 255) {
    rgba[i] = Math.round(rgba[i] * (1 - a) + c[0] * a);
    rgba[i + 1] = Math.round(rgba[i + 1] * (1 - a) + c[1] * a);
    rgba[i + 2] = Math.round(rgba[i + 2] * (1 - a) + c[2] * a);
    rgba[i + 3] = 255;
    return;
  }
  const b = (below / 255) * (1 - a),
    out = a + b;
  if (out <= 0) return;
  for (let k = 0; k < 3; k++) rgba[i + k] = Math.round((c[k] * a + rgba[i + k] * b) / out);
  rgba[i + 3] = Math.round(out * 255);
}

function blendHeat(rgba: Picture['rgba'], heat: Float32Array, opacity: number, layer: boolean): void {
  for (let p = 0; p < heat.length; p++) {
    const v = heat[p];
    const a = opacity * Math.min(1, v * 1.5);
    if (a <= 0.003) continue;
    const c = Math.max(0, Math.min(255, Math.round(v * 255))) * 3;
    blend(rgba, p * 4, [inferno[c], inferno[c + 1], inferno[c + 2]], a, layer);
  }
}

/** Each pixel holding points drawn once, with the largest weight among them; lightest first, so the heaviest end on top. */
function drawPoints(pic: Picture, scale: number, unit: number, points: readonly OverlayPoint[]): void {
  const byPixel = new Map<string, { x: number; y: number; w: number }>();
  for (const [x, y, w = 1] of points) {
    const key = `${x},${y}`;
    const seen = byPixel.get(key);
    if (!seen) byPixel.set(key, { x, y, w: Math.max(0, w) });
    else seen.w = Math.max(seen.w, w);
  }
  const marks = [...byPixel.values()];
  let min = Infinity,
    max = 0;
  for (const m of marks) {
    min = Math.min(min, m.w);
    max = Math.max(max, m.w);
  }
  const weighted = max > 0 && min < max;
  if (weighted) marks.sort((a, b) => a.w - b.w);
  const plain = Math.max(unit, Math.ceil(scale / 3));
  for (const m of marks) {
    const t = weighted ? m.w / max : 1;
    const r = weighted ? plain * (0.45 + 0.95 * t) : plain;
    disc(pic, Math.floor(m.x * scale + scale / 2), Math.floor(m.y * scale + scale / 2), r, weighted ? 0.35 + 0.65 * t : 1);
  }
}

/** A cyan disc of radius r with a one-pixel dark rim, at opacity a. */
function disc(pic: Picture, cx: number, cy: number, r: number, a: number): void {
  const reach = Math.ceil(r) + 1;
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      const x = cx + dx,
        y = cy + dy;
      if (x < 0 || y < 0 || x >= pic.width || y >= pic.height) continue;
      const d2 = dx * dx + dy * dy;
      if (d2 <= r * r) blend(pic.rgba, (y * pic.width + x) * 4, POINT, a, pic.layer);
      else if (d2 <= (r + 1) * (r + 1)) blend(pic.rgba, (y * pic.width + x) * 4, RIM, a, pic.layer);
    }
  }
}

/** The box's outline, 2 units thick, just outside the boxed pixels. */
function drawBox(pic: Picture, scale: number, unit: number, box: readonly [number, number, number, number]): void {
  const x0 = Math.floor(box[0] * scale),
    y0 = Math.floor(box[1] * scale);
  const x1 = Math.ceil((box[2] + 1) * scale) - 1,
    y1 = Math.ceil((box[3] + 1) * scale) - 1;
  const put = (x: number, y: number) => {
    if (x >= 0 && y >= 0 && x < pic.width && y < pic.height) blend(pic.rgba, (y * pic.width + x) * 4, BOX, 1, pic.layer);
  };
  for (let t = 0; t < 2 * unit; t++) {
    for (let x = x0 - t; x <= x1 + t; x++) {
      put(x, y0 - t);
      put(x, y1 + t);
    }
    for (let y = y0 - t; y <= y1 + t; y++) {
      put(x0 - t, y);
      put(x1 + t, y);
    }
  }
}

/** How much a small image is enlarged in an exported picture, so points and box do not hide it (MNIST's 28 px → 336). */
export function renderScale(width: number, height: number): number {
  const short = Math.min(width, height);
  return short < 160 ? Math.ceil(320 / short) : 1;
}

/** The exported picture: the image enlarged by renderScale (nearest neighbour, so pixels stay visible), with the overlay. */
export function overlayPicture(
  img: Picture,
  heat: HeatGrid | undefined,
  points: readonly OverlayPoint[],
  box: OverlayLayers['box'],
  o: OverlayOptions = defaultOverlay,
): Picture & { rgba: Uint8Array } {
  const u = renderScale(img.width, img.height);
  const w = img.width * u,
    h = img.height * u;
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (Math.floor(y / u) * img.width + Math.floor(x / u)) * 4,
        d = (y * w + x) * 4;
      rgba[d] = img.rgba[s];
      rgba[d + 1] = img.rgba[s + 1];
      rgba[d + 2] = img.rgba[s + 2];
      rgba[d + 3] = 255;
    }
  }
  const pic = { width: w, height: h, rgba };
  drawOverlay(pic, u, { heat: heat && o.heat ? sampleHeat(heat, w, h, u) : undefined, points, box }, o);
  return pic;
}
