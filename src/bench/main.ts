// npm run bench [-- --json FILE] [--models a,b] [--runs N]: speed and memory of explanations against a plain
// onnxruntime-node forward of the same model, measured in one process per model (so each model's peak
// resident memory is its own), warm, as medians with their spread; beside it, the peer: Grad-CAM in PyTorch on
// the same architecture against torch's own forward (gradcam.ts; skipped with a note where torch is absent),
// and the preprocessing of a 12-megapixel photo made from the shipped ones. Prints a markdown table and writes
// it with the JSON (machine, versions, ratios) to bench/results/latest.{md,json} (partial.{md,json} for --models).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { explainHeapFlags } from '../engine/heap';
import { Explainer } from '../explain';
import { fixturePath } from '../fixtures';
import { bigPhotoJpeg } from '../fixtures/big-photo';
import { SessionCache, openModel, runForward } from '../runtime/session';
import { topK } from '../explain';
import type { PresetName } from '../shared/settings';
import type { Feed } from '../runtime/session';
import type { ImageInputSpec } from '../preprocess/input-spec';
import type { Preset } from '../preprocess/presets';
import { cropToTensor, decodeForModel, resizeFor, viewGeometries } from '../preprocess/image';
import { presets } from '../preprocess/presets';
import { gradcamLane, torchArchitecture, type GradcamResult } from './gradcam';
import { medianRound, roundsTable, type RoundRatios } from './rounds';
import { firstTable, type FirstExplanation } from './first';
import { f1, ratio } from './format';

interface BenchModel {
  readonly name: string;
  readonly path: string;
  readonly preset?: PresetName;
}

export interface ModelResult {
  name: string;
  fileMb: number;
  plainForwardMs: number;
  forwardWithIntermediatesMs: number;
  /** The same session's forward fetching only the model's own outputs: the kept tensors still shape the graph (lost fusions), none is copied into JavaScript. */
  forwardKeptUncopiedMs: number;
  unravelMs: number;
  heatmapMs: number;
  explainMs: number;
  classSwitchMs: number;
  sessionCreateMs: number;
  coldOpenMs: number;
  /** Decode + resize + crop + normalize of the bench photo at this model's input, warm: the median of several in one process after warm-up. */
  preprocessMs: number;
  /** The same, cold: the first Explainer.create's own timing in a fresh process (V8 has not compiled the loops yet). */
  preprocessColdMs: number;
  /** Grad-CAM (forward + backward + map) ÷ torch's plain forward, same architecture and threads; null when skipped. */
  gradcamRatio: number | null;
  gradcam: GradcamResult | null;
  peakRssMb: number;
  /** The first explanation in a fresh process (the same child as peakRssMb): what each CLI run and a model's first panel cost. */
  first: FirstExplanation | null;
  exposedTensors: number;
  /** [p10, p90] of the main timings. */
  spread: Record<string, [number, number]>;
  /** What explainMs holds besides the forward (as forwardWithIntermediatesMs times it alone), the unravel and the heat map. */
  rest?: RestParts;
  /**
   * With --rounds N: the ratios of every round (a child process each, the models taken in turn), in round order. The
   * other fields are those of the round whose explain ÷ plain is the median.
   */
  rounds?: RoundRatios;
  /**
   * CPU ms (process.cpuUsage: every thread of the process, onnxruntime's included) over the same warm runs as the
   * wall times above, medians: on a shared machine wall time measures the neighbours too, CPU time mostly the code.
   */
  cpu: CpuTimes;
}

/** Medians over the explain runs, ms; the parts overlap where said. */
interface RestParts {
  /** onnxruntime's run inside the explanation (again()): more than forwardWithIntermediatesMs when a walk came before it (GC, caches). */
  forwardInExplainMs: number;
  /** again() beyond its run: the NaN/Inf check of what onnxruntime did not sum, the probabilities, the logits. */
  checksMs: number;
  /** explain() beyond the unravel and the heat map: the class picked, the points and their weights, the JSON. */
  resultMs: number;
  /** V8's collections during the explanation (their pauses, inside the parts above: mostly the run and the walk). */
  gcMs: number;
  /** Collections per explanation (means): scavenges, and mark-compacts (full collections). */
  scavenges: number;
  markCompacts: number;
}

