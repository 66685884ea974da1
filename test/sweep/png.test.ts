// The sweep pictures' PNG encoder: what it writes decodes (with pngjs, through jimp, and so in any browser)
// to exactly the pixels given, grey and RGBA, with either row filter, on pictures with edges and with
// smooth gradients and on odd sizes; a wrong number of bytes is refused.
import { strict as assert } from 'node:assert';
import { Jimp } from 'jimp';
import { encodePng, type RowFilter } from '../../src/sweep/png';

/** Seeded pixels: runs of transparency, hard edges and a gradient (what the layers hold). */
function pixels(width: number, height: number, channels: 1 | 4, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  let s = seed;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const i = (y * width + x) * channels + c;
        out[i] = x < width / 3 ? 0 : x < (2 * width) / 3 ? (x * 7 + y * 3 + c * 50) & 0xff : s >>> 24;
      }
  return out;
}

async function decode(png: Buffer): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const j = await Jimp.read(png);
  return { width: j.bitmap.width, height: j.bitmap.height, rgba: new Uint8Array(j.bitmap.data) };
}

describe('sweep: PNG encoder', () => {
  for (const filter of ['none', 'up'] as RowFilter[])
    for (const [w, h] of [
      [1, 1],
      [37, 5],
      [192, 192],
    ]) {
      it(`RGBA ${w}×${h}, filter ${filter}: decodes to the same pixels`, async () => {
        const px = pixels(w, h, 4, w * 31 + h);
        const d = await decode(encodePng(w, h, 4, px, filter));
        assert.deepEqual([d.width, d.height], [w, h]);
        assert.deepEqual(d.rgba, px);
      });
      it(`grey ${w}×${h}, filter ${filter}: decodes to the same grey, opaque`, async () => {
        const px = pixels(w, h, 1, w + h * 17);
        const d = await decode(encodePng(w, h, 1, px, filter));
        const want = new Uint8Array(w * h * 4);
        for (let i = 0; i < px.length; i++) want.set([px[i], px[i], px[i], 255], 4 * i);
        assert.deepEqual(d.rgba, want);
      });
    }

  it('refuses pixels that are not width × height × channels bytes', () => {
    assert.throws(() => encodePng(4, 4, 4, new Uint8Array(63), 'none'), /63 bytes are not 4×4 pixels of 4/);
  });
});
