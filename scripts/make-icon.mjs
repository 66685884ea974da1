// Draws media/icon.png (128×128, the extension's icon and the panel's tab icon): a heat map in the
// project's inferno colormap with fixation points and a box, as the panel draws them. Run once by hand:
//   node scripts/make-icon.mjs
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Jimp } from 'jimp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The colormap's table, read from its one definition in the core.
const hex = [...readFileSync(path.join(ROOT, 'src/heatmap/colormap.ts'), 'utf8').matchAll(/'([0-9a-f]{96})'/g)].map((m) => m[1]).join('');
const lut = Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
const N = 128,
  R = 22; // size, corner radius
const blobs = [
  [56, 66, 26, 1],
  [84, 44, 16, 0.7],
  [40, 40, 12, 0.45],
];
const points = [
  [50, 60],
  [58, 72],
  [62, 58],
  [46, 70],
  [80, 44],
  [88, 48],
  [84, 38],
  [38, 42],
  [66, 80],
  [54, 50],
];
const box = [30, 28, 96, 90];
const img = new Jimp({ width: N, height: N });
const d = img.bitmap.data;
const put = (x, y, [r, g, b], a = 255) => {
  const i = (y * N + x) * 4;
  d[i] = r;
  d[i + 1] = g;
  d[i + 2] = b;
  d[i + 3] = a;
};
for (let y = 0; y < N; y++) {
  for (let x = 0; x < N; x++) {
    // rounded square mask
    const cx = Math.max(R - x, 0, x - (N - 1 - R)),
      cy = Math.max(R - y, 0, y - (N - 1 - R));
    if (cx * cx + cy * cy > R * R) {
      put(x, y, [0, 0, 0], 0);
      continue;
    }
    let v = 0;
    for (const [bx, by, s, w] of blobs) v += w * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * s * s));
    v = Math.min(1, v * 0.95);
    const k = Math.round(v * 255) * 3;
    put(x, y, [lut[k], lut[k + 1], lut[k + 2]]);
  }
}
const green = [57, 255, 20];
for (let t = 0; t < 3; t++) {
  for (let x = box[0] - t; x <= box[2] + t; x++) {
    put(x, box[1] - t, green);
    put(x, box[3] + t, green);
  }
  for (let y = box[1] - t; y <= box[3] + t; y++) {
    put(box[0] - t, y, green);
    put(box[2] + t, y, green);
  }
}
for (const [px, py] of points) {
  for (let dy = -4; dy <= 4; dy++)
    for (let dx = -4; dx <= 4; dx++) {
      const r2 = dx * dx + dy * dy;
      if (r2 <= 6) put(px + dx, py + dy, [0, 229, 255]);
      else if (r2 <= 13) put(px + dx, py + dy, [0, 0, 0]);
    }
}
await img.write(path.join(ROOT, 'media', 'icon.png'));
console.log('wrote media/icon.png');