export interface CpuTimes {
  plainForwardMs: number;
  forwardWithIntermediatesMs: number;
  forwardKeptUncopiedMs: number;
  /** The warm preprocessing (preprocessMs). */
  preprocessMs: number;
  /** The walk and the map after a forward, without it. */
  unravelAndMapMs: number;
  explainMs: number;
  classSwitchMs: number;
}

const repo = path.resolve(__dirname, '..');
const image = fixturePath('images/pelican.jpeg');

function realModels(): BenchModel[] {
  return ['mobilenetv2-12-dequantized-fp32', 'mobilenetv2-12-int8', 'shufflenet-v2-12-dequantized-fp32', 'shufflenet-v2-12-qdq'].map((n) => ({
    name: n,
    path: fixturePath(`models/${n}.onnx`),
  }));
}

/** The generated architecture fixtures, when the zoo has been made (npm run test:zoo makes it). */
function zooModels(): BenchModel[] {
  const r = spawnSync(process.execPath, [path.join(repo, 'scripts', 'zoo-fixtures.mjs'), '--check'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  const dir = r.stdout.trim();
  const wanted = ['resnet50-op17', 'vgg16-op17', 'densenet121-op17', 'googlenet-op17', 'mobilenet_v2-op17', 'efficientnet_b0-op17'];
  return wanted.map((n) => ({ name: n, path: path.join(dir, `${n}.onnx`) })).filter((m) => fs.existsSync(m.path));
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];

async function time<T>(f: () => Promise<T> | T): Promise<[number, T]> {
  const t = performance.now();
  const v = await f();
  return [performance.now() - t, v];
}

/** Wall and CPU ms of `f`. */
async function timeCpu<T>(f: () => Promise<T> | T): Promise<[number, number, T]> {
  const c = process.cpuUsage();
  const [wall, v] = await time(f);
  const used = process.cpuUsage(c);
  return [wall, (used.user + used.system) / 1000, v];
}

/** Runs in the child process: everything about one model. */
async function measure(m: BenchModel, runs: number): Promise<ModelResult> {
  // onnxruntime's environment starts on first use: pay that before timing anything.
  await ort.InferenceSession.create(fixturePath('models/mnist-8.onnx'));
  const creates: number[] = [],
    opens: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [tc, s] = await time(() => ort.InferenceSession.create(m.path));
    creates.push(tc);
    await s.release();
    const [to, o] = await time(() => openModel(m.path));
    opens.push(to);
    await o.session.release();
  }
  const warm = 3;
  const cache = new SessionCache();
  const prep: number[] = [];
  let e!: Explainer;
  for (let i = 0; i < 3; i++) {
    e = await Explainer.create(m.path, { image }, { preset: m.preset, labels: [] }, cache);
    prep.push(e.baseTimings.preprocessMs);
  }
  // the warm preprocessing: the Explainer's own steps, at its input size, repeated in this process
  const prepWarm: number[] = [],
    prepCpu: number[] = [];
  for (let i = 0; i < runs + warm; i++) {
    const [tp, cp] = await timeCpu(() => preprocessOnce(e.spec, e.preset));
    if (i >= warm) {
      prepWarm.push(tp);
      prepCpu.push(cp);
    }
  }
  const open = e.model;
  const feed = { name: e.spec.name, dims: e.forward.values.get(e.spec.name)!.dims, data: e.forward.values.get(e.spec.name)!.data as Float32Array | Uint8Array };
  const plain = await ort.InferenceSession.create(m.path);
  const plainFeed = { [feed.name]: new ort.Tensor(feed.data instanceof Uint8Array ? 'uint8' : 'float32', feed.data, feed.dims as number[]) };
  const [first] = topK(e.probs, 1);
  const t = {
    plain: [] as number[],
    fwd: [] as number[],
    uncopied: [] as number[],
    unravel: [] as number[],
    heat: [] as number[],
    explain: [] as number[],
    sw: [] as number[],
  };
  const cpu = { plain: [] as number[], fwd: [] as number[], uncopied: [] as number[], walk: [] as number[], explain: [] as number[], sw: [] as number[] };
  // Each measurement runs as a block: onnxruntime's worker threads spin for a while after a run, so
  // interleaving two sessions' runs on two cores would slow whichever comes second.
  for (let i = 0; i < runs + warm; i++) {
    const [tp, cp] = await timeCpu(() => plain.run(plainFeed));
    if (i >= warm) {
      t.plain.push(tp);
      cpu.plain.push(cp);
    }
  }
  for (let i = 0; i < runs + warm; i++) {
    const [tf, cf] = await timeCpu(() => runForward(open, feed));
    if (i >= warm) {
      t.fwd.push(tf);
      cpu.fwd.push(cf);
    }
  }
  for (let i = 0; i < runs + warm; i++) {
    const [tu, cu] = await timeCpu(() => open.session.run(plainFeed, open.outputNames as string[]));
    if (i >= warm) {
      t.uncopied.push(tu);
      cpu.uncopied.push(cu);
    }
  }
  // The whole explanation as a user gets it from the input tensor: a fresh forward pass keeping the tensors
  // (checked, the logits read), then the walk and the map of the top-1 on it. Then a class switch on that same
  // forward, to a class not walked on it yet (the next in the ranking each time): what a user's first look at
  // another class costs, with nothing of that class's walk kept.
  const classes = topK(e.probs, Math.min(e.classCount, runs + warm + 1));
  const rest = { run: [] as number[], checks: [] as number[], result: [] as number[], windows: [] as [number, number][] };
  const gcs: { start: number; end: number; major: boolean }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const g of list.getEntries()) {
      const kind = (g as { detail?: { kind?: number } }).detail?.kind;
      gcs.push({ start: g.startTime, end: g.startTime + g.duration, major: kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // One explanation per call: its forward is let go when the call returns, as the engine lets a panel's go before
  // the next image's forward (engine.ts, open). A loop that holds it into the next forward (a script's top-level
  // loop did) lets its buffers (27 MB on MobileNetV2) outlive one more scavenge into the old generation: 0.45 full
  // collections per explanation there instead of 0.25, ~10 ms more CPU. This loop did not (the same mark-compacts
  // per child before and after): the call keeps it so.
  const explainOnce = async (i: number) => {
    const start = performance.now();
    const [tf, cf, fresh] = await timeCpu(() => e.again());
    const [te, ce, x] = await timeCpu(() => fresh.explain(first));
    const end = performance.now();
    const [ts, cs] = await timeCpu(() => fresh.explain(classes[1 + (i % (classes.length - 1))]));
    if (i < warm) return;
    cpu.walk.push(ce);
    cpu.explain.push(cf + ce);
    t.unravel.push(x.json.timings.unravelMs);
    t.heat.push(x.json.timings.heatmapMs);
    t.explain.push(tf + te);
    t.sw.push(ts);
    cpu.sw.push(cs);
    const run = fresh.views.reduce((a, v) => a + v.runMs, 0);
    rest.run.push(run);
    rest.checks.push(tf - run);
    rest.result.push(te - x.json.timings.unravelMs - x.json.timings.heatmapMs);
    rest.windows.push([start, end]);
  };
  for (let i = 0; i < runs + warm; i++) await explainOnce(i);
  await new Promise((r) => setImmediate(r)); // the observer's last entries arrive on a later tick
  observer.disconnect();
  const inWindow = (w: [number, number]) => gcs.filter((g) => g.start >= w[0] && g.start < w[1]);
  await plain.release();
  await cache.dispose();
  const spread = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, [pct(v, 0.1), pct(v, 0.9)] as [number, number]]));
  return {
    name: m.name,
    fileMb: fs.statSync(m.path).size / 2 ** 20,
    plainForwardMs: median(t.plain),
    forwardWithIntermediatesMs: median(t.fwd),
    forwardKeptUncopiedMs: median(t.uncopied),
    unravelMs: median(t.unravel),
    heatmapMs: median(t.heat),
    explainMs: median(t.explain),
    classSwitchMs: median(t.sw),
    sessionCreateMs: median(creates),
    coldOpenMs: median(opens),
    preprocessMs: median(prepWarm),
    preprocessColdMs: prep[0],
    gradcamRatio: null, // measured by the parent, after this process has ended (gradcam.ts)
    gradcam: null,
    peakRssMb: 0, // measured in a process of its own (memoryChild), as is `first`
    first: null,
    exposedTensors: open.plan.expose.length,
    spread,
    rest: {
      forwardInExplainMs: median(rest.run),
      checksMs: median(rest.checks),
      resultMs: median(rest.result),
      gcMs: median(rest.windows.map((w) => inWindow(w).reduce((a, g) => a + g.end - g.start, 0))),
      scavenges: rest.windows.reduce((a, w) => a + inWindow(w).filter((g) => !g.major).length, 0) / rest.windows.length,
      markCompacts: rest.windows.reduce((a, w) => a + inWindow(w).filter((g) => g.major).length, 0) / rest.windows.length,
    },
    cpu: {
      plainForwardMs: median(cpu.plain),
      forwardWithIntermediatesMs: median(cpu.fwd),
      forwardKeptUncopiedMs: median(cpu.uncopied),
      preprocessMs: median(prepCpu),
      unravelAndMapMs: median(cpu.walk),
      explainMs: median(cpu.explain),
      classSwitchMs: median(cpu.sw),
    },
  };
}

