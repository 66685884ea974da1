// Occlusion sensitivity (Zeiler & Fergus, ECCV 2014): slide a square patch over the model input, set it
// to 0 in the model's input space (the dataset mean after normalization: black for 'unit'/'raw', the
// mean colour for 'imagenet'), and record how much the class score drops. A pixel's value is the mean
// drop of the patches that cover it. One batch of perturbed copies gives every class at once.
// The score is the model's output as is (logits, as Captum does): a softmax probability saturates on a
// confident model, where covering the whole head of a 99.99% pelican moves it by 0.001.
import type { InputData, BatchRunner } from '../runtime/batch';
import type { Shape } from '../unravel/tensor';

export interface OcclusionOptions {
  /** Patch side in model-input pixels (default: 1/7 of the shorter side: 32 px at 224, 14 at 96). */
  readonly patch?: number;
  /** Step between patches (default: half the patch). */
  readonly stride?: number;
}

export interface OcclusionScores {
  readonly width: number;
  readonly height: number;
  readonly patch: number;
  readonly stride: number;
  /** Top-left corners of the patches, in model-input pixels. */
  readonly windows: readonly (readonly [number, number])[];
  /** Class scores (the model's outputs) of the intact input, then with each patch occluded. */
  readonly base: Float32Array;
  readonly occluded: readonly Float32Array[];
  readonly forwards: number;
}

/** Window starts along one axis: every `stride`, plus one flush with the far edge. */
export function windowStarts(size: number, patch: number, stride: number): number[] {
  const p = Math.min(patch, size);
  const starts: number[] = [];
  for (let s = 0; s + p <= size; s += stride) starts.push(s);
  if (starts[starts.length - 1] !== size - p) starts.push(size - p);
  return starts;
}

export function occlusionGeometry(width: number, height: number, o: OcclusionOptions = {}): { patch: number; stride: number } {
  const patch = Math.max(1, Math.min(width, height, Math.round(o.patch ?? Math.min(width, height) / 7)));
  const stride = Math.max(1, Math.round(o.stride ?? patch / 2));
  return { patch, stride };
}

/** Runs the occluded copies in batches (one forward per window, plus the intact input). */
export async function occlusionScores(
  runner: BatchRunner,
  input: { readonly dims: Shape; readonly data: InputData },
  layout: 'NCHW' | 'NHWC',
  o: OcclusionOptions = {},
): Promise<OcclusionScores> {
  const d = input.dims;
  const [c, h, w] = layout === 'NCHW' ? [d[1], d[2], d[3]] : [d[3], d[1], d[2]];
  const { patch, stride } = occlusionGeometry(w, h, o);
  const windows: [number, number][] = [];
  for (const y of windowStarts(h, patch, stride)) for (const x of windowStarts(w, patch, stride)) windows.push([x, y]);
  const size = c * h * w;
  const all = windows.length + 1;
  // Copies in chunks, so a 224×224 photo's 170 copies never sit in memory at once.
  const chunk = Math.max(1, Math.floor((1 << 22) / size));
  const scores: Float32Array[] = [];
  for (let start = 0; start < all; start += chunk) {
    const n = Math.min(chunk, all - start);
    const data = input.data instanceof Uint8Array ? new Uint8Array(n * size) : new Float32Array(n * size);
    for (let j = 0; j < n; j++) {
      const copy = data.subarray(j * size, (j + 1) * size);
      copy.set(input.data.subarray(0, size));
      const wi = start + j - 1;
      if (wi < 0) continue; // the intact input comes first
      const [x0, y0] = windows[wi];
      const x1 = Math.min(w, x0 + patch),
        y1 = Math.min(h, y0 + patch);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          for (let ch = 0; ch < c; ch++) copy[layout === 'NCHW' ? ch * h * w + y * w + x : (y * w + x) * c + ch] = 0;
        }
      }
    }
    scores.push(...(await runner.run(data, n, d)));
  }
  return { width: w, height: h, patch, stride, windows, base: scores[0], occluded: scores.slice(1), forwards: all };
}

/** Mean score drop of class k over the patches covering each model-input pixel (row-major h×w). */
export function occlusionMap(s: OcclusionScores, k: number): Float32Array {
  const { width: w, height: h, patch } = s;
  const sum = new Float64Array(w * h),
    count = new Uint16Array(w * h);
  s.windows.forEach(([x0, y0], i) => {
    const drop = s.base[k] - s.occluded[i][k];
    for (let y = y0; y < Math.min(h, y0 + patch); y++) {
      for (let x = x0; x < Math.min(w, x0 + patch); x++) {
        sum[y * w + x] += drop;
        count[y * w + x]++;
      }
    }
  });
  return Float32Array.from(sum, (v, i) => (count[i] ? v / count[i] : 0));
}
