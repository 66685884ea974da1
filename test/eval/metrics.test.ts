// The scores themselves: AUC, tie-breaking, pointing, the map carried through a centre crop, and the
// deletion/insertion curves' end points on a real model (they must equal plain forwards of the intact,
// blank and blurred inputs).
import { strict as assert } from 'node:assert';
import { gridToHeat } from '../../src/baselines/common';
import { Explainer } from '../../src/explain';
import { densityMap, heatAt } from '../../src/heatmap/density';
import { planGeometry } from '../../src/preprocess/geometry';
import { batchRunner } from '../../src/runtime/batch';
import { auc, blurInput, boxAround, deletionInsertion, histogramIntersection, inRegion, jaccard, located, mapShareIn, massIn, pointingHit, saliencyOnInput, salientOrder, weightedJaccard } from '../../src/eval/metrics';
import { objectRegion } from '../../src/eval/photos';
import { fixturePath } from '../../src/fixtures';

describe('eval metrics', () => {
  it('AUC is the trapezoid mean over evenly spaced fractions', () => {
    assert.equal(auc([1, 1, 1]), 1);
    assert.equal(auc([1, 0]), 0.5);
    assert.equal(auc([0, 1, 0, 1, 0]), 0.5);
  });

  it('orders pixels by saliency and breaks ties by a seeded shuffle, not by position', () => {
    const s = Float32Array.from([0.5, 1, 0, 0, 0.5, 0, 0, 0, 0, 0]);
    const a = salientOrder(s, 1), b = salientOrder(s, 1);
    assert.deepEqual(a, b);
    assert.equal(a[0], 1);
    assert.deepEqual([...a.slice(1, 3)].sort(), [0, 4]);
    const zerosOrders = new Set([1, 2, 3, 4, 5].map((seed) => salientOrder(s, seed).slice(3).join(',')));
    assert.ok(zerosOrders.size > 1, 'the zeros should come in a seed-dependent order');
  });

  it('pointing: a hit when the map peaks inside the box, a miss outside or on an empty map', () => {
    const heat = densityMap([[30, 40]], 100, 80, 5);
    assert.equal(pointingHit(heat, [20, 30, 40, 50]), true);
    assert.equal(pointingHit(heat, [50, 30, 90, 50]), false);
    assert.equal(pointingHit(densityMap([], 100, 80, 5), [0, 0, 99, 79]), false);
    assert.equal(located([20, 30, 40, 50], [20, 30, 40, 50]), true);
    assert.equal(located([20, 30, 40, 50], [30, 30, 50, 50]), false); // IoU 11·21 / (2·21·21 − 11·21) ≈ 0.355
    assert.equal(located(null, [0, 0, 1, 1]), false);
  });

  it('a grid map goes through the centre crop: its hot cell lands where that part of the photo is', () => {
    // 448×300 photo, shorter side → 256 (382×256), centre crop 224 at (79, 16): original x = (m + 79 + 0.5)·448/382 − 0.5.
    const map = planGeometry('shorter', 448, 300, 224, 224, 256 / 224);
    assert.deepEqual([map.resizedWidth, map.resizedHeight, map.cropLeft, map.cropTop], [382, 256, 79, 16]);
    const values = new Float32Array(16);
    values[1 * 4 + 2] = 1; // the cell at column 2, row 1 of a 4×4 grid: model pixels x 112–167, y 56–111
    const heat = gridToHeat({ cols: 4, rows: 4, values }, map);
    const centre = [((139.5 + 79 + 0.5) * 448) / 382 - 0.5, ((83.5 + 16 + 0.5) * 300) / 256 - 0.5];
    assert.ok(heatAt(heat, Math.round(centre[0]), Math.round(centre[1])) > 0.9, 'hot at the cell centre');
    assert.equal(heatAt(heat, 10, 150), 0, 'the cropped-away left edge is cold');
    // And back: reading the heat on the model grid finds the cell again.
    const onInput = saliencyOnInput(heat, map);
    let best = 0;
    for (let i = 1; i < onInput.length; i++) if (onInput[i] > onInput[best]) best = i;
    assert.ok(Math.abs((best % 224) - 139.5) <= 2 && Math.abs(Math.floor(best / 224) - 83.5) <= 2, `peak at ${best % 224}, ${Math.floor(best / 224)}`);
  });

  it('deletion and insertion curves end where plain forwards say (MobileNetV2, real photo)', async () => {
    const file = fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx');
    const e = await Explainer.create(file, { image: fixturePath('images/eagle.jpg') });
    const v = e.forward.values.get(e.spec.name)!;
    const data = v.data as Float32Array;
    const blurred = blurInput(data, v.dims, 'NCHW', 5);
    const k = e.predictions(1)[0].index;
    const x = e.explain(k);
    const order = salientOrder(saliencyOnInput(x.heat, e.map), 1);
    const runner = await batchRunner(file);
    const c = await deletionInsertion(runner, { dims: v.dims, data, layout: 'NCHW', blurred }, order, k, 4);
    assert.equal(c.deletion.length, 5);
    const prob = async (input: Float32Array) => {
      const [out] = await runner.run(input, 1, v.dims);
      const m = Math.max(...out);
      const z = out.reduce((s, o) => s + Math.exp(o - m), 0);
      return Math.exp(out[k] - m) / z;
    };
    const near = (a: number, b: number) => Math.abs(a - b) < 1e-4;
    assert.ok(near(c.deletion[0], e.probs[k]), `deletion starts at the intact probability ${e.probs[k]}: ${c.deletion[0]}`);
    assert.ok(near(c.insertion[4], e.probs[k]), 'insertion ends at the intact probability');
    assert.ok(near(c.deletion[4], await prob(new Float32Array(data.length))), 'deletion ends at the blank (all-mean) input');
    assert.ok(near(c.insertion[0], await prob(blurred)), 'insertion starts at the blurred input');
    assert.ok(c.deletion[4] < c.deletion[0] && c.insertion[4] > c.insertion[0], `curves ${c.deletion} / ${c.insertion}`);
  });

  it('mass in a region: the weights of the points inside, the region minus what lies in front', () => {
    const points = [[10, 10], [20, 10], [30, 30], [50, 50]] as const;
    const weights = [0.1, 0.2, 0.3, 0.4];
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-12);
    assert.ok(near(massIn(points, weights, [{ boxes: [[0, 0, 25, 25]] }, { boxes: [[25, 25, 60, 60]] }]), [0.3, 0.7]));
    // Two boxes make one region (each point once), and a box in front takes its points away.
    assert.ok(near(massIn(points, weights, [{ boxes: [[0, 0, 25, 25], [5, 5, 35, 35]] }]), [0.6]));
    assert.ok(near(massIn(points, weights, [{ boxes: [[0, 0, 60, 60]], minus: [[15, 5, 35, 35]] }]), [0.5]));
    assert.deepEqual(boxAround([[1, 2, 3, 4], [0, 5, 2, 9]]), [0, 2, 3, 9]);
    assert.equal(boxAround([]), null);
    // Box edges are inclusive.
    assert.equal(inRegion({ boxes: [[10, 10, 20, 20]] }, 20, 20), true);
    assert.equal(inRegion({ boxes: [[10, 10, 20, 20]] }, 21, 20), false);
  });

  it('objects listed front to back: a pixel in two boxes belongs to the front one', () => {
    const objects = [
      { name: 'dog', classes: [249], boxes: [[10, 10, 30, 30]] as const },
      { name: 'bicycle', classes: [671], boxes: [[0, 0, 40, 20]] as const },
    ];
    const dog = objectRegion(objects, 0), bike = objectRegion(objects, 1);
    assert.equal(inRegion(dog, 15, 15), true);
    assert.equal(inRegion(bike, 15, 15), false, 'the dog is in front');
    assert.equal(inRegion(bike, 35, 15), true);
  });

  it('map share: the map summed over the region, against the whole map', () => {
    const heat = densityMap([[20, 20], [80, 20]], 100, 40, 3, [3, 1]);
    const [left, right, nowhere] = mapShareIn(heat, [{ boxes: [[0, 0, 49, 39]] }, { boxes: [[50, 0, 99, 39]] }, { boxes: [[40, 30, 60, 39]] }]);
    assert.ok(Math.abs(left - 0.75) < 1e-3 && Math.abs(right - 0.25) < 1e-3, `${left} ${right}`);
    assert.ok(nowhere < 1e-3);
    assert.deepEqual(mapShareIn(densityMap([], 100, 40, 3), [{ boxes: [[0, 0, 99, 39]] }]), [0]);
  });

  it('histogram intersection: 1 for one map at two scales, 0 for maps that do not meet, in between for a partial overlap', () => {
    const a = densityMap([[20, 20]], 100, 40, 3);
    const a2 = densityMap([[20, 20], [20, 20]], 100, 40, 3);
    const b = densityMap([[80, 20]], 100, 40, 3);
    const ab = densityMap([[20, 20], [80, 20]], 100, 40, 3);
    assert.ok(Math.abs(histogramIntersection(a, a2) - 1) < 1e-6);
    assert.ok(histogramIntersection(a, b) < 1e-6);
    assert.ok(Math.abs(histogramIntersection(a, ab) - 0.5) < 1e-3, `${histogramIntersection(a, ab)}`);
    assert.equal(histogramIntersection(a, densityMap([], 100, 40, 3)), 0);
    assert.throws(() => histogramIntersection(a, densityMap([[5, 5]], 50, 40, 3)), /different images/);
  });

  it('Jaccard of fixation sets and of their masses', () => {
    assert.equal(jaccard(new Set(['a', 'b', 'c']), new Set(['b', 'c', 'd'])), 0.5);
    assert.equal(jaccard(new Set(), new Set()), 1);
    // Same set, different masses: the set Jaccard says 1, the mass one does not.
    const m1 = new Map([['a', 0.5], ['b', 0.5]]), m2 = new Map([['a', 0.9], ['b', 0.1]]);
    assert.equal(jaccard(new Set(m1.keys()), new Set(m2.keys())), 1);
    assert.ok(Math.abs(weightedJaccard(m1, m2) - 0.6 / 1.4) < 1e-12);
    assert.ok(Math.abs(weightedJaccard(new Map([['a', 1]]), new Map([['b', 1]]))) < 1e-12);
    assert.equal(weightedJaccard(m1, m1), 1);
  });
});
