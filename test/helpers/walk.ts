// Runs the product's walk on an in-memory model with given input values: no onnxruntime involved, so
// rules can be checked against values chosen by hand or by a seeded generator.
import { parseModel } from '../../src/onnx/graph';
import type { Values } from '../../src/onnx/tensor';
import { numel, stridesOf, type Shape } from '../../src/unravel/tensor';
import type { UnravelOptions } from '../../src/unravel/types';
import { defaultOps } from '../../src/unravel/ops';
import { defaultUnravelOptions } from '../../src/unravel/types';
import { Unraveler, type UnravelResult } from '../../src/unravel/walk';
import { buildModel, type ModelSpec } from './onnx-build';

export function flatIndex(shape: Shape, idx: readonly number[]): number {
  const st = stridesOf(shape);
  return idx.reduce((a, v, i) => a + v * st[i], 0);
}

export function multiIndex(shape: Shape, f: number): number[] {
  return stridesOf(shape).map((s, i) => Math.floor(f / s) % shape[i]);
}

export function walkModel(
  spec: ModelSpec,
  values: Record<string, { dims: Shape; data: Values }>,
  output: string,
  index: number,
  inputName: string,
  options: Partial<UnravelOptions> = {},
): UnravelResult {
  const graph = parseModel(buildModel(spec));
  const u = new Unraveler(graph, defaultOps);
  return u.unravel({ values: new Map(Object.entries(values)) }, output, index, inputName, { ...defaultUnravelOptions, ...options });
}

/** Input shapes from the spec, values as Float32Array. */
export function inputValues(spec: ModelSpec, raw: Record<string, number[]>): Record<string, { dims: Shape; data: Values }> {
  const out: Record<string, { dims: Shape; data: Values }> = {};
  for (const i of spec.inputs) {
    const dims = i.dims as number[];
    const data = Float32Array.from(raw[i.name]);
    if (data.length !== numel(dims)) throw new Error(`values for ${i.name}: ${data.length} ≠ ${numel(dims)}`);
    out[i.name] = { dims, data };
  }
  return out;
}
