// The Fashion-MNIST benchmarks end to end: the canvases (one item, and two items per canvas) rebuild bit
// for bit from the committed digests, the committed models score on them what training recorded (so the
// product's preprocessing matches the training's), and small harness runs fill every cell they should.
// And the photo study: the hand-marked boxes fit their photos, and a run on dog.jpg says what the modes promise.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Explainer } from '../../src/explain';
import { decodeImage } from '../../src/preprocess/image';
import { encodePng } from '../../src/heatmap/render';
import { batchRunner } from '../../src/runtime/batch';
import { canvasRgba, loadBenchmark, loadTwoObjects, type Benchmark } from '../../src/eval/fmnist';
import { loadPhotoAnnotations, runPhotoStudy } from '../../src/eval/photos';
import { runFmnist, runTwoObjects } from '../../src/eval/run';
import { fixturePath } from '../../src/fixtures';
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
    const fixations = ['paper', 'weighted', 'discriminative'].flatMap((m) => ['contribution', 'center', 'activation'].map((c) => `fixations-${m}-${c}`));
    assert.deepEqual(ids(gap), [...fixations, 'cam', 'occlusion', 'centre', 'random']);
    assert.deepEqual(ids(fc), [...fixations, 'occlusion', 'centre', 'random']);
    assert.match(fc.skipped.cam, /not a global average pool/);
    for (const r of [...gap.rows, ...fc.rows]) {
      for (const v of [r.top1Loc, r.gtKnownLoc, r.pointing, r.deletion, r.insertion]) assert.ok(v !== undefined && v >= 0 && v <= 1, `${r.method} ${r.box}: ${v}`);
      assert.ok(r.msPerExplanation >= 0);
    }
    assert.ok(lines.some((l) => /4\/4 images/.test(l)));
    // Paper mode's boxes are the paper's: its threshold box is the count box of the modes with masses
    // (weighted keeps paper's fixation set), and masses do not change the points box on these canvases.
    const row = (method: string, box: string) => gap.rows.find((x) => x.method === method && x.box === box)!;
    assert.equal(row('fixations-weighted-contribution', 'count').gtKnownLoc, row('fixations-paper-contribution', 'threshold').gtKnownLoc);
    assert.ok(!gap.rows.some((x) => x.method.startsWith('fixations-paper') && x.box === 'count'), 'paper mode has no separate count box');
  });
});

