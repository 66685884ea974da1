// The bench's peer lane and its JSON (src/bench/gradcam.ts, main.ts): every bench model has a torchvision
// architecture, a Python without torch gives a note that says what to install (the bench's JSON carries it and a
// null ratio beside the model's preprocessMs), and with Debian's torch the lane measures a real Grad-CAM.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultPython, gradcamLane, torchArchitecture } from '../../src/bench/gradcam';
import { repo, tmpFile } from '../helpers/tmp';

describe('bench: the Grad-CAM lane', function () {
  this.timeout(600_000);

  it('names a torchvision architecture for every model the bench runs', () => {
    const names = ['mobilenetv2-12-dequantized-fp32', 'mobilenetv2-12-int8', 'shufflenet-v2-12-dequantized-fp32', 'shufflenet-v2-12-qdq'];
    const zoo = ['resnet50-op17', 'vgg16-op17', 'densenet121-op17', 'googlenet-op17', 'mobilenet_v2-op17', 'efficientnet_b0-op17'];
    assert.deepEqual([...names, ...zoo].map(torchArchitecture), [
      'mobilenet_v2',
      'mobilenet_v2',
      'shufflenet_v2_x1_0',
      'shufflenet_v2_x1_0',
      'resnet50',
      'vgg16',
      'densenet121',
      'googlenet',
      'mobilenet_v2',
      'efficientnet_b0',
    ]);
    assert.equal(torchArchitecture('mnist-8'), undefined);
  });

  it('is skipped with a note saying why and what to install when Python is missing or has no torch', () => {
    const missing = gradcamLane('resnet50', 1, 1, '/nonexistent/python3');
    assert.ok('skipped' in missing);
    assert.match(missing.skipped, /\/nonexistent\/python3 cannot be run: Grad-CAM not measured \(Debian: apt-get install python3-torch python3-torchvision/);
    const noTorch = gradcamLane('resnet50', 1, 1, '/bin/false');
    assert.ok('skipped' in noTorch);
    assert.match(noTorch.skipped, /\/bin\/false cannot import torch and torchvision/);
  });

  it("the bench's JSON: per model preprocessMs and gradcamRatio (null, with the skip note, without torch), and the 12-megapixel preprocessing", () => {
    const out = tmpFile('bench.json');
    const r = spawnSync(process.execPath, [path.join(repo, 'dist', 'bench.js'), '--models', 'shufflenet-v2-12-qdq', '--runs', '1', '--json', out], {
      encoding: 'utf8',
      env: { ...process.env, CNN_FIXATIONS_PYTHON: '/bin/false' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Grad-CAM skipped for shufflenet-v2-12-qdq: \/bin\/false cannot import torch/);
    const json = JSON.parse(fs.readFileSync(out, 'utf8'));
    const [m] = json.models;
    assert.equal(m.name, 'shufflenet-v2-12-qdq');
    assert.ok(m.preprocessMs > 0 && m.preprocessColdMs > 0 && m.cpu.preprocessMs > 0 && m.plainForwardMs > 0 && m.explainMs > 0);
    assert.equal(m.gradcamRatio, null);
    assert.match(m.gradcam.skipped, /apt-get install python3-torch/);
    assert.deepEqual([json.preprocess12Mp.width, json.preprocess12Mp.height], [4000, 3000]);
    assert.ok(
      json.preprocess12Mp.decodeMs > 0 && json.preprocess12Mp.tensorMs > 0 && json.preprocess12Mp.decodeColdMs > 0 && json.preprocess12Mp.cpu.tensorMs > 0,
    );
    assert.match(r.stdout, /\| shufflenet-v2-12-qdq \|.*\| skipped \|/);
  });

  it('with torch: Grad-CAM on MobileNetV2 is measured at its last feature layer (times only: speed is the bench, not a test)', function () {
    if (spawnSync(defaultPython(), ['-c', 'import torch, torchvision']).status !== 0) this.skip();
    const g = gradcamLane('mobilenet_v2', 1, 1);
    assert.ok('ratio' in g, 'skipped' in g ? g.skipped : '');
    assert.equal(g.layer, 'features');
    assert.ok(g.plainMs > 0 && g.gradcamMs > 0 && g.ratio === g.gradcamMs / g.plainMs);
    assert.match(g.torch, /^\d+\.\d+/);
  });
});