/** Peak resident memory of what a user runs, in a fresh process: open the model, explain the photo once; and its timings. */
async function memoryChild(m: BenchModel): Promise<{ peakRssMb: number; first: FirstExplanation }> {
  const t0 = performance.now();
  const e = await Explainer.create(m.path, { image }, { preset: m.preset, labels: [] }, new SessionCache());
  const t = e.explain().json.timings;
  const totalMs = performance.now() - t0;
  return {
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    first: { openMs: t.loadMs, preprocessMs: t.preprocessMs, forwardMs: t.inferenceMs, unravelMs: t.unravelMs, heatmapMs: t.heatmapMs, totalMs },
  };
}

/** The bench photo into `spec`'s input tensor, the steps Explainer.create takes (single view). */
async function preprocessOnce(spec: ImageInputSpec, preset: Preset, file = image): Promise<Feed> {
  const img = await decodeForModel(file, spec, preset);
  const maps = viewGeometries(img, spec, preset, 'single');
  return cropToTensor(resizeFor(img.raster, maps), maps[0], spec, preset);
}

interface BigPhotoResult {
  width: number;
  height: number;
  /** The raster decoded for the model's input: the image's size, or less (a JPEG decoded at a reduced scale). */
  decodedWidth: number;
  decodedHeight: number;
  fileMb: number;
  /** Warm medians (after the first round, in the same process): the decode, and the resize, crop and normalize. */
  decodeMs: number;
  tensorMs: number;
  /** The first round (V8 has not compiled the loops yet). */
  decodeColdMs: number;
  tensorColdMs: number;
  /** CPU ms of the warm rounds, medians. */
  cpu: { decodeMs: number; tensorMs: number };
}

