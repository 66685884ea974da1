// onnxruntime's own error messages as the user sees them: the C++ source paths and signatures its core adds go,
// the sentence that says what is wrong stays. The messages are onnxruntime's, from the fuzz corpus's broken
// models loaded and a good model run on a wrong input.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortMessage } from '../../src/runtime/session';
import { writeCorpus } from '../fuzz/corpus';

const cppNoise = /\.(cc|cpp|h):\d+|onnxruntime::|std::|\(const |Load model from/;

async function loadError(file: string): Promise<unknown> {
  try {
    await ort.InferenceSession.create(file);
  } catch (e) {
    return e;
  }
  return assert.fail(`${file} loaded`);
}

describe("onnxruntime's messages", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnnf-ort-'));
    writeCorpus(dir, 0);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: [string, RegExp][] = [
    ['empty.onnx', /^ModelProto does not have a graph\.$/],
    ['opset-99.onnx', /^ONNX Runtime only \*guarantees\* support for models stamped with official released onnx opset versions/],
    ['external-short.onnx', /^Deserialize tensor fc failed\. External initializer: fc offset: 0 size to read: 160 given file_length: 16/],
    ['missing-initializer.onnx', /^Invalid model\. Node input 'fc' is not a graph input/],
  ];
  for (const [name, expected] of cases) {
    it(`${name}: the sentence, without C++ source paths or signatures`, async () => {
      const e = await loadError(path.join(dir, 'models', name));
      const raw = (e as Error).message;
      const shown = ortMessage(e);
      assert.match(shown, expected, `from: ${raw}`);
      assert.doesNotMatch(shown, cppNoise, `from: ${raw}`);
    });
  }

  it('a run on a wrong input: the node and the reason stay, the source path goes', async () => {
    const session = await ort.InferenceSession.create(path.join(dir, 'good.onnx'));
    const input = session.inputNames[0];
    let raw = '';
    try {
      await session.run({ [input]: new ort.Tensor('float32', new Float32Array(2 * 5 * 7), [1, 2, 5, 7]) });
    } catch (e) {
      raw = (e as Error).message;
      const shown = ortMessage(e);
      assert.match(shown, /node|Got|dimension|Invalid/i, `from: ${raw}`);
      assert.doesNotMatch(shown, cppNoise, `from: ${raw}`);
    }
    assert.ok(raw, 'the run failed');
    await session.release();
  });
});
