// The fuzz corpus: hostile models, images and labels written into a folder, each with what it tests. Hand-made
// cases (truncated, empty, bit-flipped and cyclic models, missing initializers, huge or negative dims, opset 99,
// several or no image inputs, NaN/Inf weights, external data outside the folder / missing / short, HTML in labels
// and metadata; empty, text, truncated, oddly encoded, animated, 1×1, EXIF-turned images and decompression
// bombs), then a seeded mutation run over a good model and good images. test/fuzz/fuzz.test.ts runs them all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs/light';
import descriptor from '../../src/onnx/onnx-schema.json';
import { fixturePath } from '../../src/fixtures';
import { rng, tinyClassifier, zeroPng } from '../helpers/onnx-build';
import { repo } from '../helpers/tmp';

export interface FuzzCase {
  readonly name: string;
  readonly model: string;
  readonly image: string;
  readonly labels?: string;
  /** ok: must explain; error: must fail clearly; either: a clear failure or a correct result. */
  readonly expect: 'ok' | 'error' | 'either';
}

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ModelProto = root.lookupType('onnx.ModelProto');
type Proto = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `bytes` decoded, changed by `edit`, encoded again. */
function edited(bytes: Uint8Array, edit: (m: Proto) => void): Uint8Array {
  const m = ModelProto.toObject(ModelProto.decode(bytes), { defaults: false }) as Proto;
  edit(m);
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

export const HOSTILE = '<script>alert("fx")</script><img src=x onerror=alert(1)>';

export function writeCorpus(dir: string, mutations: number, seed = 20261130): FuzzCase[] {
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string, data: Uint8Array | string) => {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, data);
    return f;
  };
  const good = tinyClassifier();
  const goodModel = file('good.onnx', good);
  const photo = fixturePath('images/pelican.jpeg');
  const formats = path.join(repo, 'test-fixtures', 'formats');
  const turned = path.join(repo, 'test-fixtures', 'orientation');
  const goodImage = file('good.png', fs.readFileSync(path.join(formats, 'squares.png')));
  const cases: FuzzCase[] = [];
  const model = (name: string, bytes: Uint8Array, expect: FuzzCase['expect'] = 'error') =>
    cases.push({ name, model: file(`models/${name}.onnx`, bytes), image: goodImage, expect });
  const image = (name: string, bytes: Uint8Array | string, expect: FuzzCase['expect'] = 'error') =>
    cases.push({ name, model: goodModel, image: file(`images/${name}`, bytes), expect });

  cases.push({ name: 'good', model: goodModel, image: photo, expect: 'ok' });
  model('empty', new Uint8Array());
  model('truncated', good.subarray(0, good.length >> 1));
  const flipped = Uint8Array.from(good);
  for (let i = 0; i < flipped.length; i += 37) flipped[i] ^= 0xff;
  model('bit-flipped', flipped, 'either');
  model(
    'cycle',
    edited(good, (m) => (m.graph.node[0].input[0] = 'y')),
  );
  model(
    'missing-initializer',
    edited(good, (m) => (m.graph.initializer = m.graph.initializer.filter((t: Proto) => t.name !== 'fc'))),
  );
  model('huge-dims', tinyClassifier([1, 3, 100000, 100000]));
  model(
    'negative-dims',
    edited(good, (m) => (m.graph.input[0].type.tensor_type.shape.dim[2] = { dim_value: -5 })),
    'either',
  );
  model(
    'opset-99',
    edited(good, (m) => (m.opset_import[0].version = 99)),
  );
  model(
    'two-image-inputs',
    edited(good, (m) => m.graph.input.push({ ...m.graph.input[0], name: 'x2' })),
  );
  model(
    'no-image-input',
    edited(good, (m) => (m.graph.input[0].type.tensor_type.shape.dim = [{ dim_value: 1 }, { dim_value: 10 }])),
  );
  const w = Float32Array.from({ length: 108 }, (_, i) => (i % 7) / 7 - 0.5);
  model(
    'nan-weights',
    tinyClassifier(
      undefined,
      Float32Array.from(w, (v, i) => (i === 4 ? NaN : v)),
    ),
  );
  model(
    'inf-weights',
    tinyClassifier(
      undefined,
      Float32Array.from(w, (v, i) => (i === 4 ? Infinity : v)),
    ),
  );
  const external = (location: string, length: number) =>
    edited(good, (m) => {
      const fc = m.graph.initializer.find((t: Proto) => t.name === 'fc');
      delete fc.raw_data;
      fc.data_location = 1;
      fc.external_data = [
        { key: 'location', value: location },
        { key: 'offset', value: '0' },
        { key: 'length', value: String(length) },
      ];
    });
  file('outside.bin', new Uint8Array(160));
  model('external-outside-folder', external('../outside.bin', 160));
  model('external-absolute', external(path.join(dir, 'outside.bin'), 160));
  model('external-missing', external('nowhere.bin', 160));
  file('models/short.bin', new Uint8Array(16));
  model('external-short', external('short.bin', 160));
  model(
    'metadata-html',
    edited(
      good,
      (m) =>
        (m.metadata_props = [
          { key: 'cnn_fixations.preset', value: HOSTILE },
          { key: HOSTILE, value: HOSTILE },
        ]),
    ),
    'either',
  );
  cases.push({
    name: 'labels-html',
    model: goodModel,
    image: photo,
    labels: file('labels-html.txt', Array.from({ length: 10 }, (_, i) => `${HOSTILE} ${i}`).join('\n')),
    expect: 'ok',
  });

  const jpeg = fs.readFileSync(photo);
  image('empty.png', new Uint8Array());
  image('text.jpg', 'this is not an image\n');
  image('truncated.jpeg', jpeg.subarray(0, jpeg.length >> 2), 'either');
  image('truncated.webp', fs.readFileSync(path.join(formats, 'pelican.webp')).subarray(0, 2000));
  for (const f of ['cmyk.jpg', 'grey16.png', 'palette.png', 'animated.gif', 'one-pixel.png', 'grey-alpha.png', 'pelican.avif', 'squares-exif6.jpg']) {
    image(f, fs.readFileSync(path.join(formats, f)), 'ok');
  }
  for (const f of ['png-exif5.png', 'webp-exif6.webp', 'avif-irot1-imir0.avif']) image(f, fs.readFileSync(path.join(turned, f)), 'ok');
  image('bomb.png', zeroPng(12000, 12000));
  const gif = Buffer.from(fs.readFileSync(path.join(formats, 'animated.gif')));
  gif.writeUInt16LE(65535, 6); // logical screen 65535×65535
  gif.writeUInt16LE(65535, 8);
  image('bomb.gif', gif);

  // the seeded mutation run: bytes flipped, runs overwritten, spans cut or repeated, in the model or the image
  const r = rng(seed);
  const sources: [string, Uint8Array][] = [
    ['onnx', good],
    ['png', fs.readFileSync(goodImage)],
    ['jpg', fs.readFileSync(path.join(formats, 'squares-exif6.jpg'))],
    ['webp', fs.readFileSync(path.join(formats, 'pelican.webp'))],
    ['png', fs.readFileSync(path.join(turned, 'png-exif6.png'))],
    ['avif', fs.readFileSync(path.join(turned, 'avif-irot1-imir0.avif'))],
    ['gif', fs.readFileSync(path.join(formats, 'animated.gif'))],
  ];
  for (let n = 0; n < mutations; n++) {
    const [ext, src] = sources[Math.floor(r() * sources.length)];
    const b = mutate(src, r);
    const name = `mutant-${String(n).padStart(3, '0')}.${ext}`;
    if (ext === 'onnx') cases.push({ name, model: file(`mutants/${name}`, b), image: goodImage, expect: 'either' });
    else cases.push({ name, model: goodModel, image: file(`mutants/${name}`, b), expect: 'either' });
  }
  return cases;
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  let b = Uint8Array.from(src);
  const at = () => Math.floor(r() * b.length);
  for (let k = 1 + Math.floor(r() * 4); k > 0; k--) {
    const how = Math.floor(r() * 5);
    if (how === 0) for (let i = 0; i < 1 + r() * 8; i++) b[at()] ^= 1 << Math.floor(r() * 8);
    else if (how === 1) b.fill(Math.floor(r() * 256), at(), at() + 1 + Math.floor(r() * 16));
    else if (how === 2) b = b.subarray(0, at());
    else if (how === 3) {
      const i = at(),
        j = Math.min(b.length, i + Math.floor(r() * 64));
      b = Uint8Array.from([...b.subarray(0, j), ...b.subarray(i, j), ...b.subarray(j)]);
    } else {
      const i = at();
      b = Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + Math.floor(r() * 32))]);
    }
    if (!b.length) break;
  }
  return b;
}
