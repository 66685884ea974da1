// Preprocessing: torchvision's resize-and-crop arithmetic, the map back to original pixels, and the
// tensor values each preset produces (channel order, scaling, mean/std, grayscale, NCHW/NHWC, padding).
import { strict as assert } from 'node:assert';
import { Jimp } from 'jimp';
import { planGeometry, roundHalfEven, toOriginal } from '../../src/preprocess/geometry';
import { decodeImage, imageToTensor } from '../../src/preprocess/image';
import type { ImageInputSpec } from '../../src/preprocess/input-spec';
import { presetNamed } from '../../src/preprocess/presets';

const spec = (over: Partial<ImageInputSpec>): ImageInputSpec => ({
  name: 'x',
  layout: 'NCHW',
  channels: 3,
  height: 4,
  width: 4,
  elemType: 1,
  dims: [1, 3, 4, 4],
  ...over,
});

describe('geometry', () => {
  it('follows torchvision: Resize(256) keeps the aspect with int(), CenterCrop rounds half to even', () => {
    // pelican.jpeg 500×375 → 341×256, crop (341-224)/2 = 58.5 → 58 (Python's round)
    const g = planGeometry('shorter', 500, 375, 224, 224, 256 / 224);
    assert.deepEqual([g.resizedWidth, g.resizedHeight, g.cropLeft, g.cropTop], [341, 256, 58, 16]);
    // eagle.jpg 773×512 → 386×256
    const e = planGeometry('shorter', 773, 512, 224, 224, 256 / 224);
    assert.deepEqual([e.resizedWidth, e.resizedHeight, e.cropLeft, e.cropTop], [386, 256, 81, 16]);
    // Inception's 299 input: shorter side 342
    assert.equal(planGeometry('shorter', 500, 375, 299, 299, 256 / 224).resizedHeight, 342);
    assert.deepEqual([roundHalfEven(0.5), roundHalfEven(1.5), roundHalfEven(2.5), roundHalfEven(2.4)], [0, 2, 2, 2]);
  });

  it('maps model pixels back to original pixels through resize and crop', () => {
    const g = planGeometry('shorter', 500, 375, 224, 224, 256 / 224);
    // model (0,0) is resized (58,16): its centre maps to ((58.5)·500/341 − 0.5, (16.5)·375/256 − 0.5)
    assert.deepEqual(toOriginal(g, 0, 0), [Math.round((58.5 * 500) / 341 - 0.5), Math.round((16.5 * 375) / 256 - 0.5)]);
    assert.deepEqual(toOriginal(g, 223, 223), [Math.round((281.5 * 500) / 341 - 0.5), Math.round((239.5 * 375) / 256 - 0.5)]);
  });

  it('pad mode fits the height, keeps the aspect and maps the padding nowhere', () => {
    const g = planGeometry('pad', 300, 48, 192, 48, 1);
    assert.deepEqual([g.resizedWidth, g.resizedHeight, g.contentWidth], [192, 48, 192]);
    const narrow = planGeometry('pad', 96, 48, 192, 48, 1);
    assert.equal(narrow.contentWidth, 96);
    assert.equal(toOriginal(narrow, 100, 10), undefined);
    assert.deepEqual(toOriginal(narrow, 95, 47), [95, 47]);
  });
});

describe('presets', () => {
  /** A 4×4 image: left half pure red (255,0,0), right half (0,128,255). */
  async function image() {
    const j = new Jimp({ width: 4, height: 4, color: 0x000000ff });
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) j.setPixelColor(x < 2 ? 0xff0000ff : 0x0080ffff, x, y);
    return decodeImage(await j.getBuffer('image/png'), 'test.png');
  }

  it('imagenet: RGB, [0,1], mean/std, NCHW', async () => {
    const { feed } = imageToTensor(await image(), spec({}), presetNamed('imagenet'));
    assert.deepEqual(feed.dims, [1, 3, 4, 4]);
    const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-4, `${a} vs ${b}`);
    near(feed.data[0], (1 - 0.485) / 0.229); // R of a red pixel
    near(feed.data[16 + 3], (128 / 255 - 0.456) / 0.224); // G of a right pixel
    near(feed.data[32 + 3], (1 - 0.406) / 0.225); // B of a right pixel
  });

  it('caffe: BGR order, 0–255 minus means', async () => {
    const { feed } = imageToTensor(await image(), spec({}), presetNamed('caffe'));
    assert.ok(Math.abs(feed.data[0] - (0 - 103.939)) < 1e-4); // channel 0 is blue; a red pixel has none
    assert.ok(Math.abs(feed.data[32] - (255 - 123.68)) < 1e-4); // channel 2 is red
  });

  it('raw on a grayscale model: ITU-R 601 luma, 0–255', async () => {
    const { feed } = imageToTensor(await image(), spec({ channels: 1, dims: [1, 1, 4, 4] }), presetNamed('raw'));
    assert.deepEqual(feed.dims, [1, 1, 4, 4]);
    assert.ok(Math.abs(feed.data[0] - 0.299 * 255) < 1e-3);
    assert.ok(Math.abs(feed.data[3] - (0.587 * 128 + 0.114 * 255)) < 1e-3);
  });

  it('symmetric and unit scale to [-1,1] and [0,1]; NHWC interleaves channels', async () => {
    const nhwc = spec({ layout: 'NHWC', dims: [1, 4, 4, 3] });
    const sym = imageToTensor(await image(), nhwc, presetNamed('symmetric')).feed;
    assert.deepEqual(sym.dims, [1, 4, 4, 3]);
    assert.deepEqual(Array.from(sym.data.slice(0, 3)), [1, -1, -1]);
    const unit = imageToTensor(await image(), nhwc, presetNamed('unit')).feed;
    assert.deepEqual(
      Array.from(unit.data.slice(9, 12)).map((v) => +v.toFixed(3)),
      [0, +(128 / 255).toFixed(3), 1],
    );
  });

  it('ppocr: BGR, [-1,1], right padding is 0', async () => {
    const j = new Jimp({ width: 8, height: 4, color: 0xffffffff });
    const img = await decodeImage(await j.getBuffer('image/png'), 'line.png');
    const { feed, map } = imageToTensor(img, spec({ height: undefined, width: undefined, dims: [1, 3, 'h', 'w'] }), presetNamed('ppocr'));
    assert.deepEqual(feed.dims, [1, 3, 48, 192]);
    assert.equal(map.contentWidth, 96);
    assert.equal(feed.data[10], 1); // white → 1
    assert.equal(feed.data[150], 0); // padding
  });

  it('an unreadable image is a clear error', async () => {
    await assert.rejects(decodeImage(Buffer.from('nope'), 'nope.png'), /cannot read image nope\.png/);
  });
});