/**
 * Preprocessing of a 12-megapixel photo (src/fixtures/big-photo.ts, saved once in the temp folder), decoded
 * and turned into ImageNet's input: the first round cold, then warm medians of five.
 */
async function bigPhoto(): Promise<BigPhotoResult> {
  const file = path.join(os.tmpdir(), 'cnn-fixations-bench-12mp.jpg');
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, await bigPhotoJpeg());
  }
  const spec = { name: 'x', layout: 'NCHW', channels: 3, height: 224, width: 224, elemType: 1, dims: [1, 3, 224, 224] } as const;
  const d: [number, number][] = [],
    p: [number, number][] = [];
  let size = { width: 0, height: 0 },
    decoded = size;
  for (let i = 0; i < 6; i++) {
    const [td, cd, img] = await timeCpu(() => decodeForModel(file, spec, presets.imagenet));
    const [tp, cp] = await timeCpu(() => {
      const maps = viewGeometries(img, spec, presets.imagenet, 'single');
      return cropToTensor(resizeFor(img.raster, maps), maps[0], spec, presets.imagenet);
    });
    d.push([td, cd]);
    p.push([tp, cp]);
    size = img;
    decoded = img.raster;
  }
  const warm = (a: [number, number][], k: 0 | 1) => median(a.slice(1).map((v) => v[k]));
  return {
    width: size.width,
    height: size.height,
    decodedWidth: decoded.width,
    decodedHeight: decoded.height,
    fileMb: fs.statSync(file).size / 2 ** 20,
    decodeMs: warm(d, 0),
    tensorMs: warm(p, 0),
    decodeColdMs: d[0][0],
    tensorColdMs: p[0][0],
    cpu: { decodeMs: warm(d, 1), tensorMs: warm(p, 1) },
  };
}

