// The architecture zoo as the tests see it: the manifest the Python generator wrote (scripts/fixtures/
// zoo_gen.py), found through CNN_FIXATIONS_ZOO (set by scripts/test-zoo.sh), and the helpers that look
// inside one explanation: what each step of the walk sent to its inputs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imagesDir as fixtureImages } from '../../src/fixtures';
import type { OnnxNode } from '../../src/onnx/graph';
import { defaultOps, wrapRules } from '../../src/unravel/ops';
import type { OpTable } from '../../src/unravel/types';

export interface Variant {
  readonly bnUnfolded: boolean;
  readonly dynamicBatch: boolean;
  readonly qdq: boolean;
  readonly externalData: boolean;
}

export interface Fixture {
  readonly name: string;
  readonly family: string;
  readonly kind: 'torchvision' | 'handmade';
  readonly role: 'sweep' | 'reference';
  readonly opset: number;
  readonly variant: Variant;
  readonly file?: string;
  readonly files?: readonly string[];
  readonly input?: { readonly name: string; readonly dims: readonly (number | string)[] };
  readonly preset?: string;
  readonly ops?: readonly string[];
  readonly doc?: string;
  /** Set when torch.onnx.export (or the quantizer) failed for this fixture. */
  readonly exportError?: string;
  /** The Python module of the exception export raised: torch.onnx.* when torch's exporter refused the model. */
  readonly exportErrorModule?: string;
}

export interface Manifest {
  readonly version: number;
  readonly torch: string;
  readonly onnx: string;
  readonly photos: readonly string[];
  /** Every operator of the default ONNX domain (onnx.defs), for the README's list of ops without a rule. */
  readonly onnxOps: readonly string[];
  readonly fixtures: readonly Fixture[];
}

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** The zoo folder, or a message saying how to make it. */
export function zooDir(): { dir?: string; problem?: string } {
  const dir = process.env.CNN_FIXATIONS_ZOO;
  if (!dir)
    return { problem: 'CNN_FIXATIONS_ZOO is not set: run the zoo through `npm run test:zoo`, which generates the fixtures (or finds them cached) and sets it' };
  if (!fs.existsSync(path.join(dir, 'manifest.json')))
    return { problem: `${dir} has no manifest.json: the zoo is incomplete; run \`npm run test:zoo\` to regenerate it` };
  return { dir };
}

/**
 * Whether the zoo holds only some families: scripts/zoo-fixtures.mjs generates CNN_FIXATIONS_ZOO_ONLY's subset into
 * a folder named `<generator hash>-only-<regex hash>`.
 */
export const isPartialZoo = (dir: string): boolean => /-only-[0-9a-f]{8}$/.test(path.basename(dir)) || Boolean(process.env.CNN_FIXATIONS_ZOO_ONLY);

export function loadManifest(dir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** The real photos the sweep feeds, in a fixed order (digits are not photos). */
export function photos(): string[] {
  const imagesDir = fixtureImages();
  return fs
    .readdirSync(imagesDir)
    .filter((f) => /\.(jpe?g)$/i.test(f) && !f.startsWith('digit'))
    .sort()
    .map((f) => path.join(imagesDir, f));
}

/** What one step of the walk sent to each of its non-constant inputs (distinct fixations). */
export interface StepSends {
  readonly node: OnnxNode;
  readonly held: number;
  readonly sends: readonly { readonly input: string; readonly count: number }[];
}

/** The op table with every rule recording its sends, and how to collect what one call recorded. */
export interface StepRecorder {
  readonly ops: OpTable;
  during<T>(fn: () => T): { result: T; steps: StepSends[] };
}

/**
 * An op table whose rules record each step's sends while `during` runs. Sessions opened on it (SessionCache's
 * `ops`) walk the real walk, with its own context, activations and options, and nothing shared is changed.
 */
export function stepRecorder(): StepRecorder {
  let steps: StepSends[] | undefined;
  const ops = wrapRules(defaultOps, (rule) => ({
    ...rule,
    back(node, outputs, ctx) {
      const ins = rule.back(node, outputs, ctx);
      const sends = ins.flatMap((fix, i) => {
        const t = node.input(i);
        return fix && t && !ctx.constants.has(t) ? [{ input: t, count: new Set(fix.index).size }] : [];
      });
      steps?.push({ node, held: outputs.reduce((a, o) => a + o.index.length, 0), sends });
      return ins;
    },
  }));
  return {
    ops,
    during(fn) {
      const mine: StepSends[] = [];
      steps = mine;
      try {
        return { result: fn(), steps: mine };
      } finally {
        steps = undefined;
      }
    },
  };
}

/** Op types whose steps may not grow the fixation count (ISSUE 3: conv, pool, concat, add families). */
export const nonGrowingOps = new Set([
  'Conv',
  'QLinearConv',
  'ConvInteger',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'ReduceMean',
  'ReduceMax',
  'QLinearGlobalAveragePool',
  'QLinearAveragePool',
  'QLinearReduceMean',
  'Concat',
  'QLinearConcat',
  'Add',
  'Sum',
  'QLinearAdd',
]);

/** Fully connected steps: the only ones allowed to send more fixations than they received. */
export const fullyConnectedOps = new Set(['Gemm', 'MatMul', 'QLinearMatMul', 'QGemm', 'MatMulInteger']);

/** Index of the largest score, the first on ties. */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}
