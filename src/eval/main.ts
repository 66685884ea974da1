// npm run eval [-- --quick] : CNN Fixations against CAM, occlusion and two blind baselines, on the
// Fashion-MNIST localization benchmark (both committed models) and on real ImageNet photos
// (MobileNetV2, ShuffleNetV2). Prints markdown tables and writes them with the JSON to eval/results/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { closeBatchRunners } from '../runtime/batch';
import { BenchmarkError, loadBenchmark, projectRoot } from './fmnist';
import { fmnistGallery, galleryColumns } from './gallery';
import { fmnistTable, imagenetTable, sweepTable } from './report';
import { runFmnist, runImagenet, type FmnistResult, type ImagenetResult } from './run';

const usage = `Usage: node dist/eval.js [--quick] [--count N] [--curves N] [--steps S] [--out DIR]
                         [--skip-fmnist] [--skip-imagenet] [--shared DIR]

Scores CNN Fixations, CAM, occlusion, a centre baseline and random points.
  --quick          100 canvases and 3 photos (a CI-sized run), written as quick.md / quick.json
  --count N        canvases of the Fashion-MNIST benchmark to score (default all 1000)
  --curves N       of those, how many also get deletion/insertion curves (default 500)
  --steps S        points per deletion/insertion curve minus one (default 20)
  --out DIR        results folder (default eval/results)
  --gallery N      also draw the first N canvases' maps (fmnist-gap) into gallery.jpg (default 4; 0 in --quick)
  --shared DIR     the shared models and photos (default ../shared next to the project)
  --skip-fmnist, --skip-imagenet   leave one benchmark out`;

const photoNames = ['pelican.jpeg', 'bald_eagle.jpeg', 'eagle.jpg', 'dog.jpg', 'horses.jpg', 'giraffe.jpg', 'person.jpg'];
const imagenetModels = ['mobilenetv2-12-dequantized-fp32.onnx', 'shufflenet-v2-12-dequantized-fp32.onnx'];
const fmnistModels = ['fmnist-gap.onnx', 'fmnist-fc.onnx'];

class UsageError extends Error {}

function whole(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${flag} takes a whole number ≥ 1 (got '${v}')`);
  return Number(v);
}

async function main(argv: string[]): Promise<number> {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' }, count: { type: 'string' }, curves: { type: 'string' }, steps: { type: 'string' },
      out: { type: 'string' }, gallery: { type: 'string' }, shared: { type: 'string' }, 'skip-fmnist': { type: 'boolean' }, 'skip-imagenet': { type: 'boolean' },
      debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (a.help) {
    console.log(usage);
    return 0;
  }
  const root = projectRoot();
  const count = whole(a.count, '--count') ?? (a.quick ? 100 : undefined);
  const steps = whole(a.steps, '--steps') ?? 20;
  const shared = path.resolve(a.shared ?? path.join(root, '..', 'shared'));
  const outDir = path.resolve(a.out ?? path.join(root, 'eval', 'results'));
  const name = a.quick ? 'quick' : 'results';
  const log = (s: string) => console.log(s);
  const started = performance.now();
  const galleryRows = a.gallery === '0' ? 0 : (whole(a.gallery, '--gallery') ?? (a.quick ? 0 : 4));
  const fmnist: FmnistResult[] = [];
  let gallery: Buffer | undefined;
  const imagenet: ImagenetResult[] = [];

  if (!a['skip-fmnist']) {
    const bench = loadBenchmark(count, root);
      // Curves cost 2 × (steps + 1) forwards per method and image: the first 500 canvases are plenty.
    const curves = Math.min(whole(a.curves, '--curves') ?? 500, bench.count);
    log(`Fashion-MNIST localization: ${bench.count} canvases (sha256 ${bench.sha256.slice(0, 12)}…), curves on ${curves}, ${steps} steps`);
    for (const m of fmnistModels) {
      const file = path.join(root, 'eval', 'models', m);
      if (!fs.existsSync(file)) throw new BenchmarkError(`${file} is missing; train it with /usr/bin/python3 scripts/fmnist/train.py`);
      fmnist.push(await runFmnist(file, bench, { steps, curveImages: curves, log }));
      if (m === 'fmnist-gap.onnx' && galleryRows) gallery = await fmnistGallery(file, bench, Math.min(galleryRows, bench.count));
    }
  }
  if (!a['skip-imagenet']) {
    const photos = (a.quick ? photoNames.slice(0, 3) : photoNames).map((p) => path.join(shared, 'images', p));
    const missing = [...photos, ...imagenetModels.map((m) => path.join(shared, 'models', m))].filter((f) => !fs.existsSync(f));
    if (missing.length) throw new BenchmarkError(`missing ${missing.join(', ')}; point --shared at the folder with models/ and images/ (or pass --skip-imagenet)`);
    log(`ImageNet photos: ${photos.length}, ${steps} steps`);
    for (const m of imagenetModels) imagenet.push(await runImagenet(path.join(shared, 'models', m), photos, { steps, curveImages: photos.length, log }));
  }
  await closeBatchRunners();

  const seconds = (performance.now() - started) / 1000;
  const command = `npm run eval${argv.length ? ' -- ' + argv.join(' ') : ''}`;
  const md = [
    `# Explanation quality: CNN Fixations against gradient-free baselines`,
    '',
    `Made by \`${command}\` in ${seconds.toFixed(0)} s (${new Date().toISOString().slice(0, 10)}). Metrics and protocol: README, section "Measured".`,
    ...(fmnist.length ? ['', '## Fashion-MNIST localization (true boxes)', '', ...fmnist.flatMap((r) => [fmnistTable(r), ''])] : []),
    ...(fmnist.length
      ? ['### Threshold sweep', '', 'The tables above box every map at 20% of its maximum. The best threshold differs per method; chosen here on the test set itself, so each row\'s best is an upper bound for that method.', '', ...fmnist.flatMap((r) => [sweepTable(r), ''])]
      : []),
    ...(gallery ? [`![maps of the first canvases](gallery.jpg)`, '', `gallery.jpg, columns: ${galleryColumns.join(' · ')}. Green: the method's box; white: the true box.`, ''] : []),
    ...(imagenet.length ? ['', '## ImageNet photos (no boxes): deletion and insertion', '', imagenetTable(imagenet), ''] : []),
  ].join('\n');
  console.log('\n' + md);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${name}.md`), md);
  if (gallery) fs.writeFileSync(path.join(outDir, 'gallery.jpg'), gallery);
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify({ command, seconds: Math.round(seconds), steps, fmnist, imagenet }, null, 1) + '\n');
  console.log(`wrote ${path.join(outDir, name + '.md')} and ${name}.json`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    if (process.argv.includes('--debug')) console.error(err.stack ?? err);
    else console.error(`eval: ${err?.message ?? String(e)}`);
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) console.error('Run node dist/eval.js --help for usage.');
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
