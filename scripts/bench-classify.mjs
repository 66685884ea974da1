// The yardstick for the sweep's speed (README, "Debugging misclassifications"): a plain onnxruntime-node
// classification loop over a folder, decode + preprocess + forward, one session, nothing explained.
//   node scripts/bench-classify.mjs MODEL.onnx DIR      prints images, seconds, images/s and top-1 accuracy
// Labels come from the class folders' index prefixes (0_T-shirt_top); the input is 1-channel, [0,1], resized
// to the model's size, as the demo's preset reads it. Compare with `cnn-fixations sweep --jobs 2` under farm-bench.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Jimp } from 'jimp';
import * as ort from 'onnxruntime-node';

const [model, dir] = process.argv.slice(2);
if (!model || !dir) {
  console.error('usage: node scripts/bench-classify.mjs MODEL.onnx DIR');
  process.exit(2);
}
const t0 = performance.now();
const session = await ort.InferenceSession.create(model);
const [, , H, W] = session.inputMetadata?.[0]?.shape ?? [1, 1, 96, 96];
let n = 0,
  right = 0;
for (const c of readdirSync(dir).sort()) {
  const expected = Number(c.split('_')[0]);
  for (const f of readdirSync(path.join(dir, c)).sort()) {
    const img = await Jimp.read(readFileSync(path.join(dir, c, f)));
    if (img.bitmap.width !== W || img.bitmap.height !== H) img.resize({ w: W, h: H });
    const px = img.bitmap.data;
    const x = new Float32Array(H * W);
    for (let i = 0; i < x.length; i++) x[i] = (0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2]) / 255;
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 1, H, W]) });
    const logits = out[session.outputNames[0]].data;
    let best = 0;
    for (let k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k;
    n++;
    if (best === expected) right++;
  }
}
const s = (performance.now() - t0) / 1000;
console.log(`${n} images in ${s.toFixed(2)} s: ${(n / s).toFixed(1)} images/s, top-1 ${((right / n) * 100).toFixed(1)}%`);
