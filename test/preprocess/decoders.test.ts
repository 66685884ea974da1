// The WebAssembly decoders (src/preprocess/decode.ts) on real photos: the memory a big photo grew is given back once
// decoding goes idle (the instance let go and collectable), and a JPEG's EXIF orientation, turned outside mozjpeg,
// gives exactly the pixels mozjpeg's own turn gives (@jsquash/jpeg's preserveOrientation), also on the files where
// its reading of EXIF is particular.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { fixturePath } from '../../src/fixtures';
import { bigPhotoJpeg } from '../../src/fixtures/big-photo';
import { decoderMemory } from '../../src/preprocess/decode';
import { decodeImage } from '../../src/preprocess/image';
import { repo, tmpFile } from '../helpers/tmp';

const MB = 1024 * 1024;
const pelican = fixturePath('images/pelican.jpeg');

/** A marker segment: 0xFF, the marker, the length (its two bytes included), the body. */
function segment(marker: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** An APP1 Exif segment: a TIFF header in byte order `order`, IFD0 at `ifd` (8: right after the header) holding
 *  `entries` as [tag, type, value], the value a LONG (type 4) filling its field or else a SHORT in its first two bytes. */
function exif(entries: [tag: number, type: number, value: number][], order: 'MM' | 'II' = 'MM', ifd = 8): Buffer {
  const t = Buffer.alloc(8 + 2 + entries.length * 12 + 4);
  const le = order === 'II';
  const u16 = (at: number, v: number) => (le ? t.writeUInt16LE(v, at) : t.writeUInt16BE(v, at));
  const u32 = (at: number, v: number) => (le ? t.writeUInt32LE(v, at) : t.writeUInt32BE(v, at));
  t.write(order, 0, 'latin1');
  u16(2, 42);
  u32(4, ifd);
  u16(8, entries.length);
  entries.forEach(([tag, type, value], i) => {
    u16(10 + i * 12, tag);
    u16(12 + i * 12, type);
    u32(14 + i * 12, 1);
    if (type === 4) u32(18 + i * 12, value);
    else u16(18 + i * 12, value);
  });
  return segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t]));
}

const orientation = (o: number, order: 'MM' | 'II' = 'MM') => exif([[0x0112, 3, o]], order);

/** The JPEG with `inserted` right after SOI, or after its first segment (the pelican's JFIF APP0). */
function withSegments(jpeg: Buffer, inserted: Buffer[], afterFirst = false): Buffer {
  const at = afterFirst ? 4 + jpeg.readUInt16BE(4) : 2;
  return Buffer.concat([jpeg.subarray(0, at), ...inserted, jpeg.subarray(at)]);
}

const idle = () => new Promise((resolve) => setTimeout(resolve, 1300));

