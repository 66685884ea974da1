// `cnn-fixations sweep` and `merge` as users run them (dist/cli.js in a child process, its workers forked),
// on the committed Fashion-MNIST classifier and a copy of part of the committed demo folder: the outputs,
// --jobs 1 and 2 giving the same results, a worker killed on an image, shards merged into the unsharded
// outputs, Ctrl-C and --resume, a corrupt image inside the folder, and bad input answered before any work,
// never with a stack trace.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SweepLine } from '../../src/sweep/record';
import type { SweepSummary } from '../../src/sweep/summary';
import { repo, tmpFile } from '../helpers/tmp';

const cli = path.join(repo, 'dist', 'cli.js');
const model = path.join(repo, 'eval', 'models', 'fmnist-gap.onnx');
const labels = path.join(repo, 'eval', 'models', 'fmnist_labels.txt');
const demo = path.join(repo, 'eval', 'fmnist-sweep', 'images');

function run(args: string[], cwd = repo) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr + (r.signal || r.error ? `\n(ended by ${r.signal}${r.error ? `: ${r.error.message}` : ''})` : '') };
}

function assertCleanFailure(r: ReturnType<typeof run>, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit ${code}: ${r.err}`);
  assert.match(r.err, pattern);
  assert.doesNotMatch(r.err, /\n\s+at .+:\d+:\d+/, `no stack trace in:\n${r.err}`);
}

/** A copy of the first `perClass` images of each class of the demo folder. */
function subset(name: string, perClass: number): string {
  const root = path.dirname(tmpFile(`${name}/x`));
  for (const c of fs.readdirSync(demo)) {
    fs.mkdirSync(path.join(root, c), { recursive: true });
    for (const f of fs.readdirSync(path.join(demo, c)).sort().slice(0, perClass)) fs.copyFileSync(path.join(demo, c, f), path.join(root, c, f));
  }
  return root;
}

const outDir = (name: string) => path.dirname(tmpFile(`${name}/x`));
const read = (out: string, f: string) => fs.readFileSync(path.join(out, f), 'utf8');
const summaryOf = (out: string) => JSON.parse(read(out, 'summary.json')) as SweepSummary;
const linesOf = (out: string) =>
  read(out, 'results.jsonl')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SweepLine);
/** The lines without their timings (which differ run to run), sorted by path. */
const comparable = (out: string) =>
  linesOf(out)
    .map(({ timings: _t, ...l }) => l)
    .sort((a, b) => (a.path < b.path ? -1 : 1));

describe('cnn-fixations sweep', function () {
  this.timeout(300_000);
  let folder: string;
  let whole: string;

  before(() => {
    assert.ok(fs.existsSync(cli), 'run `npm run build` first');
    folder = subset('sweep-folder', 6); // 60 images, 6 per class
    whole = outDir('sweep-whole');
    const r = run(['sweep', model, folder, '--labels', labels, '--out', whole, '--jobs', '2']);
    assert.equal(r.code, 0, r.err);
  });

  it('writes a line per image, the summary, a self-contained report, and says what it found', () => {
    const lines = linesOf(whole);
    assert.equal(lines.length, 60);
    const s = summaryOf(whole);
    assert.equal(s.counts.images, 60);
    assert.equal(s.counts.correct + s.counts.wrong, 60);
    assert.ok(s.counts.wrong >= 5, `the classifier makes real mistakes: ${s.counts.wrong}`);
    assert.equal(s.accuracy.top1, s.counts.correct / 60);
    assert.equal(s.perClass.length, 10);
    assert.equal(
      s.confusion.reduce((a, c) => a + c.count, 0),
      60,
    );
    for (const l of lines) {
      assert.match(l.sha256 ?? '', /^[0-9a-f]{64}$/);
      assert.equal(l.expected!.index, Number(l.path.split('_')[0]), 'the folder prefix is the expected class');
      assert.equal(l.correct, l.predictions![0].index === l.expected!.index);
      assert.equal(l.predicted!.class.index, l.predictions![0].index);
      assert.equal(l.predicted!.mode, 'discriminative');
      assert.equal(l.predicted!.keptPoints.length, l.predicted!.keptWeights.length);
      if (l.correct) assert.ok(!l.versus && !l.expectedMap);
      else {
        assert.deepEqual([l.versus!.mode, l.versus!.class.index, l.versus!.versus!.index], ['versus', l.predictions![0].index, l.expected!.index]);
        assert.equal(l.expectedMap!.class.index, l.expected!.index);
      }
    }
    const conf = s.mistakes.map((m) => m.confidence);
    assert.deepEqual(
      conf,
      [...conf].sort((a, b) => b - a),
      'mistakes by confidence',
    );
    const html = read(whole, 'report.html');
    assert.doesNotMatch(html, /(src|href)="(https?:|\/\/)/, 'self-contained');
    assert.equal((html.match(/<article class="mistake">/g) ?? []).length, s.mistakes.length);
    assert.equal(
      (html.match(/<div class="maps" style="--image:url\(&quot;data:image\/(png|jpeg);base64,/g) ?? []).length,
      s.mistakes.length,
      'the image once per mistake',
    );
    assert.equal(
      (html.match(/<img alt="[^"]+" width="\d+" height="\d+" src="data:image\/png;base64,/g) ?? []).length,
      3 * s.mistakes.length,
      'three maps per mistake',
    );
    assert.equal(fs.readdirSync(path.join(whole, 'pictures')).length, s.mistakes.length, "the workers' pictures of the listed mistakes, and no others");
    assert.match(html, /<table class="confusion">/);
  });

  it('gives the same results with --jobs 1 as with --jobs 2 (line order and timings aside)', () => {
    const one = outDir('sweep-jobs1');
    const r = run(['sweep', model, folder, '--labels', labels, '--out', one, '--jobs', '1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\(.* img\/s, 1 job\)/);
    assert.deepEqual(comparable(one), comparable(whole));
    assert.equal(read(one, 'summary.json'), read(whole, 'summary.json'));
    assert.equal(read(one, 'report.html'), read(whole, 'report.html'));
  });

  it('gives the image that kills its worker a line with the error, and every other image its own line', () => {
    // The workers take images in batches: the one that dies leaves several unanswered, explained again one at a time.
    const victim = path.join('3_Dress', fs.readdirSync(path.join(folder, '3_Dress')).sort()[2]);
    const out = outDir('sweep-killed');
    const hook = pathToFileURL(path.join(repo, 'test', 'sweep', 'kill-on-read.mjs')).href;
    const r = spawnSync(process.execPath, [cli, 'sweep', model, folder, '--labels', labels, '--out', out, '--jobs', '2'], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, CNN_FIXATIONS_WORKER_NODE_ARGS: `--import ${hook}`, CNN_FIXATIONS_TEST_KILL_ON: victim },
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = comparable(out);
    assert.equal(lines.length, 60);
    const failed = lines.filter((l) => l.error);
    assert.deepEqual(
      failed.map((l) => l.path),
      [victim.split(path.sep).join('/')],
    );
    assert.match(failed[0].error!, /the worker explaining this image stopped \(signal SIGKILL\)/);
    const others = comparable(whole).filter((l) => l.path !== failed[0].path);
    assert.deepEqual(
      lines.filter((l) => !l.error),
      others,
    );
  });

  it('shards 0/3, 1/3, 2/3 split the images, and their merge is the unsharded summary and report', () => {
    const shards = [0, 1, 2].map((i) => {
      const out = outDir(`sweep-shard-${i}`);
      const r = run(['sweep', model, folder, '--labels', labels, '--out', out, '--shard', `${i}/3`, '--jobs', '1']);
      assert.equal(r.code, 0, r.err);
      return out;
    });
    const sizes = shards.map((o) => linesOf(o).length);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      60,
    );
    assert.ok(
      sizes.every((n) => n > 5),
      `each shard has a share: ${sizes}`,
    );
    const merged = outDir('sweep-merged');
    const partial = run(['merge', shards[0], shards[2], '--out', outDir('sweep-partial')]);
    assert.equal(partial.code, 0, partial.err);
    assert.match(partial.err, /missing shard\(s\) 1\/3/);
    const m = run(['merge', ...shards, '--out', merged]);
    assert.equal(m.code, 0, m.err);
    assert.doesNotMatch(m.err, /missing/);
    assert.equal(read(merged, 'summary.json'), read(whole, 'summary.json'));
    assert.equal(read(merged, 'report.html'), read(whole, 'report.html'));
    assert.deepEqual(comparable(merged), comparable(whole));
    // Without the workers' pictures, the merge draws them from the images: the same pictures.
    const bare = outDir('sweep-bare');
    fs.mkdirSync(bare, { recursive: true });
    for (const f of ['sweep.json', 'results.jsonl', 'summary.json']) fs.copyFileSync(path.join(whole, f), path.join(bare, f));
    assert.equal(run(['merge', bare, '--out', outDir('sweep-redrawn')]).code, 0);
    assert.equal(read(outDir('sweep-redrawn'), 'report.html'), read(whole, 'report.html'));
    assertCleanFailure(run(['merge', shards[0], shards[0], '--out', outDir('sweep-twice')]), 1, /shard 0\/3 is in more than one of the folders/);
    assertCleanFailure(run(['merge', shards[0], '--out', shards[0]]), 1, /is one of the folders to merge/);
  });

  it('stops on Ctrl-C leaving whole lines (exit 130), and --resume finishes with the same results', async () => {
    const big = subset('sweep-interrupted-folder', 30); // ≤ 300 images: enough to interrupt midway
    const out = outDir('sweep-interrupted');
    const child = spawn(process.execPath, [cli, 'sweep', model, big, '--labels', labels, '--out', out, '--jobs', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const results = path.join(out, 'results.jsonl');
    const t0 = Date.now();
    while (!(fs.existsSync(results) && fs.readFileSync(results, 'utf8').split('\n').length > 20)) {
      if (Date.now() - t0 > 120_000) throw new Error(`no lines after 2 minutes: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 130, err);
    assert.match(err, /interrupted after \d+ of \d+ images: .* run the same command with --resume to finish/);
    const text = fs.readFileSync(results, 'utf8');
    assert.ok(text.endsWith('\n'), 'the file ends with a whole line');
    const before = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SweepLine);
    const total = fs.readdirSync(big).reduce((n, c) => n + fs.readdirSync(path.join(big, c)).length, 0);
    assert.ok(before.length >= 20 && before.length < total, `interrupted midway: ${before.length} of ${total}`);
    assert.ok(!fs.existsSync(path.join(out, 'summary.json')));
    // a torn last line, as a killed process could leave, is dropped by the resume
    fs.appendFileSync(results, '{"path":"4_Coat/00');
    const refused = run(['sweep', model, big, '--labels', labels, '--out', out]);
    assertCleanFailure(refused, 1, /already holds sweep results: --resume continues them/);
    assertCleanFailure(
      run(['sweep', model, big, '--labels', labels, '--out', out, '--resume', '--mode', 'paper']),
      1,
      /cannot resume the sweep in .*: the options differ/,
    );
    const resumed = run(['sweep', model, big, '--labels', labels, '--out', out, '--resume']);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.err, /dropped the last, unfinished line/);
    assert.match(resumed.err, new RegExp(`resuming: ${before.length} of ${total} images already have their line`));
    assert.match(resumed.out, new RegExp(`swept +${total - before.length} images .*; ${before.length} already done`));
    const after = linesOf(out);
    assert.equal(after.length, total);
    assert.equal(new Set(after.map((l) => l.path)).size, total, 'every image once');
    const fresh = outDir('sweep-uninterrupted');
    assert.equal(run(['sweep', model, big, '--labels', labels, '--out', fresh]).code, 0);
    assert.equal(read(out, 'summary.json'), read(fresh, 'summary.json'));
  });

  it('makes an unreadable image a line with its error, counts it, and goes on', () => {
    const broken = subset('sweep-broken-folder', 2);
    fs.writeFileSync(
      path.join(broken, '4_Coat', 'zz-corrupt.png'),
      fs.readFileSync(path.join(broken, '4_Coat', fs.readdirSync(path.join(broken, '4_Coat'))[0])).subarray(0, 60),
    );
    fs.writeFileSync(path.join(broken, '8_Bag', 'not-an-image.jpg'), 'hello');
    const out = outDir('sweep-broken');
    const r = run(['sweep', model, broken, '--labels', labels, '--out', out, '--jobs', '2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /images +22 \(22 labelled, 2 could not be explained\)/);
    const bad = linesOf(out).filter((l) => l.error);
    assert.deepEqual(bad.map((l) => l.path).sort(), ['4_Coat/zz-corrupt.png', '8_Bag/not-an-image.jpg']);
    for (const l of bad) {
      assert.match(l.error!, /cannot read image/);
      assert.match(l.sha256!, /^[0-9a-f]{64}$/);
      assert.equal(l.correct, null);
    }
    const s = summaryOf(out);
    assert.equal(s.counts.errors, 2);
    assert.equal(s.counts.correct + s.counts.wrong, 20, 'accuracy is over the images explained');
    assert.match(read(out, 'report.html'), /Images that could not be explained \(2\)/);
  });

  it('labels from a CSV manifest: names, synonyms, index prefixes, unlabelled rows', () => {
    const firstOf = (c: string) => `${c}/${fs.readdirSync(path.join(demo, c)).sort()[0]}`;
    const [tshirt, coat, bag, boot, dress] = ['0_T-shirt_top', '4_Coat', '8_Bag', '9_Ankle_boot', '3_Dress'].map(firstOf);
    const rows = ['path,label', `${tshirt},T-shirt/top`, `${coat},coat`, `"${bag}",8`, `${boot},9_ankle_boot`, `${dress},`];
    const out = outDir('sweep-manifest');
    const r = run(['sweep', model, demo, '--manifest', tmpFile('sweep.csv', rows.join('\n')), '--labels', labels, '--out', out, '--jobs', '1']);
    assert.equal(r.code, 0, r.err);
    const lines = linesOf(out).sort((a, b) => (a.path < b.path ? -1 : 1));
    assert.deepEqual(
      lines.map((l) => [l.path, l.expected?.index ?? null]),
      [
        [tshirt, 0],
        [dress, null],
        [coat, 4],
        [bag, 8],
        [boot, 9],
      ],
    );
    assert.equal(summaryOf(out).counts.unlabelled, 1);
  });

  it('answers bad input before any work, with one clear line and no stack trace', () => {
    const bad = path.dirname(tmpFile('sweep-bad-folder/x'));
    fs.mkdirSync(path.join(bad, 'Coat'), { recursive: true });
    fs.mkdirSync(path.join(bad, 'Sneakerz'));
    fs.copyFileSync(path.join(demo, '4_Coat', '0003.png'), path.join(bad, 'Coat', 'a.png'));
    fs.copyFileSync(path.join(demo, '4_Coat', '0003.png'), path.join(bad, 'Sneakerz', 'b.png'));
    const out = outDir('sweep-never');
    assertCleanFailure(
      run(['sweep', model, bad, '--labels', labels, '--out', out]),
      1,
      /1 class folder\(s\) of .* match no class[\s\S]*folder 'Sneakerz'.*nearest labels: Sneaker \(7\)/,
    );
    assert.ok(!fs.existsSync(path.join(out, 'results.jsonl')), 'no work was done');
    assertCleanFailure(run(['sweep', model, bad, '--out', out]), 1, /the model has no class names: name folders by index/);
    assertCleanFailure(run(['sweep', model, path.join(bad, 'nope'), '--out', out]), 1, /not a folder/);
    assertCleanFailure(run(['sweep', path.join(bad, 'nope.onnx'), bad, '--out', out]), 1, /model file not found/);
    assertCleanFailure(run(['sweep', labels, bad, '--out', out]), 1, /./);
    assertCleanFailure(run(['sweep', model, bad, '--shard', '3/3']), 2, /shards of 3 are numbered 0 to 2/);
    assertCleanFailure(run(['sweep', model, bad, '--jobs', '0']), 2, /--jobs takes a whole number/);
    assertCleanFailure(run(['sweep', model]), 2, /give a DIR/);
    assertCleanFailure(run(['merge', out]), 2, /merge needs --out/);
    assertCleanFailure(run(['merge', bad, '--out', out]), 1, /holds no sweep results/);
  });

  it('with no arguments sweeps the committed demo folder into ./cnn-fixations-sweep', () => {
    const cwd = outDir('sweep-demo-cwd');
    fs.mkdirSync(cwd, { recursive: true });
    const r = run(['sweep', '--jobs', '2'], cwd);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /demo: sweeping .*fmnist-sweep.* with fmnist-gap\.onnx/);
    const s = summaryOf(path.join(cwd, 'cnn-fixations-sweep'));
    assert.equal(s.counts.images, 300);
    assert.ok(s.counts.wrong > 30 && s.counts.wrong < 100, `real mistakes: ${s.counts.wrong}`);
    assert.equal(s.perClass.length, 10);
    // the demo's own folder: a second run replaces the first instead of refusing
    assert.equal(run(['sweep', '--jobs', '2'], cwd).code, 0);
  });
});
