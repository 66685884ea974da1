// ONNX parsing: topological order from a shuffled file, Constant nodes, typed fields and raw bytes,
// attribute defaults, external data (weights in a file beside the model, run by onnxruntime too).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseModel } from '../../src/onnx/graph';
import * as ort from 'onnxruntime-node';
import { loadModelFile, sessionBytes } from '../../src/onnx/load';
import { openModel, runForward } from '../../src/runtime/session';
import { fixturePath } from '../../src/fixtures';
import { buildModel, tensorObject } from '../helpers/onnx-build';
import { tmpFile } from '../helpers/tmp';
import * as protobuf from 'protobufjs/light';
import descriptor from '../../src/onnx/onnx-schema.json';

describe('ONNX parsing', () => {
  it('orders nodes topologically whatever the file order, and names unnamed nodes', () => {
    const bytes = buildModel({
      nodes: [
        { op: 'Relu', inputs: ['b'], outputs: ['y'], name: '' },
        { op: 'Sigmoid', inputs: ['a'], outputs: ['b'], name: 'sig' },
        { op: 'Identity', inputs: ['x'], outputs: ['a'], name: 'id' },
      ],
      inputs: [{ name: 'x', dims: [1, 3] }],
      outputs: [{ name: 'y', dims: [1, 3] }],
    });
    const g = parseModel(bytes);
    assert.deepEqual(
      g.nodes.map((n) => n.opType),
      ['Identity', 'Sigmoid', 'Relu'],
    );
    assert.equal(g.nodes[2].name, 'Relu_0');
    assert.equal(g.producer.get('b')!.name, 'sig');
    assert.deepEqual(
      g.consumers.get('a')!.map((n) => n.name),
      ['sig'],
    );
  });

  it('reads Constant nodes, typed fields and raw bytes alike', () => {
    const bytes = buildModel({
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value: { tensor: { dims: [2], values: [1.5, -2], typed: true } } } },
        { op: 'Constant', inputs: [], outputs: ['s'], attrs: { value_ints: [3, 4] } },
        { op: 'Mul', inputs: ['x', 'k'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', dims: [1, 2] }],
      outputs: [{ name: 'y', dims: [1, 2] }],
      initializers: [
        { name: 'raw', dims: [3], type: 7, values: [7, -1, 9] },
        { name: 'typed', dims: [2], type: 7, values: [5, 6], typed: true },
      ],
    });
    const g = parseModel(bytes);
    assert.deepEqual(Array.from(g.constants.get('k')!.data), [1.5, -2]);
    assert.deepEqual(Array.from(g.constants.get('s')!.data), [3, 4]);
    assert.deepEqual(Array.from(g.constants.get('raw')!.data), [7, -1, 9]);
    assert.deepEqual(Array.from(g.constants.get('typed')!.data), [5, 6]);
  });

  it('decodes every typed field into its own array type, converting float16 and bfloat16 as the raw bytes are', () => {
    // int32_data holds int8, uint8, int16, uint16, bool, float16 and bfloat16 values widened to 32 bits.
    const cases: { type: number; values: number[]; ctor: string; expected: number[] }[] = [
      { type: 1, values: [1.5, -0.25, 3e38], ctor: 'Float32Array', expected: [1.5, -0.25, Math.fround(3e38)] },
      { type: 2, values: [0, 255, 7], ctor: 'Uint8Array', expected: [0, 255, 7] },
      { type: 3, values: [-128, 127, -1], ctor: 'Int8Array', expected: [-128, 127, -1] },
      { type: 4, values: [65535, 1], ctor: 'Uint16Array', expected: [65535, 1] },
      { type: 5, values: [-32768, 300], ctor: 'Int16Array', expected: [-32768, 300] },
      { type: 6, values: [-2147483648, 2147483647], ctor: 'Int32Array', expected: [-2147483648, 2147483647] },
      { type: 7, values: [-5, 2 ** 40], ctor: 'Float64Array', expected: [-5, 2 ** 40] },
      { type: 9, values: [1, 0, 1], ctor: 'Uint8Array', expected: [1, 0, 1] },
      // float16: 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504; bfloat16: the upper half of a float32
      { type: 10, values: [0x3c00, 0xc000, 0x7bff], ctor: 'Float32Array', expected: [1, -2, 65504] },
      { type: 16, values: [0x3f80, 0xc0a0], ctor: 'Float32Array', expected: [1, -5] },
    ];
    const bytes = buildModel({
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', dims: [1] }],
      outputs: [{ name: 'y', dims: [1] }],
      initializers: cases.map((c) => ({ name: `t${c.type}`, dims: [c.values.length], type: c.type, values: c.values, typed: true })),
    });
    const g = parseModel(bytes);
    for (const c of cases) {
      const data = g.constants.get(`t${c.type}`)!.data;
      assert.equal(data.constructor.name, c.ctor, `type ${c.type}`);
      assert.deepEqual(Array.from(data), c.expected, `type ${c.type}`);
    }
  });

  it('reads the structure, not the weights: large weights are read from the file when used, aligned, exact', async () => {
    const file = fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx');
    const full = parseModel(fs.readFileSync(file)); // the whole file decoded the ordinary way
    const open = await openModel(file);
    const skeleton = sessionBytes(open.model);
    assert.ok(skeleton.length < open.model.fileSize / 50, `onnxruntime gets a ${skeleton.length}-byte skeleton of a ${open.model.fileSize}-byte file`);
    let external = 0;
    for (const [name, c] of open.model.graph.constants) {
      const want = full.constants.get(name)!;
      if (c.external) external++;
      assert.deepEqual(c.dims, want.dims, name);
      assert.deepEqual(c.data, want.data, `${name} has the file's values`);
      if (c.external && c.data.BYTES_PER_ELEMENT > 1) assert.equal(c.data.byteOffset % c.data.BYTES_PER_ELEMENT, 0, `${name} is aligned`);
    }
    assert.ok(external >= 40, `${external} weights read on demand`);
    // the session built from the skeleton computes what onnxruntime computes from the file itself
    const x = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i));
    const ours = (await runForward(open, { name: 'input', dims: [1, 3, 224, 224], data: x })).outputs.get('output')!.data;
    const plain = await ort.InferenceSession.create(file);
    const theirs = (await plain.run({ input: new ort.Tensor('float32', x, [1, 3, 224, 224]) })).output.data as Float32Array;
    for (let i = 0; i < 1000; i++) assert.ok(Math.abs(ours[i] - theirs[i]) < 1e-4, `logit ${i}`);
    await plain.release();
  });

  it("reads a large float weight's rows as asked, into the array the whole read returns; refuses a file changed since", () => {
    const file = tmpFile('rows-model.onnx', fs.readFileSync(fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx')));
    const full = parseModel(fs.readFileSync(file));
    const model = loadModelFile(file);
    const [name, c] = [...model.graph.constants].find(([, t]) => t.external && t.dims.length === 4 && t.dims[0] >= 8)!;
    const want = full.constants.get(name)!.data;
    const row = c.size / c.dims[0];
    const rows = c.rows();
    assert.equal(c.rowsRead, 0, 'nothing read before it is asked');
    rows.ensure([5, 0, 5]);
    assert.equal(c.rowsRead, 2);
    for (const r of [0, 5]) assert.deepEqual(rows.data.subarray(r * row, (r + 1) * row), want.subarray(r * row, (r + 1) * row), `row ${r}`);
    assert.ok(
      rows.data.subarray(row, 5 * row).every((v) => v === 0),
      'rows not asked for are not read',
    );
    const whole = c.data;
    assert.equal(whole, rows.data, 'the whole read fills the same array');
    assert.deepEqual(whole, want);
    assert.equal(c.rowsRead, c.dims[0]);
    // The file rewritten (another export saved over it) after the model was opened: a later read is refused.
    const other = loadModelFile(file).graph.constants.get(name)!;
    other.rows().ensure([1]);
    fs.appendFileSync(file, Buffer.from([0]));
    assert.throws(() => other.rows().ensure([2]), /changed on disk since it was opened; open it again/);
    assert.throws(() => other.data, /changed on disk since it was opened/);
  });

  it('opens a model through a symbolic link (another name, another folder), its weights read from the real file', async () => {
    // onnxruntime refuses weights whose resolved path leaves the folder it is given, so the skeleton and the
    // weight folder point at the file the link resolves to; messages and outputs keep the name the user gave.
    const real = fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx');
    const link = tmpFile('links/my-model.onnx');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(real, link);
    const open = await openModel(link);
    assert.equal(open.model.path, link);
    assert.equal(open.model.realPath, fs.realpathSync(real));
    const x = new Float32Array(3 * 224 * 224).map((_, i) => Math.cos(i));
    const viaLink = (await runForward(open, { name: 'input', dims: [1, 3, 224, 224], data: x })).outputs.get('output')!.data;
    const direct = await openModel(real);
    const plain = (await runForward(direct, { name: 'input', dims: [1, 3, 224, 224], data: x })).outputs.get('output')!.data;
    assert.deepEqual(Array.from(viaLink), Array.from(plain));
    await Promise.all([open.session.release(), direct.session.release()]);
  });

  it('a truncated file is reported as such', () => {
    const bytes = fs.readFileSync(fixturePath('models/mnist-8.onnx'));
    const cut = tmpFile('cut.onnx', bytes.subarray(0, 20000));
    assert.throws(() => loadModelFile(cut), /not a usable ONNX model: .*(ends|runs past).*truncated or corrupt/);
  });

  it('rejects bytes that are not a model with a clear reason', () => {
    assert.throws(() => parseModel(new TextEncoder().encode('hello, not a model')), /cannot be decoded|no ONNX graph/);
  });

  it('loads a model whose weights live in an external file, and onnxruntime runs it', async () => {
    // A 1×1 conv whose weight tensor sits in weights.bin beside the model.
    const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
    const ModelProto = root.lookupType('onnx.ModelProto');
    const w = Float32Array.from([0.5, -1, 2, 0.25, 1, 1]);
    const dir = path.dirname(tmpFile('ext/x'));
    fs.mkdirSync(dir, { recursive: true });
    const pad = Buffer.alloc(16); // data at an offset, as onnx.save_model lays it out
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat([pad, Buffer.from(w.buffer)]));
    const msg = ModelProto.fromObject({
      ir_version: 8,
      opset_import: [{ domain: '', version: 13 }],
      graph: {
        name: 'ext',
        node: [{ op_type: 'Conv', name: 'conv', input: ['x', 'w'], output: ['y'], attribute: [] }],
        initializer: [
          {
            ...tensorObject({ name: 'w', dims: [2, 3, 1, 1], values: [] }),
            raw_data: undefined,
            data_location: 1,
            external_data: [
              { key: 'location', value: 'weights.bin' },
              { key: 'offset', value: '16' },
              { key: 'length', value: String(w.byteLength) },
            ],
          },
        ],
        input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: [1, 3, 2, 2].map((d) => ({ dim_value: d })) } } } }],
        output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape: { dim: [1, 2, 2, 2].map((d) => ({ dim_value: d })) } } } }],
      },
    });
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, ModelProto.encode(msg).finish());
    const open = await openModel(file);
    assert.equal(open.model.usesExternalData, true);
    assert.deepEqual(Array.from(open.model.graph.constants.get('w')!.data), Array.from(w));
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    const out = (await runForward(open, { name: 'x', dims: [1, 3, 2, 2], data: x })).outputs.get('y')!;
    // y[c, p] = Σ_ci w[c, ci] x[ci, p]
    for (let c = 0; c < 2; c++)
      for (let p = 0; p < 4; p++) {
        const want = w[c * 3] * x[p] + w[c * 3 + 1] * x[4 + p] + w[c * 3 + 2] * x[8 + p];
        assert.ok(Math.abs(out.data[c * 4 + p] - want) < 1e-5);
      }
    // through a link in another folder, the weights file is found beside the real model
    const linkDir = path.dirname(tmpFile('ext-link/x'));
    fs.mkdirSync(linkDir, { recursive: true });
    fs.symlinkSync(file, path.join(linkDir, 'linked.onnx'));
    const viaLink = await openModel(path.join(linkDir, 'linked.onnx'));
    const outLink = (await runForward(viaLink, { name: 'x', dims: [1, 3, 2, 2], data: x })).outputs.get('y')!;
    assert.deepEqual(Array.from(outLink.data), Array.from(out.data));
    await Promise.all([open.session.release(), viaLink.session.release()]);
    // a missing external file is a clear error
    fs.rmSync(path.join(dir, 'weights.bin'));
    const again = loadModelFile(file);
    assert.throws(() => again.graph.constants.get('w')!.data, /stored in 'weights\.bin', which is missing beside the model/);
  });
});
