// The results as markdown tables (printed, written to eval/results/, quoted in the README).
import * as path from 'node:path';
import type { FmnistResult, ImagenetResult, Row } from './run';

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(1));
const num = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

const boxNames = { points: 'points', threshold: 'heat ≥ 20%', prior: 'centred, mean size' } as const;

function best(rows: readonly Row[], key: keyof Row, higher: boolean): number | undefined {
  const vals = rows.filter((r) => r.method !== 'random' && r.method !== 'centre').map((r) => r[key] as number).filter((v) => v !== undefined && !Number.isNaN(v));
  if (!vals.length) return undefined;
  return higher ? Math.max(...vals) : Math.min(...vals);
}

/** Bold where a real method is best in a column (baselines are never bolded). */
function cell(r: Row, key: keyof Row, fmt: (v: number) => string, top: number | undefined): string {
  const v = r[key] as number | undefined;
  const s = fmt(v as number);
  return top !== undefined && v === top && r.method !== 'random' && r.method !== 'centre' ? `**${s}**` : s;
}

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
  const label = new Map(results.flatMap((r) => r.rows.map((row) => [row.method, row.label] as const)));
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
    lines.push(`| ${label.get(m)} | ${cells.join(' | ')} |`);
  }
  const photos = results[0].photos.map((p) => p.photo);
  lines.push('', `Photos: ${photos.join(', ')}; each explained for its top-1 class (${results.map((r) => `${head[results.indexOf(r)]}: ${r.photos.map((p) => p.predicted.label.split(',')[0]).join(', ')}`).join('; ')}).`);
  return lines.join('\n');
}
