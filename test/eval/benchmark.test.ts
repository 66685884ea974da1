// The Fashion-MNIST benchmark end to end: the canvases rebuild bit for bit from the committed digest,
// the committed models score on them what training recorded (so the product's preprocessing matches
// the training's), and a small harness run fills every cell it should.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Explainer } from '../../src/explain';
import { encodePng } from '../../src/heatmap/render';
import { batchRunner } from '../../src/runtime/batch';
import { canvasRgba, loadBenchmark, type Benchmark } from '../../src/eval/fmnist';
import { runFmnist } from '../../src/eval/run';
import { repo } from '../helpers/tmp';

const models = path.join(repo, 'eval', 'models');
const recorded = JSON.parse(fs.readFileSync(path.join(models, 'accuracy.json'), 'utf8')) as Record<string, { file: string; benchmark_accuracy_1000: number }>;

describe('Fashion-MNIST localization benchmark', function () {
  this.timeout(300_000);
  let bench: Benchmark;
  before(() => {
    bench = loadBenchmark();
  });

  it('rebuilds 1,000 canvases with all ten classes and boxes inside the canvas', () => {
    assert.equal(bench.count, 1000);
    assert.equal(bench.images.length, 1000 * 96 * 96);
    assert.equal(new Set(bench.labels).size, 10);
    for (const [x0, y0, x1, y1] of bench.boxes) {
      assert.ok(x0 >= 0 && y0 >= 0 && x1 < 96 && y1 < 96 && x1 > x0 && y1 > y0);
      assert.ok(x1 - x0 + 1 <= 62 && y1 - y0 + 1 <= 62, 'an item is at most 62 px');
    }
    assert.deepEqual(loadBenchmark(100).boxes, bench.boxes.slice(0, 100), 'the quick set is the first 100');
  });

  for (const arch of ['gap', 'fc']) {
    it(`fmnist-${arch}.onnx scores the accuracy training recorded, and the explainer's preprocessing agrees`, async () => {
      const file = path.join(models, `fmnist-${arch}.onnx`);
      const runner = await batchRunner(file);
      const x = Float32Array.from(bench.images, (v) => v / 255);
      const outs = await runner.run(x, bench.count, [1, 1, 96, 96]);
      const argmax = (o: Float32Array) => o.reduce((b, v, i) => (v > o[b] ? i : b), 0);
      const preds = outs.map(argmax);
      const acc = preds.filter((p, i) => p === bench.labels[i]).length / bench.count;
      // torch and onnxruntime may round a near-tie differently on an image or two.
      assert.ok(Math.abs(acc - recorded[arch].benchmark_accuracy_1000) <= 0.003, `accuracy ${acc} vs recorded ${recorded[arch].benchmark_accuracy_1000}`);
      for (let i = 0; i < 10; i++) {
        const png = await encodePng(96, 96, canvasRgba(bench, i));
        const e = await Explainer.create(file, { imageBytes: png, label: `canvas ${i}` });
        assert.equal(e.preset.name, 'unit', 'the model names its preset');
        for (let k = 0; k < 10; k++) assert.ok(Math.abs(e.scores[k] - outs[i][k]) < 1e-4, `canvas ${i} logit ${k}`);
      }
    });
  }

  it('a small harness run fills every metric for every method, and says why CAM skips the flatten model', async () => {
    const small = loadBenchmark(4);
    const lines: string[] = [];
    const gap = await runFmnist(path.join(models, 'fmnist-gap.onnx'), small, { steps: 4, curveImages: 2, log: (l) => lines.push(l) });
    const fc = await runFmnist(path.join(models, 'fmnist-fc.onnx'), small, { steps: 4, curveImages: 2, log: (l) => lines.push(l) });
    const ids = (r: typeof gap) => [...new Set(r.rows.map((x) => x.method))];
    assert.deepEqual(ids(gap), ['fixations-contribution', 'fixations-center', 'fixations-activation', 'cam', 'occlusion', 'centre', 'random']);
    assert.deepEqual(ids(fc), ['fixations-contribution', 'fixations-center', 'fixations-activation', 'occlusion', 'centre', 'random']);
    assert.match(fc.skipped.cam, /not a global average pool/);
    for (const r of [...gap.rows, ...fc.rows]) {
      for (const v of [r.top1Loc, r.gtKnownLoc, r.pointing, r.deletion, r.insertion]) assert.ok(v !== undefined && v >= 0 && v <= 1, `${r.method} ${r.box}: ${v}`);
      assert.ok(r.msPerExplanation >= 0);
    }
    assert.ok(lines.some((l) => /4\/4 images/.test(l)));
  });
});
