// The results as markdown tables (printed, written to eval/results/, quoted in the README).
import * as path from 'node:path';
import { twoObjectMethods } from './methods';
import type { PhotoStudy } from './photos';
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
  const lines = [
    `**${modelName(s.model)}**: share of each class's mass (CNN Fixations) or map (CAM, occlusion) on its own object (the object's boxes minus the objects in front); **bold**: the map's maximum is on the object. ${shortLegend}; V: against the other object's class (first pair in boxes.json). chance: the object's share of the model's view.`,
    '',
    `| photo: object, class | ${methods.map(shortName).join(' | ')} | chance |`,
    `|---|${methods.map(() => '---:').join('|')}|---:|`,
  ];
  const sums = methods.map(() => [] as number[]);
  const peaks = methods.map(() => 0);
  for (const key of keys) {
    const cells = methods.map((m, i) => {
      const e = s.boxes.find((x) => x.photo === key.photo && x.object === key.object && x.k === key.k && x.method === m);
      if (!e) return '–';
      const v = (e.mass ?? e.share)[e.object];
      sums[i].push(v);
      if (e.peakInside) peaks[i]++;
      return e.peakInside ? `**${num(v)}**` : num(v);
    });
    lines.push(`| ${key.photo}: ${key.object}, ${cls(s, key.k)} | ${cells.join(' | ')} | ${num(key.chance)} |`);
  }
  lines.push(`| mean | ${sums.map((v) => num(mean(v))).join(' | ')} | ${num(mean(keys.map((k) => k.chance)))} |`);
  lines.push(`| maximum on the object | ${peaks.map((p, i) => `${p}/${sums[i].length}`).join(' | ')} | |`);
  return lines.join('\n');
}