describe('Fashion-MNIST two-object benchmark', function () {
  this.timeout(300_000);

  it('rebuilds bit for bit from the committed manifest in a fresh folder: 500 canvases, two classes each, disjoint boxes', () => {
    // A scratch project with the committed manifest and scripts, and no cache: the images must come out of build_dataset.py.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnfx-two-'));
    try {
      fs.mkdirSync(path.join(root, 'eval'));
      fs.symlinkSync(path.join(repo, 'eval', 'fmnist-two'), path.join(root, 'eval', 'fmnist-two'));
      fs.symlinkSync(path.join(repo, 'scripts'), path.join(root, 'scripts'));
      const two = loadTwoObjects(undefined, root);
      assert.ok(fs.existsSync(path.join(root, '.cache', 'fmnist-two', 'images.u8')), 'rebuilt into the scratch cache');
      assert.equal(two.count, 500);
      assert.equal(two.images.length, 500 * 96 * 96);
      const classes = new Set<number>();
      two.labels.forEach(([a, b], i) => {
        assert.notEqual(a, b, `canvas ${i}: two different classes`);
        classes.add(a).add(b);
        const [p, q] = two.boxes[i];
        for (const [x0, y0, x1, y1] of [p, q]) {
          assert.ok(x0 >= 0 && y0 >= 0 && x1 < 96 && y1 < 96 && x1 > x0 && y1 > y0, `canvas ${i}: box inside`);
          assert.ok(Math.max(x1 - x0, y1 - y0) + 1 <= 45, `canvas ${i}: an item is at most 45 px`);
        }
        assert.ok(p[2] < q[0] || q[2] < p[0] || p[3] < q[1] || q[3] < p[1], `canvas ${i}: boxes ${p} and ${q} overlap`);
      });
      assert.equal(classes.size, 10);
      assert.deepEqual(loadTwoObjects(30, root).boxes, two.boxes.slice(0, 30), 'the quick set is the first 30');
      // Each box holds its item: the brightest pixel inside is well above the clutter's noise.
      const plane = 96 * 96;
      for (let i = 0; i < 20; i++) {
        for (const [x0, y0, x1, y1] of two.boxes[i]) {
          let max = 0;
          for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) max = Math.max(max, two.images[i * plane + y * 96 + x]);
          assert.ok(max > 100, `canvas ${i}: box ${[x0, y0, x1, y1]} brightest pixel ${max}`);
        }
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a small run explains both classes with every method, versus included, and the discriminative modes separate the objects', async () => {
    const small = loadTwoObjects(8);
    const lines: string[] = [];
    const gap = await runTwoObjects(path.join(models, 'fmnist-gap.onnx'), small, { log: (l) => lines.push(l) });
    const fc = await runTwoObjects(path.join(models, 'fmnist-fc.onnx'), small, { log: (l) => lines.push(l) });
    const ids = gap.rows.map((r) => r.method);
    for (const m of ['paper', 'weighted', 'discriminative', 'versus']) assert.ok(ids.includes(`fixations-${m}-center`), `${m} scored`);
    assert.ok(ids.includes('cam') && !fc.rows.some((r) => r.method === 'cam'), 'CAM on the GAP model only');
    for (const r of [...gap.rows, ...fc.rows]) {
      for (const v of [r.pointingBoth, r.pointingEach, r.shareOwn, r.shareOther]) assert.ok(v >= 0 && v <= 1, `${r.method}: ${v}`);
      assert.ok(r.pointingBoth <= r.pointingEach + 1e-12, `${r.method}: both classes' hits cannot exceed the single hits`);
      assert.ok(r.shareOwn + r.shareOther <= 1 + 1e-9);
      if (r.method.startsWith('fixations')) assert.ok(r.massOwn! + r.massOther! <= 1 + 1e-9 && r.massOwn! > 0, `${r.method} masses`);
      else assert.equal(r.massOwn, undefined);
    }
    // The centre baseline draws one map for both classes: it can never point at two disjoint boxes.
    assert.equal(gap.rows.find((r) => r.method === 'centre')!.pointingBoth, 0);
    // What the contrast is for: on the GAP model the class's mass moves off the other object.
    const row = (m: string) => gap.rows.find((r) => r.method === m)!;
    assert.ok(row('fixations-discriminative-contribution').massOther! < row('fixations-paper-contribution').massOther!, 'discriminative takes mass off the other object');
    assert.ok(row('fixations-versus-contribution').massOther! < row('fixations-paper-contribution').massOther!, 'versus takes mass off the other object');
    assert.ok(gap.top1InPair > 0.5, `the GAP model names one of the two items on most canvases (${gap.top1InPair})`);
  });
});

describe('ImageNet photos: object boxes and class pairs', function () {
  this.timeout(300_000);
  const notes = loadPhotoAnnotations(repo);

  it('every box lies inside its photo, classes are ImageNet classes, pairs are two different classes', async () => {
    assert.ok(['dog.jpg', 'horses.jpg', 'person.jpg', 'giraffe.jpg'].every((p) => p in notes));
    for (const [photo, note] of Object.entries(notes)) {
      const img = await decodeImage(fixturePath(`images/${photo}`));
      for (const o of note.objects) {
        assert.ok(o.boxes.length > 0, `${photo}: ${o.name} has a box`);
        for (const [x0, y0, x1, y1] of o.boxes) assert.ok(x0 >= 0 && y0 >= 0 && x1 < img.width && y1 < img.height && x1 > x0 && y1 > y0, `${photo}: ${o.name} box`);
        for (const k of o.classes) assert.ok(Number.isInteger(k) && k >= 0 && k < 1000);
      }
      for (const [a, b] of note.pairs) assert.ok(a !== b && a >= 0 && b >= 0 && a < 1000 && b < 1000, `${photo}: pair ${a}, ${b}`);
    }
  });

  it('dog.jpg on MobileNetV2: weighted keeps paper\'s fixation sets, the contrast modes change them, and shares add up', async () => {
    const study = await runPhotoStudy(fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx'), [fixturePath('images/dog.jpg')], notes, { log: () => {}, skipOcclusion: true });
    assert.ok(!study.overlap.some((e) => e.method === 'occlusion'));
    const pair = (method: string) => study.overlap.find((e) => e.a === 249 && e.b === 671 && e.method === method)!;
    for (const c of ['contribution', 'center', 'activation']) {
      // Masses do not change the set: the Jaccard of the two classes' sets is the paper's.
      assert.equal(pair(`fixations-weighted-${c}`).jaccard, pair(`fixations-paper-${c}`).jaccard, c);
      assert.ok(pair(`fixations-versus-${c}`).weightedJaccard! < pair(`fixations-paper-${c}`).weightedJaccard!, `${c}: versus separates the masses`);
    }
    assert.ok(study.overlap.filter((e) => e.kind === 'top').length > 0, 'the top-1 is compared with the top-2..5');
    for (const e of study.overlap) assert.ok(e.intersection >= 0 && e.intersection <= 1 + 1e-9);
    const dog = study.boxes.filter((e) => e.object === 'dog' && e.k === 249);
    assert.ok(dog.some((e) => e.versus === 671) && dog.some((e) => e.versus === 717), 'malamute against the bicycle and the pickup');
    for (const e of study.boxes) {
      const shares = Object.values(e.share);
      assert.ok(shares.reduce((s, v) => s + v, 0) <= 1 + 1e-9, 'visible parts do not overlap');
      assert.ok(e.shareBoxes >= e.share[e.object] - 1e-12, 'the whole boxes hold at least the visible part');
      assert.ok(e.chance > 0 && e.chance < 1);
      const kinds = Object.keys(e.located).sort();
      if (e.method.startsWith('fixations-paper')) assert.deepEqual(kinds, ['points', 'threshold']);
      else if (e.method.startsWith('fixations')) assert.deepEqual(kinds, ['count', 'points', 'threshold']);
      else assert.deepEqual(kinds, ['threshold']);
    }
    // The dog is in front of the bicycle: a pixel of both boxes counts for the dog only.
    const mb = study.boxes.find((e) => e.object === 'bicycle' && e.k === 671 && e.method === 'fixations-paper-contribution')!;
    assert.ok(mb.shareBoxes > mb.share.bicycle + 0.05, `the bicycle's whole box ${mb.shareBoxes} holds more than its visible part ${mb.share.bicycle}`);
  });
});
