// cnn-fixations explain MODEL IMAGE [options]: explains an ONNX image classifier's prediction from the
// command line. With no model and image it explains the demo that ships with the package. Loaded by main.ts
// only for this command: a sweep's coordinator never loads onnxruntime or the explanation code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { explainWithMethod, methods } from '../baselines/index';
import { Explainer, type Explanation, type InputSource } from '../explain';
import { assetsDir, resolveClass } from '../labels';
import { exportRenderer } from '../report/exports';
import { modeLegend } from '../shared/mode';
import { defaultOverlay } from '../shared/overlay';
import type { ExportKind } from '../shared/protocol';
import { fault } from '../engine/faults';
import { optionFlags, optionsHelp, runOptions, UsageError } from './options';
import { CHILD } from './supervise';

const usage = `Usage: cnn-fixations explain [MODEL IMAGE] [options]
       cnn-fixations sweep [MODEL DIR] [options]     every image of a labelled folder: the mistakes and why (sweep --help)
       cnn-fixations merge OUT1 OUT2 ... --out OUT   join the outputs of sweep shards (merge --help)

Explains which pixels made an ONNX image classifier predict a class (CNN Fixations).
With no MODEL and IMAGE, explains the demo (int8 MobileNetV2 on a pelican photo) and writes
its outputs to ./cnn-fixations-out/.

Options:
  --tensor FILE        an ONNX TensorProto (.pb) to use as the input instead of IMAGE
  --class K            explain class K, an index or a label name (default: the top-1 prediction)
  --versus B           why the class rather than class B (index or label name): masses, the class's
                       classifier weights minus B's
${optionsHelp()}
  --method M           fixations (default, CNN Fixations), cam (class activation map, GAP-head models),
                       occlusion (sliding-patch sensitivity); same outputs for each
  --json FILE          write the result as JSON (versioned contract)
  --png FILE           write the image with heat map, points and box
  --opacity A          heat map opacity in the PNG and HTML, 0–1 (default 0.6)
  --html FILE          write a self-contained HTML report
  --out DIR            write overlay.png, result.json and report.html into DIR
  --debug              show stack traces
  -h, --help           this help`;

function describe(x: Explanation): string {
  const r = x.json;
  const t = r.timings;
  const lines = [
    `model    ${r.model.path}  (input '${r.model.input.name}' [${r.model.input.shape.join('×')}], preset ${r.settings.preset})`,
    `image    ${r.image.path}  (${r.image.width}×${r.image.height})`,
    'top-' + r.predictions.length,
    ...r.predictions.map((p) => `  ${String(p.index).padStart(5)}  ${(p.score * 100).toFixed(2).padStart(6)}%  ${p.label}`),
    `class    ${r.target.index} ${r.target.label}`,
    r.settings.method && r.settings.method !== 'fixations'
      ? `method   ${r.settings.method} (a saliency map; no fixations, the box thresholds the map)`
      : `mode     ${modeLine(r)}`,
    ...(r.settings.method && r.settings.method !== 'fixations'
      ? []
      : [`fixations ${r.inputFixations.length} at the input → ${r.points.length} points, ${r.keptPoints.length} kept; ${r.layers.length} layer steps`]),
    `box      ${r.box ? `[${r.box.join(', ')}]` : 'none (no fixations reached the image)'}${r.peak ? ` · peak (${r.peak.join(', ')})` : ''}`,
    `timings  load ${t.loadMs.toFixed(1)} ms · preprocess ${t.preprocessMs.toFixed(1)} ms · inference ${t.inferenceMs.toFixed(1)} ms · unravel ${t.unravelMs.toFixed(1)} ms · heatmap ${t.heatmapMs.toFixed(1)} ms`,
  ];
  for (const w of r.warnings ?? []) lines.push(`warning  ${w}`);
  const notes = r.layers.filter((l) => l.notes?.length);
  if (notes.length) lines.push(`fall-backs at ${notes.length} layer(s), e.g. ${notes[0].op} '${notes[0].node}': ${notes[0].notes![0]}`);
  if (r.inputFixations.length < 5 && r.settings.flattenMode === 'argmax' && flattensSpatialMap(x)) {
    lines.push(
      'note     a fully connected layer reads a flattened feature map and keeps one input per neuron (flatten mode argmax);\n' +
        '         with a single such layer that leaves few fixations: try --flatten-mode positive',
    );
  }
  return lines.join('\n');
}

