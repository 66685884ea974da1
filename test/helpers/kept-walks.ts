// Whole walks on the tensors a forward pass kept against walks given, besides those, tensors as onnxruntime
// computes them when asked (an inspection run): the check for tensors the walk computes instead of keeping.
import { strict as assert } from 'node:assert';
import { runExposingPath } from '../../src/runtime/inspect';
import { runForward, type OpenModel } from '../../src/runtime/session';
import { useConvSimd } from '../../src/unravel/rules/conv-kernel';
import type { Shape } from '../../src/unravel/tensor';
import { defaultUnravelOptions, type UnravelOptions } from '../../src/unravel/types';
import type { UnravelResult } from '../../src/unravel/walk';
import { randomTensor, rng } from './onnx-build';

/** The modes compared: the paper's, with masses, and a contrast against the next class. */
export function walkModes(classes: number): [string, (cls: number) => Partial<UnravelOptions>][] {
  return [
    ['paper', () => ({})],
    ['masses', () => ({ masses: true })],
    ['class contrast', (cls) => ({ masses: true, contrast: { coefficients: new Map([[(cls + 1) % classes, -1]]) } })],
  ];
}

/**
 * For `trials` seeded inputs of `dims` and every class of output `y`: the walk on the kept tensors, with the conv
 * kernel and without, has the fixations and masses of the walk given the tensors `computed` (which the forward pass
 * must not keep) as onnxruntime computes them. Returns the reference walks, for the caller to check what they reached.
 */
export async function keptWalksMatch(
  open: OpenModel,
  dims: Shape,
  computed: readonly string[],
  classes: number,
  options: (cls: number) => Partial<UnravelOptions>,
  seed: number,
  trials = 4,
): Promise<UnravelResult[]> {
  const r = rng(seed);
  const walks: UnravelResult[] = [];
  const layers = (u: UnravelResult) => u.layers.map((l) => [l.tensor, [...l.fixations], l.mass && [...l.mass]]);
  for (let trial = 0; trial < trials; trial++) {
    const feed = {
      name: 'x',
      dims,
      data: randomTensor(
        dims.reduce((a, b) => a * b, 1),
        r,
      ),
    };
    const kept = await runForward(open, feed);
    for (const t of computed) assert.ok(!kept.values.has(t), `${t} is not kept`);
    const exposed = await runExposingPath(open, feed);
    const all = new Map([...kept.values, ...computed.map((t) => [t, exposed.get(t)!] as const)]);
    for (let cls = 0; cls < classes; cls++) {
      const o = { ...defaultUnravelOptions, ...options(cls) };
      const want = open.unraveler.unravel({ values: all }, 'y', cls, 'x', o);
      for (const simd of [true, false]) {
        useConvSimd(simd);
        const got = open.unraveler.unravel(kept, 'y', cls, 'x', o);
        assert.deepEqual(layers(got), layers(want), `trial ${trial}, class ${cls}, ${simd ? 'kernel' : 'TypeScript'}`);
      }
      useConvSimd(true);
      walks.push(want);
    }
  }
  return walks;
}
