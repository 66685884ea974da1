// Small built models run in onnxruntime for the rule tests: the forward pass and our shapes for it, and inputs
// whose values name their elements.
import { openModel, runForward } from '../../src/runtime/session';
import { buildModel, rng, type ModelSpec } from './onnx-build';
import { tmpFile } from './tmp';

let counter = 0;

/** Builds `spec`, opens it and runs one forward pass with `input` as its first input. */
export async function runSpec(spec: ModelSpec, input: Float32Array) {
  const open = await openModel(tmpFile(`single-op-${counter++}.onnx`, buildModel(spec)));
  const inp = spec.inputs[0];
  const forward = await runForward(open, { name: inp.name, dims: inp.dims as number[], data: input });
  return { open, forward, shapes: open.unraveler.shapesFor(forward) };
}

/** Distinct values 1..n in a seeded order, so that "same value" means "same element". */
export function distinct(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const v = Float32Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}
