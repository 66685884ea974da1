// The one overlay compositor (src/shared/overlay.ts) on small pictures whose pixels can be counted by hand:
// the heat blend, the points (plain, and weighted by mass), the box, and the exported picture's scale.
import { strict as assert } from 'node:assert';
import { inferno } from '../../src/shared/colormap';
import { drawOverlay, overlayPicture, sampleHeat, type OverlayOptions, type OverlayPoint, type Picture } from '../../src/shared/overlay';

const POINT = [0, 229, 255];
const RIM = [0, 0, 0];
const BOX = [57, 255, 20];
const GREY = 100;
const all: OverlayOptions = { heat: true, points: true, box: true, opacity: 0.6 };

function grey(width: number, height: number): Picture & { rgba: Uint8Array } {
  return { width, height, rgba: new Uint8Array(width * height * 4).fill(GREY) };
}
const px = (p: Picture, x: number, y: number) => [...p.rgba.subarray((y * p.width + x) * 4, (y * p.width + x) * 4 + 3)];
function count(p: Picture, rgb: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < p.rgba.length; i += 4) if (p.rgba[i] === rgb[0] && p.rgba[i + 1] === rgb[1] && p.rgba[i + 2] === rgb[2]) n++;
  return n;
}
function points(pts: readonly OverlayPoint[]): Picture {
  const pic = grey(20, 20);
  drawOverlay(pic, 1, { heat: undefined, points: pts, box: null }, all);
  return pic;
}

describe('overlay compositor', () => {
  it('draws a point as a cyan disc of radius 1 with a dark rim, once per pixel however many points sit on it', () => {
    const one = points([[10, 10]]);
    assert.equal(count(one, POINT), 5, 'd² ≤ 1: the centre and its four neighbours');
    assert.equal(count(one, RIM), 8, '1 < d² ≤ 4');
    assert.deepEqual(px(one, 10, 10), POINT);
    assert.deepEqual(px(one, 12, 10), RIM);
    assert.deepEqual(px(one, 13, 10), [GREY, GREY, GREY]);
    assert.deepEqual(
      points([
        [10, 10],
        [10, 10],
        [10, 10],
      ]).rgba,
      one.rgba,
      'multiplicity does not change the picture',
    );
  });

  it('equal weights draw the picture of no weights; different ones scale radius and opacity by weight / max weight', () => {
    const plain = points([
      [4, 4],
      [14, 14],
    ]);
    assert.deepEqual(
      points([
        [4, 4, 3],
        [14, 14, 3],
      ]).rgba,
      plain.rgba,
    );
    const weighted = points([
      [4, 4, 1],
      [14, 14, 4],
    ]);
    // the heaviest: radius 1.4 (d² ≤ 1.96) and its rim out to 2.4, opaque
    for (const [dx, dy] of [
      [0, 0],
      [1, 0],
      [0, -1],
    ])
      assert.deepEqual(px(weighted, 14 + dx, 14 + dy), POINT);
    for (const [dx, dy] of [
      [1, 1],
      [2, 0],
      [-2, 1],
    ])
      assert.deepEqual(px(weighted, 14 + dx, 14 + dy), RIM);
    // the lightest (weight 1 of 4): radius 0.69, so one pixel, at opacity 0.35 + 0.65 · 0.25 over the grey
    const a = 0.35 + 0.65 * 0.25;
    assert.deepEqual(
      px(weighted, 4, 4),
      POINT.map((c) => Math.round(GREY * (1 - a) + c * a)),
    );
    assert.deepEqual(
      px(weighted, 5, 4),
      RIM.map((c) => Math.round(GREY * (1 - a) + c * a)),
      'its rim, at the same opacity',
    );
    // weight 0 is still a fixation: the smallest disc at the lowest opacity, 0.35
    const zero = points([
      [4, 4, 0],
      [14, 14, 2],
    ]);
    assert.deepEqual(
      px(zero, 4, 4),
      POINT.map((c) => Math.round(GREY * 0.65 + c * 0.35)),
    );
  });

  it('blends the heat in inferno, its opacity growing with the heat, and frames the box just outside its pixels', () => {
    const pic = grey(4, 1);
    drawOverlay(pic, 1, { heat: Float32Array.from([0, 0.002, 0.5, 1]), points: [], box: null }, { ...all, opacity: 0.5 });
    assert.deepEqual(px(pic, 0, 0), [GREY, GREY, GREY], 'no heat, no colour');
    assert.deepEqual(px(pic, 1, 0), [GREY, GREY, GREY], 'below the visible threshold');
    const c = 128 * 3; // inferno at 0.5 (round(0.5 · 255) = 128), blended at 0.5 · min(1, 0.75)
    assert.deepEqual(
      px(pic, 2, 0),
      [0, 1, 2].map((i) => Math.round(GREY * 0.625 + inferno[c + i] * 0.375)),
    );
    assert.deepEqual(
      px(pic, 3, 0),
      [0, 1, 2].map((i) => Math.round(GREY * 0.5 + inferno[765 + i] * 0.5)),
    );

    const boxed = grey(20, 20);
    drawOverlay(boxed, 1, { heat: undefined, points: [], box: [5, 5, 9, 9] }, all);
    assert.deepEqual(px(boxed, 7, 7), [GREY, GREY, GREY], 'inside stays');
    assert.deepEqual(px(boxed, 5, 5), BOX);
    assert.deepEqual(px(boxed, 4, 4), BOX, 'two pixels thick, outward');
    assert.deepEqual(px(boxed, 3, 3), [GREY, GREY, GREY]);
    assert.equal(count(boxed, BOX), 7 * 7 - 3 * 3);
  });

  it('enlarges a small image for export with whole pixels, and reads the heat grid bilinearly at that scale', () => {
    const img = grey(28, 28);
    const pic = overlayPicture(img, undefined, [[0, 0]], null);
    assert.deepEqual([pic.width, pic.height], [336, 336], '28 px → 12× (so the short side reaches 320)');
    assert.deepEqual(px(pic, 6, 6), POINT, 'the point at the centre of its 12×12 block');
    const heat = sampleHeat({ gridWidth: 2, gridHeight: 1, step: 4, data: Float32Array.from([0, 1]) }, 5, 1, 1);
    assert.deepEqual([...heat], [0, 0.25, 0.5, 0.75, 1]);
  });

  it('draws on a transparent picture a layer that, laid over the image, is the overlay drawn on the image', () => {
    const heat = Float32Array.from({ length: 400 }, (_, i) => (i % 20) / 19);
    const layers = {
      heat,
      points: [
        [10, 10, 1],
        [4, 12, 0.3],
      ] as OverlayPoint[],
      box: [3, 3, 15, 15] as const,
    };
    const direct = grey(20, 20);
    drawOverlay(direct, 1, layers, all);
    const layer = { width: 20, height: 20, rgba: new Uint8Array(20 * 20 * 4), layer: true };
    drawOverlay(layer, 1, layers, all);
    let worst = 0,
      covered = 0;
    for (let i = 0; i < layer.rgba.length; i += 4) {
      const a = layer.rgba[i + 3] / 255;
      if (a > 0) covered++;
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(layer.rgba[i + k] * a + GREY * (1 - a) - direct.rgba[i + k]));
    }
    assert.ok(covered > 200, `the layer covers what the overlay changes (${covered} pixels)`);
    assert.ok(worst <= 1.5, `source-over of the layer is the direct drawing within rounding (off by ${worst.toFixed(2)})`);
  });
});
