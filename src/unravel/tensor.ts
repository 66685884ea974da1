// Shapes, flat indices and activations as the rules see them. Activations may be quantized: a value is
// (data[i] - zero) * scale, which for float tensors is data[i] itself.
import type { Values } from '../onnx/tensor';

export type Shape = readonly number[];

export function numel(s: Shape): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

/** Row-major strides. */
export function stridesOf(s: Shape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

/** Normalizes a possibly negative axis against a rank. */
export function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** numpy-style broadcast of shapes; throws when they are incompatible. */
export function broadcastShapes(shapes: readonly Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i];
      if (d === out[j] || d === 1) continue;
      if (out[j] === 1) out[j] = d;
      else throw new Error(`shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')} do not broadcast`);
    }
  }
  return out;
}

export interface Activation {
  readonly dims: Shape;
  readonly data: Values;
  /** Dequantization: value = (data[i] - zero) * scale. Float tensors have scale 1, zero 0. */
  readonly scale: number;
  readonly zero: number;
  /** Set when the forward pass did not keep the tensor and the walk makes it from kept ones: `data` is then empty. */
  readonly derived?: DerivedChannels;
}

/**
 * A tensor (N, C, H, W) the walk makes channel by channel from kept tensors (plan.ts, `derivedInput`): batch 0's
 * channel c at position p is relu?(fround(sources[input[c]][at[c] + p] · scale[c] + shift[c])), a
 * BatchNormalization (and a ReLU) of a channel Concat of the sources. Only the conv rule reads such a tensor, at the
 * positions it needs.
 */
export interface DerivedChannels {
  readonly sources: readonly Float32Array[];
  /** Per channel: its source, and where its plane starts there. */
  readonly input: Int32Array;
  readonly at: Int32Array;
  readonly scale: Float64Array;
  readonly shift: Float64Array;
  readonly relu: boolean;
  /** The whole tensor, made once where a reader needs it planar (the rule in TypeScript). */
  planar?: Float32Array;
}

/** Value (c, p) of batch 0 of a derived tensor. */
export function derivedValue(d: DerivedChannels, c: number, p: number): number {
  const v = Math.fround(d.sources[d.input[c]][d.at[c] + p] * d.scale[c] + d.shift[c]);
  return d.relu && v < 0 ? 0 : v;
}

/** The activation with its values in `data`: a derived one made whole (once, batch 0), any other as it is. */
export function planarActivation(a: Activation): Activation {
  const d = a.derived;
  if (!d) return a;
  if (!d.planar) {
    const [, c, h, w] = a.dims;
    const plane = h * w;
    const out = new Float32Array(c * plane);
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) out[ch * plane + p] = derivedValue(d, ch, p);
    d.planar = out;
  }
  return { dims: a.dims, data: d.planar, scale: 1, zero: 0 };
}

export function floatActivation(dims: Shape, data: Values): Activation {
  return { dims, data, scale: 1, zero: 0 };
}

/** An activation's values, dequantized, at flat indices `at`. */
export function valuesAt(a: Activation, at: Int32Array): Float64Array {
  if (a.derived) a = planarActivation(a);
  const out = new Float64Array(at.length);
  const d = a.data,
    z = a.zero,
    s = a.scale;
  for (let j = 0; j < at.length; j++) out[j] = (d[at[j]] - z) * s;
  return out;
}
