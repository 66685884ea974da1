// npm run eval [-- --quick] : CNN Fixations (modes paper, weighted, discriminative, versus; three conv
// modes) against CAM, occlusion and two blind baselines, on the Fashion-MNIST localization benchmark and
// its two-object variant (both committed models), and on real ImageNet photos (deletion/insertion, class
// overlap, mass on hand-marked object boxes). Prints markdown tables and writes them with the JSON to
// eval/results/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fixturePath } from '../fixtures';
import { closeBatchRunners } from '../runtime/batch';
import { BenchmarkError, loadBenchmark, loadTwoObjects, projectRoot } from './fmnist';
import { dogGalleryClasses, fmnistGallery, photoGallery, twoObjectGallery } from './gallery';
import { loadPhotoAnnotations, runPhotoStudy, type PhotoStudy } from './photos';
import { markdown, type EvalResults } from './report';
import { photoExplainers, runFmnist, runImagenet, runTwoObjects, type FmnistResult, type ImagenetResult, type TwoObjectResult } from './run';

const usage = `Usage: node dist/eval.js [--quick] [--count N] [--curves N] [--two N] [--steps S] [--out DIR]
                         [--gallery N] [--skip-fmnist] [--skip-two] [--skip-imagenet]
       node dist/eval.js --report eval/results/results.json

Scores CNN Fixations (modes × conv modes), CAM, occlusion, a centre baseline and random points.
  --quick          a CI-sized run (50 canvases, 30 two-object canvases, dog.jpg on MobileNetV2),
                   written as quick.md / quick.json
  --count N        canvases of the one-item benchmark to score (default all 1000)
  --curves N       of those, how many also get deletion/insertion curves (default 500)
  --two N          canvases of the two-object benchmark (default all 500)
  --steps S        points per deletion/insertion curve minus one (default 20)
  --out DIR        results folder (default eval/results)
  --gallery N      also draw the first N canvases' maps into gallery.jpg and gallery-two.jpg, and dog.jpg's
                   maps into gallery-dog.jpg (default 4; 0 in --quick)
  --skip-fmnist, --skip-two, --skip-imagenet   leave one benchmark out
  --report FILE    write FILE's markdown (results.md next to results.json) again from the JSON, running nothing`;

