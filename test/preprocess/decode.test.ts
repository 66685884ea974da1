// Image files → pixels (src/preprocess/decode.ts) on real files made by scripts/fixtures/formats.mjs: WebP and
// AVIF give the photo they were encoded from, the orientation a JPEG, PNG, WebP, TIFF or AVIF file declares turns the
// pixels as the user sees them
// (and the explanation's picture and points with them), and files that are not images, or not whole, say so.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Jimp } from 'jimp';
import { Explainer } from '../../src/explain';
import { fixturePath } from '../../src/fixtures';
import { LimitError } from '../../src/limits';
import { imageExtensions } from '../../src/preprocess/formats';
import { decodeImage, ImageError, type DecodedImage } from '../../src/preprocess/image';
import { repo, tmpFile } from '../helpers/tmp';

const formats = path.join(repo, 'test-fixtures', 'formats');
const demo = fixturePath('models/mobilenetv2-12-int8.onnx');
const pixel = (d: { width: number; rgba: Uint8Array }, x: number, y: number) => Array.from(d.rgba.subarray((y * d.width + x) * 4, (y * d.width + x) * 4 + 3));

/** Mean absolute difference of the RGB channels of two pictures of the same size. */
function meanDiff(a: DecodedImage, b: { width: number; height: number; data: Uint8Array | Buffer }): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let sum = 0;
  for (let i = 0; i < a.rgba.length; i += 4) for (let c = 0; c < 3; c++) sum += Math.abs(a.rgba[i + c] - b.data[i + c]);
  return sum / ((a.rgba.length / 4) * 3);
}

