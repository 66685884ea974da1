// The direct reader of plain PNGs (src/preprocess/png.ts) against jimp's, the decoder it stands in for: the same
// RGBA bytes for every plain PNG of the repository (the sweep demo's 300 canvases, the format and orientation
// fixtures) and for files jimp itself writes with each row filter and colour type; the kinds it leaves to jimp,
// and broken files, give undefined (decode.ts then asks jimp, which reads them or says what is wrong).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Jimp } from 'jimp';
import { decodePlainPng } from '../../src/preprocess/png';
import { decodeImage } from '../../src/preprocess/image';
import { repo } from '../helpers/tmp';

const pngsUnder = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? pngsUnder(path.join(dir, e.name)) : e.name.endsWith('.png') ? [path.join(dir, e.name)] : []));

async function sameAsJimp(bytes: Buffer, what: string): Promise<void> {
  const mine = decodePlainPng(bytes);
  assert.ok(mine, `${what} is read directly`);
  const theirs = (await Jimp.fromBuffer(bytes)).bitmap;
  assert.deepEqual([mine.width, mine.height], [theirs.width, theirs.height], what);
  assert.ok(Buffer.from(mine.data).equals(theirs.data), `${what}: the same RGBA bytes as jimp's`);
}

/** A PNG chunk's CRC made right again after its bytes were changed (so only the change itself is wrong). */
function fixCrc(b: Buffer, at: number): void {
  const length = b.readUInt32BE(at);
  let c = 0xffffffff;
  for (let i = at + 4; i < at + 8 + length; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  b.writeUInt32BE((c ^ 0xffffffff) >>> 0, at + 8 + length);
}

describe('plain PNGs read directly, as jimp reads them', function () {
  this.timeout(60_000);

  it("the sweep demo's 300 grey canvases and the plain fixtures: byte for byte jimp's pixels", async () => {
    const demo = pngsUnder(path.join(repo, 'eval', 'fmnist-sweep', 'images'));
    assert.equal(demo.length, 300);
    const fixtures = pngsUnder(path.join(repo, 'test-fixtures')).filter((f) => /squares|grey-alpha|one-pixel|upright/.test(f));
    assert.ok(fixtures.length >= 4, fixtures.join(', '));
    for (const f of [...demo, ...fixtures]) await sameAsJimp(fs.readFileSync(f), path.relative(repo, f));
  });

  it('every row filter and colour type jimp writes (grey, grey + alpha, RGB, RGBA; filters none, sub, up, average, Paeth)', async () => {
    const img = new Jimp({ width: 37, height: 23 });
    const d = img.bitmap.data;
    for (let i = 0; i < d.length; i++) d[i] = (i * 73 + ((i >> 5) * 31) ** 2) & 0xff; // rough enough for every filter to matter
    for (const colorType of [0, 4, 2, 6])
      for (const filterType of [0, 1, 2, 3, 4]) {
        const bytes = await img.getBuffer('image/png', { colorType, filterType });
        await sameAsJimp(bytes, `colour type ${colorType}, filter ${filterType}`);
      }
  });

  it('leaves to jimp what it does not read: palette, 16 bits, EXIF orientation, interlaced', async () => {
    for (const f of ['formats/palette.png', 'formats/grey16.png', 'orientation/png-exif6.png'])
      assert.equal(decodePlainPng(fs.readFileSync(path.join(repo, 'test-fixtures', f))), undefined, f);
    const interlaced = Buffer.from(fs.readFileSync(path.join(repo, 'test-fixtures', 'formats', 'squares.png')));
    interlaced[8 + 8 + 12] = 1; // IHDR's interlace byte
    fixCrc(interlaced, 8);
    assert.equal(decodePlainPng(interlaced), undefined);
  });

  it('broken files give undefined, and decodeImage still says what is wrong (through jimp)', async () => {
    const good = fs.readFileSync(pngsUnder(path.join(repo, 'eval', 'fmnist-sweep', 'images'))[0]);
    const idat = good.indexOf('IDAT') - 4;
    const flipped = Buffer.from(good);
    flipped[idat + 8 + 10] ^= 0xff; // a byte of the compressed data: the chunk's CRC no longer matches
    assert.equal(decodePlainPng(flipped), undefined);
    fixCrc(flipped, idat); // the CRC right again: now the compressed data itself is wrong
    assert.equal(decodePlainPng(flipped), undefined);
    const truncated = good.subarray(0, good.length - 20);
    assert.equal(decodePlainPng(truncated), undefined);
    await assert.rejects(decodeImage(truncated, 'cut.png'), /cannot read image cut\.png: its PNG data is truncated or corrupt/);
    assert.equal(decodePlainPng(Buffer.from('not a png at all, not even close to one')), undefined);
  });
});
