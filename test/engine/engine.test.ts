// The explanation engine as the extension host uses it: dist/engine.js forked by EngineClient, real
// models in onnxruntime, real photos. What an open returns, a class switch without inference, layer
// details (kept tensors and the inspection run), exports as bytes, and failures as data.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { EngineClient, EngineFailed, type EngineHandle } from '../../src/engine/client';
import { explainHeapFlags } from '../../src/engine/heap';
import type { OpenedResponse } from '../../src/engine/protocol';
import { fixturePath } from '../../src/fixtures';
import { lpPoolOnPathModel, tinyClassifier } from '../helpers/onnx-build';
import { tmpFile } from '../helpers/tmp';
import { demoModel, enginePath, pelican } from './paths';

const eagle = fixturePath('images/eagle.jpg');
const qdq = fixturePath('models/shufflenet-v2-12-qdq.onnx');
const overlay = { heat: true, points: true, box: true, opacity: 0.5 };

async function failure(p: Promise<unknown>): Promise<EngineFailed['failure']> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineFailed, `an EngineFailed, got ${String(e)}`);
    return e.failure;
  }
  throw new Error('expected the request to fail');
}

describe('explanation engine: requests and answers', function () {
  this.timeout(120_000);
  let client: EngineClient;
  let demo: OpenedResponse & { handle: EngineHandle };

  before(() => {
    assert.ok(fs.existsSync(enginePath), 'run `npm run build` first (dist/engine.js)');
    client = new EngineClient({ enginePath });
  });
  after(() => client.dispose());

  it('opens the demo in its own process: pelican.jpeg is class 144, with everything the panel draws', async () => {
    assert.equal(client.pid, undefined, 'no engine before the first request');
    demo = await client.open(1, { modelPath: demoModel, imagePath: pelican, options: {} });
    assert.ok(client.pid && client.pid !== process.pid, 'a separate process');
    assert.equal(demo.main.result.target.index, 144);
    assert.equal(demo.main.result.target.label, 'pelican');
    assert.equal(demo.main.result.predictions[0].index, 144);
    assert.equal(demo.compare, undefined);
    assert.equal(demo.classCount, 1000);
    assert.equal(demo.labels?.[144], 'pelican');
    assert.equal(demo.sessionCached, false);
    assert.equal(demo.forwardPasses, 1);
    assert.deepEqual({ ...demo.stats, pid: 0 }, { pid: 0, forwardPasses: 1, inspectionRuns: 0, sessionsOpened: 1, handles: 1 });
    assert.equal(demo.stats.pid, client.pid);
    if (process.platform === 'linux') {
      const argv = fs.readFileSync(`/proc/${client.pid}/cmdline`, 'utf8').split('\0');
      for (const flag of explainHeapFlags) assert.ok(argv.includes(flag), `the engine runs with ${flag} (heap.ts): ${argv.join(' ')}`);
    }
    // bulk data crossed as typed arrays (structured clone), not as number lists
    const heat = demo.main.heat;
    assert.ok(heat.data instanceof Float32Array && heat.data.length === heat.gridWidth * heat.gridHeight);
    assert.ok(demo.image.bytes instanceof Uint8Array);
    assert.deepEqual(demo.image.bytes, new Uint8Array(fs.readFileSync(pelican)), 'the photo bytes as the webview shows them');
    assert.deepEqual([demo.image.mime, demo.image.width, demo.image.height], ['image/jpeg', 500, 375]);
    assert.equal(demo.model.fileName, 'mobilenetv2-12-int8.onnx');
    assert.ok(demo.model.nodeCount > 50 && demo.model.exposedTensors > 0);
    assert.ok(demo.main.result.layers.length > 10, 'the walk went through the network');
    const t = demo.main.result.timings;
    console.log(
      `      first explanation (new engine, new session): engine ${demo.engineMs.toFixed(0)} ms; load ${t.loadMs.toFixed(0)}, preprocess ${t.preprocessMs.toFixed(0)}, inference ${t.inferenceMs.toFixed(0)}, unravel ${t.unravelMs.toFixed(0)}, heat map ${t.heatmapMs.toFixed(0)} ms`,
    );
  });

  it('a class switch runs no forward pass: the kept one is reused', async () => {
    const before = client.stats!.forwardPasses;
    const t0 = performance.now();
    const r = await client.explain(demo.handle, 'main', { classIndex: 22 });
    const ms = performance.now() - t0;
    assert.equal(r.explanation?.result.target.index, 22);
    assert.match(r.explanation?.result.target.label ?? '', /bald eagle/);
    assert.equal(r.stats.forwardPasses, before, 'no inference');
    assert.equal(r.explanation?.result.timings.inferenceMs, demo.main.result.timings.inferenceMs, 'the same forward pass');
    assert.notDeepEqual(r.explanation?.result.keptPoints, demo.main.result.keptPoints, 'another class, other points');
    const t = r.explanation!.result.timings;
    console.log(`      class switch: ${ms.toFixed(0)} ms round trip (unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms)`);
    const cmp = await client.explain(demo.handle, 'compare', { classIndex: 144 });
    assert.equal(cmp.side, 'compare');
    assert.equal(cmp.explanation?.result.target.index, 144);
    const off = await client.explain(demo.handle, 'compare', undefined);
    assert.equal(off.explanation, undefined);
    // the contrast side: the explained class against another ("Why A, not B?"), held beside the others
    const why = await client.explain(demo.handle, 'contrast', { classIndex: 22, versus: 144 });
    assert.deepEqual(
      [why.side, why.explanation?.result.target.index, why.explanation?.result.settings.mode, why.explanation?.result.settings.versus],
      ['contrast', 22, 'versus', 144],
    );
    assert.equal((await client.explain(demo.handle, 'contrast', undefined)).explanation, undefined);
    await assert.rejects(
      client.explain(demo.handle, 'contrast', { classIndex: 22, versus: 22 }),
      (e: unknown) => e instanceof EngineFailed && /cannot be explained against itself/.test(e.message),
    );
    assert.equal((await client.explain(demo.handle, 'main', { classIndex: 22 })).stats.forwardPasses, before);
    await assert.rejects(
      client.explain(demo.handle, 'main', { classIndex: 1000 }),
      (e: unknown) => e instanceof EngineFailed && e.failure.kind === 'range' && /1000 classes/.test(e.message),
    );
  });

  it('a second image with the same model reuses the session: eagle.jpg is class 22', async () => {
    const t0 = performance.now();
    const r = await client.open(2, { modelPath: demoModel, imagePath: eagle, options: { top: 3 } });
    const ms = performance.now() - t0;
    assert.equal(r.main.result.target.index, 22);
    assert.equal(r.main.result.predictions.length, 3);
    assert.equal(r.sessionCached, true);
    assert.equal(r.stats.sessionsOpened, 1);
    assert.equal(r.stats.handles, 2);
    console.log(`      second image, cached session: ${ms.toFixed(0)} ms round trip (engine ${r.engineMs.toFixed(0)} ms)`);
    // the first handle still holds its own forward pass and class
    const again = await client.explain(demo.handle, 'main', { classIndex: 144 });
    assert.equal(again.explanation?.result.image.path, pelican);
    await client.release(r.handle);
    assert.equal(client.stats?.handles, 1);
  });

  it('details a layer with its activation map, and keeps the main class it was asked for', async () => {
    const layers = demo.main.result.layers;
    const spatial = layers.findIndex((l) => l.shape.length === 4 && l.shape[2] * l.shape[3] > 1);
    const r = await client.layer(demo.handle, spatial, undefined);
    const d = r.detail;
    assert.equal(d.layerIndex, spatial);
    assert.equal(d.classIndex, 144);
    assert.deepEqual([d.gridHeight, d.gridWidth], [layers[spatial].shape[2], layers[spatial].shape[3]]);
    assert.ok(d.cellCounts instanceof Uint32Array && d.cellCounts.reduce((a, b) => a + b, 0) > 0, 'fixations in the layer');
    assert.ok(d.activation instanceof Float32Array && d.activation.length === d.gridWidth * d.gridHeight, d.activationNote);
    assert.ok(d.projected.length > 0);
    // The default mode carries masses: the share of the class's mass per cell, per channel (the channels by mass), per disc.
    const sum = (a: ArrayLike<number>) => Array.from(a).reduce((t, v) => t + v, 0);
    const cellMass = d.cellMass!;
    assert.ok(cellMass instanceof Float32Array && cellMass.length === d.gridWidth * d.gridHeight);
    assert.ok(sum(cellMass) > 0.05 && sum(cellMass) <= 1 + 1e-6, `a share of the mass, at most all of it (${sum(cellMass)})`);
    assert.ok(
      [...cellMass].every((m, p) => m > 0 === d.cellCounts[p] > 0),
      'mass exactly where the fixations are',
    );
    const byMass = d.topChannels.map(([, , m]) => m!);
    assert.ok(
      byMass.every((m, i) => m > 0 && (i === 0 || m <= byMass[i - 1])),
      `channels by mass, heaviest first: ${byMass.map((m) => m.toFixed(4))}`,
    );
    const byCount = [...d.topChannels].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([c]) => c);
    assert.notDeepEqual(
      d.topChannels.map(([c]) => c),
      byCount,
      'which is not the order by count here',
    );
    assert.ok(Math.abs(sum(d.projected.map((p) => p[3]!)) - sum(cellMass)) < 1e-4, 'the discs carry the cells’ masses');
    // Paper mode has no masses: cells, channels and discs by count.
    await client.explain(demo.handle, 'main', { classIndex: 144, mode: 'paper' });
    const paper = (await client.layer(demo.handle, spatial, undefined)).detail;
    assert.equal(paper.cellMass, undefined);
    assert.ok(
      paper.topChannels.every((t, i) => t.length === 2 && (i === 0 || t[1] <= paper.topChannels[i - 1][1])),
      'channels by count',
    );
    assert.ok(paper.projected.every((p) => p.length === 3));
    await client.explain(demo.handle, 'main', { classIndex: 144 });
    await assert.rejects(client.layer(demo.handle, 9999, undefined), (e: unknown) => e instanceof EngineFailed && e.failure.kind === 'range');
  });

  it('runs the inspection session once for tensors the forward pass did not keep (QDQ ShuffleNetV2)', async () => {
    const o = await client.open(3, { modelPath: qdq, imagePath: pelican, options: {} });
    assert.equal(o.main.result.target.index, 144);
    // in a QDQ graph a float Conv's output feeds only a QuantizeLinear: the walk never reads it
    const conv = o.main.result.layers.findIndex((l) => l.op === 'Conv' && l.shape.length === 4 && l.shape[2] * l.shape[3] > 1);
    assert.ok(conv >= 0);
    const runs = o.stats.inspectionRuns;
    const first = await client.layer(o.handle, conv, 0);
    assert.equal(first.inspected, true);
    assert.equal(first.stats.inspectionRuns, runs + 1);
    assert.equal(first.detail.activationNote, undefined);
    const a = [...first.detail.activation!];
    assert.ok(a.every(Number.isFinite) && Math.max(...a) > Math.min(...a), 'a real activation map');
    const second = await client.layer(o.handle, conv, 1);
    assert.equal(second.inspected, false, 'the inspection run is cached');
    assert.equal(second.stats.inspectionRuns, runs + 1);
    assert.notDeepEqual([...second.detail.activation!], a, 'another channel, another map');
    assert.equal(second.stats.forwardPasses, o.stats.forwardPasses, 'an inspection run is not a forward pass of the explanation');
    await client.release(o.handle);
  });

  it('exports bytes: a PNG, the JSON contract, a self-contained HTML report', async () => {
    await client.explain(demo.handle, 'main', { classIndex: 22 });
    const png = await client.exportData(demo.handle, 'png', overlay);
    assert.ok(png.data instanceof Uint8Array);
    assert.deepEqual([...png.data.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const plain = await client.exportData(demo.handle, 'png', { heat: false, points: false, box: false, opacity: 0.5 });
    assert.notDeepEqual(plain.data, png.data, 'the toggles reach the renderer');
    const json = await client.exportData(demo.handle, 'json', overlay);
    assert.equal(typeof json.data, 'string');
    const r = JSON.parse(json.data as string) as { version: number; target: { index: number }; keptPoints: unknown[] };
    assert.deepEqual([r.version, r.target.index], [1, 22]);
    assert.ok(r.keptPoints.length > 0);
    const html = (await client.exportData(demo.handle, 'html', overlay)).data as string;
    assert.match(html, /<img alt="overlay" src="data:image\/png;base64,/);
    assert.doesNotMatch(html, /(src|href)="(https?:|\/\/)/, 'self-contained');
  });

  it('opens with the classes asked for, and refuses one out of range as an explain request does (no silent top-1)', async () => {
    const o = await client.open(6, {
      modelPath: demoModel,
      imagePath: pelican,
      options: { mode: 'paper' },
      main: { classIndex: 22, mode: 'weighted', versus: 144 },
      compare: { classIndex: 129 },
      contrast: { classIndex: 22, versus: 129 },
    });
    assert.deepEqual(
      [o.main.result.target.index, o.compare?.result.target.index, o.contrast?.result.target.index, o.contrast?.result.settings.versus],
      [22, 129, 22, 129],
    );
    assert.equal(o.compare?.result.settings.mode, 'paper', "a side without a mode of its own takes the run's");
    assert.equal(o.sessionCached, true, 'known from the one session lookup of the open');
    const sessions = o.stats.sessionsOpened;
    const f = await failure(client.open(6, { modelPath: demoModel, imagePath: pelican, options: {}, main: { classIndex: 1000 } }));
    assert.equal(f.kind, 'range');
    assert.match(f.message, /class 1000 is out of range: the model has 1000 classes/);
    const g = await failure(client.open(6, { modelPath: demoModel, imagePath: pelican, options: {}, compare: { classIndex: -1 } }));
    assert.equal(g.kind, 'range');
    await assert.rejects(
      client.explain({ id: 6, generation: client.generation }, 'main', { classIndex: 1 }),
      /no explanation 6/,
      'a failed open holds nothing under its handle',
    );
    const again = await client.explain(demo.handle, 'main', { classIndex: 144 });
    assert.equal(again.stats.sessionsOpened, sessions, 'the failed opens opened no session');
  });

  it('a corrupt model fails with a clear message as data, and the engine carries on', async () => {
    const corrupt = tmpFile('engine-corrupt.onnx', fs.readFileSync(demoModel).subarray(0, 64 * 1024));
    const pid = client.pid;
    const f = await failure(client.open(4, { modelPath: corrupt, imagePath: pelican, options: {} }));
    assert.equal(f.kind, 'model-file');
    assert.equal(f.title, 'Cannot load the model');
    assert.match(f.message, /engine-corrupt\.onnx is not a usable ONNX model.*truncated or corrupt/);
    assert.match(f.hint ?? '', /re-export/);
    assert.equal(f.stack, undefined, 'an expected failure carries no stack');
    const missing = await failure(client.open(4, { modelPath: demoModel, imagePath: tmpFile('no-such.jpg'), options: {} }));
    assert.equal(missing.kind, 'image');
    assert.match(missing.message, /no-such\.jpg/);
    assert.equal(client.pid, pid, 'the same engine');
    assert.equal((await client.explain(demo.handle, 'main', { classIndex: 144 })).explanation?.result.target.index, 144);
  });

  it('an operator without a rule fails with its op type, node and path from the output', async () => {
    const model = tmpFile('engine-lppool.onnx', lpPoolOnPathModel());
    const f = await failure(client.open(5, { modelPath: model, imagePath: pelican, options: {} }));
    assert.equal(f.kind, 'unsupported');
    assert.equal(f.title, 'Cannot explain through LpPool');
    assert.equal(f.node, 'lppool_2x2');
    assert.match(f.message, /Path from the output: .*Gemm.*lppool_2x2/);
    assert.match(f.hint ?? '', /no rule/);
    assert.equal(f.unsupported?.opType, 'LpPool');
    assert.equal(f.unsupported?.nodeName, 'lppool_2x2');
    assert.ok(f.unsupported && f.unsupported.path.length >= 3 && /lppool_2x2/.test(f.unsupported.path.at(-1)!), JSON.stringify(f.unsupported?.path));
  });

  it("limits and NaN reach the panel as data with the CLI's messages (memory, pixels from the settings, the tensor that holds NaN)", async () => {
    const huge = await failure(
      client.open(6, { modelPath: tmpFile('engine-huge.onnx', tinyClassifier([1, 3, 100000, 100000])), imagePath: pelican, options: {} }),
    );
    assert.equal(huge.kind, 'limit');
    assert.equal(huge.title, 'Too large to explain');
    assert.match(huge.message, /the model's input \[1×3×100000×100000\] 112 GB.*setting cnnFixations\.memoryLimitMB/);
    const pixels = await failure(client.open(6, { modelPath: demoModel, imagePath: pelican, options: { maxMegapixels: 0.05 } }));
    assert.equal(pixels.kind, 'limit');
    assert.match(pixels.message, /more than the limit of 0\.05 megapixels.*setting cnnFixations\.maxImageMegapixels/);
    const w = Float32Array.from({ length: 108 }, (_, i) => (i % 5) / 5 - 0.4);
    w[3] = NaN;
    const nan = await failure(client.open(6, { modelPath: tmpFile('engine-nan.onnx', tinyClassifier(undefined, w)), imagePath: pelican, options: {} }));
    assert.equal(nan.kind, 'non-finite');
    assert.match(nan.message, /tensor 'r' \(output of Relu node 'relu'\) holds NaN/);
    assert.equal(nan.stack, undefined);
  });

  it('a handle the engine does not hold is stale, and the crash request is refused outside tests', async () => {
    await assert.rejects(client.explain({ id: 99, generation: client.generation }, 'main', { classIndex: 1 }), /no explanation 99/);
    const f = await failure(client.crash());
    assert.equal(f.kind, 'refused');
    assert.match(f.message, /CNN_FIXATIONS_ENGINE_TEST=1/);
  });
});
