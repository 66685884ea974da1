// The resize's shrinking passes in WebAssembly (src/preprocess/wasm/resize.wat) against the TypeScript passes they
// stand in for (resize.ts, jimp's filter value for value): the same bytes, ties and roundings included, on seeded
// random images (opaque, any alpha, fully transparent pixels) at random sizes and regions, and on the shipped photos.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixturePath } from '../../../src/fixtures';
import { decodeImage } from '../../../src/preprocess/image';
import { resizeRgba } from '../../../src/preprocess/resize';
import { resizeKernel } from '../../../src/preprocess/wasm/resize';

/** A small seeded generator (LCG), so a failure names a case that can be run again. */
function random(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** Runs `f` counting the calls into the WebAssembly kernel. */
function counted<T>(f: () => T): [T, number] {
  const k = resizeKernel!;
  const resize = k.resize.bind(k);
  let calls = 0;
  k.resize = (...a) => {
    calls++;
    return resize(...a);
  };
  try {
    return [f(), calls];
  } finally {
    k.resize = resize;
  }
}

describe('resize in WebAssembly: the TypeScript passes, byte for byte', function () {
  this.timeout(120_000);

  it('Node has WebAssembly SIMD: the kernel loads', () => {
    assert.ok(resizeKernel);
  });

  it('random images, sizes and regions: opaque, any alpha, transparent pixels', () => {
    const rnd = random(14);
    const int = (n: number) => Math.floor(rnd() * n);
    let kernelRuns = 0;
    for (let k = 0; k < 300; k++) {
      const sw = 1 + int(200),
        sh = 1 + int(200);
      const w = 1 + int(sw),
        h = 1 + int(sh);
      const data = new Uint8Array(sw * sh * 4);
      for (let i = 0; i < data.length; i++) data[i] = int(256);
      const alpha = k % 3;
      for (let i = 3; i < data.length; i += 4) data[i] = alpha === 0 ? 255 : alpha === 1 ? data[i] : rnd() < 0.3 ? 0 : 255;
      const left = int(w),
        top = int(h);
      const region = k % 2 ? { left: 0, top: 0, width: w, height: h } : { left, top, width: 1 + int(w - left), height: 1 + int(h - top) };
      const img = { width: sw, height: sh, data };
      const [fast, calls] = counted(() => resizeRgba(img, w, h, region));
      kernelRuns += calls;
      const slow = resizeRgba(img, w, h, region, false);
      const at = fast.data.findIndex((v, i) => v !== slow.data[i]);
      assert.equal(at, -1, `case ${k}: ${sw}×${sh} → ${w}×${h}, region ${JSON.stringify(region)}: byte ${at}`);
    }
    // every case shrinking both ways (most of them) ran in WebAssembly
    assert.ok(kernelRuns > 250, `${kernelRuns} of 300 in WebAssembly`);
  });

  it('a resize needing more than 32 MB of module memory gives it back after the call, and the next ones still match', () => {
    const rnd = random(3);
    const big = { width: 2100, height: 1100, data: Uint8Array.from({ length: 2100 * 1100 * 4 }, () => Math.floor(rnd() * 256)) };
    const small = { width: 90, height: 70, data: big.data.slice(0, 90 * 70 * 4) };
    for (const [img, w, h] of [
      [big, 2000, 1000],
      [small, 61, 40],
    ] as const) {
      const [fast, calls] = counted(() => resizeRgba(img, w, h));
      assert.equal(calls, 1);
      assert.ok(Buffer.from(fast.data).equals(Buffer.from(resizeRgba(img, w, h, undefined, false).data)), `${img.width}×${img.height} → ${w}×${h}`);
      assert.ok(resizeKernel!.bytes <= 32 * 1024 * 1024, `${resizeKernel!.bytes} bytes kept`);
    }
  });

  it('the shipped photos at the sizes the presets resize to, whole and over a 224 × 224 crop', async () => {
    const dir = path.dirname(fixturePath('images/pelican.jpeg'));
    for (const f of fs.readdirSync(dir)) {
      const img = await decodeImage(path.join(dir, f));
      const bitmap = { width: img.width, height: img.height, data: img.rgba };
      for (const short of [224, 256, 299]) {
        const s = Math.min(img.width, img.height);
        const w = Math.floor((short * img.width) / s),
          h = Math.floor((short * img.height) / s);
        if (w >= img.width || h >= img.height) continue;
        for (const region of [undefined, { left: (w - 224) >> 1, top: (h - 224) >> 1, width: 224, height: 224 }]) {
          const [fast, calls] = counted(() => resizeRgba(bitmap, w, h, region));
          assert.equal(calls, 1, `${f} → ${w}×${h} shrinks both ways: WebAssembly`);
          assert.ok(Buffer.from(fast.data).equals(Buffer.from(resizeRgba(bitmap, w, h, region, false).data)), `${f} → ${w}×${h} ${region ? 'crop' : 'whole'}`);
        }
      }
    }
  });
});