export function markdownTable(results: readonly ModelResult[]): string {
  const head =
    '| model | plain forward ms | forward + intermediates ms | unravel ms | heat map ms | explain ms (× plain) | explain CPU ms (× plain CPU) | Grad-CAM ÷ torch forward | unravel × plain | class switch ms | preprocess ms | ORT session ms | cold open ms (× ORT) | peak RSS MB (goal 2×file+300) |';
  const rule = '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${f1(r.plainForwardMs)} | ${f1(r.forwardWithIntermediatesMs)} (${r.exposedTensors} kept) | ${f1(r.unravelMs)} | ${f1(r.heatmapMs)} | ` +
      `${f1(r.explainMs)} (${ratio(r.explainMs, r.plainForwardMs)}) | ${f1(r.cpu.explainMs)} (${ratio(r.cpu.explainMs, r.cpu.plainForwardMs)}) | ${r.gradcamRatio === null ? 'skipped' : `${r.gradcamRatio.toFixed(2)}×`} | ` +
      `${ratio(r.unravelMs, r.plainForwardMs)} | ${f1(r.classSwitchMs)} | ${f1(r.preprocessMs)} | ` +
      `${f1(r.sessionCreateMs)} | ${f1(r.coldOpenMs)} (${ratio(r.coldOpenMs, r.sessionCreateMs)}) | ${r.peakRssMb.toFixed(0)} (${(2 * r.fileMb + 300).toFixed(0)}) |`,
  );
  return [head, rule, ...rows].join('\n');
}

const USAGE = `usage: npm run bench [-- --models NAME[,NAME…]] [--runs N] [--rounds N] [--json FILE]
  --models  only these models (written to bench/results/partial.*); default: every model found
  --runs    warm runs per figure, the median reported (default 15)
  --rounds  measure every model N times, in turn (default 1); report each model's median round and every round's ratios
  --json    also write the JSON to FILE`;

/** Each option takes a value; --child and --memory are the bench's own (one model, in a child process). */
const OPTIONS = ['--models', '--runs', '--rounds', '--json', '--child', '--memory'];

/**
 * Where each explanation's time goes, ms: the plain forward; keeping the walk's tensors, inside onnxruntime (the
 * same session fetching only the scores, less the plain forward: reorders, lost fusions) and their copies out (all
 * fetched, less that); the unravel, the heat map, and the rest (restTable).
 */
