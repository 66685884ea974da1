// Per-family timings of the three stages the explainer runs, warm, in one process, median of several runs:
// the plain onnxruntime forward (the original model, no extra outputs), the forward that keeps the
// intermediates the walk reads (src/runtime/session.ts runForward), and the unravel step. The goal is
// unravel ≤ 0.3 × forward; families above it are marked. Run through scripts/zoo-timings.mjs, which
// bundles this file and finds the zoo:
//
//   node scripts/zoo-timings.mjs [--runs N] [--only REGEX] [--json FILE]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { topK } from '../src/explain';
import { fixturePath } from '../src/fixtures';
import { decodeImage, imageToTensor } from '../src/preprocess/image';
import { imageInputSpec } from '../src/preprocess/input-spec';
import { defaultPresetName, presetNamed } from '../src/preprocess/presets';
import { openModel, runForward, sessionOptions, type Feed } from '../src/runtime/session';

interface Row {
  name: string;
  family: string;
  forwardMs: number;
  forwardKeepMs: number;
  unravelMs: number;
  kept: number;
  ratio: number;
  ratioKeep: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeIt(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn(); // warm-up: first-run allocations, shape inference caches
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function measure(file: string, photo: string, runs: number): Promise<Omit<Row, 'name' | 'family'>> {
  const open = await openModel(file);
  try {
    const spec = imageInputSpec(open.model.graph);
    const preset = presetNamed(defaultPresetName(open.model.graph.metadata, spec.channels));
    const { feed } = imageToTensor(await decodeImage(photo), spec, preset);
    const plain = await ort.InferenceSession.create(file, await sessionOptions(open.model));
    let forwardMs: number;
    try {
      const tensor = (f: Feed) => new ort.Tensor(f.data instanceof Uint8Array ? 'uint8' : 'float32', f.data, f.dims as number[]);
      forwardMs = await timeIt(runs, () => plain.run({ [feed.name]: tensor(feed) }));
    } finally {
      await plain.release();
    }
    const forwardKeepMs = await timeIt(runs, () => runForward(open, feed));
    const forward = await runForward(open, feed);
    const out = open.outputNames[0];
    const k = topK(forward.outputs.get(out)!.data, 1)[0];
    const unravelMs = await timeIt(runs, () => open.unraveler.unravel(forward, out, k, spec.name));
    return { forwardMs, forwardKeepMs, unravelMs, kept: open.plan.expose.length, ratio: unravelMs / forwardMs, ratioKeep: unravelMs / forwardKeepMs };
  } finally {
    await open.session.release();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, only: { type: 'string' }, json: { type: 'string' } } });
  const dir = process.env.CNN_FIXATIONS_ZOO;
  if (!dir) throw new Error('CNN_FIXATIONS_ZOO is not set; run this through node scripts/zoo-timings.mjs');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    fixtures: { name: string; family: string; role: string; file?: string; exportError?: string }[];
  };
  const runs = Number(values.runs);
  const only = values.only ? new RegExp(values.only) : /-op13$/;
  const photo = fixturePath('images/dog.jpg');
  const rows: Row[] = [];
  console.log(`| fixture | forward ms | forward + kept tensors ms | kept tensors | unravel ms | unravel / forward | |`);
  console.log(`|---|--:|--:|--:|--:|--:|---|`);
  for (const f of manifest.fixtures.filter((x) => x.role === 'sweep' && x.file && !x.exportError && only.test(x.name))) {
    try {
      const r = { name: f.name, family: f.family, ...(await measure(path.join(dir, f.file!), photo, runs)) };
      rows.push(r);
      const flag = r.ratio > 0.3 ? 'above 0.3×' : '';
      console.log(
        `| ${r.name} | ${r.forwardMs.toFixed(1)} | ${r.forwardKeepMs.toFixed(1)} | ${r.kept} | ${r.unravelMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${flag} |`,
      );
    } catch (e) {
      console.log(`| ${f.name} | error: ${(e as Error).message.split('\n')[0]} | | | | | |`);
    }
  }
  const above = rows.filter((r) => r.ratio > 0.3).map((r) => r.name);
  console.log(`\n${runs} warm runs each (median), photo ${path.basename(photo)}. unravel > 0.3 × forward: ${above.length ? above.join(', ') : 'none'}`);
  if (values.json) fs.writeFileSync(values.json, JSON.stringify({ runs, photo, rows }, null, 1) + '\n');
}

main().catch((e: unknown) => {
  console.error(`zoo-timings: ${(e as Error).message}`);
  process.exit(1);
});
