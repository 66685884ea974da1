// Occlusion and the batched forwards under it, on real models: a real bird pasted at a known place on a
// plain canvas must be where occlusion hurts the class most; batched runs must equal single runs;
// a model with a fixed batch of 1 runs its copies one by one.
import { strict as assert } from 'node:assert';
import { Jimp } from 'jimp';
import { explainWithMethod, occlusionOf } from '../../src/baselines/index';
import { occlusionGeometry, occlusionMap, windowStarts } from '../../src/baselines/occlusion';
import { Explainer } from '../../src/explain';
import { fullResolution } from '../../src/heatmap/density';
import { batchRunner } from '../../src/runtime/batch';
import { fixturePath } from '../../src/fixtures';

const model = (m: string) => fixturePath(`models/${m}`);
const PELICAN = 144;

/** The pelican photo shrunk to 150×112 and pasted at (260, 60) on a 448×448 canvas of ImageNet's mean colour. */
async function pastedBird(): Promise<{ png: Buffer; box: readonly [number, number, number, number] }> {
  const bird = await Jimp.read(fixturePath('images/pelican.jpeg'));
  bird.resize({ w: 150, h: 112 });
  const canvas = new Jimp({ width: 448, height: 448, color: 0x7c7468ff });
  canvas.composite(bird, 260, 60);
  return { png: await canvas.getBuffer('image/png'), box: [260, 60, 409, 171] };
}

describe('occlusion', () => {
  it('windows cover the input edge to edge', () => {
    assert.deepEqual(windowStarts(96, 14, 7), [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 82]);
    assert.deepEqual(windowStarts(10, 4, 3), [0, 3, 6]);
    assert.deepEqual(windowStarts(3, 5, 2), [0]);
    assert.deepEqual(occlusionGeometry(224, 224), { patch: 32, stride: 16 });
    assert.deepEqual(occlusionGeometry(96, 96), { patch: 14, stride: 7 });
  });

  it('MobileNetV2: the largest drop sits on the pasted bird, not on the plain canvas', async () => {
    const { png, box } = await pastedBird();
    const e = await Explainer.create(model('mobilenetv2-12-dequantized-fp32.onnx'), { imageBytes: png, label: 'pasted pelican' });
    const s = await occlusionOf(e);
    assert.equal(s.forwards, 13 * 13 + 1);
    const drops = occlusionMap(s, PELICAN);
    // Model input 224 px = original 448 px resized to 256 and centre-cropped: original = (m + 16 + 0.5)·1.75 − 0.5.
    let best = 0;
    for (let i = 1; i < drops.length; i++) if (drops[i] > drops[best]) best = i;
    const [mx, my] = [best % 224, Math.floor(best / 224)];
    const [ox, oy] = [(mx + 16.5) * 1.75 - 0.5, (my + 16.5) * 1.75 - 0.5];
    // The patch (32 model px = 56 original px) may hang over the bird's edge by up to its size.
    const slack = 56;
    assert.ok(ox >= box[0] - slack && ox <= box[2] + slack && oy >= box[1] - slack && oy <= box[3] + slack, `max drop at original (${ox}, ${oy}), bird ${box}`);
    assert.ok(drops[best] > 1, `occluding the bird should cost the pelican logit something (max drop ${drops[best]})`);
    // The explanation carries the same map onto the original picture, boxed by threshold.
    const x = await explainWithMethod(e, 'occlusion', PELICAN);
    const full = fullResolution(x.heat);
    let top = 0;
    for (let i = 1; i < full.length; i++) if (full[i] > full[top]) top = i;
    const [hx, hy] = [top % 448, Math.floor(top / 448)];
    assert.ok(hx >= box[0] - slack && hx <= box[2] + slack && hy >= box[1] - slack && hy <= box[3] + slack, `heat max at (${hx}, ${hy})`);
    assert.ok(x.box && x.box[2] >= box[0] && x.box[0] <= box[2], `box ${x.box} should overlap the bird ${box}`);
    assert.equal(x.json.settings.method, 'occlusion');
    assert.equal(x.keptPoints.length, 0);
  });

  it('batched forwards equal single forwards; a fixed-batch model runs one by one', async () => {
    for (const [m, batched] of [
      ['mobilenetv2-12-dequantized-fp32.onnx', true],
      ['shufflenet-v2-12-dequantized-fp32.onnx', false],
    ] as const) {
      const e = await Explainer.create(model(m), { image: fixturePath('images/eagle.jpg') });
      const feed = e.forward.values.get(e.spec.name)!;
      const size = feed.data.length;
      const three = new Float32Array(3 * size);
      three.set(feed.data as Float32Array, 0);
      three.set(
        (feed.data as Float32Array).map((v) => v * 0.5),
        size,
      );
      three.set(feed.data as Float32Array, 2 * size);
      const r = await batchRunner(model(m));
      const outs = await r.run(three, 3, feed.dims);
      assert.equal(r.batched, batched, `${m} batched`);
      assert.equal(outs.length, 3);
      for (const i of [0, 2])
        for (let k = 0; k < 1000; k += 37) assert.ok(Math.abs(outs[i][k] - e.scores[k]) < 1e-3 * (1 + Math.abs(e.scores[k])), `${m} item ${i} logit ${k}`);
      assert.ok(
        outs[1].some((v, k) => Math.abs(v - e.scores[k]) > 1e-2),
        'the halved input must score differently',
      );
    }
  });
});