/** A baseline TIFF: one strip of 8-bit RGB, no compression, with an Orientation tag. */
function uncompressedTiff(width: number, height: number, rgb: Uint8Array, orientation: number, little: boolean): Buffer {
  const tags: [tag: number, type: 3 | 4, count: number, value: number][] = [
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 3, 0], // BitsPerSample 8, 8, 8: stored after the IFD
    [259, 3, 1, 1], // no compression
    [262, 3, 1, 2], // RGB
    [273, 4, 1, 0], // StripOffsets: the pixels, after the bits-per-sample values
    [274, 3, 1, orientation],
    [277, 3, 1, 3],
    [278, 4, 1, height],
    [279, 4, 1, rgb.length],
    [284, 3, 1, 1], // chunky
  ];
  const ifd = 8;
  const bits = ifd + 2 + tags.length * 12 + 4;
  const pixels = bits + 6;
  const b = Buffer.alloc(pixels + rgb.length);
  const u16 = (at: number, v: number) => (little ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const u32 = (at: number, v: number) => (little ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  b.write(little ? 'II' : 'MM', 0, 'latin1');
  u16(2, 42);
  u32(4, ifd);
  u16(ifd, tags.length);
  tags.forEach(([tag, type, count, value], i) => {
    const at = ifd + 2 + i * 12;
    u16(at, tag);
    u16(at + 2, type);
    u32(at + 4, count);
    if (tag === 258) u32(at + 8, bits);
    else if (tag === 273) u32(at + 8, pixels);
    else if (type === 3)
      u16(at + 8, value); // a SHORT sits in the first two bytes of the value field
    else u32(at + 8, value);
  });
  for (let i = 0; i < 3; i++) u16(bits + 2 * i, 8);
  b.set(rgb, pixels);
  return b;
}

describe('image decoding: formats, orientation, broken files', function () {
  this.timeout(60_000);

  it('WebP and AVIF decode to the photo they were encoded from (160 px pelican, lossy: a mean difference of a few levels)', async () => {
    const source = (await Jimp.read(fixturePath('images/pelican.jpeg'))).resize({ w: 160 }).bitmap;
    for (const f of ['pelican.webp', 'pelican.avif']) {
      const d = await decodeImage(path.join(formats, f));
      const diff = meanDiff(d, source);
      assert.ok(diff < 6, `${f}: mean difference ${diff.toFixed(2)}`);
      assert.ok(diff > 0, `${f} is lossy: not the same bytes`);
    }
  });

  it('a WebP explains as the JPEG it came from does (the demo: pelican, class 144)', async () => {
    const x = await Explainer.create(demo, { image: path.join(formats, 'pelican.webp') });
    assert.equal(x.predictions(1)[0].index, 144);
    assert.deepEqual([x.picture.width, x.picture.height], [160, 120]);
  });

  it("a JPEG's EXIF orientation is honoured: pixels, the explanation's picture and its points are where the user sees them", async () => {
    const seen = await decodeImage(path.join(formats, 'squares.png'));
    const turned = await decodeImage(path.join(formats, 'squares-exif6.jpg'));
    assert.equal(turned.oriented, true);
    assert.equal(seen.oriented, false);
    assert.deepEqual([turned.width, turned.height], [120, 80], 'stored 80×120, seen 120×80');
    assert.ok(meanDiff(turned, { width: seen.width, height: seen.height, data: seen.rgba }) < 3);
    assert.ok(pixel(turned, 5, 5)[0] > 240 && pixel(turned, 5, 5)[2] < 15, 'red in the top-left corner');
    assert.ok(pixel(turned, 115, 75)[2] > 240 && pixel(turned, 115, 75)[0] < 15, 'blue in the bottom-right corner');
    const x = await Explainer.create(demo, { image: path.join(formats, 'squares-exif6.jpg') });
    assert.deepEqual([x.picture.width, x.picture.height], [120, 80]);
    const r = x.explain().json;
    assert.deepEqual([r.image.width, r.image.height], [120, 80]);
    for (const [px, py] of r.points) assert.ok(px >= 0 && px < 120 && py >= 0 && py < 80, `point (${px}, ${py}) in the picture as seen`);
  });

  it("PNG's eXIf, WebP's EXIF and AVIF's irot/imir orientation give exactly the upright picture's pixels (every PNG orientation; lossless files made by scripts/fixtures/orientation.py)", async () => {
    const dir = path.join(repo, 'test-fixtures', 'orientation');
    const upright = await decodeImage(path.join(dir, 'upright.png'));
    assert.equal(upright.oriented, false);
    const turned = fs.readdirSync(dir).filter((f) => f !== 'upright.png' && imageExtensions.some((e) => f.endsWith(`.${e}`)));
    assert.equal(turned.length, 15);
    for (const f of turned) {
      const d = await decodeImage(path.join(dir, f));
      assert.equal(d.oriented, true, f);
      assert.deepEqual([d.width, d.height], [120, 80], `${f}: seen 120×80`);
      assert.equal(meanDiff(d, { width: 120, height: 80, data: upright.rgba }), 0, `${f}: pixels as seen`);
    }
  });

  it("a TIFF's Orientation tag turns the pixels too (all eight, little- and big-endian files written here)", async () => {
    const upright = await decodeImage(path.join(repo, 'test-fixtures', 'orientation', 'upright.png'));
    const [W, H] = [upright.width, upright.height];
    // EXIF's meaning of each orientation: which stored pixel (sx, sy) of the sw×sh raster is seen at (x, y)
    const seenFrom: Record<number, (x: number, y: number, sw: number, sh: number) => [number, number]> = {
      1: (x, y) => [x, y],
      2: (x, y, sw) => [sw - 1 - x, y],
      3: (x, y, sw, sh) => [sw - 1 - x, sh - 1 - y],
      4: (x, y, _sw, sh) => [x, sh - 1 - y],
      5: (x, y) => [y, x],
      6: (x, y, _sw, sh) => [y, sh - 1 - x],
      7: (x, y, sw, sh) => [sw - 1 - y, sh - 1 - x],
      8: (x, y, sw) => [sw - 1 - y, x],
    };
    for (const little of [true, false])
      for (let o = 1; o <= 8; o++) {
        const [sw, sh] = o >= 5 ? [H, W] : [W, H];
        const rgb = new Uint8Array(sw * sh * 3);
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const [sx, sy] = seenFrom[o](x, y, sw, sh);
            for (let c = 0; c < 3; c++) rgb[(sy * sw + sx) * 3 + c] = upright.rgba[(y * W + x) * 4 + c];
          }
        const file = tmpFile(`turned-${o}-${little ? 'II' : 'MM'}.tiff`, uncompressedTiff(sw, sh, rgb, o, little));
        const d = await decodeImage(file);
        assert.equal(d.oriented, o !== 1, `orientation ${o}`);
        assert.equal(meanDiff(d, { width: W, height: H, data: upright.rgba }), 0, `orientation ${o} (${little ? 'II' : 'MM'}): pixels as seen`);
      }
  });

  it('every extension offered is one the decoders read, and the explorer menus offer them all', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
    const whens: string[] = Object.values(pkg.contributes.menus as Record<string, { when?: string }[]>).flatMap((m) => m.map((e) => e.when ?? ''));
    for (const when of whens.filter((w) => w.includes('resourceExtname') && !w.includes('onnx'))) {
      const re = new RegExp(/\/(.*)\/i/.exec(when)![1], 'i');
      for (const e of imageExtensions) assert.ok(re.test(`.${e}`), `.${e} in ${when}`);
    }
    for (const f of ['pelican.webp', 'pelican.avif', 'squares.png', 'squares-exif6.jpg']) assert.ok(imageExtensions.some((e) => f.endsWith(`.${e}`)));
  });

  it('empty, text, truncated, unknown-format and over-the-limit files fail with a message naming the file, never a stack', async () => {
    const webp = fs.readFileSync(path.join(formats, 'pelican.webp'));
    const avif = fs.readFileSync(path.join(formats, 'pelican.avif'));
    const cases: [string, Buffer, RegExp][] = [
      ['empty.png', Buffer.alloc(0), /image .*empty\.png is empty \(0 bytes\)/],
      ['text.jpg', Buffer.from('hello, not an image\n'), /cannot read image .*text\.jpg: .*Supported formats: PNG, JPEG, GIF, BMP, TIFF, WebP, AVIF/],
      ['cut.webp', webp.subarray(0, webp.length >> 1), /cannot read image .*cut\.webp: its WEBP data is truncated or corrupt/],
      ['cut.avif', avif.subarray(0, avif.length >> 1), /cannot read image .*cut\.avif: its AVIF data is truncated or corrupt/],
      [
        'icon.ico',
        Buffer.from('AAABAAEAAQEAAAEAIAAwAAAAFgAAACgAAAABAAAAAgAAAAEAIAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAP8A/wAAAAA=', 'base64'),
        /cannot read image .*icon\.ico: it is ico format; supported formats/,
      ],
    ];
    for (const [name, bytes, re] of cases) {
      const e = await decodeImage(tmpFile(`decode-${name}`, bytes)).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(e instanceof ImageError, `${name}: an ImageError, got ${String(e)}`);
      assert.match(e.message, re);
    }
    await assert.rejects(
      decodeImage(path.join(formats, 'pelican.avif'), 'pelican.avif', 10_000),
      (e) => e instanceof LimitError && /160×120 \(0\.02 megapixels\), more than the limit of 0\.01 megapixels/.test(e.message),
    );
  });
});
