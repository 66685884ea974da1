// The CLI as users run it (the bundled dist/cli.js in a child process): the demo, the JSON contract, and
// bad input answered with a clear message and a non-zero exit, never a stack trace.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixturePath } from '../../src/fixtures';
import { buildModel, buildTensorProto, tinyClassifier, zeroPng } from '../helpers/onnx-build';
import { repo, tmpFile } from '../helpers/tmp';

const cli = path.join(repo, 'dist', 'cli.js');
const mnist = fixturePath('models/mnist-8.onnx');
const pelican = fixturePath('images/pelican.jpeg');

function run(args: string[], cwd = repo) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function assertCleanFailure(r: ReturnType<typeof run>, pattern: RegExp): void {
  assert.notEqual(r.code, 0, 'non-zero exit');
  assert.match(r.err, pattern);
  assert.doesNotMatch(r.err, /\n\s+at .+:\d+:\d+/, `no stack trace in:\n${r.err}`);
}

describe('cnn-fixations CLI', () => {
  before(() => assert.ok(fs.existsSync(cli), 'run `npm run build` first'));

  it('with no arguments explains the shipped demo and writes its outputs to the folder it names', () => {
    const cwd = path.dirname(tmpFile('demo-cwd/x'));
    fs.mkdirSync(cwd, { recursive: true });
    const r = run(['explain'], cwd);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /outputs go to .*cnn-fixations-out/);
    assert.match(r.out, /144\s+\d+\.\d+%\s+pelican/);
    assert.match(r.out, /class\s+144 pelican/);
    for (const f of ['result.json', 'overlay.png', 'report.html']) assert.ok(fs.statSync(path.join(cwd, 'cnn-fixations-out', f)).size > 100, f);
    const html = fs.readFileSync(path.join(cwd, 'cnn-fixations-out', 'report.html'), 'utf8');
    assert.match(html, /data:image\/png;base64,/);
    assert.doesNotMatch(html, /(src|href)="(https?:|\/\/)/, 'self-contained');
  });

  it('writes the versioned JSON contract', () => {
    const out = tmpFile('result.json');
    const r = run(['explain', fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx'), pelican, '--json', out, '--class', '129', '--top', '3']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(j.version, 1);
    assert.deepEqual(Object.keys(j).slice(0, 11), [
      'version',
      'model',
      'predictions',
      'target',
      'layers',
      'inputFixations',
      'points',
      'keptPoints',
      'box',
      'timings',
      'settings',
    ]);
    assert.deepEqual(j.model.input, { name: 'input', shape: [1, 3, 224, 224] });
    assert.equal(j.predictions.length, 3);
    assert.deepEqual(Object.keys(j.predictions[0]), ['index', 'label', 'score']);
    assert.deepEqual(j.target, { index: 129, label: 'spoonbill' });
    assert.deepEqual(Object.keys(j.layers[0]).slice(0, 5), ['node', 'op', 'tensor', 'shape', 'count']);
    for (const [c, y, x] of j.inputFixations) assert.ok(c >= 0 && c < 3 && y >= 0 && y < 224 && x >= 0 && x < 224);
    const seen = new Set(j.inputFixations.map((f: number[]) => f.join(',')));
    assert.equal(seen.size, j.inputFixations.length, 'input fixations are deduplicated');
    assert.equal(j.points.length, j.inputFixations.length);
    for (const k of ['loadMs', 'preprocessMs', 'inferenceMs', 'unravelMs', 'heatmapMs']) assert.equal(typeof j.timings[k], 'number');
    assert.equal(j.box.length, 4);
  });

  it('--mode and --versus: masses in the JSON, the class named by label, why A rather than B', () => {
    const model = fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx');
    const dog = fixturePath('images/dog.jpg');
    const read = (args: string[], name: string) => {
      const out = tmpFile(name);
      const r = run(['explain', model, dog, '--json', out, ...args]);
      assert.equal(r.code, 0, r.err);
      return { json: JSON.parse(fs.readFileSync(out, 'utf8')), out: r.out };
    };
    const sum = (w: number[]) => w.reduce((a, b) => a + b, 0);
    const paper = read(['--mode', 'paper', '--class', 'malamute'], 'paper.json').json;
    assert.equal(paper.target.index, 249);
    assert.deepEqual([paper.settings.mode, paper.settings.versus], ['paper', null]);
    assert.equal(paper.pointWeights.length, paper.points.length);
    assert.equal(paper.inputFixationWeights.length, paper.inputFixations.length);
    assert.equal(paper.keptPointWeights.length, paper.keptPoints.length);
    assert.ok(
      paper.pointWeights.every((w: number) => Math.abs(w - 1 / paper.points.length) < 1e-12),
      'uniform in paper mode',
    );
    const weighted = read(['--mode', 'weighted', '--conv-mode', 'contribution', '--class', '249'], 'weighted.json').json;
    assert.deepEqual(weighted.inputFixations, paper.inputFixations, "weighted: the paper's fixations, with masses");
    assert.ok(Math.abs(sum(weighted.inputFixationWeights) - 1) < 1e-9 && Math.abs(sum(weighted.pointWeights) - 1) < 1e-9);
    assert.ok(new Set(weighted.pointWeights).size > 10, 'masses differ from point to point');
    const { json: versus, out } = read(['--class', 'malamute', '--versus', 'Mountain_Bike', '--conv-mode', 'center'], 'versus.json');
    assert.deepEqual([versus.settings.mode, versus.settings.versus, versus.target.index], ['versus', 671, 249]);
    assert.match(out, /Why malamute rather than mountain bike/);
    const [px, py] = versus.peak;
    assert.ok(px >= 0 && px < 768 && py >= 0 && py < 576, 'the peak is in original pixels');
  });

  it('--tensor replaces the image and skips preprocessing', () => {
    const out = tmpFile('tensor.json');
    const r = run(['explain', mnist, '--tensor', fixturePath('models/mnist-8_test_data/test_data_set_2_input_0.pb'), '--json', out]);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')).target.index, 9);
  });

  it('a labels file that does not fit the model: a warning in the summary, the JSON and the report; the run goes on', () => {
    const tensor = fixturePath('models/mnist-8_test_data/test_data_set_2_input_0.pb');
    const labels = (n: number) => tmpFile(`labels-${n}.txt`, Array.from({ length: n }, (_, i) => `digit ${i}`).join('\n') + '\n');
    const go = (n: number) => {
      const out = path.dirname(tmpFile(`labels-out-${n}/x`));
      const r = run(['explain', mnist, '--tensor', tensor, '--labels', labels(n), '--out', out]);
      assert.equal(r.code, 0, r.err);
      return { r, json: JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')), html: fs.readFileSync(path.join(out, 'report.html'), 'utf8') };
    };
    const short = go(9); // mnist-8 scores 10 classes; the prediction is class 9, the one left unnamed
    assert.match(short.r.out, /warning {2}the labels file has 9 lines but the model scores 10 classes: class 9 is shown by index\./);
    assert.match(short.r.out, /class\s+9 9\n/);
    assert.deepEqual(short.json.warnings, [
      'the labels file has 9 lines but the model scores 10 classes: class 9 is shown by index. Check that the labels belong to this model.',
    ]);
    assert.match(short.html, /class="warning">⚠ the labels file has 9 lines/);
    const long = go(11);
    assert.match(long.json.warnings[0], /has 11 lines but the model scores 10 classes: the names may belong to another model/);
    const fits = go(10);
    assert.equal(fits.json.warnings, undefined);
    assert.doesNotMatch(fits.r.out, /warning/);
    assert.match(fits.r.out, /class\s+9 digit 9/);
  });

  describe('bad input', () => {
    it('a missing model file', () => assertCleanFailure(run(['explain', '/nope/model.onnx', pelican]), /model file not found: \/nope\/model\.onnx/));
    it('a file that is not ONNX', () =>
      assertCleanFailure(run(['explain', pelican, pelican]), /not a usable ONNX model|could not be read as an ONNX model|cannot be decoded/));
    it('a truncated model', () => {
      const bytes = fs.readFileSync(fixturePath('models/mobilenetv2-12-int8.onnx'));
      assertCleanFailure(
        run(['explain', tmpFile('truncated.onnx', bytes.subarray(0, bytes.length >> 1)), pelican]),
        /truncated or corrupt|not a usable ONNX model|cannot load/,
      );
    });
    it('a corrupt model (its protobuf framing scrambled)', () => {
      const bytes = Buffer.from(fs.readFileSync(mnist));
      for (let i = 0; i < 64; i++) bytes[i] ^= 0x5a;
      assertCleanFailure(run(['explain', tmpFile('corrupt.onnx', bytes), pelican]), /ONNX|onnxruntime/);
    });
    it('an image jimp cannot read', () =>
      assertCleanFailure(run(['explain', mnist, tmpFile('broken.png', 'not really a png')]), /cannot read image .*broken\.png/));
    it('a missing image', () => assertCleanFailure(run(['explain', mnist, '/nope/img.png']), /cannot read image \/nope\/img\.png/));
    it('a model declaring a huge input is refused before anything is allocated, with the memory it would need', () => {
      const r = run(['explain', tmpFile('huge-input.onnx', tinyClassifier([1, 3, 100000, 100000])), pelican]);
      assertCleanFailure(
        r,
        /explaining this would take about \d+ GB of memory \(.*the model's input \[1×3×100000×100000\] 112 GB.*'r', alone takes \d+ GB\), more than the limit of .*--memory-limit, setting cnnFixations\.memoryLimitMB/,
      );
      assertCleanFailure(
        run(['explain', tmpFile('small-input.onnx', tinyClassifier([1, 3, 512, 512])), pelican, '--memory-limit', '4']),
        /more than the limit of 4 MB/,
      );
    });
    it('NaN or Inf weights: the first kept tensor that holds them is named, no NaN% explained', () => {
      const w = Float32Array.from({ length: 108 }, (_, i) => (i % 7) / 7 - 0.5);
      w[0] = NaN;
      assertCleanFailure(
        run(['explain', tmpFile('nan.onnx', tinyClassifier(undefined, w)), pelican]),
        /tensor 'r' \(output of Relu node 'relu'\) holds NaN in \d+ of its 4096 values/,
      );
      w[0] = Infinity;
      assertCleanFailure(
        run(['explain', tmpFile('inf.onnx', tinyClassifier(undefined, w)), pelican]),
        /tensor 'r' \(output of Relu node 'relu'\) holds ±Inf in \d+ of its 4096 values/,
      );
    });
    it('an image over the pixel limit (a decompression bomb) is refused from its header, before it is decoded', () => {
      const bomb = tmpFile('bomb.png', zeroPng(12000, 12000));
      assert.ok(fs.statSync(bomb).size < 400_000, 'a small file');
      const r = run(['explain', mnist, bomb]);
      assertCleanFailure(
        r,
        /image .*bomb\.png is 12000×12000 \(144\.0 megapixels\), more than the limit of 100 megapixels: scale it down, or raise the limit \(--max-megapixels, setting cnnFixations\.maxImageMegapixels\)/,
      );
      assertCleanFailure(run(['explain', mnist, pelican, '--max-megapixels', '0.05']), /pelican\.jpeg is \d+×\d+ .* more than the limit of 0\.05 megapixels/);
    });
    it('a model with two inputs', () => {
      const m = buildModel({
        nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
        inputs: [
          { name: 'a', dims: [1, 3, 8, 8] },
          { name: 'b', dims: [1, 3, 8, 8] },
        ],
        outputs: [{ name: 'y', dims: [1, 3, 8, 8] }],
      });
      assertCleanFailure(run(['explain', tmpFile('two.onnx', m), pelican]), /2 inputs \('a' \[1,3,8,8\], 'b' \[1,3,8,8\]\)/);
    });
    it('a model with no image-like input', () => {
      const m = buildModel({
        nodes: [{ op: 'Relu', inputs: ['v'], outputs: ['y'] }],
        inputs: [{ name: 'v', dims: [1, 10] }],
        outputs: [{ name: 'y', dims: [1, 10] }],
      });
      assertCleanFailure(run(['explain', tmpFile('vec.onnx', m), pelican]), /input 'v' \[1,10\] is not image-like/);
    });
    it('a --tensor of the wrong shape', () => {
      const t = buildTensorProto({ dims: [1, 1, 20, 20], values: new Float32Array(400) });
      assertCleanFailure(run(['explain', mnist, '--tensor', tmpFile('shape.pb', t)]), /shape \[1,1,20,20\] but input 'Input3' takes \[1,1,28,28\]/);
    });
    it('a --tensor of the wrong type', () => {
      const t = buildTensorProto({ dims: [1, 1, 28, 28], type: 7, values: new Float64Array(784) });
      assertCleanFailure(run(['explain', mnist, '--tensor', tmpFile('type.pb', t)]), /holds int64 values but input 'Input3' takes float32/);
    });
    it('a class index out of range', () =>
      assertCleanFailure(
        run(['explain', mnist, fixturePath('images/digit_3.jpg'), '--class', '10']),
        /class 10 is out of range: the model has 10 classes \(0–9\)/,
      ));
    it('--versus the explained class, out of range, unknown or ambiguous names, with paper mode', () => {
      const model = fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx');
      assertCleanFailure(run(['explain', model, pelican, '--class', '144', '--versus', 'pelican']), /class 144 cannot be explained against itself/);
      assertCleanFailure(run(['explain', model, pelican, '--versus', '1000']), /--versus 1000 is out of range: the model has 1000 classes \(0–999\)/);
      assertCleanFailure(
        run(['explain', model, pelican, '--versus', 'pelicna']),
        /no class is named 'pelicna' \(--versus\); the nearest labels: pelican \(144\)/,
      );
      assertCleanFailure(run(['explain', model, pelican, '--versus', 'crane']), /'crane' names 2 classes: crane \(134\), crane \(517\); give the index/);
      assertCleanFailure(
        run(['explain', mnist, fixturePath('images/digit_3.jpg'), '--versus', 'seven']),
        /'seven' is not a number, and the model's classes have no names/,
      );
      const r = run(['explain', model, pelican, '--mode', 'paper', '--versus', '3']);
      assertCleanFailure(r, /--versus explains with masses: leave out --mode paper/);
      assert.equal(r.code, 2);
    });
    it('an unsupported operator, named with its node and path', () => {
      const m = buildModel({
        nodes: [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: 'conv' },
          { op: 'Hardmax', inputs: ['c'], outputs: ['e'], name: 'odd_activation', attrs: { axis: 1 } },
          { op: 'GlobalAveragePool', inputs: ['e'], outputs: ['g'], name: 'gap' },
          { op: 'Flatten', inputs: ['g'], outputs: ['y'], name: 'flat' },
        ],
        inputs: [{ name: 'x', dims: [1, 3, 16, 16] }],
        outputs: [{ name: 'y', dims: [1, 4] }],
        initializers: [{ name: 'w', dims: [4, 3, 3, 3], values: new Float32Array(108).fill(0.1) }],
      });
      assertCleanFailure(
        run(['explain', tmpFile('hardmax.onnx', m), pelican]),
        /Hardmax node 'odd_activation': no rule for Hardmax\n\s+path from the output: Flatten 'flat' ← GlobalAveragePool 'gap' ← Hardmax 'odd_activation'/,
      );
    });
    it('running out of JavaScript heap (a real V8 heap exhaustion in the explaining process) is one line that says what to do, exit 1, no V8 log or stack', () => {
      const r = spawnSync(process.execPath, [cli, 'explain', mnist, pelican], {
        cwd: repo,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=32', CNN_FIXATIONS_CLI_FAULT: 'oom' },
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(
        r.stderr,
        /^cnn-fixations: out of memory: the explanation filled Node's JavaScript heap \(\d+ MB\) and was stopped\. Use a smaller image or model, keep --max-megapixels and --memory-limit at their defaults, or give Node a larger heap: NODE_OPTIONS=--max-old-space-size=\d+\n$/,
      );
      assert.doesNotMatch(r.stderr, /FATAL ERROR|Last few GCs|Native stack/);
      assert.equal(r.stdout, '');
    });
    it('an unknown option and a bad mode', () => {
      const r = run(['explain', mnist, pelican, '--frobnicate']);
      assertCleanFailure(r, /Unknown option '--frobnicate'/);
      assert.equal(r.code, 2, 'usage errors exit with 2');
      assertCleanFailure(run(['explain', mnist, pelican, '--conv-mode', 'sideways']), /--conv-mode must be one of auto, contribution, center, activation/);
    });
  });
});

describe('cnn-fixations CLI --method', () => {
  it('cam and occlusion give the same outputs as CNN Fixations', () => {
    for (const [method, model] of [
      ['cam', 'mobilenetv2-12-dequantized-fp32.onnx'],
      ['occlusion', 'mobilenetv2-12-int8.onnx'],
    ]) {
      const out = tmpFile(`${method}.json`);
      const r = run(['explain', fixturePath(`models/${model}`), pelican, '--method', method, '--json', out, '--png', tmpFile(`${method}.png`)]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`method\\s+${method}`));
      const j = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.equal(j.settings.method, method);
      assert.equal(j.target.index, 144);
      assert.equal(j.box.length, 4);
      assert.ok(fs.statSync(tmpFile(`${method}.png`)).size > 1000);
    }
  });
  it('cam on a model without a global-average-pool head says so', () => {
    const r = run(['explain', mnist, fixturePath('images/digit_3.jpg'), '--method', 'cam']);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /CAM/);
    assert.doesNotMatch(r.err, /\n\s+at .+:\d+:\d+/);
  });

  it("a decoder's chatter stays off stdout: a GIF whose frame holds more data than its size goes to stderr as a warning", () => {
    // animated.gif with its first frame's height halved in the image descriptor (byte 52 + 7): omggif decodes it
    // and says 'Warning, gif stream longer than expected.' with console.log
    const gif = Buffer.from(fs.readFileSync(path.join(repo, 'test-fixtures', 'formats', 'animated.gif')));
    assert.equal(gif[52], 0x2c, 'the first image descriptor');
    gif.writeUInt16LE(40, 52 + 7);
    const image = tmpFile('long-frame.gif', gif);
    const r = run(['explain', mnist, image]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^model {4}.*mnist-8\.onnx/, "stdout starts with the CLI's own output");
    assert.doesNotMatch(r.out, /Warning/);
    assert.match(r.err, /^warning: decoding .*long-frame\.gif: Warning, gif stream longer than expected\.$/m);
  });
});
