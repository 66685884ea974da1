// Image files → pixels (src/preprocess/decode.ts) on real files made by scripts/fixtures/formats.mjs: WebP and
// AVIF give the photo they were encoded from, the orientation a JPEG, PNG, WebP or AVIF file declares turns the
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
