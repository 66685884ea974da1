// The results as markdown tables (printed, written to eval/results/, quoted in the README).
import * as path from 'node:path';
import { dogGalleryClasses, galleryColumns, photoGalleryColumns, twoGalleryColumns } from './gallery';
import { twoObjectMethods } from './methods';
import type { BoxShareEntry, PhotoStudy } from './photos';
import type { FmnistResult, ImagenetResult, TwoObjectResult } from './run';

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(1));
const num = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

const boxNames = { points: 'points', threshold: 'heat ≥ 20%', count: 'point count ≥ 20%', prior: 'centred, mean size' } as const;

const blind = (method: string) => method === 'random' || method === 'centre';

/** The best value of a column among the real methods (the blind baselines are left out). */
function best<T extends { readonly method: string }>(rows: readonly T[], key: keyof T, higher: boolean): number | undefined {
  const vals = rows.filter((r) => !blind(r.method)).map((r) => r[key] as number | undefined).filter((v): v is number => v !== undefined && !Number.isNaN(v));
  if (!vals.length) return undefined;
  return higher ? Math.max(...vals) : Math.min(...vals);
}

/** Bold where a real method is best in a column (baselines are never bolded). */
function cell<T extends { readonly method: string }>(r: T, key: keyof T, fmt: (v: number) => string, top: number | undefined): string {
  const v = r[key] as number | undefined;
  const s = fmt(v as number);
  return top !== undefined && v === top && !blind(r.method) ? `**${s}**` : s;
}

/** A method's label from its id (every method the harness runs is in twoObjectMethods). */
const label = (id: string) => twoObjectMethods.find((m) => m.id === id)?.label ?? id;

