// node scripts/bench/jpeg-scaled.mjs (after npm run compile-tests): what decoding big JPEGs at a reduced scale
// changes in the model's input (README, Presets). For the bench's 12-megapixel photo and the shipped photos
// upscaled to 12 MP (jimp, saved as JPEG quality 92 in the temp folder), ImageNet's 224×224 crop from the full decode
// and from the reduced one (mean and max difference in levels of 255), the top-1 and its probability on the shipped
// float and QDQ models, and, where Debian's python3-pil is installed, both crops against PIL's torchvision pipeline
// (full decode, Resize(256) bilinear with antialias, CenterCrop(224)) and PIL's top-1.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const { decodeForModel, decodeImage, resizeFor, viewGeometries } = require(path.join(out, 'preprocess', 'image.js'));
const { presets } = require(path.join(out, 'preprocess', 'presets.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));
const { bigPhotoJpeg } = require(path.join(out, 'fixtures', 'big-photo.js'));
const { Jimp } = require('jimp');
const ort = require('onnxruntime-node');

const spec = { name: 'x', layout: 'NCHW', channels: 3, height: 224, width: 224, elemType: 1, dims: [1, 3, 224, 224] };
const P = presets.imagenet;
const dir = path.join(os.tmpdir(), 'cnn-fixations-jpeg-scaled');
fs.mkdirSync(dir, { recursive: true });

/** ImageNet's 224×224 crop (RGB levels) of `raster`, resized as for an image of width × height. */
function crop(raster, width, height) {
  const [m] = viewGeometries({ width, height }, spec, P, 'single');
  const r = resizeFor(raster, [m]);
  const o = new Uint8Array(224 * 224 * 3);
  for (let y = 0; y < 224; y++)
    for (let x = 0; x < 224; x++) for (let c = 0; c < 3; c++) o[(y * 224 + x) * 3 + c] = r.data[((y + m.cropTop) * m.resizedWidth + x + m.cropLeft) * 4 + c];
  return o;
}
const diff = (a, b) => {
  let max = 0,
    sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return `${(sum / a.length).toFixed(2)}; ${max}`;
};
/** PIL's torchvision crop of `file`, or undefined without python3-pil. */
function pilCrop(file) {
  const py = `import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB'); w, h = im.size
nw, nh = (256, int(256 * h / w)) if w <= h else (int(256 * w / h), 256)
r = im.resize((nw, nh), Image.BILINEAR); t, l = int(round((nh - 224) / 2.0)), int(round((nw - 224) / 2.0))
sys.stdout.buffer.write(r.crop((l, t, l + 224, t + 224)).tobytes())`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, file], { maxBuffer: 1 << 20 });
  return r.status === 0 && r.stdout.length === 224 * 224 * 3 ? new Uint8Array(r.stdout) : undefined;
}

const files = [['tiled (the bench photo)', path.join(dir, 'tiled.jpg')]];
if (!fs.existsSync(files[0][1])) fs.writeFileSync(files[0][1], await bigPhotoJpeg());
for (const n of ['bald_eagle.jpeg', 'dog.jpg', 'eagle.jpg', 'horses.jpg', 'person.jpg', 'giraffe.jpg', 'pelican.jpeg']) {
  const f = path.join(dir, `${n}.12mp.jpg`);
  if (!fs.existsSync(f)) {
    const j = await Jimp.read(fixturePath(`images/${n}`));
    const s = Math.sqrt(12e6 / (j.bitmap.width * j.bitmap.height));
    j.resize({ w: Math.round(j.bitmap.width * s), h: Math.round(j.bitmap.height * s) });
    fs.writeFileSync(f, await j.getBuffer('image/jpeg', { quality: 92 }));
  }
  files.push([`${n} upscaled`, f]);
}
const models = [];
for (const m of ['mobilenetv2-12-dequantized-fp32', 'shufflenet-v2-12-dequantized-fp32', 'shufflenet-v2-12-qdq'])
  models.push([m, await ort.InferenceSession.create(fixturePath(`models/${m}.onnx`))]);
/** The top-1 and its probability for a crop, on session `s`. */
async function top1(s, rgb) {
  const t = new Float32Array(3 * 224 * 224);
  for (let i = 0; i < 224 * 224; i++) for (let c = 0; c < 3; c++) t[c * 224 * 224 + i] = (rgb[i * 3 + c] / 255 - P.mean[c]) / P.std[c];
  const z = Array.from((await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', t, [1, 3, 224, 224]) }))[s.outputNames[0]].data);
  const k = z.indexOf(Math.max(...z));
  const sum = z.reduce((a, v) => a + Math.exp(v - z[k]), 0);
  return `${k} (${(1 / sum).toFixed(2)})`;
}

for (const [name, f] of files) {
  const full = await decodeImage(f);
  const reduced = await decodeForModel(f, spec, P);
  const a = crop(full, full.width, full.height),
    b = crop(reduced.raster, full.width, full.height),
    c = pilCrop(f);
  const at = reduced.raster.width === full.width ? 'full size' : `${reduced.raster.width}×${reduced.raster.height}`;
  console.log(
    `${name}, ${full.width}×${full.height} decoded at ${at}: reduced vs full ${diff(b, a)}` +
      (c ? `; vs PIL: full ${diff(a, c)}, reduced ${diff(b, c)}` : ' (no python3-pil)'),
  );
  for (const [m, s] of models) console.log(`  ${m}: full ${await top1(s, a)} → reduced ${await top1(s, b)}${c ? `; PIL ${await top1(s, c)}` : ''}`);
}
