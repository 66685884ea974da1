// The typed-array resize and tensor (src/preprocess/resize.ts, image.ts) against the jimp path they replace, on
// every shipped photo and the format fixtures (a portrait JPEG turned by EXIF, PNGs with alpha, grey, 16-bit,
// palette, one pixel): the same bytes, not merely close, at the sizes the presets ask for, shrinking and growing,
// and over a crop's region only.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Jimp } from 'jimp';
import { fixturePath } from '../../src/fixtures';
import { cropToTensor, decodeImage, resizeFor, viewGeometries, type DecodedImage } from '../../src/preprocess/image';
import type { ImageInputSpec } from '../../src/preprocess/input-spec';
import { presetNamed, presets } from '../../src/preprocess/presets';
import { resizeRgba } from '../../src/preprocess/resize';
import { repo } from '../helpers/tmp';

const photos = path.dirname(fixturePath('images/pelican.jpeg'));
const formats = path.join(repo, 'test-fixtures', 'formats');
const files = [
  ...fs.readdirSync(photos).map((f) => path.join(photos, f)),
  ...['squares-exif6.jpg', 'grey-alpha.png', 'grey16.png', 'palette.png', 'squares.png', 'one-pixel.png'].map((f) => path.join(formats, f)),
];

/** Largest absolute difference per channel (R, G, B, A) over the pixels of `region` (all when omitted). */
function maxDiff(a: Uint8Array, b: Uint8Array, width: number, region?: { left: number; top: number; width: number; height: number }): number[] {
  const r = region ?? { left: 0, top: 0, width, height: a.length / 4 / width };
  const d = [0, 0, 0, 0];
  for (let y = r.top; y < r.top + r.height; y++)
    for (let x = r.left; x < r.left + r.width; x++)
      for (let c = 0; c < 4; c++) d[c] = Math.max(d[c], Math.abs(a[(y * width + x) * 4 + c] - b[(y * width + x) * 4 + c]));
  return d;
}

/**
 * jimp's resize, its second call: the first calls in a process can differ from the later ones (seen on a 28×28
 * digit grown to 256×256: another result the first time, then the same one every time, which resizeRgba gives).
 */
async function jimpResize(img: DecodedImage, w: number, h: number): Promise<Uint8Array> {
  const once = () => Jimp.fromBitmap({ width: img.width, height: img.height, data: Buffer.from(img.rgba) }).resize({ w, h }).bitmap.data;
  once();
  return new Uint8Array(once());
}

/** The per-pixel loop the tensor was made with before (one formula per value, no tables). */
function referenceTensor(px: Uint8Array, rw: number, left: number, top: number, spec: ImageInputSpec, preset = presets.imagenet): Float32Array {
  const { height: mh = 224, width: mw = 224, channels: c } = spec;
  const out = new Float32Array(c * mh * mw);
  const order = preset.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const [lo, hi] = preset.range;
  for (let y = 0; y < mh; y++)
    for (let x = 0; x < mw; x++)
      for (let ch = 0; ch < c; ch++) {
        const s = ((y + top) * rw + x + left) * 4;
        const v = c === 1 ? (px[s] * 299 + px[s + 1] * 587 + px[s + 2] * 114) / 1000 : px[s + order[ch]];
        const i = spec.layout === 'NCHW' ? ch * mh * mw + y * mw + x : (y * mw + x) * c + ch;
        out[i] = ((v / 255) * (hi - lo) + lo - preset.mean[ch]) / preset.std[ch];
      }
  return out;
}

const spec = (over: Partial<ImageInputSpec> = {}): ImageInputSpec => ({
  name: 'x',
  layout: 'NCHW',
  channels: 3,
  height: 224,
  width: 224,
  elemType: 1,
  dims: [1, 3, 224, 224],
  ...over,
});

describe('resize and tensor without jimp: the same bytes as jimp', function () {
  this.timeout(120_000);

  it('resizeRgba equals jimp resize (max difference 0 in every channel) on every shipped image, shrinking and growing', async () => {
    for (const f of files) {
      const img = await decodeImage(f);
      const centre = viewGeometries(img, spec(), presetNamed('imagenet'), 'single')[0];
      const sizes: [number, number][] = [
        [centre.resizedWidth, centre.resizedHeight],
        [img.width, img.height],
        [192, 48],
        [img.width, Math.max(1, img.height >> 1)],
        [Math.max(1, img.width >> 1), img.height],
        [Math.round(img.width * 1.7), Math.round(img.height * 1.3)],
      ];
      for (const [w, h] of sizes) {
        const mine = resizeRgba({ width: img.width, height: img.height, data: img.rgba }, w, h);
        if (img.width === 1 && img.height === 1) {
          // jimp grows one pixel into (47, 0, 0, 0) everywhere, whatever the pixel: here, the pixel itself
          for (let i = 0; i < mine.data.length; i += 4)
            assert.deepEqual(Array.from(mine.data.subarray(i, i + 4)), Array.from(img.rgba), `${path.basename(f)} → ${w}×${h}`);
          continue;
        }
        assert.deepEqual(maxDiff(mine.data, await jimpResize(img, w, h), w), [0, 0, 0, 0], `${path.basename(f)} → ${w}×${h}`);
        if (w === img.width && h === img.height) {
          assert.deepEqual(maxDiff(mine.data, img.rgba, w), [0, 0, 0, 0], `${path.basename(f)}: its own size is itself`);
          assert.notEqual(mine.data, img.rgba, 'a copy, not the decoded buffer');
        }
      }
    }
  });

  it("over a crop's region, the region's pixels are jimp's; the five-crop views share one resize", async () => {
    for (const f of files.filter((x) => /\.(jpe?g|png)$/.test(x)).slice(0, 6)) {
      const img = await decodeImage(f);
      const maps = viewGeometries(img, spec(), presetNamed('imagenet'), 'five');
      const resized = resizeFor(img, maps);
      const ref = await jimpResize(img, maps[0].resizedWidth, maps[0].resizedHeight);
      for (const m of maps) {
        const region = { left: m.cropLeft, top: m.cropTop, width: Math.min(224, m.resizedWidth), height: Math.min(224, m.resizedHeight) };
        assert.deepEqual(maxDiff(resized.data, ref, m.resizedWidth, region), [0, 0, 0, 0], `${path.basename(f)} crop at ${m.cropLeft},${m.cropTop}`);
      }
    }
  });

  it('the tensor equals the per-pixel formula: imagenet NCHW, caffe BGR, grey NHWC', async () => {
    const img = await decodeImage(fixturePath('images/pelican.jpeg'));
    const cases: [ImageInputSpec, keyof typeof presets][] = [
      [spec(), 'imagenet'],
      [spec(), 'caffe'],
      [spec({ layout: 'NHWC', channels: 1, dims: [1, 224, 224, 1] }), 'imagenet'],
    ];
    for (const [s, name] of cases) {
      const preset = presets[name];
      const [map] = viewGeometries(img, s, preset, 'single');
      const feed = cropToTensor(resizeFor(img, [map]), map, s, preset);
      const ref = referenceTensor(await jimpResize(img, map.resizedWidth, map.resizedHeight), map.resizedWidth, map.cropLeft, map.cropTop, s, preset);
      assert.deepEqual(Array.from(feed.data), Array.from(ref), `${name} ${s.layout} ${s.channels}`);
    }
  });
});