export function fmnistTable(r: FmnistResult): string {
  const b = {
    top1: best(r.rows, 'top1Loc', true),
    gt: best(r.rows, 'gtKnownLoc', true),
    point: best(r.rows, 'pointing', true),
    del: best(r.rows, 'deletion', false),
    ins: best(r.rows, 'insertion', true),
  };
  const lines = [
    `**${path.basename(r.model)}**: ${r.images} canvases, classifier accuracy ${pct(r.accuracy)}%; deletion/insertion on the first ${r.curveImages}.`,
    '',
    '| method | box | top-1 loc % | GT-known loc % | pointing % | deletion AUC ↓ | insertion AUC ↑ | ms / explanation |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  let last = '';
  for (const row of r.rows) {
    const same = row.method === last;
    last = row.method;
    lines.push(
      `| ${same ? '″' : row.label} | ${boxNames[row.box!]} | ${cell(row, 'top1Loc', pct, b.top1)} | ${cell(row, 'gtKnownLoc', pct, b.gt)} | ` +
        (same ? '″ | ″ | ″ | ″ |' : `${cell(row, 'pointing', pct, b.point)} | ${cell(row, 'deletion', num, b.del)} | ${cell(row, 'insertion', num, b.ins)} | ${ms(row.msPerExplanation)} |`),
    );
  }
  for (const [m, why] of Object.entries(r.skipped)) lines.push('', `*${m} not applicable*: ${why.split(';')[0]}.`);
  return lines.join('\n');
}

/** GT-known localization of the threshold boxes across thresholds; each row's best in bold. */
export function sweepTable(r: FmnistResult): string {
  const rows = r.rows.filter((x) => x.sweep);
  if (!rows.length) return '';
  const fractions = Object.keys(rows[0].sweep!);
  const lines = [
    `**${path.basename(r.model)}**, GT-known loc % of the heat ≥ t box for each threshold t:`,
    '',
    `| method | ${fractions.map((f) => `t = ${f}`).join(' | ')} |`,
    `|---|${fractions.map(() => '---:').join('|')}|`,
  ];
  for (const row of rows) {
    const vals = fractions.map((f) => row.sweep![f]);
    const top = Math.max(...vals);
    lines.push(`| ${row.label} | ${vals.map((v) => (v === top ? `**${pct(v)}**` : pct(v))).join(' | ')} |`);
  }
  return lines.join('\n');
}

export function imagenetTable(results: readonly ImagenetResult[]): string {
  if (!results.length) return '';
  const methods = results[0].rows.map((r) => r.method);
  for (const r of results.slice(1)) for (const row of r.rows) if (!methods.includes(row.method)) methods.push(row.method);
  const head = results.map((r) => path.basename(r.model).replace(/-12-dequantized-fp32\.onnx$/, '').replace(/\.onnx$/, ''));
  const lines = [
    `| method | ${head.map((h) => `${h} deletion ↓ | ${h} insertion ↑ | ${h} ms`).join(' | ')} |`,
    `|---|${head.map(() => '---:|---:|---:').join('|')}|`,
  ];
  const bests = results.map((r) => ({ del: best(r.rows, 'deletion', false), ins: best(r.rows, 'insertion', true) }));
  for (const m of methods) {
    const cells = results.map((r, i) => {
      const row = r.rows.find((x) => x.method === m);
      if (!row) return 'n/a | n/a | n/a';
      return `${cell(row, 'deletion', num, bests[i].del)} | ${cell(row, 'insertion', num, bests[i].ins)} | ${ms(row.msPerExplanation)}`;
    });
    lines.push(`| ${label(m)} | ${cells.join(' | ')} |`);
  }
  const photos = results[0].photos.map((p) => p.photo);
  lines.push('', `Photos: ${photos.join(', ')}; each explained for its top-1 class (${results.map((r) => `${head[results.indexOf(r)]}: ${r.photos.map((p) => p.predicted.label.split(',')[0]).join(', ')}`).join('; ')}).`);
  return lines.join('\n');
}

const modelName = (file: string) => path.basename(file).replace(/-12-dequantized-fp32\.onnx$/, '').replace(/\.onnx$/, '');

export function twoObjectTable(r: TwoObjectResult): string {
  const both = best(r.rows, 'pointingBoth', true), top2 = best(r.rows, 'pointingBothTop2', true);
  const lines = [
    `**${path.basename(r.model)}**: ${r.images} canvases; the top-1 prediction is one of the two classes on ${pct(r.top1InPair)}%, the top-2 are the two classes on ${pct(r.top2IsPair)}%.`,
    '',
    '| method | both peaks in own box % | same, top-2 = the pair % | peak in own box (each class) % | mass in own box | mass in other box | map share in own box | map share in other box |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of r.rows) {
    lines.push(
      `| ${row.label} | ${cell(row, 'pointingBoth', pct, both)} | ${cell(row, 'pointingBothTop2', pct, top2)} | ${pct(row.pointingEach)} | ` +
        `${num(row.massOwn)} | ${num(row.massOther)} | ${num(row.shareOwn)} | ${num(row.shareOther)} |`,
    );
  }
  for (const [m, why] of Object.entries(r.skipped)) lines.push('', `*${m} not applicable*: ${why.split(';')[0]}.`);
  return lines.join('\n');
}

/** Short column names for the photo tables: mode initial and conv mode. */
function shortName(method: string): string {
  const m = /^fixations-(\w+)-(\w+)$/.exec(method);
  if (!m) return method === 'cam' ? 'CAM' : method === 'occlusion' ? 'occl.' : method;
  return `${m[1][0].toUpperCase()} ${m[2].slice(0, 4)}.`;
}
const shortLegend = 'P, W, D, V: CNN Fixations paper, weighted, discriminative, versus; contr., cent., acti.: conv mode contribution, center, activation';

const mean = (v: readonly number[]) => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN);

/** Per method, the mean overlap of the two maps over the top-1 vs top-2..5 pairs and over the named pairs. */
export function overlapTable(s: PhotoStudy): string {
  const methods = [...new Set(s.overlap.map((e) => e.method))];
  const lines = [
    `**${modelName(s.model)}**: overlap of two classes' maps of one photo (1 = the same map; mean over photos and pairs)`,
    '',
    '| method | top-1 vs top-2..5: maps ∩ | fixation sets J | fixation masses J | pairs by looking: maps ∩ | fixation sets J | fixation masses J |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of methods) {
    const cells = (['top', 'named'] as const).flatMap((kind) => {
      const e = s.overlap.filter((x) => x.method === m && x.kind === kind);
      return [mean(e.map((x) => x.intersection)), mean(e.flatMap((x) => (x.jaccard === undefined ? [] : [x.jaccard]))), mean(e.flatMap((x) => (x.weightedJaccard === undefined ? [] : [x.weightedJaccard])))];
    });
    lines.push(`| ${label(m)} | ${cells.map(num).join(' | ')} |`);
  }
  for (const [m, why] of Object.entries(s.skipped)) lines.push('', `*${m} not applicable*: ${why.split(';')[0]}.`);
  return lines.join('\n');
}

