// CAM: a hand-checkable 2×2 model run in onnxruntime (Gemm and MatMul heads), the identity that ties a
// CAM to its logit (mean of the map + bias = score), and clear refusals for models without a GAP head.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { camHead, explainWithMethod } from '../../src/baselines/index';
import { camMap } from '../../src/baselines/cam';
import { Explainer } from '../../src/explain';
import { heatAt } from '../../src/heatmap/density';
import { fixturePath } from '../../src/fixtures';
import { buildModel, buildTensorProto } from '../helpers/onnx-build';
import { repo, tmpFile } from '../helpers/tmp';

// Input 1×3×2×2: ch0 = [[1,0],[0,0]], ch1 = [[0,2],[0,0]], ch2 = [[0,0],[3,4]].
// W = [[1, 0.5, -1], [0, 1, 2]] (classes × channels), b = [0.1, -0.2].
// CAM_0 = 1·ch0 + 0.5·ch1 − ch2 = [[1, 1], [−3, −4]];  CAM_1 = ch1 + 2·ch2 = [[0, 2], [6, 8]].
// Scores: GAP = [0.25, 0.5, 1.75] → y0 = 0.25 + 0.25 − 1.75 + 0.1 = −1.15, y1 = 0.5 + 3.5 − 0.2 = 3.8.
const input = [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 4];
const W = [1, 0.5, -1, 0, 1, 2];
const b = [0.1, -0.2];

function tinyModel(head: 'gemm' | 'matmul'): string {
  const fc =
    head === 'gemm'
      ? [{ op: 'Gemm', inputs: ['f', 'W', 'b'], outputs: ['y'], attrs: { transB: 1 } }]
      : [
          { op: 'MatMul', inputs: ['f', 'Wt'], outputs: ['m'] },
          { op: 'Add', inputs: ['m', 'b'], outputs: ['y'] },
        ];
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 2, 2] }],
    outputs: [{ name: 'y', dims: [1, 2] }],
    nodes: [{ op: 'GlobalAveragePool', inputs: ['x'], outputs: ['g'] }, { op: 'Flatten', inputs: ['g'], outputs: ['f'] }, ...fc],
    initializers: [
      head === 'gemm' ? { name: 'W', dims: [2, 3], values: W } : { name: 'Wt', dims: [3, 2], values: [1, 0, 0.5, 1, -1, 2] },
      { name: 'b', dims: [2], values: b },
    ],
  });
  return tmpFile(`cam-${head}.onnx`, bytes);
}

describe('CAM', () => {
  const x = tmpFile('cam-input.pb', buildTensorProto({ dims: [1, 3, 2, 2], values: input }));

  for (const head of ['gemm', 'matmul'] as const) {
    it(`finds the ${head} head and computes the hand-checked maps`, async () => {
      const e = await Explainer.create(tinyModel(head), { tensor: x });
      assert.ok(Math.abs(e.scores[0] - -1.15) < 1e-5 && Math.abs(e.scores[1] - 3.8) < 1e-5, `scores ${e.scores}`);
      const h = camHead(e);
      assert.equal(h.features, 'x');
      assert.deepEqual([h.channels, h.classes], [3, 2]);
      assert.deepEqual(Array.from(h.weights), W);
      const feats = e.forward.values.get('x')!;
      assert.deepEqual(Array.from(camMap(h, feats, 0).values), [1, 1, -3, -4]);
      assert.deepEqual(Array.from(camMap(h, feats, 1).values), [0, 2, 6, 8]);
      // The explanation: min–max scaled, on the 2×2 picture, boxed by threshold; no points.
      const ex = await explainWithMethod(e, 'cam', 1);
      const got = [heatAt(ex.heat, 0, 0), heatAt(ex.heat, 1, 0), heatAt(ex.heat, 0, 1), heatAt(ex.heat, 1, 1)];
      got.forEach((v, i) => assert.ok(Math.abs(v - [0, 0.25, 0.75, 1][i]) < 1e-6, `heat ${got}`));
      assert.equal(ex.json.settings.method, 'cam');
      assert.deepEqual([ex.json.points.length, ex.json.keptPoints.length, ex.json.inputFixations.length], [0, 0, 0]);
      assert.deepEqual(ex.box, [0, 0, 1, 1]);
      assert.equal(ex.json.target.index, 1);
    });
  }

  // For a GAP head, score_k = mean(CAM_k) + bias_k exactly: the map found from the graph is the one the
  // model averages. Checked on a trained model of each kind.
  const cases = [
    { model: path.join(repo, 'eval', 'models', 'fmnist-gap.onnx'), image: fixturePath('images/digit_3.jpg'), bias: 'fc.bias' },
    { model: fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx'), image: fixturePath('images/pelican.jpeg'), bias: 'classifier.1.bias_quantized_f32' },
    { model: fixturePath('models/shufflenet-v2-12-dequantized-fp32.onnx'), image: fixturePath('images/pelican.jpeg'), bias: 'fc.bias' },
  ];
  for (const c of cases) {
    it(`${path.basename(c.model)}: the mean of each class map plus the bias is the class score`, async () => {
      const e = await Explainer.create(c.model, { image: c.image });
      const h = camHead(e);
      const bias = e.model.unraveler.constants.float(c.bias)!;
      assert.ok(bias, `bias ${c.bias}`);
      const feats = e.forward.values.get(h.features)!;
      for (const k of [e.predictions(1)[0].index, 0, e.classCount - 1]) {
        const cam = camMap(h, feats, k).values;
        const mean = cam.reduce((s, v) => s + v, 0) / cam.length;
        assert.ok(Math.abs(mean + bias[k] - e.scores[k]) < 1e-3 * (1 + Math.abs(e.scores[k])), `class ${k}: ${mean + bias[k]} vs ${e.scores[k]}`);
      }
    });
  }

  it('refuses a model without a global-average-pool head, saying why and what to use instead', async () => {
    for (const m of ['mnist-8.onnx', 'mobilenetv2-12-int8.onnx']) {
      const img = m.startsWith('mnist') ? 'digit_7.jpg' : 'pelican.jpeg';
      const e = await Explainer.create(fixturePath(`models/${m}`), { image: fixturePath(`images/${img}`) });
      await assert.rejects(explainWithMethod(e, 'cam'), (err: Error) => {
        assert.match(err.message, /CAM needs scores that are a linear layer on globally averaged conv maps/);
        assert.match(err.message, /--method fixations or occlusion/);
        return true;
      });
    }
  });

  it('rejects a class out of range like the explainer does', async () => {
    const e = await Explainer.create(tinyModel('gemm'), { tensor: x });
    await assert.rejects(explainWithMethod(e, 'cam', 2), /class 2 is out of range: the model has 2 classes/);
  });
});
