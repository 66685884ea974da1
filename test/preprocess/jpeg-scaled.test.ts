// Big JPEGs decoded at a reduced scale for the model's input (src/preprocess/jpeg-scaled.ts): which reduction is
// taken, that small and odd-sized images decode exactly as before, that the EXIF orientation turns the reduced raster
// as libvips' own autorotate does, how far the input moves from the full decode's on the 12-megapixel photo, and that
// an explanation still speaks in the image's own pixels.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Jimp } from 'jimp';
import { Explainer } from '../../src/explain';
import { fixturePath } from '../../src/fixtures';
import { bigPhotoJpeg } from '../../src/fixtures/big-photo';
import { decodeForModel, decodeImage, resizeFor, viewGeometries, type DecodedImage } from '../../src/preprocess/image';
import type { ImageInputSpec } from '../../src/preprocess/input-spec';
import { jpegReduction } from '../../src/preprocess/jpeg-scaled';
import { presets } from '../../src/preprocess/presets';
import { repo, tmpFile } from '../helpers/tmp';

const spec: ImageInputSpec = { name: 'x', layout: 'NCHW', channels: 3, height: 224, width: 224, elemType: 1, dims: [1, 3, 224, 224] };
const imagenet = presets.imagenet;

/** The JPEG with an APP1 Exif segment saying orientation `o` (big-endian IFD0, one SHORT entry) right after SOI. */
function withOrientation(jpeg: Buffer, o: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(o, 18);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xffe1, 0);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, body, jpeg.subarray(2)]);
}

/** ImageNet's 224 × 224 crop of `raster`, planned for an image of width × height (the crop's RGBA levels). */
function crop(raster: DecodedImage, width: number, height: number): Uint8Array {
  const maps = viewGeometries({ width, height }, spec, imagenet, 'single');
  const r = resizeFor(raster, maps);
  const m = maps[0];
  const out = new Uint8Array(224 * 224 * 3);
  for (let y = 0; y < 224; y++)
    for (let x = 0; x < 224; x++) for (let c = 0; c < 3; c++) out[(y * 224 + x) * 3 + c] = r.data[((y + m.cropTop) * m.resizedWidth + x + m.cropLeft) * 4 + c];
  return out;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('big JPEGs at a reduced scale (DCT scaling) for the model input', function () {
  this.timeout(300_000);
  let big: Buffer;
  before(async () => {
    big = await bigPhotoJpeg();
  });

  it('takes the largest of 1/8, 1/4, 1/2 that divides both sides and still covers the resize, from 2 megapixels', () => {
    assert.equal(jpegReduction(4000, 3000, 341, 256), 8);
    assert.equal(jpegReduction(4256, 2820, 386, 256), 4); // 2820 is no multiple of 8
    assert.equal(jpegReduction(4256, 2819, 386, 256), 1); // odd: libvips would drop the last row of blocks
    assert.equal(jpegReduction(2048, 2048, 256, 256), 8); // exactly the resize's size still covers it
    assert.equal(jpegReduction(2040, 2040, 256, 256), 4); // 255 would not
    assert.equal(jpegReduction(2048, 1536, 341, 256), 4);
    assert.equal(jpegReduction(1920, 1080, 455, 256), 4);
    // below 2 megapixels, not worth loading a second decoder: the shipped photos (all under 0.5 MP) decode as before
    assert.equal(jpegReduction(1600, 1200, 341, 256), 1);
    assert.equal(jpegReduction(768, 576, 341, 256), 1); // dog.jpg, which 1/2 would cover
    assert.equal(jpegReduction(500, 375, 224, 224), 1);
  });

  it('the shipped photos and a big JPEG with an odd side decode exactly as decodeImage decodes them', async () => {
    const files = ['pelican.jpeg', 'dog.jpg', 'bald_eagle.jpeg', 'giraffe.jpg'].map((f) => fixturePath(`images/${f}`));
    const odd = new Jimp({ width: 2049, height: 1537, color: 0x336699ff });
    odd.composite(await Jimp.read(files[0]), 700, 500);
    files.push(tmpFile('odd.jpg', await odd.getBuffer('image/jpeg', { quality: 90 })));
    for (const f of files) {
      const m = await decodeForModel(f, spec, imagenet);
      const d = await decodeImage(f);
      assert.deepEqual([m.raster.width, m.raster.height, m.width, m.height], [d.width, d.height, d.width, d.height], path.basename(f));
      assert.ok(same(m.raster.rgba, d.rgba), `${path.basename(f)}: the same pixels`);
    }
  });

  it('the 12-megapixel photo decodes at 500×375; its model input stays within 2.5 levels (mean) of the full decode, and the full picture is there for exports', async () => {
    const file = tmpFile('big.jpg', big);
    const m = await decodeForModel(file, spec, imagenet);
    assert.deepEqual([m.width, m.height, m.raster.width, m.raster.height], [4000, 3000, 500, 375]);
    const full = await decodeImage(file);
    const a = crop(m.raster, 4000, 3000),
      b = crop(full, 4000, 3000);
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    const mean = sum / a.length;
    // measured 2.29 (PIL's torchvision pipeline is 1.25 from the reduced input, 2.24 from the full one)
    assert.ok(mean > 0 && mean < 2.5, `mean difference ${mean.toFixed(2)} levels`);
    assert.ok(same(await m.full(), full.rgba), 'full(): the full decode');
  });

  it("a reduced photo's EXIF orientation (1–8) turns it as libvips' own autorotate does", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vips = await (require(path.join(repo, 'node_modules', 'wasm-vips')) as typeof import('wasm-vips'))({ dynamicLibraries: [] });
    for (let o = 1; o <= 8; o++) {
      const bytes = withOrientation(big, o);
      const m = await decodeForModel(bytes, spec, imagenet);
      const swapped = o >= 5;
      assert.deepEqual([m.width, m.height], swapped ? [3000, 4000] : [4000, 3000], `orientation ${o}`);
      assert.deepEqual([m.raster.width, m.raster.height], swapped ? [375, 500] : [500, 375], `orientation ${o}: reduced`);
      assert.equal(m.raster.oriented, o > 1);
      const img = vips.Image.jpegloadBuffer(bytes, { shrink: 8, autorotate: true });
      const px = img.writeToMemory();
      assert.deepEqual([img.width, img.height, img.bands], [m.raster.width, m.raster.height, 3], `orientation ${o}: libvips' size`);
      img.delete();
      let differ = 0;
      for (let i = 0, j = 0; j < px.length; i += 4, j += 3)
        if (m.raster.rgba[i] !== px[j] || m.raster.rgba[i + 1] !== px[j + 1] || m.raster.rgba[i + 2] !== px[j + 2]) differ++;
      assert.equal(differ, 0, `orientation ${o}: the same pixels as libvips' turn`);
    }
  });

  it('an explanation of the 12-megapixel photo is in its own pixels: the JSON says 4000×3000, points inside it', async () => {
    const e = await Explainer.create(fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx'), { image: tmpFile('big.jpg', big) }, { labels: [] });
    const x = e.explain();
    assert.deepEqual([x.json.image.width, x.json.image.height], [4000, 3000]);
    assert.ok(x.keptPoints.length > 0);
    for (const [px, py] of x.keptPoints) assert.ok(px >= 0 && py >= 0 && px < 4000 && py < 3000, `point ${px},${py}`);
    assert.equal((await e.picture.pixels()).length, 4000 * 3000 * 4);
  });
});