/** The named pairs one by one: histogram intersection of the two maps per method. */
export function overlapDetailTable(s: PhotoStudy): string {
  const named = s.overlap.filter((e) => e.kind === 'named');
  if (!named.length) return '';
  const methods = [...new Set(named.map((e) => e.method))];
  const pairs = [...new Map(named.map((e) => [`${e.photo}:${e.a}:${e.b}`, e] as const)).values()];
  const lines = [
    `${modelName(s.model)}, pairs by looking: maps ∩ (histogram intersection) per method. ${shortLegend}.`,
    '',
    `| photo: A vs B | ${methods.map(shortName).join(' | ')} |`,
    `|---|${methods.map(() => '---:').join('|')}|`,
  ];
  for (const p of pairs) {
    const cells = methods.map((m) => num(named.find((e) => e.photo === p.photo && e.a === p.a && e.b === p.b && e.method === m)?.intersection));
    lines.push(`| ${p.photo}: ${cls(s, p.a)} vs ${cls(s, p.b)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

const cls = (s: PhotoStudy, k: number) => `${s.labels[k]?.split(',')[0] ?? '?'} (${k})`;

/**
 * Per object and class: CNN Fixations' mass (CAM's and occlusion's map share) on the object's visible part.
 * versus: against the first class paired with it that stands for another object.
 */
export function boxTable(s: PhotoStudy): string {
  const methods = [...new Set(s.boxes.map((e) => e.method))];
  const keys = [...new Map(s.boxes.map((e) => [`${e.photo}:${e.object}:${e.k}`, e] as const)).values()];
  const entry = (key: BoxShareEntry, m: string) => s.boxes.find((x) => x.photo === key.photo && x.object === key.object && x.k === key.k && x.method === m);
  const value = (e: BoxShareEntry) => (e.mass ?? e.share)[e.object];
  const lines = [
    `**${modelName(s.model)}**: share of each class's mass (CNN Fixations) or map (CAM, occlusion) on its own object (the object's boxes minus the objects in front); **bold**: the map's maximum is on the object. ${shortLegend}; V: against the other object's class (first pair in boxes.json). chance: the object's share of the model's view.`,
    '',
    `| photo: object, class | ${methods.map(shortName).join(' | ')} | chance |`,
    `|---|${methods.map(() => '---:').join('|')}|---:|`,
  ];
  for (const key of keys) {
    const cells = methods.map((m) => {
      const e = entry(key, m);
      return !e ? '–' : e.peakInside ? `**${num(value(e))}**` : num(value(e));
    });
    lines.push(`| ${key.photo}: ${key.object}, ${cls(s, key.k)} | ${cells.join(' | ')} | ${num(key.chance)} |`);
  }
  // Means over all rows (versus: only over the rows with a second object: '–'), and over the rows every method has.
  const full = keys.filter((key) => methods.every((m) => entry(key, m)));
  const meanCell = (m: string, rows: readonly BoxShareEntry[]) => {
    const es = rows.map((key) => entry(key, m));
    return es.every((e) => e !== undefined) ? num(mean(es.map((e) => value(e!)))) : '–';
  };
  /** How many of the method's rows hit, out of its rows ('–' where the method has no such figure). */
  const countCell = (m: string, hit: (e: BoxShareEntry) => boolean | undefined) => {
    const h = keys.flatMap((key) => {
      const e = entry(key, m);
      return e ? [hit(e)] : [];
    });
    return h.some((x) => x === undefined) ? '–' : `${h.filter(Boolean).length}/${h.length}`;
  };
  lines.push(`| mean, all ${keys.length} rows | ${methods.map((m) => meanCell(m, keys)).join(' | ')} | ${num(mean(keys.map((k) => k.chance)))} |`);
  if (full.length < keys.length) lines.push(`| mean, the ${full.length} rows with V | ${methods.map((m) => meanCell(m, full)).join(' | ')} | ${num(mean(full.map((k) => k.chance)))} |`);
  lines.push(`| maximum on the object | ${methods.map((m) => countCell(m, (e) => e.peakInside)).join(' | ')} | |`);
  for (const b of ['points', 'threshold', 'count'] as const) {
    lines.push(`| located (IoU ≥ 0.5), ${boxNames[b]} box | ${methods.map((m) => countCell(m, (e) => e.located?.[b])).join(' | ')} | |`);
  }
  return lines.join('\n');
}

export interface AllResults {
  readonly fmnist: readonly FmnistResult[];
  readonly two: readonly TwoObjectResult[];
  readonly imagenet: readonly ImagenetResult[];
  readonly study: readonly PhotoStudy[];
}

/** The classes of dog.jpg whose objects are both in the photo: malamute on the dog, mountain bike on the bicycle. */
const dogPair = [
  { object: 'dog', k: 249 },
  { object: 'bicycle', k: 671 },
] as const;

/**
 * Issue 9's goals, checked for every candidate default (a mode with masses × conv mode; paper for
 * reference): ✓ where the candidate meets the goal on every model measured, with the numbers.
 */
export function goalsTable(r: AllResults): string {
  const candidates = twoObjectMethods.filter((m) => /^fixations-(paper|weighted|discriminative)-/.test(m.id)).map((m) => m.id);
  const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ✓' : ' ✗');
  const all = (v: (boolean | undefined)[]) => (v.some((x) => x === undefined) || !v.length ? undefined : v.every(Boolean));
  const lines = [
    'Goals of issue 9 for each candidate default (✓: met on every model measured). Two objects: both peaks in their own boxes, % (fmnist-gap / fmnist-fc), against the better of occlusion and CAM. ' +
      'dog.jpg: the malamute\'s mass on the dog / the mountain bike\'s on the bicycle, per ImageNet model, each above 0.5. Deletion / insertion against CAM: Fashion-MNIST (fmnist-gap: CAM needs a GAP head), and the photos (per ImageNet model, at least level). ' +
      'GT-known loc (points / heat ≥ 20% box, per Fashion-MNIST model) against today\'s best, the paper mode with contribution and the heat box; in brackets the point count box, which the product does not offer.',
    '',
    '| candidate | two objects, both peaks % | dog.jpg, own-object mass | Fashion-MNIST del / ins vs CAM | photos del / ins vs CAM | GT-known loc % (points / heat (count)) |',
    '|---|---|---|---|---|---|',
  ];
  for (const id of candidates) {
    // Two objects: ahead of both baselines on each model.
    const two = r.two.map((t) => {
      const v = t.rows.find((x) => x.method === id)?.pointingBoth;
      const rival = Math.max(...t.rows.filter((x) => x.method === 'cam' || x.method === 'occlusion').map((x) => x.pointingBoth));
      return { v, ok: v === undefined ? undefined : v > rival };
    });
    // dog.jpg: each class's mass mostly on its own object.
    const dog = r.study.map((s) => {
      const m = dogPair.map((p) => s.boxes.find((e) => e.photo === 'dog.jpg' && e.object === p.object && e.k === p.k && e.method === id && e.versus === undefined)?.mass?.[p.object]);
      return { m, ok: m.some((v) => v === undefined) ? undefined : m.every((v) => v! > 0.5) };
    });
    // Deletion / insertion against CAM where CAM applies.
    const versusCam = (rows: readonly { method: string; deletion: number; insertion: number }[], level: boolean) => {
      const x = rows.find((q) => q.method === id), cam = rows.find((q) => q.method === 'cam');
      if (!x || !cam) return undefined;
      const ok = level ? x.deletion <= cam.deletion && x.insertion >= cam.insertion : x.deletion < cam.deletion && x.insertion > cam.insertion;
      return { text: `${num(x.deletion)} / ${num(x.insertion)} vs ${num(cam.deletion)} / ${num(cam.insertion)}`, ok };
    };
    const fm = r.fmnist.map((f) => versusCam(f.rows.filter((q) => q.box !== 'count'), false)).filter((x) => x !== undefined);
    const ph = r.imagenet.map((f) => versusCam(f.rows, true)).filter((x) => x !== undefined);
    // GT-known loc: the better of its two boxes against the paper's contribution heat box.
    const loc = r.fmnist.map((f) => {
      const get = (m: string, b: string) => f.rows.find((q) => q.method === m && q.box === b)?.gtKnownLoc;
      const [p, h, c] = [get(id, 'points'), get(id, 'threshold'), get(id, 'count')];
      const today = get('fixations-paper-contribution', 'threshold');
      return { text: `${pct(p)} / ${pct(h)}${c === undefined ? '' : ` (${pct(c)})`}`, ok: p === undefined || h === undefined || today === undefined ? undefined : Math.max(p, h) >= today };
    });
    lines.push(
      `| ${label(id)} | ${two.map((t) => pct(t.v)).join(' / ')}${mark(all(two.map((t) => t.ok)))} | ${dog.map((d) => d.m.map(num).join(' / ')).join('; ')}${mark(all(dog.map((d) => d.ok)))} | ` +
        `${fm.map((x) => x.text).join('; ')}${mark(all(fm.map((x) => x.ok)))} | ${ph.map((x) => x.text).join('; ')}${mark(all(ph.map((x) => x.ok)))} | ${loc.map((x) => x.text).join('; ')}${mark(all(loc.map((x) => x.ok)))} |`,
    );
  }
  const today = r.fmnist.map((f) => pct(f.rows.find((q) => q.method === 'fixations-paper-contribution' && q.box === 'threshold')?.gtKnownLoc));
  const rivals = r.two.map((t) => `${path.basename(t.model)} ${pct(Math.max(...t.rows.filter((x) => x.method === 'cam' || x.method === 'occlusion').map((x) => x.pointingBoth)))}`);
  lines.push('', `Today's best GT-known loc: ${today.join(' / ')}. Better of occlusion and CAM on two objects: ${rivals.join(', ')}.`);
  return lines.join('\n');
}

/** What a run writes to results.json (or quick.json); the markdown is made from it alone. */
export interface EvalResults extends AllResults {
  readonly command: string;
  readonly date?: string;
  readonly seconds: number;
  readonly cpuSeconds?: number;
  readonly steps: number;
  /** The gallery images the run wrote next to the JSON. */
  readonly galleries?: readonly string[];
}

export function markdown(r: EvalResults): string {
  const { fmnist, two, imagenet, study } = r;
  const galleries = new Set(r.galleries ?? []);
  const dogLabels = dogGalleryClasses.map((k) => study[0]?.labels[k]?.split(',')[0] ?? String(k));
  return [
    `# Explanation quality: CNN Fixations against gradient-free baselines`,
    '',
    `Made by \`${r.command}\` in ${r.seconds} s${r.cpuSeconds === undefined ? '' : ` (${r.cpuSeconds} CPU-seconds in its process)`}${r.date ? `, ${r.date}` : ''}. Metrics and protocol: README, section "Measured".`,
    ...(fmnist.length && two.length && imagenet.length ? ['', '## Goals', '', goalsTable(r), ''] : []),
    ...(fmnist.length ? ['', '## Fashion-MNIST localization (true boxes)', '', ...fmnist.flatMap((x) => [fmnistTable(x), ''])] : []),
    ...(fmnist.length
      ? ['### Threshold sweep', '', 'The tables above box every map at 20% of its maximum. The best threshold differs per method; chosen here on the test set itself, so each row\'s best is an upper bound for that method.', '', ...fmnist.flatMap((x) => [sweepTable(x), ''])]
      : []),
    ...(galleries.has('gallery.jpg') ? [`![maps of the first canvases](gallery.jpg)`, '', `gallery.jpg, columns: ${galleryColumns.join(' · ')}. Green: the method's box; white: the true box.`, ''] : []),
    ...(two.length ? ['', '## Fashion-MNIST, two objects per canvas (both classes explained)', '', ...two.flatMap((x) => [twoObjectTable(x), ''])] : []),
    ...(galleries.has('gallery-two.jpg')
      ? [`![both classes' maps on two-object canvases](gallery-two.jpg)`, '', `gallery-two.jpg (fmnist-gap), two tiles per method: ${twoGalleryColumns.join(' · ')}. White: the box of the class explained; red: the other object's box.`, '']
      : []),
    ...(imagenet.length ? ['', '## ImageNet photos: deletion and insertion (top-1 class)', '', imagenetTable(imagenet), ''] : []),
    ...(study.length ? ['', '## ImageNet photos: class overlap', '', ...study.flatMap((s) => [overlapTable(s), '', overlapDetailTable(s), ''])] : []),
    ...(study.length ? ['', '## ImageNet photos: mass on the objects (boxes marked by eye, eval/photos/boxes.json)', '', ...study.flatMap((s) => [boxTable(s), ''])] : []),
    ...(galleries.has('gallery-dog.jpg')
      ? [
          `![dog.jpg: maps per mode and conv mode](gallery-dog.jpg)`,
          '',
          `gallery-dog.jpg (MobileNetV2): for ${dogLabels.join(', then ')}, one row per conv mode (contribution, center, activation), columns ${photoGalleryColumns.join(' · ')}; then CAM · occlusion. White: the class's object; red: the other objects.`,
          '',
        ]
      : []),
  ].join('\n');
}
