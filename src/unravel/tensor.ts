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
}

export function floatActivation(dims: Shape, data: Values): Activation {
  return { dims, data, scale: 1, zero: 0 };
}

/** An activation's values, dequantized, at flat indices `at`. */
export function valuesAt(a: Activation, at: Int32Array): Float64Array {
  const out = new Float64Array(at.length);
  const d = a.data,
    z = a.zero,
    s = a.scale;
  for (let j = 0; j < at.length; j++) out[j] = (d[at[j]] - z) * s;
  return out;
}