/** A full collection, for a test that an object is collectable (the flag is Node's own, set for this process). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('WebAssembly decoders: memory given back, JPEG orientation as mozjpeg turns it', function () {
  this.timeout(120_000);

  it('a 12-megapixel photo grows mozjpeg past 32 MB; a second after the last decode the instance is let go and its memory collected; an oriented one needs no more memory than upright; the pelican after them keeps 32 MB or less', async () => {
    const upright = await bigPhotoJpeg();
    const files = {
      upright: tmpFile('big-upright.jpg', upright),
      turned: tmpFile('big-exif6.jpg', withSegments(upright, [orientation(6)])),
    };
    /** Decodes `file`; the bytes of memory the decoder holds after it, and a weak reference to that memory. */
    const decode = async (file: string) => {
      const d = await decodeImage(file);
      const memory = await decoderMemory('jpeg');
      assert.ok(memory, 'a live instance after the decode');
      return { size: [d.width, d.height], bytes: memory.buffer.byteLength, gone: new WeakRef(memory) };
    };
    const grown: Record<string, number> = {};
    for (const [name, file] of Object.entries(files)) {
      const { size, bytes, gone } = await decode(file);
      assert.deepEqual(size, name === 'upright' ? [4000, 3000] : [3000, 4000]);
      grown[name] = bytes;
      assert.ok(bytes > 32 * MB, `${name}: ${bytes / MB} MB`);
      await idle();
      assert.equal(await decoderMemory('jpeg'), undefined, `${name}: the instance is let go once idle`);
      collectGarbage();
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      assert.equal(gone.deref(), undefined, `${name}: nothing else keeps the memory`);
    }
    // both on a fresh instance: the turn is no longer made in the decoder's heap (it took 151 MB against 55)
    assert.ok(grown.turned <= grown.upright + 4 * MB, `turned ${grown.turned / MB} MB, upright ${grown.upright / MB} MB`);
    await decodeImage(pelican);
    const small = (await decoderMemory('jpeg'))!.buffer.byteLength;
    assert.ok(small <= 32 * MB, `${small / MB} MB after the pelican`);
  });

  it("a JPEG's EXIF orientation gives exactly the pixels of mozjpeg's own turn (every orientation, both byte orders, and its particular readings)", async () => {
    const jsquash = (await import('@jsquash/jpeg/decode.js')) as unknown as {
      init(module: object): Promise<void>;
      default(bytes: Uint8Array, options: { preserveOrientation: boolean }): Promise<{ data: Uint8ClampedArray; width: number; height: number }>;
    };
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;
    await jsquash.init(new wasm.Module(fs.readFileSync(path.join(repo, 'node_modules', '@jsquash', 'jpeg', 'codec', 'dec', 'mozjpeg_dec.wasm'))));
    const jpeg = fs.readFileSync(pelican);
    const cut = exif([
      [0x010f, 2, 0],
      [0x0112, 3, 6],
    ]);
    const cases: [string, Buffer, boolean][] = [
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((o): [string, Buffer, boolean] => [`orientation ${o}`, withSegments(jpeg, [orientation(o)]), o >= 5]),
      ['orientation 6, little-endian', withSegments(jpeg, [orientation(6, 'II')]), true],
      ['orientation 8, little-endian', withSegments(jpeg, [orientation(8, 'II')]), true],
      ['after the JFIF segment', withSegments(jpeg, [orientation(7)], true), true],
      [
        'after another tag',
        withSegments(jpeg, [
          exif([
            [0x010f, 2, 0x4142],
            [0x0112, 3, 5],
          ]),
        ]),
        true,
      ],
      ['0, then a second Exif segment saying 7: the second decides', withSegments(jpeg, [orientation(0), orientation(7)]), true],
      ['3, then a second Exif segment saying 6: the first decides', withSegments(jpeg, [orientation(3), orientation(6)]), false],
      ['an XMP APP1 first', withSegments(jpeg, [segment(0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>', 'latin1')), orientation(8)]), true],
      ['9: no turn', withSegments(jpeg, [orientation(9)]), false],
      ['a LONG 6, big-endian: its first two bytes are 0, no turn', withSegments(jpeg, [exif([[0x0112, 4, 6]])]), false],
      ['an IFD past the segment: no turn', withSegments(jpeg, [exif([[0x0112, 3, 6]], 'MM', 400)]), false],
      // the segment ends inside the Orientation entry (its value and the next-IFD offset cut off)
      ['an entry cut by the segment end: no turn', withSegments(jpeg, [segment(0xe1, cut.subarray(4, cut.length - 8))]), false],
    ];
    for (const [name, bytes, swapped] of cases) {
      const ours = await decodeImage(tmpFile('exif-case.jpg', bytes));
      const theirs = await jsquash.default(bytes, { preserveOrientation: true });
      assert.deepEqual([ours.width, ours.height], [theirs.width, theirs.height], name);
      assert.deepEqual([ours.width, ours.height], swapped ? [375, 500] : [500, 375], `${name}: turned a quarter or not`);
      assert.ok(
        Buffer.from(ours.rgba.buffer, ours.rgba.byteOffset, ours.rgba.byteLength).equals(
          Buffer.from(theirs.data.buffer, theirs.data.byteOffset, theirs.data.byteLength),
        ),
        `${name}: the same pixels`,
      );
    }
  });
});