export function whereTable(results: readonly ModelResult[]): string {
  const rows = results.map((r) => {
    const inside = r.forwardKeptUncopiedMs - r.plainForwardMs;
    const copies = r.forwardWithIntermediatesMs - r.forwardKeptUncopiedMs;
    const rest = r.explainMs - r.forwardWithIntermediatesMs - r.unravelMs - r.heatmapMs;
    return `| ${r.name} | ${f1(r.plainForwardMs)} | ${f1(inside)} | ${f1(copies)} | ${f1(r.unravelMs)} | ${f1(r.heatmapMs)} | ${f1(rest)} | ${f1(r.explainMs)} |`;
  });
  return [
    '| model | plain forward | keeping tensors: in onnxruntime | keeping tensors: copies out | unravel | heat map | rest | explain |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The rest of explain (explain less the forward alone, the unravel and the heat map), per part. */
function restTable(results: readonly ModelResult[]): string {
  const rows = results.map((r) => {
    const p = r.rest;
    if (!p) return `| ${r.name} | | | | | |`;
    const rest = r.explainMs - r.forwardWithIntermediatesMs - r.unravelMs - r.heatmapMs;
    return (
      `| ${r.name} | ${f1(rest)} | ${f1(p.forwardInExplainMs)} (${f1(p.forwardInExplainMs - r.forwardWithIntermediatesMs)}) | ${f1(p.checksMs)} | ${f1(p.resultMs)} | ` +
      `${f1(p.gcMs)} (${p.scavenges.toFixed(1)} scavenges, ${p.markCompacts.toFixed(1)} mark-compacts) |`
    );
  });
  return [
    '| model | rest of explain ms | forward in the explanation ms (more than alone) | checks ms | result ms | GC during the explanation ms |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  for (let i = 0; i < argv.length; i += 2) {
    if (!OPTIONS.includes(argv[i])) throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    if (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) throw new Error(`${argv[i]} needs a value\n${USAGE}`);
  }
  const loadAtStart = os.loadavg().map((v) => +v.toFixed(2));
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runs = Number(arg('--runs') ?? 15);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a whole number of runs, 1 or more, not ${arg('--runs')}`);
  const all = [...realModels(), ...zooModels()];
  const memory = arg('--memory');
  if (memory) {
    const m = all.find((x) => x.name === memory);
    if (!m) throw new Error(`no model named ${memory}`);
    process.stdout.write(JSON.stringify(await memoryChild(m)) + '\n');
    return;
  }
  const child = arg('--child');
  if (child) {
    const m = all.find((x) => x.name === child);
    if (!m) throw new Error(`no model named ${child}`);
    process.stdout.write(JSON.stringify(await measure(m, runs)) + '\n');
    return;
  }
  const only = arg('--models')?.split(',');
  const models = only ? all.filter((m) => only.includes(m.name)) : all;
  if (only && models.length !== only.length) {
    throw new Error(`unknown model(s): ${only.filter((n) => !all.some((m) => m.name === n)).join(', ')}; known: ${all.map((m) => m.name).join(', ')}`);
  }
  const rounds = Number(arg('--rounds') ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds needs a whole number of rounds, 1 or more, not ${arg('--rounds')}`);
  const measured = new Map<BenchModel, ModelResult[]>(models.map((m) => [m, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const m of models) {
      process.stderr.write(`bench: ${m.name}${rounds > 1 ? `, round ${round} of ${rounds}` : ''}…\n`);
      // the children run with the engine's heap settings: they measure what the extension and the CLI run
      const r = spawnSync(process.execPath, [...explainHeapFlags, __filename, '--child', m.name, '--runs', String(runs)], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      if (r.status !== 0) {
        process.stderr.write(`bench: ${m.name} failed: ${(r.stderr || '').trim().split('\n').pop()}\n`);
        continue;
      }
      measured.get(m)!.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
    }
  }
  const results: ModelResult[] = [];
  for (const m of models) {
    const done = measured.get(m)!;
    if (!done.length) continue;
    const result = rounds > 1 ? medianRound(done) : done[0];
    const mem = spawnSync(process.execPath, [...explainHeapFlags, __filename, '--memory', m.name], { encoding: 'utf8' });
    if (mem.status === 0) Object.assign(result, JSON.parse(mem.stdout.trim().split('\n').pop()!) as Pick<ModelResult, 'peakRssMb' | 'first'>);
    // the peer runs alone too, at the threads onnxruntime uses (one per core by default)
    const arch = torchArchitecture(m.name);
    result.gradcam = arch ? gradcamLane(arch, runs, os.cpus().length) : { skipped: `no torchvision architecture for ${m.name}` };
    result.gradcamRatio = 'ratio' in result.gradcam ? result.gradcam.ratio : null;
    if ('skipped' in result.gradcam) process.stderr.write(`bench: Grad-CAM skipped for ${m.name}: ${result.gradcam.skipped}\n`);
    results.push(result);
  }
  const big = await bigPhoto();
  const machine = {
    date: new Date().toISOString(),
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    /** 1-, 5- and 15-minute load averages when the run started and when it ended: the machine may be shared. */
    loadAverageAtStart: loadAtStart,
    loadAverage: os.loadavg().map((v) => +v.toFixed(2)),
    node: process.version,
    onnxruntime: ort.env.versions.common,
    runs,
    rounds,
    torchThreads: os.cpus().length,
  };
  const json = {
    machine,
    preprocess12Mp: big,
    models: results.map((r) => ({
      ...r,
      ratios: {
        explainToPlain: r.explainMs / r.plainForwardMs,
        explainToPlainCpu: r.cpu.explainMs / r.cpu.plainForwardMs,
        unravelToPlain: r.unravelMs / r.plainForwardMs,
        coldOpenToSessionCreate: r.coldOpenMs / r.sessionCreateMs,
        peakRssToGoal: r.peakRssMb / (2 * r.fileMb + 300),
      },
    })),
  };
  const table = `${markdownTable(results)}\n\n${restTable(results)}\n\n${whereTable(results)}\n\n${firstTable(results)}${rounds > 1 ? `\n\n${roundsTable(results)}` : ''}`;
  console.log(table);
  const bigLine = `12-megapixel JPEG (${big.width}×${big.height}, ${big.fileMb.toFixed(1)} MB): decode${big.decodedWidth !== big.width ? ` (at ${big.decodedWidth}×${big.decodedHeight}: DCT scaling)` : ''} ${f1(big.decodeMs)} ms + resize, crop and normalize ${f1(big.tensorMs)} ms, warm medians (CPU ${f1(big.cpu.decodeMs)} + ${f1(big.cpu.tensorMs)} ms; cold ${f1(big.decodeColdMs)} + ${f1(big.tensorColdMs)} ms)`;
  console.log(`\n${bigLine}`);
  console.log(
    `\n${machine.cpus}, ${machine.memoryGb} GB, Node ${machine.node}, onnxruntime-node ${machine.onnxruntime}, ${runs} warm runs${rounds > 1 ? ` × ${rounds} rounds` : ''}, load ${loadAtStart.join(' ')} → ${machine.loadAverage.join(' ')}`,
  );
  const dir = path.join(repo, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  // A run over some models only must not replace the full table the README quotes.
  const stem = only ? 'partial' : 'latest';
  fs.writeFileSync(path.join(dir, `${stem}.json`), JSON.stringify(json, null, 1) + '\n');
  fs.writeFileSync(
    path.join(dir, `${stem}.md`),
    `${table}\n\n${bigLine}\n\n${machine.cpus}, Node ${machine.node}, onnxruntime-node ${machine.onnxruntime}, ${runs} warm runs${rounds > 1 ? ` × ${rounds} rounds` : ''}, ${machine.date}, ` +
      `load average ${loadAtStart.join(' ')} at the start, ${machine.loadAverage.join(' ')} at the end\n`,
  );
  console.log(`wrote bench/results/${stem}.{md,json}`);
  const out = arg('--json');
  if (out) fs.writeFileSync(out, JSON.stringify(json, null, 1) + '\n');
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