function modeLine(r: Explanation['json']): string {
  const kept = r.keptPointWeights.reduce((a, b) => a + b, 0);
  const share = r.settings.mode === 'paper' ? '' : ` (${(kept * 100).toFixed(0)}% of the mass on kept points)`;
  return `${modeLegend(r)}${share}`;
}

/** Whether the walk flattened a feature map into a vector (before a fully connected layer). */
function flattensSpatialMap(x: Explanation): boolean {
  return x.unravel.layers.some((m) => (m.op === 'Flatten' || m.op === 'Reshape') && m.shape.length === 2);
}

async function writeOutputs(x: Explanation, e: Explainer, files: Partial<Record<ExportKind, string>>, opacity: number): Promise<string[]> {
  const render = exportRenderer(x, e.picture, { ...defaultOverlay, opacity });
  const written: string[] = [];
  for (const kind of ['json', 'png', 'html'] as const) {
    const file = files[kind];
    if (!file) continue;
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, await render(kind));
    written.push(file);
  }
  return written;
}

/** `cnn-fixations [explain] MODEL IMAGE [options]` (everything but sweep and merge). */
export async function explainMain(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...optionFlags(),
      tensor: { type: 'string' },
      class: { type: 'string' },
      versus: { type: 'string' },
      method: { type: 'string' },
      json: { type: 'string' },
      png: { type: 'string' },
      html: { type: 'string' },
      out: { type: 'string' },
      opacity: { type: 'string' },
      debug: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (command !== 'explain' && command !== undefined) throw new UsageError(`unknown command '${command}'`);
  let [model, image] = rest;
  let out = values.out;
  if (rest.length > 2) throw new UsageError(`too many arguments: ${rest.slice(2).join(' ')}`);
  if (!model) {
    if (values.tensor) throw new UsageError('--tensor needs a MODEL');
    const demo = assetsDir();
    model = path.join(demo, 'mobilenetv2-12-int8.onnx');
    image = path.join(demo, 'pelican.jpeg');
    out ??= 'cnn-fixations-out';
    console.log(`demo: explaining ${path.basename(model)} on ${path.basename(image)}; outputs go to ${path.resolve(out)}/`);
  }
  if (!image && !values.tensor) throw new UsageError('give an IMAGE (or --tensor FILE) after the MODEL');
  if (image && values.tensor) throw new UsageError('give either an IMAGE or --tensor, not both');
  const opacity = values.opacity === undefined ? defaultOverlay.opacity : Number(values.opacity);
  if (!(opacity >= 0 && opacity <= 1)) throw new UsageError(`--opacity takes a number from 0 to 1 (got '${values.opacity}')`);
  const method = values.method === undefined ? 'fixations' : methods.find((m) => m === values.method);
  if (!method) throw new UsageError(`--method must be one of ${methods.join(', ')}, got "${values.method}"`);
  const options = runOptions(values);
  if (values.versus !== undefined && options.mode === 'paper')
    throw new UsageError("--versus explains with masses: leave out --mode paper (the paper's method has no contrast)");
  if (values.versus !== undefined && method !== 'fixations') throw new UsageError(`--versus explains with CNN Fixations: leave out --method ${method}`);
  // tests only: the explanation dies as one too large for the heap would (the supervisor's one line is tested on it)
  if (process.env.CNN_FIXATIONS_CLI_FAULT === 'oom' && process.env[CHILD]) fault('oom');
  const input: InputSource = values.tensor ? { tensor: values.tensor } : { image: image! };
  const explainer = await Explainer.create(model, input, options);
  const named = (v: string | undefined, flag: string) => (v === undefined ? undefined : resolveClass(v, explainer.labels, explainer.classCount, flag));
  const k = named(values.class, '--class');
  const versus = named(values.versus, '--versus');
  const x = method === 'fixations' ? explainer.explain(k, versus === undefined ? {} : { versus }) : await explainWithMethod(explainer, method, k);
  console.log(describe(x));
  const files = {
    json: values.json ?? (out ? path.join(out, 'result.json') : undefined),
    png: values.png ?? (out ? path.join(out, 'overlay.png') : undefined),
    html: values.html ?? (out ? path.join(out, 'report.html') : undefined),
  };
  const written = await writeOutputs(x, explainer, files, opacity);
  if (written.length) console.log(`wrote    ${written.join(', ')}`);
  return 0;
}