const photoNames = ['pelican.jpeg', 'bald_eagle.jpeg', 'eagle.jpg', 'dog.jpg', 'horses.jpg', 'giraffe.jpg', 'person.jpg'];
const quickPhotos = ['dog.jpg'];
const imagenetModels = ['mobilenetv2-12-dequantized-fp32.onnx', 'shufflenet-v2-12-dequantized-fp32.onnx'];
/** The class overlap and object boxes also on the int8 model users get from the demo (no CAM: QOperator head). */
const studyModels = [...imagenetModels, 'mobilenetv2-12-int8.onnx'];
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
      quick: { type: 'boolean' }, count: { type: 'string' }, curves: { type: 'string' }, two: { type: 'string' }, steps: { type: 'string' },
      out: { type: 'string' }, gallery: { type: 'string' },
      'skip-fmnist': { type: 'boolean' }, 'skip-two': { type: 'boolean' }, 'skip-imagenet': { type: 'boolean' },
      report: { type: 'string' }, debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (a.help) {
    console.log(usage);
    return 0;
  }
  if (a.report) return rewriteReport(a.report);
  const root = projectRoot();
  const count = whole(a.count, '--count') ?? (a.quick ? 50 : undefined);
  const twoCount = whole(a.two, '--two') ?? (a.quick ? 30 : undefined);
  const steps = whole(a.steps, '--steps') ?? 20;
  const outDir = path.resolve(a.out ?? path.join(root, 'eval', 'results'));
  const name = a.quick ? 'quick' : 'results';
  const log = (s: string) => console.log(s);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const galleryRows = a.gallery === '0' ? 0 : (whole(a.gallery, '--gallery') ?? (a.quick ? 0 : 4));
  const fmnist: FmnistResult[] = [];
  const two: TwoObjectResult[] = [];
  const imagenet: ImagenetResult[] = [];
  const study: PhotoStudy[] = [];
  const galleries = new Map<string, Buffer>();

  if (!a['skip-fmnist']) {
    const bench = loadBenchmark(count, root);
    // Curves cost 2 × (steps + 1) forwards per method and image: the first 500 canvases are plenty.
    const curves = Math.min(whole(a.curves, '--curves') ?? (a.quick ? 25 : 500), bench.count);
    log(`Fashion-MNIST localization: ${bench.count} canvases (sha256 ${bench.sha256.slice(0, 12)}…), curves on ${curves}, ${steps} steps`);
    for (const m of fmnistModels) {
      const file = modelFile(root, m);
      fmnist.push(await runFmnist(file, bench, { steps, curveImages: curves, log }));
      if (m === 'fmnist-gap.onnx' && galleryRows) galleries.set('gallery.jpg', await fmnistGallery(file, bench, Math.min(galleryRows, bench.count)));
    }
  }
  if (!a['skip-two']) {
    const set = loadTwoObjects(twoCount, root);
    log(`Fashion-MNIST, two objects per canvas: ${set.count} canvases (sha256 ${set.sha256.slice(0, 12)}…)`);
    for (const m of fmnistModels) {
      const file = modelFile(root, m);
      two.push(await runTwoObjects(file, set, { log }));
      if (m === 'fmnist-gap.onnx' && galleryRows) galleries.set('gallery-two.jpg', await twoObjectGallery(file, set, Math.min(2 * galleryRows, set.count)));
    }
  }
  if (!a['skip-imagenet']) {
    // the repository's photos and models (src/fixtures; the float models are made from the quantized ones)
    const photos = (a.quick ? quickPhotos : photoNames).map((p) => fixturePath(`images/${p}`));
    const models = (a.quick ? imagenetModels.slice(0, 1) : imagenetModels).map((m) => fixturePath(`models/${m}`));
    const extra = a.quick ? [] : studyModels.filter((m) => !imagenetModels.includes(m)).map((m) => fixturePath(`models/${m}`));
    const annotations = loadPhotoAnnotations(root);
    log(`ImageNet photos: ${photos.length}, ${steps} steps; deletion/insertion, class overlap and object boxes`);
    for (const m of [...models, ...extra]) {
      const explainers = photoExplainers(m);
      if (models.includes(m)) imagenet.push(await runImagenet(m, photos, { steps, curveImages: photos.length, log }, explainers));
      study.push(await runPhotoStudy(m, photos, annotations, { log }, explainers));
      const dog = photos.find((p) => path.basename(p) === 'dog.jpg');
      if (galleryRows && dog && m === models[0]) galleries.set('gallery-dog.jpg', await photoGallery(await explainers(dog), dogGalleryClasses, annotations['dog.jpg'].objects));
    }
  }
  await closeBatchRunners();

  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const results: EvalResults = {
    command: `npm run eval${argv.length ? ' -- ' + argv.join(' ') : ''}`,
    date: new Date().toISOString().slice(0, 10),
    seconds: Math.round(seconds),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e6),
    steps,
    galleries: [...galleries.keys()],
    fmnist,
    two,
    imagenet,
    study,
  };
  const md = markdown(results);
  console.log('\n' + md);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${name}.md`), md);
  for (const [file, data] of galleries) fs.writeFileSync(path.join(outDir, file), data);
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(results, null, 1) + '\n');
  console.log(`wrote ${path.join(outDir, name + '.md')} and ${name}.json`);
  return 0;
}

/** --report FILE: the markdown again from a run's JSON (after a change to the tables, without rerunning). */
function rewriteReport(file: string): number {
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as EvalResults;
  const md = file.replace(/\.json$/, '.md');
  fs.writeFileSync(md, markdown(results));
  console.log(`wrote ${md} from ${file}`);
  return 0;
}

function modelFile(root: string, m: string): string {
  const file = path.join(root, 'eval', 'models', m);
  if (!fs.existsSync(file)) throw new BenchmarkError(`${file} is missing; train it with /usr/bin/python3 scripts/fmnist/train.py`);
  return file;
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
